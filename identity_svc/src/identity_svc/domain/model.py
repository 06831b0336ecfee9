"""Users, organizations, API clients and refresh-token families."""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import ipaddress
import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from identity_svc.domain.errors import (
    FieldProblem,
    InvalidAuthorizationRequest,
    InvalidInput,
    InvalidRefreshToken,
    InvalidScope,
    RefreshTokenReused,
)


class Role(enum.StrEnum):
    """A user's role on the platform: the access token's ``role`` claim, which the edge verifies."""

    ADMIN = "admin"
    ORGANIZER = "organizer"
    CUSTOMER = "customer"
    STAFF = "staff"


LOCK_AFTER_FAILURES = 5
FIRST_LOCK = dt.timedelta(seconds=30)
LONGEST_LOCK = dt.timedelta(minutes=15)
ACCESS_TOKEN_LIFETIME = dt.timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=30)
AUTHORIZATION_CODE_LIFETIME = dt.timedelta(seconds=60)
PKCE_METHOD = "S256"  # the only one (RFC 7636 section 4.2; "plain" protects nothing)
_PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # a verifier, and an S256 challenge (43)
ROLES_IN_AN_ORGANIZATION = frozenset({Role.ORGANIZER, Role.STAFF})
RATE_LIMIT_TIERS = frozenset({"standard", "partner"})
# The OAuth scopes (docs/security.md, "Scopes"): each names a family of calls a token may make. API
# clients may be given any of KNOWN_SCOPES; ADMIN_SCOPE is for administrators' own tokens only.
KNOWN_SCOPES = frozenset({"events:read", "events:write", "tickets:read", "tickets:write", "checkin"})
ADMIN_SCOPE = "admin"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9,))


def clean_text(value: str, *, field_name: str, max_length: int, problems: list[FieldProblem]) -> str:
    """Strips control characters and surrounding space; records a problem when empty or too long."""
    text = unicodedata.normalize("NFC", value).translate(_CONTROL).replace("\x7f", "").strip()
    if not text:
        problems.append(FieldProblem(field_name, "must not be empty", "required"))
    elif len(text) > max_length:
        problems.append(FieldProblem(field_name, f"must be at most {max_length} characters", "too_long"))
    return text


def normalize_email(value: str, problems: list[FieldProblem]) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        problems.append(FieldProblem("email", "must be a valid email address", "invalid_format"))
    return email


@dataclass
class Organization:
    id: uuid.UUID
    name: str
    created_at: dt.datetime


@dataclass
class User:
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    password_hash: str
    organization_id: uuid.UUID | None = None
    active: bool = True
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    last_login_at: dt.datetime | None = None
    failed_logins: int = 0
    locked_until: dt.datetime | None = None

    def is_locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def can_sign_in(self, now: dt.datetime) -> bool:
        return self.active and not self.is_locked(now)

    def record_failed_sign_in(self, now: dt.datetime) -> None:
        """Progressive lockout: 30 s after the 5th failure in a row, doubling up to 15 minutes."""
        self.failed_logins += 1
        if self.failed_logins >= LOCK_AFTER_FAILURES:
            doublings = min(self.failed_logins - LOCK_AFTER_FAILURES, 10)
            self.locked_until = now + min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)

    def record_sign_in(self, now: dt.datetime) -> None:
        self.failed_logins = 0
        self.locked_until = None
        self.last_login_at = now

    def change_password(self, password_hash: str) -> None:
        """A new password (already hashed); it ends any lockout, as a successful sign-in would."""
        self.password_hash = password_hash
        self.failed_logins = 0
        self.locked_until = None

    def change(
        self,
        *,
        role: Role | None = None,
        active: bool | None = None,
        set_organization: bool = False,
        organization_id: uuid.UUID | None = None,
    ) -> None:
        """Applies an admin's change; the role and organization must stay consistent."""
        new_role = role or self.role
        new_org = organization_id if set_organization else self.organization_id
        check_membership(new_role, new_org)
        self.role = new_role
        self.organization_id = new_org
        if active is not None:
            self.active = active


def check_membership(role: Role, organization_id: uuid.UUID | None) -> None:
    if role in ROLES_IN_AN_ORGANIZATION and organization_id is None:
        raise InvalidInput(
            [
                FieldProblem(
                    "organization_id",
                    f"a {role.value} must belong to an organization",
                    "organization_required",
                )
            ]
        )
    if role not in ROLES_IN_AN_ORGANIZATION and organization_id is not None:
        raise InvalidInput(
            [
                FieldProblem(
                    "organization_id",
                    f"a {role.value} does not belong to an organization",
                    "organization_not_allowed",
                )
            ]
        )


