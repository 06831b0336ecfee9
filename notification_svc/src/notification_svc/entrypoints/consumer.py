"""The Kafka consumer of taquilla.events.v1 (group notification-svc).

At least once: offsets are committed only after a message's outcome is durable (delivered,
duplicate, ignored or dead-lettered), so a crash means redelivery, and redelivery sends nothing
twice (the inbox's primary key). Each partition is worked by its own task while the consumer keeps
fetching for the others (the busy partition is paused), so one message in backoff never stalls the
rest. Each notification is delivered by the Courier (entrypoints/delivery.py), which retries with
backoff and jitter. Poison messages and messages that ran out of attempts go to
taquilla.events.v1.dlq with the reason and attempt count in their headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge

from notification_svc.application import handlers
from notification_svc.application.handlers import Acceptance, Clock, system_clock
from notification_svc.application.ports import UnitOfWork
from notification_svc.domain.commands import AcceptMessage
from notification_svc.domain.model import NotificationStatus
from notification_svc.entrypoints.delivery import Courier
from taquilla_runtime.correlation import reset_correlation_id, set_correlation_id
from taquilla_runtime.messaging.envelope import Envelope, InvalidEnvelope
from taquilla_runtime.messaging.outbox import Publisher

log = logging.getLogger(__name__)
tracer = trace.get_tracer("notification_svc")

CONSUMED = Counter("taquilla_notification_svc_messages_consumed_total", "Messages read from Kafka.")
PROCESSED = Counter(
    "taquilla_notification_svc_messages_processed_total", "Messages handled, by outcome.", ["outcome"]
)
DUPLICATES = Counter("taquilla_notification_svc_duplicates_skipped_total", "Redelivered messages skipped.")
DEAD_LETTERED = Counter(
    "taquilla_notification_svc_dead_lettered_total", "Messages sent to the DLQ.", ["reason"]
)
LAG = Gauge(
    "taquilla_notification_svc_consumer_lag", "Messages behind the end of the partition.", ["partition"]
)

LAG_INTERVAL_SECONDS = 5.0
REPLAY_HEADER = "x-taquilla-replay"
ERROR_HEADER = "x-taquilla-error"
ATTEMPTS_HEADER = "x-taquilla-attempts"


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"  # every notification of the message is sent or skipped
    DUPLICATE = "duplicate"  # already handled before: nothing sent
    IGNORED = "ignored"  # a type nobody is notified about
    FAILED = "failed"  # some notification failed for good: dead-letter the message


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    attempts: int = 0
    error: str | None = None


def dead_letter_headers(
    record: ConsumerRecord[Any, Any], reason: str, attempts: int
) -> list[tuple[str, bytes]]:
    kept = [(k, v) for k, v in record.headers or () if not k.startswith("x-taquilla-")]
    return [
        *kept,
        (ERROR_HEADER, reason.encode()),
        (ATTEMPTS_HEADER, str(attempts).encode()),
        ("x-taquilla-original-topic", record.topic.encode()),
        ("x-taquilla-original-partition", str(record.partition).encode()),
        ("x-taquilla-original-offset", str(record.offset).encode()),
    ]


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: NotificationConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._owner.finish_partitions(revoked)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        return None


class NotificationConsumer:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        courier: Courier,
        dead_letters: Publisher,
        *,
        bootstrap_servers: str,
        topic: str,
        dlq_topic: str,
        group_id: str,
        max_attempts: int,
        clock: Clock = system_clock,
    ) -> None:
        self._uow = unit_of_work
        self._courier = courier
        self._clock = clock
        self._dead_letters = dead_letters
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._dlq_topic = dlq_topic
        self._group_id = group_id
        self._max_attempts = max_attempts
        self._stopping = asyncio.Event()
        self._tasks: dict[TopicPartition, asyncio.Task[None]] = {}
        self._consumer: AIOKafkaConsumer | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def _start(self) -> AIOKafkaConsumer:
        failures = 0
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                group_id=self._group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                client_id="notification-svc",
                max_poll_records=100,
            )
            try:
                consumer.subscribe([self._topic], listener=_Rebalance(self))
                await consumer.start()
                return consumer
            except Exception as exc:  # broker not up yet: keep trying with backoff
                await consumer.stop()
                failures += 1
                log.warning("Kafka not reachable; retrying", extra={"reason": type(exc).__name__})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=min(10.0, 0.5 * 2**failures))
                if self._stopping.is_set():
                    raise asyncio.CancelledError from None

    async def run(self) -> None:
        try:
            self._consumer = consumer = await self._start()
        except asyncio.CancelledError:
            return
        lag_checked = 0.0
        try:
            while not self._stopping.is_set():
                if time.monotonic() - lag_checked >= LAG_INTERVAL_SECONDS:
                    lag_checked = time.monotonic()
                    await self._refresh_lag(consumer)
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

    @staticmethod
    async def _refresh_lag(consumer: AIOKafkaConsumer) -> None:
        """Lag from the committed offsets, on a timer, so a stalled consumer shows a growing lag."""
        for tp in consumer.assignment():
            try:
                highwater = consumer.highwater(tp)
                committed = await consumer.committed(tp)
            except Exception:  # the broker is away: the next round tries again
                return
            if highwater is not None:
                LAG.labels(str(tp.partition)).set(max(0, highwater - (committed or 0)))

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
            await self.process(record)
            await consumer.commit({tp: record.offset + 1})
            highwater = consumer.highwater(tp)
            if highwater is not None:
                LAG.labels(str(tp.partition)).set(max(0, highwater - record.offset - 1))

    async def process(self, record: ConsumerRecord[Any, Any]) -> Result:
        CONSUMED.inc()
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        try:
            envelope = Envelope.from_bytes(record.value)
        except InvalidEnvelope as exc:
            await self._dead_letter(record, f"poison: {exc.reason}", 0, kind="poison")
            PROCESSED.labels("poison").inc()
            return Result(Outcome.FAILED, error=exc.reason)
        context = propagate.extract(headers)
        token = set_correlation_id(str(envelope.correlation_id))
        try:
            with tracer.start_as_current_span(
                "notification_svc consume", context=context, kind=trace.SpanKind.CONSUMER
            ) as span:
                span.set_attribute("messaging.message.id", str(envelope.message_id))
                span.set_attribute("messaging.destination.name", record.topic)
                result = await self._handle(envelope, replay=headers.get(REPLAY_HEADER) == "1")
        finally:
            reset_correlation_id(token)
        if result.outcome is Outcome.FAILED:
            await self._dead_letter(record, result.error or "failed", result.attempts, kind="exhausted")
        elif result.outcome is Outcome.DUPLICATE:
            DUPLICATES.inc()
        PROCESSED.labels(result.outcome.value).inc()
        return result

    async def _deliver(self, envelope: Envelope, *, replay: bool) -> Result:
        """Delivers the notifications the message asks for, once, however often it is delivered."""
        accepted = await handlers.accept_message(AcceptMessage(envelope, replay), self._uow(), self._clock)
        if accepted.acceptance is Acceptance.IGNORED:
            return Result(Outcome.IGNORED)
        if accepted.acceptance is Acceptance.DUPLICATE:
            return Result(Outcome.DUPLICATE)
        done = [await self._courier.deliver(n, envelope) for n in accepted.pending]
        failures = [n for n in done if n.status is NotificationStatus.FAILED]
        if failures:
            worst = failures[0]
            return Result(Outcome.FAILED, attempts=worst.attempts, error=worst.last_error)
        return Result(Outcome.DELIVERED, attempts=max(n.attempts for n in done))

    async def _handle(self, envelope: Envelope, *, replay: bool) -> Result:
        """_deliver, retried when the failure comes before delivery (e.g. the database hiccups)."""
        attempt = 0
        while True:
            try:
                return await self._deliver(envelope, replay=replay)
            except Exception as exc:
                attempt += 1
                log.warning(
                    "message handling failed", extra={"attempt": attempt, "reason": type(exc).__name__}
                )
                if attempt >= self._max_attempts:
                    return Result(Outcome.FAILED, attempts=attempt, error=type(exc).__name__)
                await asyncio.sleep(self._courier.policy.delay(attempt))

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], reason: str, attempts: int, *, kind: str
    ) -> None:
        failures = 0
        while True:
            try:
                await self._dead_letters.publish(
                    self._dlq_topic,
                    record.key,
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
        DEAD_LETTERED.labels(kind).inc()
        log.warning(
            "message dead-lettered", extra={"reason": reason, "attempts": attempts, "offset": record.offset}
        )
