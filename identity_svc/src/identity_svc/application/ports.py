"""What the use cases need from the outside world; adapters implement these, unit tests fake them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from identity_svc.domain.model import ApiClient, Organization, RefreshToken, User
from taquilla_runtime.principal import Role


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: bytes  # encrypted at rest; only the KeyRing decrypts it
    public_x: str  # base64url Ed25519 public key
    created_at: dt.datetime


@dataclass(frozen=True)
class AuditRecord:
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str
    correlation_id: str
    outcome: str


class Users(Protocol):
    async def add(self, user: User) -> None: ...
    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None: ...
    async def by_email(self, email: str, *, for_update: bool = False) -> User | None: ...
    async def save(self, user: User) -> None: ...
    async def page(
        self, *, role: Role | None, email_contains: str, after_email: str | None, limit: int
    ) -> Sequence[User]: ...


class Organizations(Protocol):
    async def add(self, organization: Organization) -> None: ...
    async def get(self, organization_id: uuid.UUID) -> Organization | None: ...
    async def name_taken(self, name: str) -> bool: ...


class ApiClients(Protocol):
    async def add(self, client: ApiClient) -> None: ...
    async def by_client_id(self, client_id: str) -> ApiClient | None: ...


class RefreshTokens(Protocol):
    async def add(self, token: RefreshToken) -> None: ...
    async def by_hash(self, token_hash: str, *, for_update: bool = False) -> RefreshToken | None: ...
    async def mark_used(self, token_id: uuid.UUID, at: dt.datetime) -> None: ...
    async def revoke_family(self, family_id: uuid.UUID, at: dt.datetime) -> None: ...


class SigningKeys(Protocol):
    async def newest(self, count: int) -> Sequence[SigningKey]: ...
    async def add(self, key: SigningKey) -> None: ...


class AuditLog(Protocol):
    async def append(
        self, *, actor: str, action: str, target: str, correlation_id: str, outcome: str
    ) -> None: ...
    async def page(
        self, *, before_id: int | None, action_prefix: str, limit: int
    ) -> Sequence[AuditRecord]: ...


class UnitOfWork(Protocol):
    # Read-only members, so a unit of work may expose more specific repositories.
    @property
    def users(self) -> Users: ...
    @property
    def organizations(self) -> Organizations: ...
    @property
    def api_clients(self) -> ApiClients: ...
    @property
    def refresh_tokens(self) -> RefreshTokens: ...
    @property
    def signing_keys(self) -> SigningKeys: ...
    @property
    def audit(self) -> AuditLog: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def verify_nothing(self, password: str) -> None:
        """Spends the same time as a real verification (for unknown accounts)."""


class KeyRing(Protocol):
    def new_key(self) -> SigningKey: ...
    def sign(self, key: SigningKey, claims: dict[str, Any]) -> str: ...
    def jwk(self, key: SigningKey) -> dict[str, str]: ...
