"""Database engine helpers: one async engine per service, pinned to the service's own schema."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from taquilla_runtime.audit import mark_written, stage_pending_audit


class _PoolCollector(Collector):
    """taquilla_db_pool_connections{state}: how much of each engine's pool is in use, read at scrape time."""

    def __init__(self) -> None:
        self.engines: dict[str, AsyncEngine] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "taquilla_db_pool_connections", "Database connections by state.", labels=["application", "state"]
        )
        for application, engine in self.engines.items():
            pool: Any = engine.pool
            if not all(hasattr(pool, name) for name in ("checkedout", "checkedin", "size")):
                continue  # e.g. NullPool in migrations
            family.add_metric([application, "checked_out"], pool.checkedout())
            family.add_metric([application, "idle"], pool.checkedin())
            family.add_metric([application, "size"], pool.size())
        yield family


_POOLS = _PoolCollector()
REGISTRY.register(_POOLS)


def create_engine(
    url: str,
    *,
    schema: str,
    application_name: str,
    pool_size: int = 10,
    server_settings: dict[str, str] | None = None,
) -> AsyncEngine:
    """Creates an engine whose connections see only ``schema`` (and ``public`` for extensions).

    ``server_settings`` adds PostgreSQL settings to every connection (e.g. ``lock_timeout``).

    Nothing connects until the first query, so building an engine at start-up never blocks.
    """
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "server_settings": {
                "search_path": f"{schema},public",
                "application_name": application_name,
                "timezone": "UTC",
                **(server_settings or {}),
            },
            "timeout": 5,
            "command_timeout": 30,
        },
    )
    _POOLS.engines[application_name] = engine
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raises when the database cannot answer a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


class SqlTransaction:
    """One connection and one transaction for one use case: the base of every service's unit of work.

    Subclasses attach their repositories to the connection in :meth:`bind`. Leaving the block rolls
    back whatever was not committed with an explicit :meth:`commit`, then returns the connection.

    Inside an audited gRPC call, the first commit also writes the call's audit entry, in the same
    transaction as the change it records (taquilla_runtime.audit).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    def bind(self, connection: AsyncConnection) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        connection = await self._engine.connect()
        try:
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.bind(connection)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.rollback()
        finally:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

    async def commit(self) -> None:
        assert self._connection is not None, "commit outside `async with uow`"
        staged = await stage_pending_audit(self._connection)
        await self._connection.commit()
        mark_written(staged)

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction():
            await self._connection.rollback()
