"""The unit of work: one transaction, the repositories over it, and an explicit commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from identity_svc.adapters.repository import (
    SqlApiClients,
    SqlAuditLog,
    SqlOrganizations,
    SqlRefreshTokens,
    SqlSigningKeys,
    SqlUsers,
)
from taquilla_runtime.db import SqlTransaction


class SqlUnitOfWork(SqlTransaction):
    users: SqlUsers
    organizations: SqlOrganizations
    api_clients: SqlApiClients
    refresh_tokens: SqlRefreshTokens
    signing_keys: SqlSigningKeys
    audit: SqlAuditLog

    def bind(self, connection: AsyncConnection) -> None:
        self.users = SqlUsers(connection)
        self.organizations = SqlOrganizations(connection)
        self.api_clients = SqlApiClients(connection)
        self.refresh_tokens = SqlRefreshTokens(connection)
        self.signing_keys = SqlSigningKeys(connection)
        self.audit = SqlAuditLog(connection)
