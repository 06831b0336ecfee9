"""One PostgreSQL transaction per use case, shared by the repository, the idempotency store and the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from event_svc.adapters.orm import outbox
from event_svc.adapters.outbox import SqlOutbox
from event_svc.adapters.repository import SqlEventRepository, SqlIdempotencyStore
from event_svc.application.ports import UnitOfWork
from taquilla_runtime.db import SqlTransaction


class SqlUnitOfWork(SqlTransaction, UnitOfWork):
    # SqlTransaction comes first: its connection handling implements UnitOfWork's commit/rollback.
    def bind(self, connection: AsyncConnection) -> None:
        self.events = SqlEventRepository(connection)
        self.idempotency = SqlIdempotencyStore(connection)
        self.outbox = SqlOutbox(connection, outbox)