@dataclass
class ApiClient:
    id: uuid.UUID
    client_id: str
    name: str
    secret_hash: str
    scopes: frozenset[str]
    rate_limit_tier: str
    organization_id: uuid.UUID | None
    active: bool = True


@dataclass
class RefreshToken:
    id: uuid.UUID
    family_id: uuid.UUID
    user_id: uuid.UUID
    token_hash: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    # The scope the sign-in asked for, kept by every token of the family so a refresh never widens
    # it; None when the sign-in asked for nothing (the role's defaults, whatever the role is then).
    scope: frozenset[str] | None = None

    def check_usable(self, now: dt.datetime) -> None:
        if self.revoked_at is not None:
            raise InvalidRefreshToken("refresh token revoked")
        if self.used_at is not None:
            raise RefreshTokenReused("refresh token already used")
        if now >= self.expires_at:
            raise InvalidRefreshToken("refresh token expired")


def default_scopes(role: Role) -> frozenset[str]:
    """What a user's token may do when the sign-in asks for no scope: everything the role does.

    Organizers refund their events' orders (tickets:write) and check tickets in at their doors
    (checkin); the services still check the role and the organization on every call.
    """
    if role is Role.ADMIN:
        return KNOWN_SCOPES | {ADMIN_SCOPE}
    if role is Role.ORGANIZER:
        return frozenset({"events:read", "events:write", "tickets:read", "tickets:write", "checkin"})
    if role is Role.STAFF:
        return frozenset({"events:read", "tickets:read", "checkin"})
    return frozenset({"events:read", "tickets:read", "tickets:write"})


def refreshed_scopes(family_scope: frozenset[str] | None, role: Role, requested: str = "") -> frozenset[str]:
    """The scope of an access token a refresh issues: the family's (never more than the role has
    now, so a demotion takes effect at the next refresh), narrowed further when the refresh asks."""
    allowed = default_scopes(role) if family_scope is None else family_scope & default_scopes(role)
    return granted_scopes(requested, allowed)


def granted_scopes(requested: str, allowed: frozenset[str]) -> frozenset[str]:
    wanted = frozenset(requested.split())
    if not wanted:
        return allowed
    if not wanted <= allowed:
        raise InvalidScope(f"not allowed: {' '.join(sorted(wanted - allowed))}")
    return wanted


@dataclass(frozen=True)
class PublicClient:
    """A client that holds no secret (the web app): it proves itself with PKCE and may only be sent
    back to one of its registered redirect URIs."""

    client_id: str
    redirect_uris: frozenset[str]

    def allows(self, redirect_uri: str) -> bool:
        """Exact match; for a loopback address (127.0.0.1, [::1], localhost over http) any port, as
        RFC 8252 section 7.3 asks, so development servers on any port are accepted."""
        if redirect_uri in self.redirect_uris:
            return True
        given = _without_loopback_port(redirect_uri)
        return given is not None and given in {_without_loopback_port(uri) for uri in self.redirect_uris}

    def check_request(self, redirect_uri: str, code_challenge: str, method: str) -> None:
        if not self.allows(redirect_uri):
            raise InvalidAuthorizationRequest(
                "invalid_request", "redirect_uri is not registered for this client"
            )
        if method != PKCE_METHOD:
            raise InvalidAuthorizationRequest("invalid_request", "code_challenge_method must be S256")
        if len(code_challenge) != 43 or not _PKCE_VALUE.match(code_challenge):
            raise InvalidAuthorizationRequest("invalid_request", "code_challenge must be an S256 challenge")


def _without_loopback_port(uri: str) -> str | None:
    match = re.match(r"^http://(127\.0\.0\.1|\[::1\]|localhost)(?::\d{1,5})?(/[^?#]*)?$", uri)
    if match is None:
        return None
    host = match.group(1)
    if host != "localhost":
        ipaddress.ip_address(host.strip("[]"))
    return f"http://{host}{match.group(2) or '/'}"


def pkce_challenge(verifier: str) -> str:
    """The S256 challenge of a code verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass
class AuthorizationCode:
    """A one-time code (stored only as its hash) bound to a client, a redirect URI and a PKCE challenge."""

    code_hash: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    user_id: uuid.UUID
    scope: frozenset[str] | None  # what the sign-in asked for; None for the role's defaults
    issued_at: dt.datetime
    expires_at: dt.datetime

    def redeemable_by(self, client_id: str, redirect_uri: str, code_verifier: str) -> bool:
        if not _PKCE_VALUE.match(code_verifier):
            return False
        return (
            hmac.compare_digest(self.client_id, client_id)
            and hmac.compare_digest(self.redirect_uri, redirect_uri)
            and hmac.compare_digest(self.code_challenge, pkce_challenge(code_verifier))
        )
