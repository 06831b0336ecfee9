"""Repositories over one connection; they never commit (the unit of work does)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from identity_svc.adapters.orm import (
    api_clients,
    audit_log,
    authorization_codes,
    organizations,
    refresh_tokens,
    signing_keys,
    users,
)
from identity_svc.application.ports import (
    ApiClients,
    AuditLog,
    AuditRecord,
    AuthorizationCodes,
    Organizations,
    RefreshTokens,
    SigningKey,
    SigningKeys,
    Users,
)
from identity_svc.domain.model import ApiClient, AuthorizationCode, Organization, RefreshToken, Role, User


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        full_name=row.full_name,
        role=Role(row.role),
        password_hash=row.password_hash,
        organization_id=row.organization_id,
        active=row.active,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
    )


class SqlUsers(Users):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def add(self, user: User) -> None:
        await self._c.execute(
            insert(users).values(
                id=user.id,
                email=user.email,
                full_name=user.full_name,
                role=user.role.value,
                password_hash=user.password_hash,
                organization_id=user.organization_id,
                active=user.active,
                created_at=user.created_at,
            )
        )

    async def _one(self, where: Any, for_update: bool) -> User | None:
        query = select(users).where(where, users.c.deleted_at.is_(None))
        if for_update:
            query = query.with_for_update()
        row = (await self._c.execute(query)).first()
        return _user(row) if row else None

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        return await self._one(users.c.id == user_id, for_update)

    async def by_email(self, email: str, *, for_update: bool = False) -> User | None:
        return await self._one(func.lower(users.c.email) == email.lower(), for_update)

    async def save(self, user: User) -> None:
        await self._c.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(
                role=user.role.value,
                organization_id=user.organization_id,
                active=user.active,
                failed_logins=user.failed_logins,
                locked_until=user.locked_until,
                last_login_at=user.last_login_at,
                password_hash=user.password_hash,
                full_name=user.full_name,
            )
        )

    async def page(
        self, *, role: Role | None, email_contains: str, after_email: str | None, limit: int
    ) -> Sequence[User]:
        query = select(users).where(users.c.deleted_at.is_(None))
        if role is not None:
            query = query.where(users.c.role == role.value)
        if email_contains:
            escaped = email_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(func.lower(users.c.email).contains(escaped, autoescape=False))
        if after_email is not None:
            query = query.where(func.lower(users.c.email) > after_email)
        rows = (await self._c.execute(query.order_by(func.lower(users.c.email)).limit(limit))).all()
        return [_user(row) for row in rows]

    async def active_in_organization(
        self, organization_id: uuid.UUID, *, role: Role, limit: int
    ) -> Sequence[User]:
        query = select(users).where(
            users.c.deleted_at.is_(None),
            users.c.active.is_(True),
            users.c.organization_id == organization_id,
            users.c.role == role.value,
        )
        rows = (await self._c.execute(query.order_by(func.lower(users.c.email)).limit(limit))).all()
        return [_user(row) for row in rows]


class SqlOrganizations(Organizations):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def add(self, organization: Organization) -> None:
        await self._c.execute(
            insert(organizations).values(
                id=organization.id, name=organization.name, created_at=organization.created_at
            )
        )

    async def get(self, organization_id: uuid.UUID) -> Organization | None:
        row = (
            await self._c.execute(
                select(organizations).where(
                    organizations.c.id == organization_id, organizations.c.deleted_at.is_(None)
                )
            )
        ).first()
        return Organization(row.id, row.name, row.created_at) if row else None

    async def name_taken(self, name: str) -> bool:
        found = await self._c.scalar(
            select(organizations.c.id).where(
                func.lower(organizations.c.name) == name.lower(), organizations.c.deleted_at.is_(None)
            )
        )
        return found is not None

    async def search(self, *, name_contains: str, limit: int) -> Sequence[Organization]:
        query = select(organizations).where(organizations.c.deleted_at.is_(None))
        if name_contains:
            escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(func.lower(organizations.c.name).contains(escaped, autoescape=False))
        query = query.order_by(func.lower(organizations.c.name), organizations.c.id).limit(limit)
        return [
            Organization(row.id, row.name, row.created_at) for row in (await self._c.execute(query)).all()
        ]


class SqlApiClients(ApiClients):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def add(self, client: ApiClient) -> None:
        await self._c.execute(
            insert(api_clients).values(
                id=client.id,
                client_id=client.client_id,
                name=client.name,
                secret_hash=client.secret_hash,
                scopes=sorted(client.scopes),
                rate_limit_tier=client.rate_limit_tier,
                organization_id=client.organization_id,
                active=client.active,
            )
        )

    async def by_client_id(self, client_id: str) -> ApiClient | None:
        row = (
            await self._c.execute(
                select(api_clients).where(
                    api_clients.c.client_id == client_id, api_clients.c.deleted_at.is_(None)
                )
            )
        ).first()
        if row is None:
            return None
        return ApiClient(
            row.id,
            row.client_id,
            row.name,
            row.secret_hash,
            frozenset(row.scopes),
            row.rate_limit_tier,
            row.organization_id,
            row.active,
        )


class SqlRefreshTokens(RefreshTokens):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def add(self, token: RefreshToken) -> None:
        await self._c.execute(
            insert(refresh_tokens).values(
                id=token.id,
                family_id=token.family_id,
                user_id=token.user_id,
                token_hash=token.token_hash,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                scope=" ".join(sorted(token.scope)) if token.scope is not None else None,
            )
        )

    async def by_hash(self, token_hash: str, *, for_update: bool = False) -> RefreshToken | None:
        query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        if for_update:
            query = query.with_for_update()
        row = (await self._c.execute(query)).first()
        if row is None:
            return None
        return RefreshToken(
            row.id,
            row.family_id,
            row.user_id,
            row.token_hash,
            row.issued_at,
            row.expires_at,
            row.used_at,
            row.revoked_at,
            frozenset(row.scope.split()) if row.scope is not None else None,
        )

    async def mark_used(self, token_id: uuid.UUID, at: dt.datetime) -> None:
        await self._c.execute(
            update(refresh_tokens).where(refresh_tokens.c.id == token_id).values(used_at=at)
        )

    async def revoke_family(self, family_id: uuid.UUID, at: dt.datetime) -> None:
        await self._c.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def revoke_families_of(
        self, user_id: uuid.UUID, at: dt.datetime, *, keep: uuid.UUID | None
    ) -> None:
        statement = update(refresh_tokens).where(
            refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None)
        )
        if keep is not None:
            statement = statement.where(refresh_tokens.c.family_id != keep)
        await self._c.execute(statement.values(revoked_at=at))


class SqlAuthorizationCodes(AuthorizationCodes):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def add(self, code: AuthorizationCode) -> None:
        # Spent and expired codes go first: they are never needed again.
        await self._c.execute(
            authorization_codes.delete().where(authorization_codes.c.expires_at < code.issued_at)
        )
        await self._c.execute(
            insert(authorization_codes).values(
                code_hash=code.code_hash,
                client_id=code.client_id,
                redirect_uri=code.redirect_uri,
                code_challenge=code.code_challenge,
                user_id=code.user_id,
                scope=" ".join(sorted(code.scope)) if code.scope is not None else None,
                issued_at=code.issued_at,
                expires_at=code.expires_at,
            )
        )

    async def redeem(self, code_hash: str, now: dt.datetime) -> AuthorizationCode | None:
        row = (
            await self._c.execute(
                update(authorization_codes)
                .where(
                    authorization_codes.c.code_hash == code_hash,
                    authorization_codes.c.used_at.is_(None),
                    authorization_codes.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(*authorization_codes.c)
            )
        ).first()
        if row is None:
            return None
        return AuthorizationCode(
            code_hash=row.code_hash,
            client_id=row.client_id,
            redirect_uri=row.redirect_uri,
            code_challenge=row.code_challenge,
            user_id=row.user_id,
            scope=frozenset(row.scope.split()) if row.scope is not None else None,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
        )


class SqlSigningKeys(SigningKeys):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def newest(self, count: int) -> Sequence[SigningKey]:
        rows = (
            await self._c.execute(
                select(signing_keys).order_by(signing_keys.c.created_at.desc()).limit(count)
            )
        ).all()
        return [SigningKey(row.kid, row.private_key, row.public_x, row.created_at) for row in rows]

    async def add(self, key: SigningKey) -> None:
        await self._c.execute(
            insert(signing_keys).values(
                kid=key.kid, private_key=key.private_key, public_x=key.public_x, created_at=key.created_at
            )
        )


class SqlAuditLog(AuditLog):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def append(
        self,
        *,
        actor: str,
        action: str,
        target: str,
        correlation_id: str,
        outcome: str,
        actor_kind: str | None = None,
        actor_role: str | None = None,
        organization_id: uuid.UUID | None = None,
    ) -> None:
        await self._c.execute(
            insert(audit_log).values(
                actor=actor,
                action=action,
                target=target,
                correlation_id=correlation_id,
                outcome=outcome,
                actor_kind=actor_kind,
                actor_role=actor_role,
                organization_id=organization_id,
            )
        )

    async def page(self, *, before_id: int | None, action_prefix: str, limit: int) -> Sequence[AuditRecord]:
        query = select(audit_log)
        if before_id is not None:
            query = query.where(audit_log.c.id < before_id)
        if action_prefix:
            query = query.where(audit_log.c.action.startswith(action_prefix, autoescape=True))
        rows = (await self._c.execute(query.order_by(audit_log.c.id.desc()).limit(limit))).all()
        return [
            AuditRecord(
                row.id, row.occurred_at, row.actor, row.action, row.target, row.correlation_id, row.outcome
            )
            for row in rows
        ]
