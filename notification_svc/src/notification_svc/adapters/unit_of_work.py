"""The unit of work: one transaction, the repository over it, and an explicit commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from notification_svc.adapters.repository import SqlNotifications


class SqlUnitOfWork:
    notifications: SqlNotifications

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        self._connection = await self._engine.connect()
        self._transaction = await self._connection.begin()
        self.notifications = SqlNotifications(self._connection)
        return self

    async def commit(self) -> None:
        assert self._transaction is not None
        await self._transaction.commit()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._connection is not None
        if self._transaction is not None and self._transaction.is_active:
            await self._transaction.rollback()
        await self._connection.close()
