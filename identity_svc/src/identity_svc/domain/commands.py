"""What callers ask identity to do (imperative), with their raw, not yet validated, inputs.

Every command carries the request's correlation id, which the audit rows it writes carry on.
Commands that act for someone carry the verified caller (``actor``, None when anonymous).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from identity_svc.domain.model import Role


class ActorKind(enum.StrEnum):
    USER = "user"
    CLIENT = "client"  # a partner's API client (OAuth client_credentials)
    SERVICE = "service"  # another Taquilla service calling on its own behalf


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, as the edge verified it (entrypoints/protobuf.py builds it from the principal)."""

    subject: uuid.UUID
    kind: ActorKind
    role: Role | None = None
    organization_id: uuid.UUID | None = None
    # The access token's scopes; None when the caller is not limited by a token's scope.
    scopes: frozenset[str] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_service(self) -> bool:
        return self.kind is ActorKind.SERVICE


@dataclass(frozen=True, kw_only=True)
class Command:
    correlation_id: str | None = None


# ---------------------------------------------------------------- accounts


@dataclass(frozen=True, kw_only=True)
class RegisterCustomer(Command):
    email: str
    password: str
    full_name: str


@dataclass(frozen=True, kw_only=True)
class GetCurrentUser(Command):
    actor: Actor | None


# ---------------------------------------------------------------- tokens and keys


@dataclass(frozen=True, kw_only=True)
class IssuePasswordGrant(Command):
    email: str
    password: str
    # Space-separated; empty asks for everything the account's role may have.
    scope: str = ""


@dataclass(frozen=True, kw_only=True)
class IssueAuthorizationCode(Command):
    """The user signed in on the platform's sign-in page for a public client (RFC 6749 4.1.1)."""

    email: str
    password: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    scope: str = ""


@dataclass(frozen=True, kw_only=True)
class IssueAuthorizationCodeGrant(Command):
    """The client exchanges its code and PKCE verifier for tokens (RFC 6749 4.1.3, RFC 7636 4.5)."""

    code: str
    client_id: str
    redirect_uri: str
    code_verifier: str


@dataclass(frozen=True, kw_only=True)
class IssueRefreshGrant(Command):
    refresh_token: str
    # Space-separated; narrows this access token only (RFC 6749 section 6). Empty: the family's scope.
    scope: str = ""


@dataclass(frozen=True, kw_only=True)
class IssueClientCredentialsGrant(Command):
    client_id: str
    client_secret: str
    scope: str = ""


@dataclass(frozen=True, kw_only=True)
class RevokeRefreshToken(Command):
    """A logout: revokes the token's whole family when the caller owns it (or is anonymous)."""

    actor: Actor | None
    refresh_token: str


@dataclass(frozen=True, kw_only=True)
class GetJwks(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class RotateSigningKey(Command):
    actor: Actor | None


# ---------------------------------------------------------------- administration


@dataclass(frozen=True, kw_only=True)
class ListUsers(Command):
    actor: Actor | None
    role: Role | None = None
    email_contains: str = ""
    # 0 asks for the default page size.
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True, kw_only=True)
class ListOrganizations(Command):
    actor: Actor | None
    name_contains: str = ""
    # 0 asks for the default number.
    page_size: int = 0


@dataclass(frozen=True, kw_only=True)
class UpdateUser(Command):
    """A partial change: None leaves role and active as they are; the organization changes only when
    ``set_organization`` (to ``organization_id``, None removing it)."""

    actor: Actor | None
    user_id: uuid.UUID
    role: Role | None = None
    active: bool | None = None
    set_organization: bool = False
    organization_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class CreateOrganization(Command):
    actor: Actor | None
    name: str


@dataclass(frozen=True, kw_only=True)
class CreateApiClient(Command):
    actor: Actor | None
    name: str
    scopes: tuple[str, ...]
    # Empty means "standard".
    rate_limit_tier: str = ""
    organization_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class ListAuditEntries(Command):
    actor: Actor | None
    page_size: int = 0
    page_token: str = ""
    action_prefix: str = ""


@dataclass(frozen=True, kw_only=True)
class UpdateMyProfile(Command):
    """The caller changes their own profile; None leaves a field as it is."""

    actor: Actor | None
    full_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeMyPassword(Command):
    actor: Actor | None
    current_password: str
    new_password: str
    # The caller's refresh token: its family survives, every other one of the user is revoked.
    refresh_token: str = ""


@dataclass(frozen=True, kw_only=True)
class GetOrganization(Command):
    organization_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class GetUserContact(Command):
    """Internal: how to reach a user; only other services may ask."""

    actor: Actor | None
    user_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ListOrganizationContacts(Command):
    """Internal: how to reach an organization's active organizers; only other services may ask."""

    actor: Actor | None
    organization_id: uuid.UUID
