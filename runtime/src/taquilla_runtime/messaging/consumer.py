"""An at-least-once Kafka consumer of the platform's envelopes, for services that follow a topic.

Offsets are committed only after a message's handling is durable (the handler committed its
transaction, or the message went to the dead-letter topic), so a crash means redelivery and the
handler must be idempotent (an inbox keyed by messageId). Each partition is worked by its own task
while the consumer keeps fetching for the others. A message whose handling keeps failing is retried
with exponential backoff and jitter, then dead-lettered with the reason and attempt count in its
headers; a message that is not an envelope is dead-lettered at once. When a dependency is away (the
handler raises :class:`DependencyUnavailable`, or the service's database cannot be reached) the
record is not the problem: its partition waits, paused, and tries again with backoff for as long as
it takes, without using up the record's attempts, so a short outage dead-letters nothing.

A service that needs more than the envelope (a header, its own outcome names, its own metrics)
subclasses `EnvelopeConsumer` and overrides `handle`, `record_outcome` and `record_lag`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge

from taquilla_runtime.correlation import reset_correlation_id, set_correlation_id
from taquilla_runtime.messaging.envelope import Envelope, InvalidEnvelope
from taquilla_runtime.messaging.outbox import Publisher
from taquilla_runtime.messaging.security import PLAINTEXT, KafkaSecurity

log = logging.getLogger(__name__)
tracer = trace.get_tracer("taquilla_runtime.consumer")

CONSUMED = Counter(
    "taquilla_consumer_messages_total",
    "Messages handled by a service's consumer, by outcome.",
    ["group", "outcome"],
)

LAG = Gauge(
    "taquilla_consumer_lag",
    "Messages behind the end of the partition, by consumer group.",
    ["group", "partition"],
)

DEPENDENCY_WAITS = Counter(
    "taquilla_consumer_dependency_waits_total",
    "Times a partition paused because a dependency of the handler was away (attempts not used up).",
    ["group", "dependency"],
)

LAG_INTERVAL_SECONDS = 5.0
# The longest pause between two tries while a dependency is away.
DEPENDENCY_WAIT_MAX_SECONDS = 30.0
ERROR_HEADER = "x-taquilla-error"
ATTEMPTS_HEADER = "x-taquilla-attempts"

Handler = Callable[[Envelope], Awaitable[None]]


class Outcome(enum.StrEnum):
    """How the consumer finished with a message (the `outcome` label of its metric)."""

    HANDLED = "handled"  # the handler returned
    POISON = "poison"  # not an envelope, or the handler raised PoisonMessage: dead-lettered at once
    DEAD_LETTERED = "dead_lettered"  # out of attempts, or the handler raised GaveUp


class PoisonMessage(Exception):
    """Raised by a handler for a message it can never handle: it is dead-lettered without retries."""


class DependencyUnavailable(Exception):
    """Raised by a handler when something it needs (another service, its database) does not answer:
    the message is fine, so its partition waits and retries without counting an attempt."""

    def __init__(self, dependency: str) -> None:
        super().__init__(dependency)
        self.dependency = dependency


def _dependency_away(exc: BaseException) -> str | None:
    """The name of the dependency ``exc`` says is away, or None when the failure is the message's."""
    if isinstance(exc, DependencyUnavailable):
        return exc.dependency
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return "database"
    if isinstance(exc, (ConnectionError, TimeoutError)):  # the database driver, before SQLAlchemy wraps it
        return "database"
    return None


