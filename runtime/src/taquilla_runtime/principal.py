"""Who is calling: the identity the edge verified, carried to services in gRPC metadata.

The edge verifies the caller's access token and forwards the result as one metadata entry. Services
never take a user id from a request body or path: they authorize with :class:`Principal` only. The
services listen on the internal network alone (see docs/architecture.md, security boundaries).
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

METADATA_KEY = "x-taquilla-principal"


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    CUSTOMER = "customer"
    STAFF = "staff"


class PrincipalKind(enum.StrEnum):
    USER = "user"
    CLIENT = "client"  # a partner's API client (OAuth client_credentials)
    SERVICE = "service"  # another Taquilla service calling on its own behalf


class InvalidPrincipal(ValueError):
    """The metadata entry is not a principal the edge would have sent."""


@dataclass(frozen=True, slots=True)
class Principal:
    subject: uuid.UUID
    kind: PrincipalKind
    role: Role | None = None
    organization_id: uuid.UUID | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_service(self) -> bool:
        return self.kind is PrincipalKind.SERVICE

    @classmethod
    def for_service(cls, name: str) -> Principal:
        """The identity a service uses for its own internal calls."""
        return cls(
            subject=uuid.uuid5(uuid.NAMESPACE_URL, f"taquilla:service:{name}"), kind=PrincipalKind.SERVICE
        )

    def belongs_to(self, organization_id: uuid.UUID | None) -> bool:
        return organization_id is not None and self.organization_id == organization_id

    def to_metadata(self) -> tuple[str, str]:
        body = {
            "sub": str(self.subject),
            "kind": self.kind.value,
            "role": self.role.value if self.role else None,
            "org": str(self.organization_id) if self.organization_id else None,
            "scopes": sorted(self.scopes),
        }
        return METADATA_KEY, json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str | bytes]] | None) -> Principal | None:
        """The caller's principal, or None for an anonymous call."""
        raw = next((value for key, value in metadata or () if key == METADATA_KEY), None)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return cls(
                subject=uuid.UUID(data["sub"]),
                kind=PrincipalKind(data["kind"]),
                role=Role(data["role"]) if data.get("role") else None,
                organization_id=uuid.UUID(data["org"]) if data.get("org") else None,
                scopes=frozenset(str(scope) for scope in data.get("scopes") or ()),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidPrincipal("malformed principal metadata") from exc
