"""The envelope consumer against a real Kafka-protocol broker: no record is skipped, whatever one
record of a batch does."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devstack.infra import Broker
from devstack.kafka import ensure_topics_async
from devstack.testing import eventually
from taquilla_runtime.messaging.consumer import EnvelopeConsumer
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import KafkaPublisher

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def topics(kafka_broker: Broker) -> AsyncIterator[tuple[str, str, str]]:
    bootstrap = f"127.0.0.1:{kafka_broker.port}"
    topic, dead = f"records-{uuid.uuid4().hex[:8]}", f"records-dlq-{uuid.uuid4().hex[:8]}"
    await ensure_topics_async(bootstrap, [topic, dead], partitions=1)
    yield bootstrap, topic, dead


async def produce(
    bootstrap: str, topic: str, records: list[tuple[bytes, list[tuple[str, bytes | None]]]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value, headers in records:
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: list[bytes] = []
    try:

        async def enough() -> bool:
            batches = await consumer.getmany(timeout_ms=200)
            found.extend(r.value for records in batches.values() for r in records if r.value is not None)
            return len(found) >= count

        await eventually(enough, within=20, what=f"{count} records on {topic}")
    finally:
        await consumer.stop()
    return found


async def test_a_header_without_a_value_and_a_record_that_breaks_the_consumer_skip_nothing(
    topics: tuple[str, str, str],
) -> None:
    bootstrap, topic, dead = topics
    envelopes = [
        Envelope.new(event_id=uuid.uuid4(), name="Concierto", type="EventUpdated", payload={"n": n})
        for n in range(5)
    ]
    handled: list[int] = []

    async def handle(envelope: Envelope) -> None:
        if envelope.payload["n"] == 3:
            raise KeyError("a bug in the handler for this one record")  # retried, then dead-lettered
        handled.append(envelope.payload["n"])

    class Fragile(EnvelopeConsumer):
        async def handle(self, envelope: Envelope, headers: dict[str, str]) -> str | None:  # type: ignore[override]
            if envelope.payload["n"] == 1 and headers.get("x-empty") != "":
                raise AssertionError("a header without a value reads as empty")
            return await super().handle(envelope, headers)

    await produce(
        bootstrap,
        topic,
        [
            (envelopes[0].to_bytes(), [("type", b"EventUpdated")]),
            (envelopes[1].to_bytes(), [("x-empty", None)]),  # a header with a null value
            (envelopes[2].to_bytes(), []),
            (envelopes[3].to_bytes(), []),
            (envelopes[4].to_bytes(), []),
        ],
    )
    dead_letters = KafkaPublisher(bootstrap, client_id="records-test-dlq")
    consumer = Fragile(
        handle,
        dead_letters,
        bootstrap_servers=bootstrap,
        topic=topic,
        dead_letter_topic=dead,
        group_id=f"records-{uuid.uuid4().hex[:8]}",
        max_attempts=2,
        retry_base_seconds=0.01,
        retry_max_seconds=0.02,
    )
    running = asyncio.create_task(consumer.run())
    try:
        await eventually(
            lambda: sorted(handled) == [0, 1, 2, 4], within=30, what="every other record handled"
        )
        (letter,) = await read_all(bootstrap, dead, 1)
        assert Envelope.from_bytes(letter).payload == {"n": 3}
    finally:
        consumer.stop()
        await running
        await dead_letters.close()
    assert sorted(handled) == [0, 1, 2, 4]  # each once