class GaveUp(Exception):
    """Raised by a handler that retried the message's work itself and failed for good: the message
    is dead-lettered at once with this reason and attempt count, without the consumer's retries."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


def dead_letter_headers(
    record: ConsumerRecord[Any, Any], reason: str, attempts: int
) -> list[tuple[str, bytes]]:
    kept = [(k, v or b"") for k, v in record.headers or () if not k.startswith("x-taquilla-")]
    return [
        *kept,
        (ERROR_HEADER, reason.encode()),
        (ATTEMPTS_HEADER, str(attempts).encode()),
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
        handle: Handler | None,
        dead_letters: Publisher,
        *,
        bootstrap_servers: str,
        topic: str,
        dead_letter_topic: str,
        group_id: str,
        max_attempts: int = 5,
        retry_base_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
        span_name: str | None = None,
        security: KafkaSecurity = PLAINTEXT,
    ) -> None:
        """`handle` may be None only in a subclass that overrides `handle`."""
        self._handler = handle
        self._dead_letters = dead_letters
        self._bootstrap = bootstrap_servers
        self._security = security
        self._topic = topic
        self._dead_letter_topic = dead_letter_topic
        self._group_id = group_id
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._span_name = span_name or f"{group_id} consume"
        self._stopping = asyncio.Event()
        self._tasks: dict[TopicPartition, asyncio.Task[None]] = {}
        # Per partition, the offset of the first record not yet known to be handled.
        self._unhandled: dict[TopicPartition, int] = {}

    def stop(self) -> None:
        self._stopping.set()

    async def handle(self, envelope: Envelope, headers: Mapping[str, str]) -> str | None:
        """Handles one envelope; returns None or the name of how it ended, for `record_outcome`.

        Raises PoisonMessage or GaveUp to dead-letter the message at once; any other exception is
        retried with backoff."""
        if self._handler is None:
            raise NotImplementedError("give EnvelopeConsumer a handler or override handle")
        await self._handler(envelope)
        return None

    def record_outcome(self, outcome: str) -> None:
        """Called once a message is done with: an Outcome, or what `handle` returned."""

    def record_lag(self, partition: int, messages: int) -> None:
        """Called with a partition's lag whenever the consumer measures it."""

    def _set_lag(self, partition: int, messages: int) -> None:
        LAG.labels(self._group_id, str(partition)).set(messages)
        self.record_lag(partition, messages)

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
                **self._security.client_options(),
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
                        # Read again from the first record not known to be handled: never skip one.
                        unhandled = self._unhandled.get(tp)
                        if unhandled is not None and tp in consumer.assignment():
                            consumer.seek(tp, unhandled)
                    if tp in consumer.assignment():
                        consumer.resume(tp)
        finally:
            await self.finish_partitions(list(self._tasks))
            await consumer.stop()

    async def _refresh_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Lag from the committed offsets, on a timer, so a stalled consumer shows a growing lag."""
        for tp in consumer.assignment():
            try:
                highwater = consumer.highwater(tp)
                committed = await consumer.committed(tp)
            except Exception:  # the broker is away: the next round tries again
                return
            if highwater is not None:
                self._set_lag(tp.partition, max(0, highwater - (committed or 0)))

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
            self._unhandled[tp] = record.offset
            if self._stopping.is_set():
                consumer.seek(tp, record.offset)  # not handled: this consumer or the next reads it again
                return
            try:
                outcome = await self.process(record)
            except Exception as exc:
                # A record this consumer cannot even process (a bug, an unexpected shape) goes to the
                # dead-letter topic on its own; the records after it are still handled.
                log.exception("message could not be processed", extra={"offset": record.offset})
                await self._dead_letter(record, f"unprocessable: {type(exc).__name__}", 0)
                outcome = self._finish(Outcome.POISON)
            if outcome is None:
                consumer.seek(tp, record.offset)  # stopping in the middle of retries
                return
            await consumer.commit({tp: record.offset + 1})
            self._unhandled[tp] = record.offset + 1
            highwater = consumer.highwater(tp)
            if highwater is not None:
                self._set_lag(tp.partition, max(0, highwater - record.offset - 1))

    def _finish(self, outcome: Outcome, named: str | None = None) -> str:
        CONSUMED.labels(self._group_id, outcome.value).inc()
        self.record_outcome(named or outcome)
        return named or outcome

    async def process(self, record: ConsumerRecord[Any, Any]) -> str | None:
        """Handles one record durably and says how it ended; None only when the consumer is
        stopping before that."""
        try:
            envelope = Envelope.from_bytes(record.value)
        except InvalidEnvelope as exc:
            await self._dead_letter(record, f"poison: {exc.reason}", 0)
            return self._finish(Outcome.POISON)
        # Kafka allows a header without a value: it reads as empty.
        headers = {k: (v or b"").decode(errors="replace") for k, v in record.headers or ()}
        attempt = waits = 0
        while True:
            attempt += 1
            dependency: str | None = None
            token = set_correlation_id(str(envelope.correlation_id))
            try:
                with tracer.start_as_current_span(
                    self._span_name,
                    context=propagate.extract(headers),
                    kind=trace.SpanKind.CONSUMER,
                ) as span:
                    span.set_attribute("messaging.message.id", str(envelope.message_id))
                    span.set_attribute("messaging.destination.name", record.topic)
                    named = await self.handle(envelope, headers)
            except PoisonMessage as exc:
                await self._dead_letter(record, f"poison: {exc}", attempt)
                return self._finish(Outcome.POISON)
            except GaveUp as exc:
                await self._dead_letter(record, exc.reason, exc.attempts)
                return self._finish(Outcome.DEAD_LETTERED)
            except Exception as exc:
                dependency = self._note_failure(exc, envelope, attempt, waits + 1)
                if dependency is not None:
                    # Not the message's fault: wait for the dependency without using up attempts.
                    attempt, waits = attempt - 1, waits + 1
                elif attempt >= self._max_attempts:
                    await self._dead_letter(record, type(exc).__name__, attempt)
                    return self._finish(Outcome.DEAD_LETTERED)
            else:  # outside the handler's try: a failing hook is not a failing message
                return self._finish(Outcome.HANDLED, named)
            finally:
                reset_correlation_id(token)
            wait = (
                min(DEPENDENCY_WAIT_MAX_SECONDS, self._delay(waits)) if dependency else self._delay(attempt)
            )
            await self._pause(wait)
            if self._stopping.is_set():
                return None

    def _note_failure(self, exc: Exception, envelope: Envelope, attempt: int, waits: int) -> str | None:
        """Logs and counts a failed try; returns the dependency that is away, if that was the cause."""
        dependency = _dependency_away(exc)
        if dependency is not None:
            DEPENDENCY_WAITS.labels(self._group_id, dependency).inc()
            log.warning(
                "dependency away; the partition waits",
                extra={"dependency": dependency, "waits": waits, "type": envelope.type},
            )
        else:
            log.warning(
                "message handling failed",
                extra={"attempt": attempt, "reason": type(exc).__name__, "type": envelope.type},
            )
        return dependency

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
