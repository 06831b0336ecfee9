"""The unit of work: one transaction, the repository over it, and an explicit commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from notification_svc.adapters.repository import SqlNotifications
from taquilla_runtime.db import SqlTransaction


class SqlUnitOfWork(SqlTransaction):
    notifications: SqlNotifications

    def bind(self, connection: AsyncConnection) -> None:
        self.notifications = SqlNotifications(connection)
