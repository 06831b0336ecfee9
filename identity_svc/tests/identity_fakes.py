"""In-memory fakes of identity's ports, for unit tests of the handlers only.

The fake unit of work behaves like a database transaction: handlers work on a copy of what was
committed, :meth:`FakeUnitOfWork.commit` keeps it, and leaving without a commit drops it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from identity_svc.application.ports import (
    ApiClients,
    AuditLog,
    AuditRecord,
    AuthorizationCodes,
    KeyRing,
    Organizations,
    Outbox,
    PasswordHasher,
    PublicKey,
    RefreshTokens,
    SigningKey,
    SigningKeys,
    UnitOfWork,
    Users,
)
from identity_svc.domain.events import DomainEvent
from identity_svc.domain.model import ApiClient, AuthorizationCode, Organization, RefreshToken, Role, User

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


class FakeClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class IdentityTables:
    """What identity's database holds."""

    users: dict[uuid.UUID, User] = field(default_factory=dict)
    organizations: dict[uuid.UUID, Organization] = field(default_factory=dict)
    api_clients: dict[str, ApiClient] = field(default_factory=dict)
    refresh_tokens: dict[uuid.UUID, RefreshToken] = field(default_factory=dict)
    authorization_codes: dict[str, tuple[AuthorizationCode, dt.datetime | None]] = field(default_factory=dict)
    signing_keys: list[SigningKey] = field(default_factory=list)
    audit: list[AuditRecord] = field(default_factory=list)
    outbox: list[tuple[DomainEvent, str | None]] = field(default_factory=list)


class FakeUsers(Users):
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, user: User) -> None:
        self._tables.users[user.id] = copy.deepcopy(user)

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        return copy.deepcopy(self._tables.users.get(user_id))

    async def by_email(self, email: str, *, for_update: bool = False) -> User | None:
        found = (user for user in self._tables.users.values() if user.email.lower() == email.lower())
        return copy.deepcopy(next(found, None))

    async def save(self, user: User) -> None:
        self._tables.users[user.id] = copy.deepcopy(user)

    async def page(
        self, *, role: Role | None, email_contains: str, after_email: str | None, limit: int
    ) -> Sequence[User]:
        found = sorted(
            (
                user
                for user in self._tables.users.values()
                if (role is None or user.role is role)
                and email_contains in user.email.lower()
                and (after_email is None or user.email.lower() > after_email)
            ),
            key=lambda user: user.email.lower(),
        )
        return copy.deepcopy(found[:limit])

    async def active_in_organization(
        self, organization_id: uuid.UUID, *, role: Role, limit: int
    ) -> Sequence[User]:
        found = sorted(
            (
                user
                for user in self._tables.users.values()
                if user.active and user.organization_id == organization_id and user.role is role
            ),
            key=lambda user: user.email.lower(),
        )
        return copy.deepcopy(found[:limit])


class FakeOrganizations(Organizations):
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, organization: Organization) -> None:
        self._tables.organizations[organization.id] = copy.deepcopy(organization)

    async def get(self, organization_id: uuid.UUID) -> Organization | None:
        return copy.deepcopy(self._tables.organizations.get(organization_id))

    async def name_taken(self, name: str) -> bool:
        return any(o.name.lower() == name.lower() for o in self._tables.organizations.values())

    async def search(self, *, name_contains: str, limit: int) -> Sequence[Organization]:
        found = [o for o in self._tables.organizations.values() if name_contains in o.name.lower()]
        found.sort(key=lambda o: (o.name.lower(), o.id))
        return [copy.deepcopy(o) for o in found[:limit]]


class FakeApiClients(ApiClients):
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, client: ApiClient) -> None:
        self._tables.api_clients[client.client_id] = copy.deepcopy(client)

    async def by_client_id(self, client_id: str) -> ApiClient | None:
        return copy.deepcopy(self._tables.api_clients.get(client_id))


class FakeRefreshTokens(RefreshTokens):
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, token: RefreshToken) -> None:
        self._tables.refresh_tokens[token.id] = copy.deepcopy(token)

    async def by_hash(self, token_hash: str, *, for_update: bool = False) -> RefreshToken | None:
        found = (t for t in self._tables.refresh_tokens.values() if t.token_hash == token_hash)
        return copy.deepcopy(next(found, None))

    async def mark_used(self, token_id: uuid.UUID, at: dt.datetime) -> None:
        self._tables.refresh_tokens[token_id].used_at = at

    async def revoke_family(self, family_id: uuid.UUID, at: dt.datetime) -> None:
        for token in self._tables.refresh_tokens.values():
            if token.family_id == family_id and token.revoked_at is None:
                token.revoked_at = at

    async def revoke_families_of(
        self, user_id: uuid.UUID, at: dt.datetime, *, keep: uuid.UUID | None
    ) -> None:
        for token in self._tables.refresh_tokens.values():
            if token.user_id == user_id and token.family_id != keep and token.revoked_at is None:
                token.revoked_at = at


