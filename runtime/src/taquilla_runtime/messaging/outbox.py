"""Transactional outbox: messages are written with the state change, then relayed to Kafka.

A service adds :func:`outbox_table` to its metadata and inserts an :class:`OutboxMessage` row in the
same transaction as the change it announces (:func:`outbox_insert`). :class:`OutboxRelay` publishes
unpublished rows in insertion order, at least once, and keeps retrying with backoff while the broker
is away: writes never depend on Kafka being up. One relay publishes at a time (a PostgreSQL advisory
lock), which keeps the per-key order the consumers rely on even with several replicas running.

Each row is marked published in its own commit as soon as the broker acknowledges it, so a failure
half-way through a batch (broker or database) re-sends nothing that was acknowledged. A row that the
broker refuses for what it is (too large, an invalid topic) or that cannot be decoded is *parked*
after ``max_rejections`` refusals: set aside with ``parked_at`` so the rows behind it flow again,
counted by ``taquilla_outbox_parked`` (alert ``TaquillaOutboxMessageParked``), and listed or released
by an operator with ``python -m <service> outbox parked|release`` (:func:`parked_messages`,
:func:`release_parked`). An outage never parks anything: only refusals of the row itself count.
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
from taquilla_runtime.messaging.security import PLAINTEXT, KafkaSecurity

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
OUTBOX_BACKLOG = Gauge(
    "taquilla_outbox_backlog", "Outbox messages not yet published (parked ones excluded).", ["outbox"]
)
OUTBOX_PARKED = Gauge(
    "taquilla_outbox_parked",
    "Outbox messages set aside after being refused max_rejections times; an operator releases them.",
    ["outbox"],
)
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
        # Refusals of this very row (not outages); parked_at is set after max_rejections of them.
        Column("rejections", Integer, nullable=False, server_default=text("0")),
        Column("parked_at", DateTime(timezone=True), nullable=True),
    )
    Index(
        f"ix_{name}_unpublished",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None) & table.c.parked_at.is_(None),
    )
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


class MessageRejected(Exception):
    """The broker refused this message for what it is (too large, invalid topic): retrying the same
    bytes cannot succeed, unlike an outage."""


def _reason(error: BaseException) -> str:
    """What is recorded of a refusal: the broker's error name, or the decoding error's class."""
    return str(error) if isinstance(error, MessageRejected) else type(error).__name__


class Publisher(Protocol):
    """What the relay needs from a Kafka producer."""

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None: ...


class KafkaPublisher:
    """A plain at-least-once aiokafka producer.

    acks=all without idempotence or transactions, so any Kafka-protocol broker works.
    """

    def __init__(self, bootstrap_servers: str, client_id: str, security: KafkaSecurity = PLAINTEXT) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._security = security
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
                **self._security.client_options(),
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
        from aiokafka.errors import InvalidTopicError, MessageSizeTooLargeError, RecordListTooLargeError

        producer = await self._ensure_started()
        try:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
        except (MessageSizeTooLargeError, RecordListTooLargeError, InvalidTopicError) as exc:
            raise MessageRejected(type(exc).__name__) from exc

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
        max_rejections: int = 5,
    ) -> None:
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle = idle_interval
        self._max_backoff = max_backoff
        self._max_rejections = max_rejections
        self._failures = 0
        schema = table.schema or ""
        self._lock_key = zlib.crc32(f"outbox:{schema}.{table.name}".encode())
        self._label = f"{schema}.{table.name}" if schema else table.name
        self._stopping = asyncio.Event()

    async def publish_pending(self) -> int:
        """Publishes one batch; returns how many rows it published (0 when another relay holds the lock).

        Every row is marked in its own commit once the broker has it. A row refused for what it is
        raises :class:`MessageRejected` after its refusal is counted (and the row parked at
        ``max_rejections``); other failures propagate untouched, to be retried.
        """
        t = self._table
        async with self._engine.connect() as pooled:
            # Autocommit: each mark below is durable on its own. The lock is the session's, so it is
            # released explicitly; if that fails the connection is closed, which releases it too.
            connection = await pooled.execution_options(isolation_level="AUTOCOMMIT")
            if not await connection.scalar(select(func.pg_try_advisory_lock(self._lock_key))):
                return 0
            try:
                rows: Sequence[Any] = (
                    await connection.execute(
                        select(t.c.id, t.c.topic, t.c.key, t.c.envelope, t.c.traceparent)
                        .where(t.c.published_at.is_(None), t.c.parked_at.is_(None))
                        .order_by(t.c.id)
                        .limit(self._batch_size)
                    )
                ).all()
                for row in rows:
                    try:
                        envelope = Envelope.from_dict(row.envelope)
                        await self._publish(row.topic, row.key, envelope, row.traceparent)
                    except (MessageRejected, ValueError, KeyError, TypeError) as exc:
                        await self._reject(connection, row.id, exc)
                        raise MessageRejected(f"outbox row {row.id}: {type(exc).__name__}") from exc
                    await connection.execute(
                        update(t).where(t.c.id == row.id).values(published_at=func.now())
                    )
                return len(rows)
            finally:
                try:
                    await connection.scalar(select(func.pg_advisory_unlock(self._lock_key)))
                except BaseException:
                    with contextlib.suppress(Exception):
                        await pooled.invalidate()
                    raise

    async def _reject(self, connection: AsyncConnection, row_id: int, error: BaseException) -> None:
        """Counts a refusal of the row itself; parks it at ``max_rejections`` so the rows behind it go on."""
        t = self._table
        rejections = await connection.scalar(
            update(t)
            .where(t.c.id == row_id)
            .values(rejections=t.c.rejections + 1, last_error=_reason(error))
            .returning(t.c.rejections)
        )
        if rejections is not None and rejections >= self._max_rejections:
            await connection.execute(update(t).where(t.c.id == row_id).values(parked_at=func.now()))
            log.error(
                "outbox message parked after repeated refusals; release it with `outbox release`",
                extra={"outbox": self._label, "row": row_id, "reason": _reason(error)},
            )

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
                select(t.c.id)
                .where(t.c.published_at.is_(None), t.c.parked_at.is_(None))
                .order_by(t.c.id)
                .limit(1)
                .scalar_subquery()
            )
            await connection.execute(
                update(t)
                .where(t.c.id == first)
                .values(attempts=t.c.attempts + 1, last_error=type(error).__name__)
            )

    async def refresh_backlog_metrics(self) -> tuple[int, float]:
        """Refreshes the backlog, oldest-age and parked gauges; returns the backlog and its age."""
        t = self._table
        waiting = t.c.parked_at.is_(None)
        async with self._engine.connect() as connection:
            count, oldest, parked = (
                await connection.execute(
                    select(
                        func.count().filter(waiting),
                        func.min(t.c.created_at).filter(waiting),
                        func.count().filter(t.c.parked_at.is_not(None)),
                    ).where(t.c.published_at.is_(None))
                )
            ).one()
        age = (dt.datetime.now(dt.UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_BACKLOG.labels(self._label).set(count)
        OUTBOX_OLDEST_AGE.labels(self._label).set(age)
        OUTBOX_PARKED.labels(self._label).set(parked)
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
            except Exception as exc:  # broker or database away, or a row refused: keep the rows, retry later
                self._failures += 1
                OUTBOX_PUBLISH_FAILURES.labels(self._label).inc()
                log.warning("outbox publish failed; will retry", extra={"reason": type(exc).__name__})
                reset = getattr(self._publisher, "reset", None)
                if reset is not None and not isinstance(exc, MessageRejected):
                    await reset()
                try:
                    if not isinstance(exc, MessageRejected):  # a refusal was counted on its row already
                        await self.record_failure(exc)
                    # The backlog keeps ageing while Kafka is away: keep the gauges honest for alerts.
                    await self.refresh_backlog_metrics()
                except Exception:
                    log.debug("could not record outbox failure", exc_info=True)
                delay = self._backoff()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)


# ---------------------------------------------------------------- operators: parked messages


async def parked_messages(engine: AsyncEngine, table: Table) -> list[dict[str, Any]]:
    """The parked rows, oldest first: what an operator looks at before releasing them."""
    t = table
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(
                    t.c.id,
                    t.c.message_id,
                    t.c.topic,
                    t.c.key,
                    t.c.envelope["type"].astext.label("type"),
                    t.c.created_at,
                    t.c.parked_at,
                    t.c.rejections,
                    t.c.last_error,
                )
                .where(t.c.published_at.is_(None), t.c.parked_at.is_not(None))
                .order_by(t.c.id)
            )
        ).all()
    return [dict(row._mapping) for row in rows]


async def release_parked(engine: AsyncEngine, table: Table, ids: Sequence[int] | None = None) -> int:
    """Puts parked rows (``ids``, or all) back in line with their refusals forgotten; returns how many.

    Release after fixing the cause (a larger broker limit, a topic created): a row refused again is
    parked again after ``max_rejections`` more refusals.
    """
    t = table
    condition = t.c.parked_at.is_not(None) & t.c.published_at.is_(None)
    if ids is not None:
        condition &= t.c.id.in_(list(ids))
    async with engine.begin() as connection:
        result = await connection.execute(
            update(t).where(condition).values(parked_at=None, rejections=0).returning(t.c.id)
        )
        return len(result.all())


# ---------------------------------------------------------------- migrations


def upgrade_outbox_for_parking(schema: str, table: str = "outbox") -> None:
    """Alembic step, shared by the services' migrations: the parking columns, and the unpublished
    index that leaves parked rows out (as :func:`outbox_table` declares it)."""
    from alembic import op

    op.add_column(
        table, Column("rejections", Integer, nullable=False, server_default=text("0")), schema=schema
    )
    op.add_column(table, Column("parked_at", DateTime(timezone=True), nullable=True), schema=schema)
    op.drop_index(f"ix_{table}_unpublished", table_name=table, schema=schema)
    op.create_index(
        f"ix_{table}_unpublished",
        table,
        ["id"],
        schema=schema,
        postgresql_where=text("published_at IS NULL AND parked_at IS NULL"),
    )


def downgrade_outbox_for_parking(schema: str, table: str = "outbox") -> None:
    from alembic import op

    op.drop_index(f"ix_{table}_unpublished", table_name=table, schema=schema)
    op.create_index(
        f"ix_{table}_unpublished", table, ["id"], schema=schema, postgresql_where=text("published_at IS NULL")
    )
    op.drop_column(table, "parked_at", schema=schema)
    op.drop_column(table, "rejections", schema=schema)
