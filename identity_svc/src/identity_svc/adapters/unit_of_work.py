"""The unit of work: one transaction, the repositories over it, and an explicit commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from identity_svc.adapters.orm import outbox
from identity_svc.adapters.outbox import SqlOutbox
from identity_svc.adapters.repository import (
    SqlApiClients,
    SqlAuditLog,
    SqlAuthorizationCodes,
    SqlOrganizations,
    SqlRefreshTokens,
    SqlSigningKeys,
    SqlUsers,
)
from identity_svc.application.ports import UnitOfWork
from taquilla_runtime.db import SqlTransaction


class SqlUnitOfWork(SqlTransaction, UnitOfWork):
    # SqlTransaction comes first: its connection handling implements UnitOfWork's commit/rollback.
    def bind(self, connection: AsyncConnection) -> None:
        self.users = SqlUsers(connection)
        self.organizations = SqlOrganizations(connection)
        self.api_clients = SqlApiClients(connection)
        self.refresh_tokens = SqlRefreshTokens(connection)
        self.authorization_codes = SqlAuthorizationCodes(connection)
        self.signing_keys = SqlSigningKeys(connection)
        self.audit = SqlAuditLog(connection)
        self.outbox = SqlOutbox(connection, outbox)