class FakeAuthorizationCodes(AuthorizationCodes):
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, code: AuthorizationCode) -> None:
        self._tables.authorization_codes[code.code_hash] = (copy.deepcopy(code), None)

    async def redeem(self, code_hash: str, now: dt.datetime) -> AuthorizationCode | None:
        found = self._tables.authorization_codes.get(code_hash)
        if found is None or found[1] is not None or now >= found[0].expires_at:
            return None
        self._tables.authorization_codes[code_hash] = (found[0], now)
        return copy.deepcopy(found[0])


class FakeSigningKeys(SigningKeys):
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def newest(self, count: int) -> Sequence[SigningKey]:
        # Stored order breaks ties between keys created at the same instant.
        ordered = sorted(enumerate(self._tables.signing_keys), key=lambda p: (p[1].created_at, p[0]))
        return [key for _, key in reversed(ordered)][:count]

    async def add(self, key: SigningKey) -> None:
        self._tables.signing_keys.append(key)


class FakeAuditLog(AuditLog):
    def __init__(self, tables: IdentityTables, clock: FakeClock) -> None:
        self._tables = tables
        self._clock = clock

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
        next_id = max((row.id for row in self._tables.audit), default=0) + 1
        self._tables.audit.append(
            AuditRecord(next_id, self._clock(), actor, action, target, correlation_id, outcome)
        )

    async def page(self, *, before_id: int | None, action_prefix: str, limit: int) -> Sequence[AuditRecord]:
        found = [
            row
            for row in reversed(self._tables.audit)
            if (before_id is None or row.id < before_id) and row.action.startswith(action_prefix)
        ]
        return found[:limit]


class DatabaseGone(Exception):
    """What a commit raises when a test pulls the database away."""


class FakeOutbox(Outbox):
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        self._tables.outbox.extend((event, correlation_id) for event in events)


class FakeUnitOfWork(UnitOfWork):
    """Keeps what was committed across transactions; everything else is dropped on rollback."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.committed = IdentityTables()
        self.commits = 0
        self.commit_fails = False
        self._begin()

    def _begin(self) -> None:
        self._working = copy.deepcopy(self.committed)
        self.users = FakeUsers(self._working)
        self.organizations = FakeOrganizations(self._working)
        self.api_clients = FakeApiClients(self._working)
        self.refresh_tokens = FakeRefreshTokens(self._working)
        self.authorization_codes = FakeAuthorizationCodes(self._working)
        self.signing_keys = FakeSigningKeys(self._working)
        self.audit = FakeAuditLog(self._working, self.clock)
        self.outbox = FakeOutbox(self._working)

    async def __aenter__(self) -> FakeUnitOfWork:
        self._begin()
        return self

    async def commit(self) -> None:
        if self.commit_fails:
            raise DatabaseGone("the connection was lost before the commit")
        self.committed = copy.deepcopy(self._working)
        self.commits += 1
        self._begin()

    async def rollback(self) -> None:
        self._begin()

    # ------------------------------------------------------------ for tests to arrange and inspect

    def given(self, *rows: User | Organization | ApiClient) -> None:
        """Stores rows as if an earlier transaction had committed them."""
        for row in rows:
            match row:
                case User():
                    self.committed.users[row.id] = copy.deepcopy(row)
                case Organization():
                    self.committed.organizations[row.id] = copy.deepcopy(row)
                case ApiClient():
                    self.committed.api_clients[row.client_id] = copy.deepcopy(row)
        self._begin()

    def audit_rows(self, action_prefix: str = "") -> list[AuditRecord]:
        """Committed audit rows, oldest first."""
        return [row for row in self.committed.audit if row.action.startswith(action_prefix)]


class FakePasswordHasher(PasswordHasher):
    """Readable "hashes"; counts the decoy verifications that hide unknown accounts."""

    def __init__(self) -> None:
        self.decoy_verifications = 0
        self.verifications = 0
        self.hashes = 0

    @staticmethod
    def hashed(password: str) -> str:
        return f"hashed:{password}"

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return self.hashed(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        return password_hash == self.hashed(password)

    async def verify_nothing(self, password: str) -> None:
        self.decoy_verifications += 1


class FakeKeyRing(KeyRing):
    """Numbered keys; a "signature" is the key id and the claims as JSON, for tests to read back."""

    def __init__(self) -> None:
        self.made = 0

    def new_key(self, now: dt.datetime) -> SigningKey:
        self.made += 1
        return SigningKey(f"key-{self.made}", b"sealed", f"public-{self.made}", now)

    def sign(self, key: SigningKey, claims: dict[str, Any]) -> str:
        return json.dumps({"kid": key.kid, "claims": claims})

    def jwk(self, key: SigningKey) -> PublicKey:
        return PublicKey(kid=key.kid, kty="OKP", crv="Ed25519", x=key.public_x, alg="EdDSA", use="sig")


def read_token(token: str) -> tuple[str, dict[str, Any]]:
    """The key id and the claims of an access token the FakeKeyRing signed."""
    signed = json.loads(token)
    return str(signed["kid"]), dict(signed["claims"])
