"""Catalog messages reach Kafka through the outbox: exact envelopes, nothing for failed writes, no losses."""

import asyncio
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiokafka import AIOKafkaConsumer
from catalog_requests import Catalog, event_input, organizer, unique_name
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.infra import Broker
from devstack.kafka import ensure_topics_async
from devstack.processes import free_port
from devstack.testing import eventually
from event_svc.adapters.orm import events, outbox
from event_svc.adapters.repository import SqlEventRepository
from event_svc.config import EVENTS_TOPIC
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import KafkaPublisher, OutboxRelay

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def consume(
    bootstrap: str, keep: Callable[[Any], bool], expected: int, timeout: float = 30
) -> list[Any]:  # type: ignore[type-arg]
    """Reads the topic from the start until ``expected`` records pass ``keep`` (or the timeout)."""
    consumer = AIOKafkaConsumer(
        EVENTS_TOPIC,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    kept: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(kept) < expected and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            kept.extend(record for records in batch.values() for record in records if keep(record))
    finally:
        await consumer.stop()
    return kept


async def relay_everything(engine: AsyncEngine, bootstrap: str) -> None:
    publisher = KafkaPublisher(bootstrap, client_id="catalog-test")
    relay = OutboxRelay(engine, outbox, publisher)
    try:
        while await relay.publish_pending():
            pass
    finally:
        await publisher.close()


async def wait_for_attempt(engine: AsyncEngine, key: str, timeout: float = 30) -> None:
    async def attempted() -> bool:
        async with engine.connect() as connection:
            return bool(await connection.scalar(select(outbox.c.attempts).where(outbox.c.key == key)))

    await eventually(attempted, within=timeout, interval=0.2, what="the relay trying to publish")


async def test_the_message_on_the_topic_matches_the_envelope_exactly(
    catalog: Catalog, catalog_engine: AsyncEngine, kafka_broker: Broker
) -> None:
    await ensure_topics_async(kafka_broker.bootstrap_servers, [EVENTS_TOPIC])
    correlation_id = str(uuid.uuid4())
    request = pb.CreateEventRequest(event=event_input(), publish=True)
    created = (await catalog.call("CreateEvent", request, organizer(), correlation_id)).event
    async with catalog_engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.envelope, outbox.c.traceparent)
                .where(outbox.c.key == created.id)
                .order_by(outbox.c.id)
            )
        ).all()
    await relay_everything(catalog_engine, kafka_broker.bootstrap_servers)

    records = await consume(
        kafka_broker.bootstrap_servers, lambda r: r.key == created.id.encode(), expected=2
    )
    assert [Envelope.from_bytes(r.value).to_dict() for r in records] == [row.envelope for row in rows]
    created_message, published_message = (Envelope.from_bytes(r.value) for r in records)
    assert created_message.type == "EventCreated"
    assert published_message.type == "EventPublished"
    assert created_message.event_id == uuid.UUID(created.id)
    assert created_message.name == created.name
    assert str(created_message.correlation_id) == correlation_id
    assert created_message.version == 1
    assert created_message.occurred_at == created.created_at.ToDatetime(
        tzinfo=created_message.occurred_at.tzinfo
    )
    assert created_message.payload["event"]["status"] == "draft"
    assert published_message.payload["event"]["status"] == "published"
    assert published_message.payload["event"]["zones"][0]["price"] == {"amount": "250.00", "currency": "MXN"}
    for record in records:
        headers = dict(record.headers)
        assert headers["type"] == Envelope.from_bytes(record.value).type.encode()
        assert headers["correlation-id"] == correlation_id.encode()
        assert record.topic == EVENTS_TOPIC
    wire = json.loads(records[0].value)
    assert list(wire) == [
        "messageId",
        "eventId",
        "name",
        "occurredAt",
        "correlationId",
        "version",
        "type",
        "payload",
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", wire["occurredAt"])


async def test_a_failure_in_the_middle_of_a_create_leaves_no_rows_and_no_message(
    catalog: Catalog, catalog_engine: AsyncEngine, kafka_broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(self: SqlEventRepository, event: object) -> None:
        raise RuntimeError("disk full while writing the session zones")

    # Event, zones and sessions are written by then; the inventory write fails.
    monkeypatch.setattr(SqlEventRepository, "_write_session_zones", crash)
    name = unique_name()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await catalog.create(organizer(), event_input(name=name), publish=True)
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert "disk full" not in (raised.value.details() or "")
    monkeypatch.undo()

    async with catalog_engine.connect() as connection:
        stored = await connection.scalar(
            select(func.count()).select_from(events).where(events.c.name == name)
        )
        queued = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.envelope["name"].astext == name)
        )
    assert (stored, queued) == (0, 0)

    # A write after the failure goes through; once it is on the topic, the failed one is not.
    marker = await catalog.create(organizer())
    await ensure_topics_async(kafka_broker.bootstrap_servers, [EVENTS_TOPIC])
    await relay_everything(catalog_engine, kafka_broker.bootstrap_servers)
    records = await consume(
        kafka_broker.bootstrap_servers,
        lambda r: r.key == marker.id.encode() or Envelope.from_bytes(r.value).name == name,
        expected=1,
    )
    assert [r.key for r in records] == [marker.id.encode()]


