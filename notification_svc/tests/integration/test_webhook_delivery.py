"""Partners' webhooks end to end inside notification_svc: ticketing's messages on a real broker, the
webhook consumer, a real PostgreSQL, the dispatcher with the SSRF-guarded transport, and a receiver
on 127.0.0.1 started by the test (allowed only by the development setting). Time is the dispatcher's
injected clock: no test waits for a retry."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from notification_factories import make_order_envelope
from sqlalchemy import text
from webhook_fakes import FakeOrganizations

from devstack.infra import Broker, SmtpSink
from devstack.kafka import consumed_to_the_end, ensure_topics_async
from devstack.processes import free_port
from devstack.pytest_plugin import PostgresServer
from devstack.testing import eventually
from notification_svc.application import webhooks as handlers
from notification_svc.bootstrap import (
    build_courier,
    build_directory,
    build_engine,
    build_webhook_consumers,
    build_webhook_dispatcher,
    unit_of_work_factory,
    webhook_url_check,
)
from notification_svc.config import SCHEMA, Settings
from notification_svc.domain.commands import CreateEndpoint, WebhookActor
from notification_svc.domain.webhooks import InvalidEndpoint, NoticeRecipient
from notification_svc.entrypoints.cli import MIGRATIONS
from notification_svc.entrypoints.webhooks import WebhookDispatcher
from taquilla_runtime import migrations
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import KafkaPublisher

pytestmark = pytest.mark.asyncio(loop_scope="session")
START = dt.datetime(2027, 3, 1, 20, 0, tzinfo=dt.UTC)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, as the specification's reference libraries do it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    return any(
        version == "v1" and hmac.compare_digest(expected, base64.b64decode(sig))
        for version, sig in (s.split(",", 1) for s in headers["webhook-signature"].split(" "))
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A partner's endpoint on 127.0.0.1: answers each request with the next scripted status."""

    port: int = 0
    answers: dict[str, list[int]] = field(default_factory=dict)  # by path
    received: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        body = await reader.readexactly(int(headers["content-length"]))
        self.received.append(Received(head[0].split(" ")[1], headers, body))
        path = head[0].split(" ")[1]
        scripted = self.answers.get(path) or [200]
        status = scripted.pop(0)
        writer.write(f"HTTP/1.1 {status} Whatever\r\nContent-Length: 2\r\n\r\nok".encode())
        await writer.drain()
        writer.close()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Platform:
    settings: Settings
    receiver: Receiver
    clock: Clock
    dispatcher: WebhookDispatcher
    restart: Any  # (organizations=None) -> a new dispatcher over the same database (a restarted process)
    engine: Any

    async def register(self, path: str, *types: str) -> handlers.EndpointWithSecret:
        """An endpoint of a new organization of its own (each test's messages reach only its own)."""
        self.organization = uuid.uuid4()
        return await handlers.create_endpoint(
            CreateEndpoint(
                WebhookActor(uuid.uuid4(), self.organization, is_person=False),
                self.receiver.url(path),
                types or ("order.paid",),
            ),
            unit_of_work_factory(self.engine)(),
            self.clock,
            check_url=webhook_url_check(self.settings),
        )

    organization: uuid.UUID = field(default_factory=uuid.uuid4)

    def paid_order(self) -> Envelope:
        envelope = make_order_envelope("OrderPaid")
        envelope.payload["order"]["organizationId"] = str(self.organization)
        return envelope

    async def publish(self, envelope: Envelope, times: int = 1) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        try:
            for _ in range(times):
                await producer.send_and_wait(
                    self.settings.orders_topic,
                    value=envelope.to_bytes(),
                    key=b"session",
                    headers=envelope.kafka_headers(None),
                )
        finally:
            await producer.stop()

    async def caught_up(self) -> None:
        async def done() -> bool:
            return await consumed_to_the_end(
                self.settings.kafka_bootstrap_servers,
                self.settings.webhooks_orders_consumer_group,
                self.settings.orders_topic,
            )

        await eventually(done, within=30, what="the webhook consumer kept every message")

    async def deliveries(self, endpoint_id: uuid.UUID) -> list[tuple[str, int, int | None]]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT status, attempts, last_status_code FROM notifications.webhook_deliveries "
                    "WHERE endpoint_id = :endpoint ORDER BY created_at"
                ),
                {"endpoint": endpoint_id},
            )
            return [(r[0], r[1], r[2]) for r in rows]

    async def endpoint_status(self, endpoint_id: uuid.UUID) -> tuple[str, str | None]:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT status, disabled_reason FROM notifications.webhook_endpoints WHERE id = :id"
                    ),
                    {"id": endpoint_id},
                )
            ).one()
            return row[0], row[1]


