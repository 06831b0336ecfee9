"""One PostgreSQL transaction per use case, shared by the repository, the idempotency store and the outbox."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from event_svc.adapters.orm import outbox
from event_svc.adapters.outbox import SqlOutbox
from event_svc.adapters.repository import SqlEventRepository, SqlIdempotencyStore
from event_svc.application.ports import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        connection = await self._engine.connect()
        try:
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self.events = SqlEventRepository(connection)
        self.idempotency = SqlIdempotencyStore(connection)
        self.outbox = SqlOutbox(connection, outbox)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

    async def commit(self) -> None:
        assert self._connection is not None, "commit outside `async with uow`"
        await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction():
            await self._connection.rollback()
