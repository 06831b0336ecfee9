"""Typed domain errors; the servicer maps each to one gRPC status."""

from __future__ import annotations

from dataclasses import dataclass


class IdentityError(Exception):
    """Base of every identity domain error."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str
    # A stable word clients translate (the message is English): see FieldErrorOut at the edge.
    code: str = "invalid"


class InvalidInput(IdentityError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class EmailTaken(IdentityError):
    pass


class OrganizationNameTaken(IdentityError):
    pass


class InvalidCredentials(IdentityError):
    """Wrong email or password, inactive or locked account: one message for all, no enumeration."""


class InvalidClient(IdentityError):
    """Unknown API client or wrong secret."""


class InvalidScope(IdentityError):
    pass


class InvalidAuthorizationRequest(IdentityError):
    """An authorization request the client got wrong (RFC 6749 section 4.1.2.1): ``error`` is the
    OAuth error code (``unauthorized_client``, ``invalid_request``)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class InvalidAuthorizationCode(IdentityError):
    """Unknown, expired or used code, or one issued to another client, redirect URI or verifier."""


class InvalidRefreshToken(IdentityError):
    pass


class RefreshTokenReused(InvalidRefreshToken):
    """A spent refresh token came back: its family is revoked."""


class NotAuthenticated(IdentityError):
    pass


class Forbidden(IdentityError):
    pass


class InsufficientScope(Forbidden):
    """The caller may do this, but the access token was asked for without the scope it needs."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"the access token's scope does not include {scope}")
        self.scope = scope


class NotFound(IdentityError):
    pass


class CannotChangeOwnAccount(IdentityError):
    """An administrator tried to demote or deactivate their own account: someone must stay in charge."""


class Overloaded(IdentityError):
    """Too many passwords are being checked at once: the request is shed, to be retried shortly."""
