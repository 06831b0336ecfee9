"""Transactional outbox: messages are written with the state change, then relayed to Kafka.

A service adds :func:`outbox_table` to its metadata and inserts an :class:`OutboxMessage` row in the
same transaction as the change it announces (:func:`outbox_insert`). :class:`OutboxRelay` publishes
unpublished rows in insertion order, at least once, and keeps retrying with backoff while the broker
is away: writes never depend on Kafka being up. One relay publishes at a time (a PostgreSQL advisory
lock), which keeps the per-key order the consumers rely on even with several replicas running.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

from opentelemetry import propagate, trace
from prometheus_client import Counter, Gauge
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taquilla_runtime.messaging.envelope import Envelope

log = logging.getLogger(__name__)
tracer = trace.get_tracer("taquilla_runtime.outbox")

OUTBOX_PUBLISHED = Counter(
    "taquilla_outbox_published_total",
    "Outbox messages published to Kafka, by message type.",
    ["outbox", "type"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "taquilla_outbox_publish_failures_total", "Failed attempts to publish an outbox batch.", ["outbox"]
)
OUTBOX_BACKLOG = Gauge("taquilla_outbox_backlog", "Outbox messages not yet published.", ["outbox"])
OUTBOX_OLDEST_AGE = Gauge(
    "taquilla_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox message.", ["outbox"]
)


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    """The outbox table, created in the schema of ``metadata``."""
    table = Table(
        name,
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("message_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("traceparent", Text, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
    )
    Index(f"ix_{name}_unpublished", table.c.id, postgresql_where=table.c.published_at.is_(None))
    return table


async def outbox_insert(
    connection: AsyncConnection,
    table: Table,
    *,
    topic: str,
    envelope: Envelope,
    traceparent: str | None = None,
    key: str | None = None,
) -> None:
    """Adds a message to the outbox inside the caller's transaction; the caller commits.

    The Kafka key is the envelope's event id unless ``key`` says otherwise (messages with one key
    keep their order).

    The current trace (the request that caused the change) is kept with the row, so the relay's
    publish and everything downstream join that trace.
    """
    # A plain insert with bound values: compiled once per table and cached, not once per message.
    await connection.execute(
        table.insert(),
        {
            "message_id": envelope.message_id,
            "topic": topic,
            "key": key if key is not None else str(envelope.event_id),
            "envelope": envelope.to_dict(),
            "traceparent": traceparent or current_traceparent(),
        },
    )


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, if any."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


class Publisher(Protocol):
    """What the relay needs from a Kafka producer."""

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None: ...


class KafkaPublisher:
    """A plain at-least-once aiokafka producer.

    acks=all without idempotence or transactions, so any Kafka-protocol broker works.
    """

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._producer: Any = None

    async def _ensure_started(self) -> Any:
        if self._producer is None:
            from aiokafka import AIOKafkaProducer

            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=False,
                linger_ms=5,
                request_timeout_ms=10_000,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        producer = await self._ensure_started()
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)

    async def reset(self) -> None:
        """Drops the connection so the next publish reconnects from scratch."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:  # a producer that failed mid-flight may fail to stop as well
                log.debug("producer stop failed", exc_info=True)

    async def close(self) -> None:
        await self.reset()


class OutboxRelay:
    """Publishes unpublished outbox rows to Kafka, in order, at least once."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        publisher: Publisher,
        *,
        batch_size: int = 100,
        idle_interval: float = 0.2,
        max_backoff: float = 10.0,
    ) -> None:
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle = idle_interval
        self._max_backoff = max_backoff
        self._failures = 0
        schema = table.schema or ""
        self._lock_key = zlib.crc32(f"outbox:{schema}.{table.name}".encode())
        self._label = f"{schema}.{table.name}" if schema else table.name
        self._stopping = asyncio.Event()

    async def publish_pending(self) -> int:
        """Publishes one batch; returns how many rows it published (0 when another relay holds the lock)."""
        t = self._table
        async with self._engine.begin() as connection:
            locked = await connection.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key)))
            if not locked:
                return 0
            rows: Sequence[Any] = (
                await connection.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.envelope, t.c.traceparent)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            published: list[int] = []
            try:
                for row in rows:
                    envelope = Envelope.from_dict(row.envelope)
                    await self._publish(row.topic, row.key, envelope, row.traceparent)
                    published.append(row.id)
            finally:
                # Rows sent before a failure are marked so a retry does not resend them needlessly.
                if published:
                    await connection.execute(
                        update(t).where(t.c.id.in_(published)).values(published_at=func.now())
                    )
            return len(published)

    async def _publish(self, topic: str, key: str, envelope: Envelope, traceparent: str | None) -> None:
        """Publishes inside a PRODUCER span that continues (and links to) the originating request's trace."""
        origin = propagate.extract({"traceparent": traceparent}) if traceparent else None
        origin_span = trace.get_current_span(origin).get_span_context() if origin is not None else None
        links = [trace.Link(origin_span)] if origin_span is not None and origin_span.is_valid else []
        with tracer.start_as_current_span(
            f"{topic} publish",
            context=origin,
            kind=trace.SpanKind.PRODUCER,
            links=links,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "messaging.message.id": str(envelope.message_id),
                "messaging.kafka.message.key": key,
            },
        ):
            await self._publisher.publish(
                topic, key.encode(), envelope.to_bytes(), envelope.kafka_headers(current_traceparent())
            )
        OUTBOX_PUBLISHED.labels(self._label, envelope.type).inc()

    async def record_failure(self, error: BaseException) -> None:
        t = self._table
        async with self._engine.begin() as connection:
            first = (
                select(t.c.id).where(t.c.published_at.is_(None)).order_by(t.c.id).limit(1).scalar_subquery()
            )
            await connection.execute(
                update(t)
                .where(t.c.id == first)
                .values(attempts=t.c.attempts + 1, last_error=type(error).__name__)
            )

    async def refresh_backlog_metrics(self) -> tuple[int, float]:
        t = self._table
        async with self._engine.connect() as connection:
            count, oldest = (
                await connection.execute(
                    select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
                )
            ).one()
        age = (dt.datetime.now(dt.UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_BACKLOG.labels(self._label).set(count)
        OUTBOX_OLDEST_AGE.labels(self._label).set(age)
        return int(count), age

    def _backoff(self) -> float:
        ceiling = min(self._max_backoff, 0.2 * 2 ** min(self._failures, 10))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not cryptography)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Relays until :meth:`stop`; survives broker and database outages by backing off."""
        while not self._stopping.is_set():
            delay = self._idle
            try:
                sent = await self.publish_pending()
                self._failures = 0
                if sent == self._batch_size:
                    delay = 0
                await self.refresh_backlog_metrics()
            except Exception as exc:  # broker or database away: keep the rows, retry later
                self._failures += 1
                OUTBOX_PUBLISH_FAILURES.labels(self._label).inc()
                log.warning("outbox publish failed; will retry", extra={"reason": type(exc).__name__})
                reset = getattr(self._publisher, "reset", None)
                if reset is not None:
                    await reset()
                try:
                    await self.record_failure(exc)
                    # The backlog keeps ageing while Kafka is away: keep the gauges honest for alerts.
                    await self.refresh_backlog_metrics()
                except Exception:
                    log.debug("could not record outbox failure", exc_info=True)
                delay = self._backoff()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
