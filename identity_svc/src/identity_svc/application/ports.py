"""What the use cases need from the outside world. Adapters implement these; unit tests fake them."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import taquilla_runtime.unit_of_work
from identity_svc.domain.events import DomainEvent
from identity_svc.domain.model import ApiClient, AuthorizationCode, Organization, RefreshToken, Role, User


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: bytes  # encrypted at rest; only the KeyRing decrypts it
    public_x: str  # base64url Ed25519 public key
    created_at: dt.datetime


@dataclass(frozen=True)
class PublicKey:
    """The public half of a signing key as a JSON Web Key (RFC 7517): what verifiers fetch."""

    kid: str
    kty: str
    crv: str
    x: str
    alg: str
    use: str


@dataclass(frozen=True)
class AuditRecord:
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str
    correlation_id: str
    outcome: str


class Users(abc.ABC):
    """Accounts; deleted ones are never returned."""

    @abc.abstractmethod
    async def add(self, user: User) -> None: ...

    @abc.abstractmethod
    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        """The user, or None; ``for_update`` locks it until the transaction ends."""

    @abc.abstractmethod
    async def by_email(self, email: str, *, for_update: bool = False) -> User | None:
        """The user with this email, compared case-insensitively."""

    @abc.abstractmethod
    async def save(self, user: User) -> None:
        """Writes back a user's changeable fields."""

    @abc.abstractmethod
    async def page(
        self, *, role: Role | None, email_contains: str, after_email: str | None, limit: int
    ) -> Sequence[User]:
        """Up to ``limit`` users by lower-cased email, after ``after_email``."""

    @abc.abstractmethod
    async def active_in_organization(
        self, organization_id: uuid.UUID, *, role: Role, limit: int
    ) -> Sequence[User]:
        """Up to ``limit`` active users of the organization with this role, by lower-cased email."""


class Organizations(abc.ABC):
    @abc.abstractmethod
    async def add(self, organization: Organization) -> None: ...

    @abc.abstractmethod
    async def get(self, organization_id: uuid.UUID) -> Organization | None: ...

    @abc.abstractmethod
    async def name_taken(self, name: str) -> bool:
        """Whether a live organization has this name, compared case-insensitively."""

    @abc.abstractmethod
    async def search(self, *, name_contains: str, limit: int) -> Sequence[Organization]:
        """Up to ``limit`` live organizations whose lower-cased name contains ``name_contains``, by name."""


class ApiClients(abc.ABC):
    @abc.abstractmethod
    async def add(self, client: ApiClient) -> None: ...

    @abc.abstractmethod
    async def by_client_id(self, client_id: str) -> ApiClient | None: ...


class RefreshTokens(abc.ABC):
    """Refresh tokens, stored by the SHA-256 of their value, in families that rotate together."""

    @abc.abstractmethod
    async def add(self, token: RefreshToken) -> None: ...

    @abc.abstractmethod
    async def by_hash(self, token_hash: str, *, for_update: bool = False) -> RefreshToken | None: ...

    @abc.abstractmethod
    async def mark_used(self, token_id: uuid.UUID, at: dt.datetime) -> None: ...

    @abc.abstractmethod
    async def revoke_family(self, family_id: uuid.UUID, at: dt.datetime) -> None:
        """Revokes every token of the family not revoked yet."""

    @abc.abstractmethod
    async def revoke_families_of(
        self, user_id: uuid.UUID, at: dt.datetime, *, keep: uuid.UUID | None
    ) -> None:
        """Revokes every token of the user not revoked yet, except those of the family ``keep``."""


class AuthorizationCodes(abc.ABC):
    """One-time authorization codes, stored by the SHA-256 of their value."""

    @abc.abstractmethod
    async def add(self, code: AuthorizationCode) -> None: ...

    @abc.abstractmethod
    async def redeem(self, code_hash: str, now: dt.datetime) -> AuthorizationCode | None:
        """Marks the code used and returns it, if it exists, is unused and has not expired; of
        concurrent redemptions of one code, exactly one gets it (a conditional update)."""


class SigningKeys(abc.ABC):
    @abc.abstractmethod
    async def newest(self, count: int) -> Sequence[SigningKey]:
        """Up to ``count`` keys, the newest first."""

    @abc.abstractmethod
    async def add(self, key: SigningKey) -> None: ...


class AuditLog(abc.ABC):
    """The append-only audit log: rows are written in the caller's transaction.

    The same table the other services' audit trails use (taquilla_runtime.audit), read by the shared
    taquilla.audit.v1.AuditService.
    """

    @abc.abstractmethod
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
    ) -> None: ...

    @abc.abstractmethod
    async def page(self, *, before_id: int | None, action_prefix: str, limit: int) -> Sequence[AuditRecord]:
        """Up to ``limit`` rows, the newest first, before ``before_id``."""


class Outbox(abc.ABC):
    @abc.abstractmethod
    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        """Queues one message per domain event (taquilla.identity.v1), in the caller's transaction."""


class UnitOfWork(taquilla_runtime.unit_of_work.UnitOfWork):
    """One transaction over this service's repositories: committed together, or not at all."""

    users: Users
    organizations: Organizations
    api_clients: ApiClients
    refresh_tokens: RefreshTokens
    authorization_codes: AuthorizationCodes
    signing_keys: SigningKeys
    audit: AuditLog
    outbox: Outbox


class PasswordHasher(abc.ABC):
    """Password hashing is deliberately slow: implementations keep it off the event loop and raise
    Overloaded rather than queue without bound."""

    @abc.abstractmethod
    async def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    async def verify(self, password_hash: str, password: str) -> bool: ...

    @abc.abstractmethod
    async def verify_nothing(self, password: str) -> None:
        """Spends the same time as a real verification (for unknown accounts)."""


class KeyRing(abc.ABC):
    """Makes and uses the keys that sign access tokens."""

    @abc.abstractmethod
    def new_key(self, now: dt.datetime) -> SigningKey:
        """A fresh key created at ``now``, its private half encrypted for storage."""

    @abc.abstractmethod
    def sign(self, key: SigningKey, claims: dict[str, Any]) -> str:
        """A compact JWS of the claims, naming the key in its ``kid`` header."""

    @abc.abstractmethod
    def jwk(self, key: SigningKey) -> PublicKey: ...
