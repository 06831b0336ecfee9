"""The unit of work: one transaction, the repositories over it, and an explicit commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from identity_svc.adapters.repository import (
    SqlApiClients,
    SqlAuditLog,
    SqlOrganizations,
    SqlRefreshTokens,
    SqlSigningKeys,
    SqlUsers,
)


class SqlUnitOfWork:
    users: SqlUsers
    organizations: SqlOrganizations
    api_clients: SqlApiClients
    refresh_tokens: SqlRefreshTokens
    signing_keys: SqlSigningKeys
    audit: SqlAuditLog

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        self._connection = await self._engine.connect()
        self._transaction = await self._connection.begin()
        c = self._connection
        self.users = SqlUsers(c)
        self.organizations = SqlOrganizations(c)
        self.api_clients = SqlApiClients(c)
        self.refresh_tokens = SqlRefreshTokens(c)
        self.signing_keys = SqlSigningKeys(c)
        self.audit = SqlAuditLog(c)
        return self

    async def commit(self) -> None:
        assert self._transaction is not None
        await self._transaction.commit()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Whatever was not committed explicitly is rolled back.
        assert self._connection is not None
        if self._transaction is not None and self._transaction.is_active:
            await self._transaction.rollback()
        await self._connection.close()
