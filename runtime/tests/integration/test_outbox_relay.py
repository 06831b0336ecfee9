"""The outbox relay against a real PostgreSQL and a real Kafka-protocol broker."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from devstack.infra import Broker
from devstack.kafka import ensure_topics_async
from devstack.processes import free_port
from devstack.pytest_plugin import PostgresServer
from devstack.testing import eventually
from taquilla_runtime.cli import _outbox_command
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import (
    KafkaPublisher,
    MessageRejected,
    OutboxRelay,
    outbox_insert,
    outbox_table,
    parked_messages,
    release_parked,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def engine(postgres_server: PostgresServer) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{postgres_server.port}/postgres")
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def outbox(engine: AsyncEngine):  # type: ignore[no-untyped-def]
    schema = f"relay_{uuid.uuid4().hex[:8]}"
    metadata = MetaData(schema=schema)
    table = outbox_table(metadata)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await connection.run_sync(metadata.create_all)
    return table


async def write_messages(
    engine: AsyncEngine, table, topic: str, event_id: uuid.UUID, count: int
) -> list[Envelope]:  # type: ignore[no-untyped-def]
    envelopes = [
        Envelope.new(event_id=event_id, name="Concierto", type="EventUpdated", payload={"n": n})
        for n in range(count)
    ]
    async with engine.begin() as connection:
        for envelope in envelopes:
            await outbox_insert(
                connection,
                table,
                topic=topic,
                envelope=envelope,
                traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
            )
    return envelopes


async def consume(bootstrap: str, topic: str, expected: int, timeout: float = 20) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"test-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    records = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def test_publishes_in_order_with_the_envelope_and_headers_then_marks_rows(  # type: ignore[no-untyped-def]
    engine: AsyncEngine, outbox, kafka_broker: Broker
) -> None:
    topic = f"relay-{uuid.uuid4().hex[:6]}"
    await ensure_topics_async(kafka_broker.bootstrap_servers, [topic], partitions=3)
    event_id = uuid.uuid4()
    envelopes = await write_messages(engine, outbox, topic, event_id, 5)
    publisher = KafkaPublisher(kafka_broker.bootstrap_servers, client_id="test-relay")
    relay = OutboxRelay(engine, outbox, publisher)
    try:
        assert await relay.publish_pending() == 5
        assert await relay.publish_pending() == 0
    finally:
        await publisher.close()
    records = await consume(kafka_broker.bootstrap_servers, topic, 5)
    assert [json.loads(r.value)["messageId"] for r in records] == [str(e.message_id) for e in envelopes]
    assert {r.key for r in records} == {str(event_id).encode()}
    first = records[0]
    assert Envelope.from_bytes(first.value) == envelopes[0]
    headers = dict(first.headers)
    assert headers["type"] == b"EventUpdated"
    assert headers["correlation-id"] == str(envelopes[0].correlation_id).encode()
    assert headers["traceparent"].startswith(b"00-1111")
    async with engine.connect() as connection:
        unpublished = await connection.scalar(
            select(outbox.c.id).where(outbox.c.published_at.is_(None)).limit(1)
        )
    assert unpublished is None
    assert await relay.refresh_backlog_metrics() == (0, 0.0)


async def test_writes_succeed_while_the_broker_is_down_and_the_relay_catches_up(  # type: ignore[no-untyped-def]
    engine: AsyncEngine, outbox, tmp_path: Path
) -> None:
    broker = Broker(free_port(), tmp_path / "broker.log")
    topic = "taquilla.test.relay"
    publisher = KafkaPublisher(broker.bootstrap_servers, client_id="test-relay")
    relay = OutboxRelay(engine, outbox, publisher, idle_interval=0.05, max_backoff=0.5)
    runner = asyncio.create_task(relay.run())
    try:
        # Broker down from the start: the state change and its outbox row still commit.
        envelopes = await write_messages(engine, outbox, topic, uuid.uuid4(), 3)
        # The relay itself keeps the gauges current while it cannot publish (alerts rely on them):
        # the oldest row's age it reports keeps growing past a second.
        label = f"{outbox.schema}.{outbox.name}"

        def gauge(name: str) -> float:
            return REGISTRY.get_sample_value(name, {"outbox": label}) or 0.0

        await eventually(
            lambda: gauge("taquilla_outbox_oldest_age_seconds") > 1,
            within=10,
            what="the relay reporting a backlog over a second old",
        )
        assert gauge("taquilla_outbox_backlog") == 3
        backlog, oldest_age = await relay.refresh_backlog_metrics()
        assert backlog == 3
        assert oldest_age > 1
        async with engine.connect() as connection:
            attempts, rejections, parked = (
                await connection.execute(
                    select(outbox.c.attempts, outbox.c.rejections, outbox.c.parked_at)
                    .order_by(outbox.c.id)
                    .limit(1)
                )
            ).one()
        assert attempts >= 1
        assert (rejections, parked) == (0, None), "an outage parks nothing"

        await asyncio.to_thread(broker.start)
        await ensure_topics_async(broker.bootstrap_servers, [topic], partitions=1)
        envelopes += await write_messages(engine, outbox, topic, uuid.uuid4(), 2)
        records = await consume(broker.bootstrap_servers, topic, 5, timeout=30)
        assert {json.loads(r.value)["messageId"] for r in records} == {str(e.message_id) for e in envelopes}
        assert (await relay.refresh_backlog_metrics())[0] == 0
    finally:
        relay.stop()
        await runner
        await publisher.close()
        broker.stop()


async def test_a_row_the_broker_refuses_is_parked_and_the_rows_behind_it_go_on(  # type: ignore[no-untyped-def]
    engine: AsyncEngine, outbox, kafka_broker: Broker
) -> None:
    topic = f"relay-{uuid.uuid4().hex[:6]}"
    await ensure_topics_async(kafka_broker.bootstrap_servers, [topic], partitions=1)
    event_id = uuid.uuid4()
    before = await write_messages(engine, outbox, topic, event_id, 2)
    # Over the producer's 1 MiB request limit: refused for what it is, however often it is sent.
    huge = Envelope.new(event_id=event_id, name="Concierto", type="EventUpdated", payload={"x": "a" * 2**21})
    async with engine.begin() as connection:
        await outbox_insert(connection, outbox, topic=topic, envelope=huge)
        # A row nobody can decode (written by hand, or by an older release): refused too.
        await connection.execute(
            outbox.insert(),
            {"message_id": uuid.uuid4(), "topic": topic, "key": str(event_id), "envelope": {"type": "?"}},
        )
    after = await write_messages(engine, outbox, topic, event_id, 2)
    publisher = KafkaPublisher(kafka_broker.bootstrap_servers, client_id="test-relay")
    relay = OutboxRelay(engine, outbox, publisher, max_rejections=2)
    label = f"{outbox.schema}.{outbox.name}"
    try:
        # The two rows before the refused one are published and marked, each in its own commit,
        # so the failure half-way through the batch sends neither again.
        with pytest.raises(MessageRejected):
            await relay.publish_pending()
        with pytest.raises(MessageRejected):
            await relay.publish_pending()  # second refusal: parked
        with pytest.raises(MessageRejected):
            await relay.publish_pending()  # the undecodable row, once
        with pytest.raises(MessageRejected):
            await relay.publish_pending()  # and twice: parked
        assert await relay.publish_pending() == 2
        assert await relay.publish_pending() == 0
        assert await relay.refresh_backlog_metrics() == (0, 0.0)
        assert REGISTRY.get_sample_value("taquilla_outbox_parked", {"outbox": label}) == 2

        parked = await parked_messages(engine, outbox)
        assert [(p["message_id"], p["rejections"], p["last_error"]) for p in parked] == [
            (huge.message_id, 2, "MessageSizeTooLargeError"),
            (parked[1]["message_id"], 2, "InvalidEnvelope"),
        ]
        # Released (after the cause is fixed), a row is tried again; still refused, parked again.
        assert await release_parked(engine, outbox, [parked[0]["id"]]) == 1
        assert await release_parked(engine, outbox, [parked[0]["id"]]) == 0
        await relay.refresh_backlog_metrics()
        assert REGISTRY.get_sample_value("taquilla_outbox_parked", {"outbox": label}) == 1
        with pytest.raises(MessageRejected):
            await relay.publish_pending()
    finally:
        await publisher.close()
    records = await consume(kafka_broker.bootstrap_servers, topic, 4)
    assert [json.loads(r.value)["messageId"] for r in records] == [
        str(e.message_id) for e in [*before, *after]
    ]


async def test_an_operator_lists_and_releases_parked_messages_from_the_command_line(  # type: ignore[no-untyped-def]
    engine: AsyncEngine, outbox, postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    envelopes = await write_messages(engine, outbox, "taquilla.test.parked", uuid.uuid4(), 2)
    async with engine.begin() as connection:
        await connection.execute(
            outbox.update()
            .where(outbox.c.message_id == envelopes[0].message_id)
            .values(parked_at=func.now(), rejections=5, last_error="MessageSizeTooLargeError")
        )
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{postgres_server.port}/postgres"
    command = partial(_outbox_command, "event_svc", url, outbox.schema, outbox)

    await command(["parked"])
    listed = capsys.readouterr()
    assert str(envelopes[0].message_id) in listed.out
    assert "refused 5 times: MessageSizeTooLargeError" in listed.out
    assert str(envelopes[1].message_id) not in listed.out
    with pytest.raises(SystemExit):
        await command(["release"])  # neither ids nor --all
    await command(["release", "--all"])
    assert "released 1 message(s)" in capsys.readouterr().err
    assert await parked_messages(engine, outbox) == []


class CountingPublisher(KafkaPublisher):
    sent = 0

    async def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        await super().publish(topic, key, value, headers)
        self.sent += 1


async def test_two_relays_publish_every_message_once_and_in_order_per_key(  # type: ignore[no-untyped-def]
    engine: AsyncEngine, outbox, kafka_broker: Broker
) -> None:
    """Two replicas of a service run two relays over one outbox: the advisory lock lets one publish at
    a time, so nothing is sent twice and each key's messages keep their order, while writers go on."""
    topic = f"relay-{uuid.uuid4().hex[:6]}"
    await ensure_topics_async(kafka_broker.bootstrap_servers, [topic], partitions=3)
    keys = [uuid.uuid4() for _ in range(4)]
    publishers = [CountingPublisher(kafka_broker.bootstrap_servers, client_id=f"relay-{n}") for n in (1, 2)]
    relays = [OutboxRelay(engine, outbox, p, batch_size=7, idle_interval=0.01) for p in publishers]
    runners = [asyncio.create_task(relay.run()) for relay in relays]
    written: list[Envelope] = []
    try:
        for _ in range(10):  # written while both relays run, interleaving the keys
            for key in keys:
                written += await write_messages(engine, outbox, topic, key, 3)
        records = await consume(kafka_broker.bootstrap_servers, topic, len(written), timeout=60)
    finally:
        for relay in relays:
            relay.stop()
        await asyncio.gather(*runners)
        for publisher in publishers:
            await publisher.close()
    sent = [json.loads(r.value)["messageId"] for r in records]
    assert sorted(sent) == sorted(str(e.message_id) for e in written), "each message exactly once"
    for key in keys:
        of_key = [str(e.message_id) for e in written if e.event_id == key]
        assert [m for m in sent if m in set(of_key)] == of_key, "in order per key"
    assert all(p.sent for p in publishers), f"both relays took turns: {[p.sent for p in publishers]}"