@pytest.fixture(scope="module")
def webhooks_db(postgres_server: PostgresServer) -> str:
    url = postgres_server.url("notification_svc")
    migrations.upgrade(MIGRATIONS, url, SCHEMA)
    return url


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def platform(webhooks_db: str, kafka_broker: Broker, smtp_sink: SmtpSink) -> AsyncIterator[Platform]:
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=webhooks_db,
        kafka_bootstrap_servers=kafka_broker.bootstrap_servers,
        smtp_port=smtp_sink.port,
        identity_svc_address=f"127.0.0.1:{free_port()}",  # API clients' endpoints: nobody looked up
        operations_email=f"ops-{suffix}@example.org",
        topic=f"events-{suffix}",
        orders_topic=f"ticketing-{suffix}",
        webhooks_orders_dead_letter_topic=f"ticketing-{suffix}.webhooks-dlq",
        webhooks_orders_consumer_group=f"nsw-{suffix}",
        webhooks_allow_private_targets=True,
        retry_base_seconds=0.02,
        retry_max_seconds=0.1,
    )
    await ensure_topics_async(
        kafka_broker.bootstrap_servers,
        [settings.orders_topic, settings.webhooks_orders_dead_letter_topic],
        3,
    )
    receiver = Receiver()
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    engine = build_engine(settings)
    directory = build_directory(settings)
    courier = build_courier(settings, engine, directory)
    dead_letters = KafkaPublisher(settings.kafka_bootstrap_servers, client_id="test-webhooks-dlq")
    clock = Clock()

    def restart(organizations: FakeOrganizations | None = None) -> WebhookDispatcher:
        return build_webhook_dispatcher(settings, engine, courier, organizations=organizations, clock=clock)

    dispatcher = restart()
    _, orders_consumer = build_webhook_consumers(settings, engine, dead_letters, dispatcher.wake)
    task = asyncio.create_task(orders_consumer.run())
    try:
        yield Platform(settings, receiver, clock, dispatcher, restart, engine)
    finally:
        orders_consumer.stop()
        await asyncio.wait_for(task, timeout=30)
        server.close()
        await dead_letters.close()
        await directory.close()
        await engine.dispose()


async def test_a_paid_order_replayed_on_kafka_is_delivered_once_and_verifies(platform: Platform) -> None:
    created = await platform.register("/paid")
    envelope = platform.paid_order()
    await platform.publish(envelope, times=3)  # the same message, replayed
    await platform.caught_up()
    await platform.dispatcher.run_once()
    await platform.dispatcher.run_once()
    [request] = platform.receiver.to("/paid")
    assert request.headers["webhook-id"] == f"msg_{envelope.message_id.hex}"
    assert request.headers["webhook-timestamp"] == str(int(START.timestamp()))
    assert verify(created.secret, request.headers, request.body)
    body = json.loads(request.body)
    assert body["type"] == "order.paid"
    assert body["data"]["order"]["id"] == envelope.payload["order"]["id"]
    assert "buyer" not in body["data"]["order"]
    assert await platform.deliveries(created.endpoint.id) == [("succeeded", 1, 200)]


