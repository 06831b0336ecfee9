"""An at-least-once Kafka consumer of the platform's envelopes, for services that follow a topic.

Offsets are committed only after a message's handling is durable (the handler committed its
transaction, or the message went to the dead-letter topic), so a crash means redelivery and the
handler must be idempotent (an inbox keyed by messageId). Each partition is worked by its own task
while the consumer keeps fetching for the others. A message whose handling keeps failing is retried
with exponential backoff and jitter, then dead-lettered with the reason and attempt count in its
headers; a message that is not an envelope is dead-lettered at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from opentelemetry import propagate, trace
from prometheus_client import Counter

from taquilla_runtime.correlation import reset_correlation_id, set_correlation_id
from taquilla_runtime.messaging.envelope import Envelope, InvalidEnvelope
from taquilla_runtime.messaging.outbox import Publisher

log = logging.getLogger(__name__)
tracer = trace.get_tracer("taquilla_runtime.consumer")

CONSUMED = Counter(
    "taquilla_consumer_messages_total",
    "Messages handled by a service's consumer, by outcome.",
    ["group", "outcome"],
)

Handler = Callable[[Envelope], Awaitable[None]]


class PoisonMessage(Exception):
    """Raised by a handler for a message it can never handle: it is dead-lettered without retries."""


def dead_letter_headers(
    record: ConsumerRecord[Any, Any], reason: str, attempts: int
) -> list[tuple[str, bytes]]:
    kept = [(k, v) for k, v in record.headers or () if not k.startswith("x-taquilla-")]
    return [
        *kept,
        ("x-taquilla-error", reason.encode()),
        ("x-taquilla-attempts", str(attempts).encode()),
        ("x-taquilla-original-topic", record.topic.encode()),
        ("x-taquilla-original-partition", str(record.partition).encode()),
        ("x-taquilla-original-offset", str(record.offset).encode()),
    ]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: EnvelopeConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._owner.finish_partitions(revoked)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        return None


class EnvelopeConsumer:
    def __init__(
        self,
        handle: Handler,
        dead_letters: Publisher,
        *,
        bootstrap_servers: str,
        topic: str,
        dead_letter_topic: str,
        group_id: str,
        max_attempts: int = 5,
        retry_base_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
    ) -> None:
        self._handle = handle
        self._dead_letters = dead_letters
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._dead_letter_topic = dead_letter_topic
        self._group_id = group_id
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._stopping = asyncio.Event()
        self._tasks: dict[TopicPartition, asyncio.Task[None]] = {}

    def stop(self) -> None:
        self._stopping.set()

    def _delay(self, attempt: int) -> float:
        ceiling: float = min(self._retry_max, self._retry_base * 2.0 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311

    async def _pause(self, seconds: float) -> None:
        """Waits, or returns early when the consumer is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _start(self) -> AIOKafkaConsumer | None:
        failures = 0
        while not self._stopping.is_set():
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                group_id=self._group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                client_id=self._group_id,
                max_poll_records=100,
            )
            try:
                consumer.subscribe([self._topic], listener=_Rebalance(self))
                await consumer.start()
                return consumer
            except Exception as exc:  # the broker is not up yet: keep trying with backoff
                await consumer.stop()
                failures += 1
                log.warning("Kafka not reachable; retrying", extra={"reason": type(exc).__name__})
                await self._pause(min(10.0, 0.5 * 2**failures))
        return None

    async def run(self) -> None:
        consumer = await self._start()
        if consumer is None:
            return
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                for tp, records in batches.items():
                    consumer.pause(tp)
                    self._tasks[tp] = asyncio.create_task(self._work(consumer, tp, records))
                for tp in [tp for tp, task in self._tasks.items() if task.done()]:
                    task = self._tasks.pop(tp)
                    if task.exception() is not None:
                        log.error(
                            "partition worker failed",
                            extra={"partition": tp.partition},
                            exc_info=task.exception(),
                        )
                    if tp in consumer.assignment():
                        consumer.resume(tp)
        finally:
            await self.finish_partitions(list(self._tasks))
            await consumer.stop()

    async def finish_partitions(self, partitions: Sequence[TopicPartition], grace: float = 10.0) -> None:
        """Lets the partitions' workers finish the message in hand (bounded), then drops them."""
        tasks = [self._tasks.pop(tp) for tp in partitions if tp in self._tasks]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()

    async def _work(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord[Any, Any]]
    ) -> None:
        for record in records:
            if self._stopping.is_set():
                consumer.seek(tp, record.offset)  # not handled: this consumer or the next reads it again
                return
            if not await self.process(record):
                consumer.seek(tp, record.offset)  # stopping in the middle of retries
                return
            await consumer.commit({tp: record.offset + 1})

    async def process(self, record: ConsumerRecord[Any, Any]) -> bool:
        """Handles one record durably; False only when the consumer is stopping before that."""
        try:
            envelope = Envelope.from_bytes(record.value)
        except InvalidEnvelope as exc:
            await self._dead_letter(record, f"poison: {exc.reason}", 0)
            CONSUMED.labels(self._group_id, "poison").inc()
            return True
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        attempt = 0
        while True:
            attempt += 1
            token = set_correlation_id(str(envelope.correlation_id))
            try:
                with tracer.start_as_current_span(
                    f"{self._group_id} consume",
                    context=propagate.extract(headers),
                    kind=trace.SpanKind.CONSUMER,
                ) as span:
                    span.set_attribute("messaging.message.id", str(envelope.message_id))
                    span.set_attribute("messaging.destination.name", record.topic)
                    await self._handle(envelope)
                CONSUMED.labels(self._group_id, "handled").inc()
                return True
            except PoisonMessage as exc:
                await self._dead_letter(record, f"poison: {exc}", attempt)
                CONSUMED.labels(self._group_id, "poison").inc()
                return True
            except Exception as exc:
                log.warning(
                    "message handling failed",
                    extra={"attempt": attempt, "reason": type(exc).__name__, "type": envelope.type},
                )
                if attempt >= self._max_attempts:
                    await self._dead_letter(record, type(exc).__name__, attempt)
                    CONSUMED.labels(self._group_id, "dead_lettered").inc()
                    return True
            finally:
                reset_correlation_id(token)
            await self._pause(self._delay(attempt))
            if self._stopping.is_set():
                return False

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str, attempts: int) -> None:
        failures = 0
        while True:
            try:
                await self._dead_letters.publish(
                    self._dead_letter_topic,
                    record.key or b"",
                    record.value or b"",
                    dead_letter_headers(record, reason, attempts),
                )
                break
            except Exception as exc:  # the broker must take it before the offset moves on
                failures += 1
                log.warning("dead-letter publish failed; retrying", extra={"reason": type(exc).__name__})
                reset = getattr(self._dead_letters, "reset", None)
                if reset is not None:
                    await reset()
                await asyncio.sleep(min(10.0, random.uniform(0.25, 0.5) * 2**failures))  # noqa: S311
        log.warning(
            "message dead-lettered", extra={"reason": reason, "attempts": attempts, "offset": record.offset}
        )
