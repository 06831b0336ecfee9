"""gRPC servicer of taquilla.identity.v1.IdentityService: translates protobuf and back.

Domain errors are mapped to gRPC status here, once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc

from identity_svc.application import handlers
from identity_svc.application.handlers import Deps, Grant
from identity_svc.domain import errors
from identity_svc.domain.model import Organization, User
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime.grpc_errors import FieldError, abort_with_field_errors
from taquilla_runtime.principal import InvalidPrincipal, Principal, Role
from taquilla_runtime.timestamps import to_optional_timestamp

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["IdentityService"].full_name

_ROLE_TO_PB = {
    Role.ADMIN: pb.ROLE_ADMIN,
    Role.ORGANIZER: pb.ROLE_ORGANIZER,
    Role.CUSTOMER: pb.ROLE_CUSTOMER,
    Role.STAFF: pb.ROLE_STAFF,
}
_PB_TO_ROLE: dict[int, Role] = {int(value): key for key, value in _ROLE_TO_PB.items()}
_STATUS: dict[type[errors.IdentityError], tuple[grpc.StatusCode, str]] = {
    errors.EmailTaken: (grpc.StatusCode.ALREADY_EXISTS, "An account with this email already exists."),
    errors.OrganizationNameTaken: (
        grpc.StatusCode.ALREADY_EXISTS,
        "An organization with this name already exists.",
    ),
    errors.InvalidCredentials: (grpc.StatusCode.UNAUTHENTICATED, "Invalid email or password."),
    errors.InvalidClient: (grpc.StatusCode.UNAUTHENTICATED, "Invalid client credentials."),
    errors.RefreshTokenReused: (grpc.StatusCode.UNAUTHENTICATED, "The refresh token was already used."),
    errors.InvalidRefreshToken: (grpc.StatusCode.UNAUTHENTICATED, "The refresh token is invalid or expired."),
    errors.InvalidScope: (grpc.StatusCode.INVALID_ARGUMENT, "A requested scope is not allowed."),
    errors.NotAuthenticated: (grpc.StatusCode.UNAUTHENTICATED, "Authentication required."),
    errors.Forbidden: (grpc.StatusCode.PERMISSION_DENIED, "You may not do this."),
    errors.NotFound: (grpc.StatusCode.NOT_FOUND, "Not found."),
}


def user_to_pb(user: User) -> pb.User:
    return pb.User(
        id=str(user.id),
        email=user.email,
        full_name=user.full_name,
        role=_ROLE_TO_PB[user.role],
        organization_id=str(user.organization_id or ""),
        active=user.active,
        created_at=to_optional_timestamp(user.created_at),
        last_login_at=to_optional_timestamp(user.last_login_at),
    )


def organization_to_pb(organization: Organization) -> pb.Organization:
    return pb.Organization(
        id=str(organization.id),
        name=organization.name,
        created_at=to_optional_timestamp(organization.created_at),
    )


def grant_to_pb(grant: Grant) -> pb.TokenGrant:
    return pb.TokenGrant(
        access_token=grant.access_token,
        token_type="Bearer",  # noqa: S106 (the OAuth token type, not a secret)
        expires_in=grant.expires_in,
        refresh_token=grant.refresh_token,
        scope=" ".join(sorted(grant.scope)),
    )


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise errors.InvalidInput([errors.FieldProblem(field, "must be a UUID")]) from None


def _role(value: int) -> Role:
    try:
        return _PB_TO_ROLE[value]
    except KeyError:
        raise errors.InvalidInput([errors.FieldProblem("role", "unknown role")]) from None


@asynccontextmanager
async def translated(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """Turns domain errors into gRPC status codes with messages written for callers."""
    try:
        yield
    except errors.InvalidInput as exc:
        await abort_with_field_errors(context, [FieldError(p.field, p.message) for p in exc.problems])
    except errors.IdentityError as exc:
        code, message = next(v for k, v in _STATUS.items() if isinstance(exc, k))
        await context.abort(code, message)


def _principal(context: grpc.aio.ServicerContext) -> Principal | None:
    try:
        return Principal.from_metadata(context.invocation_metadata())
    except InvalidPrincipal:
        return None


class IdentityServicer(identity_service_pb2_grpc.IdentityServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def RegisterCustomer(
        self, request: pb.RegisterCustomerRequest, context: grpc.aio.ServicerContext
    ) -> pb.RegisterCustomerResponse:
        async with translated(context):
            user = await handlers.register_customer(
                self._deps, email=request.email, password=request.password, full_name=request.full_name
            )
            return pb.RegisterCustomerResponse(user=user_to_pb(user))
        raise AssertionError("unreachable")

    async def IssuePasswordGrant(
        self, request: pb.IssuePasswordGrantRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssuePasswordGrantResponse:
        async with translated(context):
            grant = await handlers.password_grant(
                self._deps, email=request.email, password=request.password, scope=request.scope
            )
            return pb.IssuePasswordGrantResponse(grant=grant_to_pb(grant))
        raise AssertionError("unreachable")

    async def IssueRefreshGrant(
        self, request: pb.IssueRefreshGrantRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssueRefreshGrantResponse:
        async with translated(context):
            grant = await handlers.refresh_grant(self._deps, refresh_token=request.refresh_token)
            return pb.IssueRefreshGrantResponse(grant=grant_to_pb(grant))
        raise AssertionError("unreachable")

    async def IssueClientCredentialsGrant(
        self, request: pb.IssueClientCredentialsGrantRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssueClientCredentialsGrantResponse:
        async with translated(context):
            grant, tier = await handlers.client_credentials_grant(
                self._deps,
                client_id=request.client_id,
                client_secret=request.client_secret,
                scope=request.scope,
            )
            return pb.IssueClientCredentialsGrantResponse(grant=grant_to_pb(grant), rate_limit_tier=tier)
        raise AssertionError("unreachable")

    async def RevokeRefreshToken(
        self, request: pb.RevokeRefreshTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeRefreshTokenResponse:
        async with translated(context):
            await handlers.revoke_refresh_token(
                self._deps, _principal(context), refresh_token=request.refresh_token
            )
            return pb.RevokeRefreshTokenResponse()
        raise AssertionError("unreachable")

    async def GetJwks(
        self, request: pb.GetJwksRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetJwksResponse:
        keys = await handlers.jwks(self._deps)
        return pb.GetJwksResponse(keys=[pb.JsonWebKey(**key) for key in keys])

    async def RotateSigningKey(
        self, request: pb.RotateSigningKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.RotateSigningKeyResponse:
        async with translated(context):
            return pb.RotateSigningKeyResponse(
                kid=await handlers.rotate_signing_key(self._deps, _principal(context))
            )
        raise AssertionError("unreachable")

    async def GetCurrentUser(
        self, request: pb.GetCurrentUserRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCurrentUserResponse:
        async with translated(context):
            return pb.GetCurrentUserResponse(
                user=user_to_pb(await handlers.current_user(self._deps, _principal(context)))
            )
        raise AssertionError("unreachable")

    async def ListUsers(
        self, request: pb.ListUsersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListUsersResponse:
        async with translated(context):
            users, cursor = await handlers.list_users(
                self._deps,
                _principal(context),
                role=_role(request.role) if request.role else None,
                email_contains=request.email_contains,
                page_size=request.page_size,
                page_token=request.page_token,
            )
            return pb.ListUsersResponse(users=[user_to_pb(u) for u in users], next_page_token=cursor)
        raise AssertionError("unreachable")

    async def UpdateUser(
        self, request: pb.UpdateUserRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateUserResponse:
        async with translated(context):
            set_org = request.HasField("organization_id")
            user = await handlers.update_user(
                self._deps,
                _principal(context),
                user_id=_uuid(request.user_id, "id"),
                role=_role(request.role) if request.HasField("role") else None,
                active=request.active if request.HasField("active") else None,
                set_organization=set_org,
                organization_id=_uuid(request.organization_id, "organization_id")
                if set_org and request.organization_id
                else None,
            )
            return pb.UpdateUserResponse(user=user_to_pb(user))
        raise AssertionError("unreachable")

    async def CreateOrganization(
        self, request: pb.CreateOrganizationRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateOrganizationResponse:
        async with translated(context):
            organization = await handlers.create_organization(
                self._deps, _principal(context), name=request.name
            )
            return pb.CreateOrganizationResponse(organization=organization_to_pb(organization))
        raise AssertionError("unreachable")

    async def CreateApiClient(
        self, request: pb.CreateApiClientRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateApiClientResponse:
        async with translated(context):
            created = await handlers.create_api_client(
                self._deps,
                _principal(context),
                name=request.name,
                scopes=list(request.scopes),
                rate_limit_tier=request.rate_limit_tier,
                organization_id=_uuid(request.organization_id, "organization_id")
                if request.organization_id
                else None,
            )
            return pb.CreateApiClientResponse(
                client_id=created.client_id,
                client_secret=created.client_secret,
                scopes=sorted(created.scopes),
                rate_limit_tier=created.rate_limit_tier,
            )
        raise AssertionError("unreachable")

    async def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        async with translated(context):
            entries, cursor = await handlers.list_audit(
                self._deps,
                _principal(context),
                page_size=request.page_size,
                page_token=request.page_token,
                action_prefix=request.action_prefix,
            )
            return pb.ListAuditEntriesResponse(
                entries=[
                    pb.AuditEntry(
                        id=e.id,
                        occurred_at=to_optional_timestamp(e.occurred_at),
                        actor=e.actor,
                        action=e.action,
                        target=e.target,
                        correlation_id=e.correlation_id,
                        outcome=e.outcome,
                    )
                    for e in entries
                ],
                next_page_token=cursor,
            )
        raise AssertionError("unreachable")

    async def GetUserContact(
        self, request: pb.GetUserContactRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetUserContactResponse:
        async with translated(context):
            contact = await handlers.user_contact(
                self._deps, _principal(context), user_id=_uuid(request.user_id, "user_id")
            )
            return pb.GetUserContactResponse(
                email=contact.email, full_name=contact.full_name, locale=contact.locale, active=contact.active
            )
        raise AssertionError("unreachable")
