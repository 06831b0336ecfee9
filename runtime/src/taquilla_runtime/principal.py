"""Who is calling: the identity the edge verified, carried to services in gRPC metadata.

The edge verifies the caller's access token and forwards the result as one metadata entry. Services
never take a user id from a request body or path: they authorize with :class:`Principal` only. The
services listen on the internal network alone (see docs/architecture.md, security boundaries).

The entry is signed (ADR 0021): ``JSON.SIGNATURE``, the JSON holding the principal and its issue and
expiry times (``iat``, ``exp``: it lives :data:`PRINCIPAL_TTL_SECONDS`), the signature an HMAC-SHA256
of the JSON with the secret every process of the platform shares (``*_PRINCIPAL_SECRETS``). A
process signs with the first of its secrets and accepts any of them, so a secret is rotated by
adding the new one first everywhere, then dropping the old one. An entry without a valid signature,
or expired, is not a principal (:class:`InvalidPrincipal`). :func:`use_secrets` sets the secrets
once per process, at start-up; until then the development secret is used (production settings
refuse it).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

METADATA_KEY = "x-taquilla-principal"
# Development and tests only: every process of a local stack signs with it; production refuses it.
DEVELOPMENT_PRINCIPAL_SECRET = "taquilla-development-principal-secret"  # noqa: S105
PRINCIPAL_TTL_SECONDS = 60  # a signed principal is good for one call and its retries, no longer
CLOCK_SKEW_SECONDS = 30  # tolerated between the signer's clock and the reader's
MIN_SECRET_LENGTH = 32

_secrets: list[bytes] = [DEVELOPMENT_PRINCIPAL_SECRET.encode()]  # this process's; the first signs


def use_secrets(secrets: Sequence[str]) -> None:
    """Signs with ``secrets[0]`` from now on and accepts a principal signed with any of them."""
    if not secrets or not all(secrets):
        raise ValueError("at least one non-empty principal secret is needed")
    _secrets[:] = [secret.encode() for secret in secrets]


def _signature(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


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

    def to_metadata(self, *, now: float | None = None) -> tuple[str, str]:
        """The signed metadata entry, good for :data:`PRINCIPAL_TTL_SECONDS` from ``now``: build it
        for each call, never once for all."""
        issued = int(time.time() if now is None else now)
        body = json.dumps(
            {
                "sub": str(self.subject),
                "kind": self.kind.value,
                "role": self.role.value if self.role else None,
                "org": str(self.organization_id) if self.organization_id else None,
                "scopes": sorted(self.scopes),
                "iat": issued,
                "exp": issued + PRINCIPAL_TTL_SECONDS,
            },
            separators=(",", ":"),
        )
        return METADATA_KEY, f"{body}.{_signature(_secrets[0], body)}"

    @classmethod
    def from_metadata(
        cls, metadata: Iterable[tuple[str, str | bytes]] | None, *, now: float | None = None
    ) -> Principal | None:
        """The caller's principal, or None for an anonymous call; :class:`InvalidPrincipal` for an
        entry that is malformed, unsigned, signed with no accepted secret, or expired."""
        raw = next((value for key, value in metadata or () if key == METADATA_KEY), None)
        if raw is None:
            return None
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        body, _, signature = text.rpartition(".")
        if not body or not any(
            hmac.compare_digest(_signature(secret, body).encode(), signature.encode()) for secret in _secrets
        ):
            raise InvalidPrincipal("principal metadata without a valid signature")
        try:
            data = json.loads(body)
            issued, expires = int(data["iat"]), int(data["exp"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidPrincipal("malformed principal metadata") from exc
        current = time.time() if now is None else now
        if not issued - CLOCK_SKEW_SECONDS <= current <= expires + CLOCK_SKEW_SECONDS:
            raise InvalidPrincipal("expired principal metadata")
        try:
            return cls(
                subject=uuid.UUID(data["sub"]),
                kind=PrincipalKind(data["kind"]),
                role=Role(data["role"]) if data.get("role") else None,
                organization_id=uuid.UUID(data["org"]) if data.get("org") else None,
                scopes=frozenset(str(scope) for scope in data.get("scopes") or ()),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidPrincipal("malformed principal metadata") from exc