async def test_a_failing_receiver_is_retried_with_backoff_after_a_restart(platform: Platform) -> None:
    created = await platform.register("/flaky")
    platform.receiver.answers["/flaky"] = [503]
    await handlers.keep_message(platform.paid_order(), unit_of_work_factory(platform.engine)())
    await platform.dispatcher.run_once()
    assert await platform.deliveries(created.endpoint.id) == [("pending", 1, 503)]
    restarted = platform.restart()  # the next attempt's time is in the table, not in memory
    await restarted.run_once()
    assert len(platform.receiver.to("/flaky")) == 1  # not due yet
    platform.clock.now += dt.timedelta(seconds=5)
    await restarted.run_once()
    first, second = platform.receiver.to("/flaky")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) > int(first.headers["webhook-timestamp"])
    assert verify(created.secret, second.headers, second.body)
    assert await platform.deliveries(created.endpoint.id) == [("succeeded", 2, 200)]


async def test_410_gone_disables_the_endpoint_and_tells_the_organization(
    platform: Platform, smtp_sink: SmtpSink
) -> None:
    created = await platform.register("/gone")
    platform.receiver.answers["/gone"] = [410]
    await handlers.keep_message(platform.paid_order(), unit_of_work_factory(platform.engine)())
    await platform.dispatcher.run_once()
    assert await platform.endpoint_status(created.endpoint.id) == ("disabled", "gone")
    assert await platform.deliveries(created.endpoint.id) == [("failed", 1, 410)]
    address = platform.settings.operations_email  # an API client registered it: no person to write to
    await eventually(
        lambda: [p for p in smtp_sink.messages() if address in p.read_text(errors="replace")],
        within=30,
        what="the e-mail about the disabled endpoint",
    )
    await handlers.keep_message(platform.paid_order(), unit_of_work_factory(platform.engine)())
    await platform.dispatcher.run_once()
    assert len(platform.receiver.to("/gone")) == 1  # nothing more is sent to it


async def test_410_gone_is_told_to_each_organizer_of_the_organization_once(
    platform: Platform, smtp_sink: SmtpSink
) -> None:
    await platform.register("/gone-organizers")
    platform.receiver.answers["/gone-organizers"] = [410]
    suffix = uuid.uuid4().hex[:8]
    organizers = [
        NoticeRecipient(uuid.uuid4(), f"bea-{suffix}@example.com", "Bea", "en"),
        NoticeRecipient(uuid.uuid4(), f"olga-{suffix}@example.com", "Olga", "es"),
    ]
    dispatcher = platform.restart(FakeOrganizations({platform.organization: organizers}))
    await handlers.keep_message(platform.paid_order(), unit_of_work_factory(platform.engine)())
    await dispatcher.run_once()

    def mails_to(address: str) -> list[str]:
        texts = (p.read_text(errors="replace") for p in smtp_sink.messages())
        return [t for t in texts if address in t]

    for organizer in organizers:
        await eventually(
            lambda: mails_to(organizer.address), within=30, what=f"the e-mail to {organizer.address}"
        )
    assert [len(mails_to(organizer.address)) for organizer in organizers] == [1, 1]


async def test_a_receiver_on_this_machine_is_refused_without_the_development_setting(
    platform: Platform,
) -> None:
    strict = platform.settings.model_copy(update={"webhooks_allow_private_targets": False})
    with pytest.raises(InvalidEndpoint):
        webhook_url_check(strict)(platform.receiver.url("/private"))
    created = await platform.register("/private")  # registered while allowed
    await handlers.keep_message(platform.paid_order(), unit_of_work_factory(platform.engine)())
    guarded = build_webhook_dispatcher(strict, platform.engine, None, clock=platform.clock)
    await guarded.run_once()
    assert platform.receiver.to("/private") == []
    [(status, attempts, code)] = await platform.deliveries(created.endpoint.id)
    assert (status, attempts, code) == ("pending", 1, None)
