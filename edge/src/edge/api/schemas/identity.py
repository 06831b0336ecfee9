"""Bodies of the auth, users and admin routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from edge.api.schemas.base import Strict
from edge.clients.identity import PB_TO_ROLE
from taquilla.identity.v1 import identity_service_pb2 as pb

RoleName = Literal["admin", "organizer", "customer", "staff"]


class UserRegister(Strict):
    email: str = Field(max_length=254, examples=["ana.gomez@example.com"])
    password: str = Field(
        max_length=128,
        examples=["Marea-Cobalto-Faro-2026"],
        description="At least 12 characters; common passwords are refused.",
    )
    full_name: str = Field(max_length=200, examples=["Ana Gómez"])


REGISTRATION_ACCEPTED = (
    "Sign in with your e-mail and password. If this address already had an account, nothing was "
    "changed and its owner was sent an e-mail instead."
)


class RegistrationAccepted(BaseModel):
    """The answer to every valid sign-up, whether or not the address already had an account."""

    status: Literal["accepted"] = "accepted"
    detail: str = Field(default=REGISTRATION_ACCEPTED, examples=[REGISTRATION_ACCEPTED])


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: RoleName
    organization_id: uuid.UUID | None
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None

    @classmethod
    def from_pb(cls, user: pb.User) -> UserPublic:
        return cls(
            id=uuid.UUID(user.id),
            email=user.email,
            full_name=user.full_name,
            role=PB_TO_ROLE[user.role],
            organization_id=uuid.UUID(user.organization_id) if user.organization_id else None,
            active=user.active,
            created_at=user.created_at.ToDatetime(tzinfo=dt.UTC),
            last_login_at=user.last_login_at.ToDatetime(tzinfo=dt.UTC)
            if user.HasField("last_login_at")
            else None,
        )


class ProfileUpdate(Strict):
    """A change to one's own profile; absent fields stay as they are."""

    full_name: str | None = Field(default=None, max_length=200, examples=["Ana María Gómez"])


class PasswordChange(Strict):
    current_password: str = Field(max_length=128, description="The password you sign in with now.")
    new_password: str = Field(
        max_length=128,
        examples=["Niebla-Granate-Muelle-2026"],
        description="At least 12 characters; common passwords are refused (as at sign-up).",
    )
    refresh_token: str | None = Field(
        default=None,
        max_length=512,
        description="Your current refresh token: this session stays signed in, every other one ends.",
    )


class UserPage(BaseModel):
    items: list[UserPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class UserUpdate(Strict):
    role: RoleName | None = None
    active: bool | None = Field(default=None, strict=True)
    organization_id: uuid.UUID | None = Field(
        default=None, description="The user's organization; `null` removes it. Omit to leave it unchanged."
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (OAuth token type)
    expires_in: int = Field(examples=[900])
    refresh_token: str | None = None
    scope: str = Field(examples=["events:read tickets:read"])


class AuthorizationGranted(BaseModel):
    """The sign-in page's answer (RFC 6749 4.1.2): send the client to `redirect_to`, or hand `code`
    and `state` to it directly when the sign-in page is the client (the web app)."""

    code: str = Field(description="One-time authorization code, valid `expires_in` seconds")
    state: str | None = Field(default=None, description="The `state` the client sent, unchanged")
    expires_in: int = Field(examples=[60])
    redirect_to: str = Field(description="`redirect_uri` with `code` and `state` in its query")


class OAuthError(BaseModel):
    error: Literal[
        "access_denied",
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "unsupported_response_type",
        "invalid_scope",
        "temporarily_unavailable",
    ]
    error_description: str | None = None


class LogoutRequest(Strict):
    refresh_token: str | None = Field(default=None, max_length=512)


class OrganizationCreate(Strict):
    name: str = Field(max_length=200, examples=["Producciones del Caribe"])


class OrganizationPublic(BaseModel):
    id: uuid.UUID
    name: str
    created_at: dt.datetime


class OrganizationName(BaseModel):
    """An organization's public face: who organizes an event."""

    id: uuid.UUID
    name: str


class OrganizationList(BaseModel):
    """Organizations matching a search, by name (at most ``limit``)."""

    items: list[OrganizationPublic]


class ApiClientCreate(Strict):
    name: str = Field(max_length=200, examples=["Partner ticket reseller"])
    scopes: list[Literal["events:read", "events:write", "tickets:read", "tickets:write", "checkin"]] = Field(
        min_length=1, max_length=5, examples=[["events:read"]]
    )
    rate_limit_tier: Literal["standard", "partner"] = "standard"
    organization_id: uuid.UUID | None = None


class ApiClientCreated(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown only now; store it safely.")
    scopes: list[str]
    rate_limit_tier: str


class SigningKeyRotated(BaseModel):
    kid: str
