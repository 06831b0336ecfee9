"""notification_svc's consumer against a real broker, a real SMTP server and real PostgreSQL.

The organizer's address comes from the running platform's identity_svc (the demo organizer).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiosmtpd.controller import Controller
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.infra import Broker
from devstack.kafka import consumed_to_the_end, ensure_topics_async
from devstack.processes import free_port, pid_alive
from devstack.pytest_plugin import PostgresServer
from devstack.samples import catalog_message
from notification_svc.bootstrap import build_consumer, build_courier, build_directory, build_engine
from notification_svc.config import SCHEMA, Settings
from notification_svc.domain.model import INTERRUPTED_REASON
from notification_svc.entrypoints.consumer import NotificationConsumer
from notification_svc.replay import replay_dead_letters
from taquilla_runtime import migrations
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import KafkaPublisher
from tests.conftest import Platform

pytestmark = pytest.mark.asyncio(loop_scope="session")
DEMO_ORGANIZER = "5e1d0000-0000-4000-8000-000000000002"
MIGRATIONS = Path(__file__).resolve().parents[2] / "notification_svc/src/notification_svc/migrations"

SPANS = InMemorySpanExporter()
if not isinstance(trace.get_tracer_provider(), TracerProvider):
    _provider = TracerProvider()
    _provider.add_span_processor(SimpleSpanProcessor(SPANS))
    trace.set_tracer_provider(_provider)
else:  # another test module installed one first
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(SPANS))  # type: ignore[attr-defined]


class ScriptedSmtp:
    """A real SMTP server whose answers the test scripts: refuse the next N messages, or all of them."""

    def __init__(self) -> None:
        self.accepted: list[Message] = []
        self.refusals = 0
        self.refuse_next = 0
        self.refuse_all = False
        # Accept this many messages, then refuse every other one (a consumer stuck mid-batch).
        self.refuse_after: int | None = None
        # Take the next message, then hold the answer until released (the client dies meanwhile).
        self.hold_next = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        full = self.refuse_after is not None and len(self.accepted) >= self.refuse_after
        if self.refuse_all or self.refuse_next > 0 or full:
            self.refuse_next = max(0, self.refuse_next - 1)
            self.refusals += 1
            return "451 4.3.0 Try again later"
        self.accepted.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        if self.hold_next:
            self.hold_next = False
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 60)
        return "250 2.0.0 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.accepted]


@pytest.fixture(scope="module")
def notifications_db(postgres_server: PostgresServer) -> str:
    url = postgres_server.url("notification_svc")
    migrations.upgrade(MIGRATIONS, url, SCHEMA)
    return url


@pytest_asyncio.fixture(loop_scope="session")
async def smtp() -> AsyncIterator[ScriptedSmtp]:
    server = ScriptedSmtp()
    server.start()
    yield server
    server.stop()


def make_settings(
    platform: Platform, notifications_db: str, broker: Broker, smtp_port: int, **overrides: Any
) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "database_url": notifications_db,
        "kafka_bootstrap_servers": broker.bootstrap_servers,
        "smtp_port": smtp_port,
        "identity_svc_address": platform.env("EDGE_IDENTITY_SVC_ADDRESS"),
        "topic": f"events-{suffix}",
        "dead_letter_topic": f"events-{suffix}.dlq",
        "consumer_group": f"ns-{suffix}",
        "retry_base_seconds": 0.02,
        "retry_max_seconds": 0.1,
        "max_attempts": 5,
        "grpc_address": f"127.0.0.1:{free_port()}",
        "metrics_address": f"127.0.0.1:{free_port()}",
    }
    values.update(overrides)
    return Settings(**values)


class RunningConsumer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = build_engine(settings)
        self.identity = build_directory(settings)
        self.dead_letters = KafkaPublisher(settings.kafka_bootstrap_servers, client_id="test-dlq")
        self.consumer: NotificationConsumer = build_consumer(
            settings, self.engine, build_courier(settings, self.engine, self.identity), self.dead_letters
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.consumer.run())

    async def stop(self) -> None:
        self.consumer.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=30)
        await self.dead_letters.close()
        await self.identity.close()
        await self.engine.dispose()

    async def statuses(self, event_id: uuid.UUID) -> list[tuple[str, str, int]]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT recipient_role, status, attempts FROM notifications.notifications "
                    "WHERE event_id = :event ORDER BY recipient_role"
                ),
                {"event": event_id},
            )
            return [(r[0], r[1], r[2]) for r in rows]


@pytest_asyncio.fixture(loop_scope="session")
async def consumer_factory(
    platform: Platform, notifications_db: str, kafka_broker: Broker, smtp: ScriptedSmtp
) -> AsyncIterator[Callable[..., Any]]:
    running: list[RunningConsumer] = []

    async def start(**overrides: Any) -> RunningConsumer:
        settings = make_settings(
            platform, notifications_db, kafka_broker, overrides.pop("smtp_port", smtp.port), **overrides
        )
        await ensure_topics_async(
            kafka_broker.bootstrap_servers, [settings.topic, settings.dead_letter_topic], 3
        )
        consumer = RunningConsumer(settings)
        await consumer.start()
        running.append(consumer)
        return consumer

    yield start
    for consumer in running:
        await consumer.stop()


def event_envelope(kind: str = "EventCreated", **payload_overrides: Any) -> Envelope:
    """A whole catalog message (devstack.samples, valid against the schema) by the demo organizer."""
    overrides: dict[str, Any] = {
        "name": "Festival de Música del Caribe",
        "startsAt": "2027-03-01T20:00:00Z",
        "endsAt": "2027-03-02T02:00:00Z",
        "timezone": "America/Bogota",
        "createdBy": DEMO_ORGANIZER,
        **payload_overrides,
    }
    return catalog_message(kind, **overrides)


async def publish(
    settings: Settings,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
    partition: int | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            settings.topic, value=value, key=key, headers=headers or [], partition=partition
        )
    finally:
        await producer.stop()


async def publish_envelope(
    settings: Settings,
    envelope: Envelope,
    times: int = 1,
    traceparent: str | None = None,
    partition: int | None = None,
) -> None:
    for _ in range(times):
        await publish(
            settings,
            envelope.to_bytes(),
            key=str(envelope.event_id).encode(),
            headers=envelope.kafka_headers(traceparent),
            partition=partition,
        )


async def eventually(check: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
        except AssertionError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def dead_letters(settings: Settings, expected: int, timeout: float = 20) -> list[Any]:
    consumer = AIOKafkaConsumer(
        settings.dead_letter_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=f"peek-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < expected and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(records)
    finally:
        await consumer.stop()
    return found


async def handled_everything(settings: Settings, timeout: float = 20) -> None:
    """Waits until the consumer group has committed every message on the topic, i.e. has handled
    (durably) all that was published so far: after this, nothing more can happen to them."""

    async def caught_up() -> bool:
        return await consumed_to_the_end(
            settings.kafka_bootstrap_servers, settings.consumer_group, settings.topic
        )

    await eventually(caught_up, timeout=timeout)


def mails_about(smtp: ScriptedSmtp, envelope: Envelope) -> list[Message]:
    return [m for m in smtp.accepted if m["X-Taquilla-Correlation-ID"] == str(envelope.correlation_id)]


async def test_the_same_message_delivered_three_times_sends_one_email(
    consumer_factory, smtp: ScriptedSmtp
) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory()
    envelope = event_envelope()
    await publish_envelope(consumer.settings, envelope, times=3)
    await eventually(lambda: len(mails_about(smtp, envelope)) == 1)
    await handled_everything(consumer.settings)  # the two redeliveries included
    mails = mails_about(smtp, envelope)
    assert len(mails) == 1
    assert mails[0]["To"] == "organizer@taquilla.demo"
    assert "Festival de Música del Caribe" in mails[0]["Subject"]
    assert {part.get_content_type() for part in mails[0].walk()} >= {"text/plain", "text/html"}
    assert await consumer.statuses(envelope.event_id) == [("organizer", "sent", 1)]


async def test_a_published_event_also_notifies_operations_in_english_when_configured(
    consumer_factory, smtp
) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory(operations_email="ops@example.org", operations_locale="en")
    envelope = event_envelope("EventPublished")
    await publish_envelope(consumer.settings, envelope)
    await eventually(lambda: len(mails_about(smtp, envelope)) == 2)
    by_recipient = {m["To"]: m for m in mails_about(smtp, envelope)}
    assert "is now published" in by_recipient["ops@example.org"]["Subject"]
    assert "ya está publicado" in by_recipient["organizer@taquilla.demo"]["Subject"]


async def test_smtp_refusing_twice_then_accepting_sends_once_after_three_attempts(
    consumer_factory, smtp
) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory()
    smtp.refuse_next = 2
    envelope = event_envelope()
    await publish_envelope(consumer.settings, envelope)
    await eventually(lambda: len(mails_about(smtp, envelope)) == 1)
    # The mail reaches the sink a moment before the delivery's outcome is committed.
    await eventually(lambda: _is(consumer.statuses(envelope.event_id), [("organizer", "sent", 3)]))


async def test_smtp_down_for_good_ends_in_the_dead_letter_topic_and_replay_sends_once(
    consumer_factory, smtp
) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory(smtp_port=free_port())  # nothing listens there
    envelope = event_envelope()
    await publish_envelope(consumer.settings, envelope)
    dead = await dead_letters(consumer.settings, 1)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert headers["x-taquilla-attempts"] == b"5"
    assert headers["x-taquilla-error"].startswith(b"SMTP unavailable")
    assert headers["type"] == b"EventCreated"
    assert Envelope.from_bytes(dead[0].value) == envelope
    await eventually(lambda: _is(consumer.statuses(envelope.event_id), [("organizer", "failed", 5)]))

    # The operator fixes SMTP and replays the dead letters into a consumer that can reach it.
    healthy = await consumer_factory(
        database_url=consumer.settings.database_url,
        topic=consumer.settings.topic,
        dead_letter_topic=consumer.settings.dead_letter_topic,
        consumer_group=consumer.settings.consumer_group,
    )
    await consumer.stop()
    replayed, kept = await replay_dead_letters(healthy.settings, idle_seconds=1.5)
    assert (replayed, kept) == (1, 0)
    await eventually(lambda: len(mails_about(smtp, envelope)) == 1)
    await eventually(lambda: healthy.statuses(envelope.event_id))
    await eventually(lambda: _is(healthy.statuses(envelope.event_id), [("organizer", "sent", 6)]))
    # Replaying again sends nothing more.
    await replay_dead_letters(healthy.settings, idle_seconds=1.0)
    await handled_everything(healthy.settings)
    assert len(mails_about(smtp, envelope)) == 1


async def _is(awaitable: Any, expected: Any) -> bool:
    return bool(await awaitable == expected)


async def test_poison_messages_go_straight_to_the_dead_letter_topic(consumer_factory, smtp) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory()
    await publish(consumer.settings, b"{not json", key=b"k")
    wrong_version = event_envelope().to_dict() | {"version": 9}
    import json

    await publish(consumer.settings, json.dumps(wrong_version).encode(), key=b"k")
    good = event_envelope()
    await publish_envelope(consumer.settings, good)
    dead = await dead_letters(consumer.settings, 2)
    reasons = sorted(dict(r.headers)["x-taquilla-error"].decode() for r in dead)
    assert reasons == ["poison: not JSON", "poison: unsupported version: 9"]
    assert all(dict(r.headers)["x-taquilla-attempts"] == b"0" for r in dead)
    # The queue moved on: the good message behind the poison ones was delivered.
    await eventually(lambda: len(mails_about(smtp, good)) == 1)


async def test_types_nobody_is_told_about_are_acknowledged_without_mail(consumer_factory, smtp) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory()
    ignored = event_envelope("EventUpdated")
    marker = event_envelope()
    await publish_envelope(consumer.settings, ignored)
    await publish_envelope(consumer.settings, marker)
    await eventually(lambda: len(mails_about(smtp, marker)) == 1)
    assert mails_about(smtp, ignored) == []


async def test_the_consumer_continues_the_producers_trace(consumer_factory, smtp) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory()
    envelope = event_envelope()
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    await publish_envelope(consumer.settings, envelope, traceparent=f"00-{trace_id}-{parent_id}-01")
    await eventually(lambda: len(mails_about(smtp, envelope)) == 1)
    spans = [
        s
        for s in SPANS.get_finished_spans()
        if s.name == "notification_svc consume"
        and s.attributes.get("messaging.message.id") == str(envelope.message_id)
    ]
    assert len(spans) == 1
    assert format(spans[0].context.trace_id, "032x") == trace_id
    assert spans[0].parent is not None
    assert format(spans[0].parent.span_id, "016x") == parent_id


async def test_a_slow_partition_does_not_stall_the_others(consumer_factory, smtp) -> None:  # type: ignore[no-untyped-def]
    consumer = await consumer_factory(retry_base_seconds=3.0, retry_max_seconds=3.0, max_attempts=2)
    unknown_creator = event_envelope(createdBy=str(uuid.uuid4()))
    warm_up = event_envelope()
    await publish_envelope(consumer.settings, unknown_creator, partition=0)
    await publish_envelope(consumer.settings, warm_up, partition=1)
    await eventually(lambda: len(mails_about(smtp, warm_up)) == 1)  # the consumer has joined its group
    smtp.refuse_next = 1
    slow = event_envelope()
    await publish_envelope(consumer.settings, slow, partition=0)  # refused once, then ~1.5-3 s of backoff
    await eventually(lambda: smtp.refusals > 0 and smtp.refuse_next == 0)
    others = [event_envelope() for _ in range(4)]
    for n, envelope in enumerate(others):
        await publish_envelope(consumer.settings, envelope, partition=1 + n % 2)
    await eventually(lambda: len(mails_about(smtp, slow)) == 1)
    order = [m["X-Taquilla-Correlation-ID"] for m in smtp.accepted]
    slow_at = order.index(str(slow.correlation_id))
    assert all(order.index(str(e.correlation_id)) < slow_at for e in others), (
        "partitions 1 and 2 kept flowing"
    )
    assert (await consumer.statuses(unknown_creator.event_id))[0][1] == "skipped"
    assert (await consumer.statuses(slow.event_id)) == [("organizer", "sent", 2)]


async def test_killed_mid_batch_and_restarted_it_loses_nothing_and_sends_nothing_twice(
    platform: Platform, notifications_db: str, kafka_broker: Broker, smtp: ScriptedSmtp, tmp_path: Path
) -> None:
    settings = make_settings(
        platform,
        notifications_db,
        kafka_broker,
        smtp.port,
        retry_base_seconds=0.5,
        retry_max_seconds=1.0,
        max_attempts=50,
    )
    await ensure_topics_async(kafka_broker.bootstrap_servers, [settings.topic, settings.dead_letter_topic], 3)
    batch = [event_envelope() for _ in range(12)]
    for envelope in batch:
        await publish_envelope(settings, envelope)
    env = {
        **os.environ,
        **settings_env(settings),
    }

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / "consumer.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "notification_svc", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    delivered = lambda: sum(len(mails_about(smtp, e)) for e in batch)
    # The sink takes four mails and refuses the rest, so the consumer is stuck retrying mid-batch
    # however fast it is (switching to refusals after seeing four could come after all twelve).
    smtp.refuse_after = 4
    first = start()
    try:
        await eventually(lambda: delivered() >= 4 and smtp.refusals > 0, timeout=30)
        await kill_between_sends(first, settings)
        first.wait(timeout=10)
        assert 4 <= delivered() < len(batch)
    finally:
        if pid_alive(first.pid):
            os.killpg(first.pid, signal.SIGKILL)
    smtp.refuse_after = None
    second = start()
    try:
        await eventually(lambda: delivered() == len(batch), timeout=60)
        await handled_everything(settings)  # redeliveries of what the killed consumer had not committed
        ids = [m["Message-ID"] for e in batch for m in mails_about(smtp, e)]
        assert len(ids) == len(batch) == len(set(ids)), "every message delivered exactly once"
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)


async def test_two_consumers_in_one_group_split_the_stream_and_one_killed_loses_and_repeats_nothing(
    platform: Platform, notifications_db: str, kafka_broker: Broker, smtp: ScriptedSmtp, tmp_path: Path
) -> None:
    """Two replicas of notification_svc in one consumer group: both take partitions of a stream of
    messages, one is SIGKILLed in the middle, the other takes its partitions over, and every message
    is mailed exactly once."""
    settings = make_settings(
        platform,
        notifications_db,
        kafka_broker,
        smtp.port,
        retry_base_seconds=0.5,
        retry_max_seconds=1.0,
        max_attempts=50,
    )
    await ensure_topics_async(kafka_broker.bootstrap_servers, [settings.topic, settings.dead_letter_topic], 3)
    base_env = {
        **os.environ,
        **settings_env(settings),
    }

    def start(name: str) -> tuple[subprocess.Popen[bytes], str]:
        metrics = f"127.0.0.1:{free_port()}"
        env = {
            **base_env,
            "NOTIFICATION_SVC_GRPC_ADDRESS": f"127.0.0.1:{free_port()}",
            "NOTIFICATION_SVC_METRICS_ADDRESS": metrics,
        }
        log = (tmp_path / f"consumer-{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "notification_svc", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return process, f"http://{metrics}/metrics"

    async def consumed(url: str) -> float:
        async with httpx.AsyncClient() as client:
            try:
                text_ = (await client.get(url, timeout=2)).text
            except httpx.HTTPError:
                return 0.0
        for line in text_.splitlines():
            if line.startswith("taquilla_notification_svc_messages_consumed_total "):
                return float(line.split()[1])
        return 0.0

    stream: list[Envelope] = []

    async def publish_some(count: int) -> None:
        for _ in range(count):
            envelope = event_envelope()
            stream.append(envelope)
            await publish_envelope(settings, envelope, partition=len(stream) % 3)

    delivered = lambda: sum(len(mails_about(smtp, e)) for e in stream)
    (a, a_metrics), (b, b_metrics) = start("a"), start("b")
    try:
        # A stream while both run: the group splits the three partitions between them.
        while not (await consumed(a_metrics) > 0 and await consumed(b_metrics) > 0):
            await publish_some(3)
            await eventually(lambda: delivered() == len(stream), timeout=60)
            assert len(stream) < 150, "one consumer never received a partition"
        # Mid-stream: deliveries stall (the sink refuses), more messages arrive, one replica dies.
        smtp.refuse_all = True
        await publish_some(9)
        refused = smtp.refusals
        await eventually(lambda: smtp.refusals >= refused + 6, timeout=30)
        os.killpg(b.pid, signal.SIGKILL)
        b.wait(timeout=10)
        smtp.refuse_all = False
        await publish_some(9)
        # The survivor takes the dead one's partitions over (after the group's session timeout).
        await eventually(lambda: delivered() == len(stream), timeout=90)
        await handled_everything(settings, timeout=60)
        ids = [m["Message-ID"] for e in stream for m in mails_about(smtp, e)]
        assert len(ids) == len(stream) == len(set(ids)), "every message mailed exactly once"
    finally:
        for process in (a, b):
            if pid_alive(process.pid):
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


async def forward(port: int, target: str) -> asyncio.Server:
    """A TCP forwarder on ``port`` to ``target`` (host:port): the real identity_svc coming back."""
    host, target_port = target.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(
            pipe(reader, upstream_writer), pipe(upstream_reader, writer), return_exceptions=True
        )

    return await asyncio.start_server(connected, "127.0.0.1", port)


async def test_an_identity_outage_pauses_delivery_without_using_up_attempts_or_dead_lettering(  # type: ignore[no-untyped-def]
    platform: Platform, consumer_factory, smtp
) -> None:
    port = free_port()  # identity_svc is not there yet
    consumer = await consumer_factory(identity_svc_address=f"127.0.0.1:{port}", max_attempts=2)
    envelope = event_envelope()
    await publish_envelope(consumer.settings, envelope)
    labels = {"group": consumer.settings.consumer_group, "dependency": "identity_svc"}

    def waited() -> bool:
        return (REGISTRY.get_sample_value("taquilla_consumer_dependency_waits_total", labels) or 0) >= 3

    # More tries than max_attempts, none counted: the notification waits, pending, and the message
    # is not dead-lettered (before, two failed lookups gave it up).
    await eventually(waited, timeout=30)
    assert await consumer.statuses(envelope.event_id) == [("organizer", "pending", 0)]
    assert mails_about(smtp, envelope) == []
    server = await forward(port, platform.env("EDGE_IDENTITY_SVC_ADDRESS"))
    try:
        await eventually(lambda: len(mails_about(smtp, envelope)) == 1, timeout=60)
        await handled_everything(consumer.settings)
        assert await consumer.statuses(envelope.event_id) == [("organizer", "sent", 1)]
        assert await dead_letters(consumer.settings, expected=1, timeout=3) == []
    finally:
        server.close()
        await server.wait_closed()


async def test_a_consumer_killed_while_the_mail_server_takes_an_email_does_not_send_it_again(
    platform: Platform, notifications_db: str, kafka_broker: Broker, smtp: ScriptedSmtp, tmp_path: Path
) -> None:
    """The one window where a mail may have gone out unrecorded: the server has the e-mail and the
    consumer dies before its answer. The sending lease, committed before the hand-over, makes the
    restarted consumer give the notification up as interrupted (an operator may retry it) rather
    than send it a second time."""
    settings = make_settings(platform, notifications_db, kafka_broker, smtp.port, sending_lease_seconds=1)
    await ensure_topics_async(kafka_broker.bootstrap_servers, [settings.topic, settings.dead_letter_topic], 3)
    env = {
        **os.environ,
        **settings_env(settings),
    }
    envelope = event_envelope()
    await publish_envelope(settings, envelope)
    smtp.holding.clear()
    smtp.release.clear()
    smtp.hold_next = True
    first = start_consumer(env, tmp_path / "first.log")
    try:
        await eventually(smtp.holding.is_set, timeout=60)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        smtp.release.set()
        if pid_alive(first.pid):
            os.killpg(first.pid, signal.SIGKILL)
    assert len(mails_about(smtp, envelope)) == 1
    engine = create_async_engine(notifications_db)

    async def status() -> tuple[str, str | None] | None:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT status, last_error FROM notifications.notifications WHERE event_id = :e"),
                    {"e": envelope.event_id},
                )
            ).first()
        return (row[0], row[1]) if row else None

    assert await status() == ("pending", None), "the lease was left by the dead consumer"
    second = start_consumer(env, tmp_path / "second.log")
    try:
        await eventually(lambda: _is(status(), ("failed", INTERRUPTED_REASON)), timeout=60)
        await handled_everything(settings)
        assert len(mails_about(smtp, envelope)) == 1, "not sent a second time"
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        await engine.dispose()


async def kill_between_sends(process: subprocess.Popen[bytes], settings: Settings) -> None:
    """SIGKILLs the consumer mid-batch but never mid-send. A process killed while it hands an e-mail
    over leaves that notification's sending lease, and by design nothing sends it again (an operator
    decides; test_a_consumer_killed_while_the_mail_server_takes_an_email_does_not_send_it_again).
    This test is about offsets and redeliveries: the process is stopped (SIGSTOP) and killed only
    when no lease is held; otherwise it is let go on (SIGCONT) and tried again a moment later."""
    engine = create_async_engine(settings.database_url)

    async def stopped_holding_no_lease() -> bool:
        os.killpg(process.pid, signal.SIGSTOP)
        async with engine.connect() as connection:
            leases = await connection.scalar(
                text(f"SELECT count(*) FROM {SCHEMA}.notifications WHERE sending_since IS NOT NULL")
            )
        if leases:
            os.killpg(process.pid, signal.SIGCONT)  # it runs on until the next look
            return False
        return True

    try:
        await eventually(stopped_holding_no_lease, timeout=30)
    finally:
        await engine.dispose()
    os.killpg(process.pid, signal.SIGKILL)


def settings_env(settings: Any) -> dict[str, str]:
    """The settings as a process's NOTIFICATION_SVC_* environment, secrets in clear."""
    env = {
        f"NOTIFICATION_SVC_{k.upper()}": str(v)
        for k, v in settings.model_dump(exclude={"principal_secrets"}).items()
    }
    env["NOTIFICATION_SVC_PRINCIPAL_SECRETS"] = ",".join(settings.principal_secret_values())
    return env


def start_consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "notification_svc", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