async def test_the_relay_resumes_after_the_broker_restarts_losing_nothing(
    catalog: Catalog, catalog_engine: AsyncEngine, tmp_path: Path
) -> None:
    broker = Broker(free_port(), tmp_path / "broker.log")
    await asyncio.to_thread(broker.start)
    publisher = KafkaPublisher(broker.bootstrap_servers, client_id="catalog-restart-test")
    relay = OutboxRelay(catalog_engine, outbox, publisher, idle_interval=0.05, max_backoff=0.5)
    runner = asyncio.create_task(relay.run())
    owner = organizer()
    try:
        await ensure_topics_async(broker.bootstrap_servers, [EVENTS_TOPIC])
        before = [await catalog.create(owner) for _ in range(3)]
        ids_before = {e.id.encode() for e in before}
        delivered = await consume(broker.bootstrap_servers, lambda r: r.key in ids_before, expected=3)
        assert {r.key for r in delivered} == ids_before

        await asyncio.to_thread(broker.stop)
        # The broker is down: writes still commit, their messages wait in the outbox.
        during = [await catalog.create(owner)]
        # Once the relay has failed it reconnects from scratch. (This broker keeps topics in memory
        # only: a producer that outlived the restart would write to a topic that no longer exists.)
        await wait_for_attempt(catalog_engine, during[0].id)
        during += [await catalog.create(owner) for _ in range(2)]
        backlog, oldest_age = await relay.refresh_backlog_metrics()
        assert backlog >= 3
        assert oldest_age > 0

        await asyncio.to_thread(broker.start)
        # The restarted broker keeps nothing (in-memory storage): the topic is created afresh.
        await ensure_topics_async(broker.bootstrap_servers, [EVENTS_TOPIC])
        after = [await catalog.create(owner) for _ in range(2)]
        ids_later = {e.id.encode() for e in during + after}
        caught_up = await consume(
            broker.bootstrap_servers, lambda r: r.key in ids_later, expected=5, timeout=45
        )
        assert {r.key for r in caught_up} == ids_later

        async def all_marked_published() -> bool:
            # The relay marks its rows once the broker has acknowledged them: a moment after they
            # can be consumed.
            async with catalog_engine.connect() as connection:
                unpublished = await connection.scalar(
                    select(func.count())
                    .select_from(outbox)
                    .where(
                        outbox.c.key.in_([e.id for e in before + during + after]),
                        outbox.c.published_at.is_(None),
                    )
                )
            return unpublished == 0

        await eventually(all_marked_published, within=10, what="every row marked published")
    finally:
        relay.stop()
        await runner
        await publisher.close()
        broker.stop()


async def test_the_messages_carry_payment_minutes_reentry_and_transfers_as_stored(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    sales = pb.SaleSettingsPatch(payment_minutes=25, reentry_allowed=True, transfers_allowed=False)
    created = await catalog.create(owner, event_input(sales=sales))
    assert (
        created.sales.payment_minutes,
        created.sales.reentry_allowed,
        created.sales.transfers_allowed,
    ) == (
        25,
        True,
        False,
    )
    # Changed alone, the others kept: the update reloads the stored event.
    patch = pb.EventPatch(sales=pb.SaleSettingsPatch(transfers_allowed=True))
    await catalog.call(
        "UpdateEvent", pb.UpdateEventRequest(event_id=created.id, expected_version=1, patch=patch), owner
    )
    async with catalog_engine.connect() as connection:
        envelopes = (
            await connection.scalars(
                select(outbox.c.envelope).where(outbox.c.key == created.id).order_by(outbox.c.id)
            )
        ).all()
    messages = [Envelope.from_dict(envelope) for envelope in envelopes]
    assert [m.type for m in messages] == ["EventCreated", "EventUpdated"]
    assert messages[1].payload["changed"] == ["sales"]
    assert [
        {
            key: m.payload["event"]["sales"][key]
            for key in ("paymentMinutes", "reentryAllowed", "transfersAllowed")
        }
        for m in messages
    ] == [
        {"paymentMinutes": 25, "reentryAllowed": True, "transfersAllowed": False},
        {"paymentMinutes": 25, "reentryAllowed": True, "transfersAllowed": True},
    ]
