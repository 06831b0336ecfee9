"""The unit of work: one transaction, the repository over it, and an explicit commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from notification_svc.adapters.repository import SqlNotifications
from notification_svc.adapters.webhook_repository import SqlWebhooks
from notification_svc.application.ports import UnitOfWork
from taquilla_runtime.db import SqlTransaction


class SqlUnitOfWork(SqlTransaction, UnitOfWork):
    # SqlTransaction comes first: its connection handling implements UnitOfWork's commit/rollback.
    def bind(self, connection: AsyncConnection) -> None:
        self.notifications = SqlNotifications(connection)
        self.webhooks = SqlWebhooks(connection)
