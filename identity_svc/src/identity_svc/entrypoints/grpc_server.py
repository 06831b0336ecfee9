"""gRPC servicer of taquilla.identity.v1.IdentityService: translates protobuf and back, nothing more.

Domain errors become gRPC status codes here, in :class:`ErrorsAsStatus`, and nowhere else.
Invalid fields travel as JSON in the ``x-taquilla-field-errors`` trailer (taquilla_runtime.grpc_errors).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import grpc

from identity_svc.application.handlers import ClientGrant, Contact, Grant, MemberContact, NewApiClient
from identity_svc.application.ports import AuditRecord, PublicKey, UnitOfWork
from identity_svc.domain import commands, errors
from identity_svc.domain.commands import Actor
from identity_svc.domain.model import AUTHORIZATION_CODE_LIFETIME, Organization, User
from identity_svc.entrypoints import protobuf as convert
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime import grpc_errors, scopes
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.grpc_errors import FieldError, NamedProblem, abort_with_field_errors, abort_with_problem
from taquilla_runtime.principal import InvalidPrincipal, Principal
from taquilla_runtime.scopes import ScopePolicy

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["IdentityService"].full_name
# The scope each RPC needs of a user's or API client's token (taquilla_runtime.scopes). Signing in,
# signing out and one's own account need none; GetUserContact and ListOrganizationContacts are for
# other services only (not listed).
SCOPES: ScopePolicy = {
    **dict.fromkeys(
        (
            "RegisterCustomer",
            "IssuePasswordGrant",
            "IssueAuthorizationCode",
            "IssueAuthorizationCodeGrant",
            "IssueRefreshGrant",
            "IssueClientCredentialsGrant",
            "RevokeRefreshToken",
            "GetJwks",
            "GetCurrentUser",
            # One's own account (any signed-in user, whatever the token's scope), and an
            # organization's public name.
            "UpdateMyProfile",
            "ChangeMyPassword",
            "GetOrganization",
        ),
        scopes.PUBLIC,
    ),
    # The administration: the handlers require the admin role and, of an admin's token, the admin
    # scope, so that a refusal is audited like any other (handlers._require_admin).
    **dict.fromkeys(
        (
            "RotateSigningKey",
            "ListUsers",
            "UpdateUser",
            "CreateOrganization",
            "ListOrganizations",
            "CreateApiClient",
            "ListAuditEntries",
        ),
        scopes.PUBLIC,
    ),
}

C = TypeVar("C", bound=commands.Command)
R = TypeVar("R")
# A use case with its dependencies bound: a command and a fresh unit of work in, a result out.
Handler = Callable[[C, UnitOfWork], Awaitable[R]]


@dataclass(frozen=True)
class IdentityHandlers:
    """The use cases the servicer calls; bootstrap binds their clock, hasher, keys and settings."""

    register_customer: Handler[commands.RegisterCustomer, User | None]
    get_current_user: Handler[commands.GetCurrentUser, User]
    issue_password_grant: Handler[commands.IssuePasswordGrant, Grant]
    issue_authorization_code: Handler[commands.IssueAuthorizationCode, str]
    issue_authorization_code_grant: Handler[commands.IssueAuthorizationCodeGrant, Grant]
    issue_refresh_grant: Handler[commands.IssueRefreshGrant, Grant]
    issue_client_credentials_grant: Handler[commands.IssueClientCredentialsGrant, ClientGrant]
    revoke_refresh_token: Handler[commands.RevokeRefreshToken, None]
    get_jwks: Handler[commands.GetJwks, list[PublicKey]]
    rotate_signing_key: Handler[commands.RotateSigningKey, str]
    list_users: Handler[commands.ListUsers, tuple[Sequence[User], str]]
    update_user: Handler[commands.UpdateUser, User]
    create_organization: Handler[commands.CreateOrganization, Organization]
    list_organizations: Handler[commands.ListOrganizations, Sequence[Organization]]
    create_api_client: Handler[commands.CreateApiClient, NewApiClient]
    list_audit_entries: Handler[commands.ListAuditEntries, tuple[Sequence[AuditRecord], str]]
    get_user_contact: Handler[commands.GetUserContact, Contact]
    list_organization_contacts: Handler[commands.ListOrganizationContacts, Sequence[MemberContact]]
    update_my_profile: Handler[commands.UpdateMyProfile, User]
    change_my_password: Handler[commands.ChangeMyPassword, None]
    get_organization: Handler[commands.GetOrganization, Organization]


# Messages are written for callers; the first matching class wins (subclasses come first).
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
    errors.InvalidAuthorizationCode: (
        grpc.StatusCode.UNAUTHENTICATED,
        "The authorization code is invalid, expired or already used.",
    ),
    errors.NotAuthenticated: (grpc.StatusCode.UNAUTHENTICATED, "Authentication required."),
    errors.Forbidden: (grpc.StatusCode.PERMISSION_DENIED, "You may not do this."),
    errors.NotFound: (grpc.StatusCode.NOT_FOUND, "Not found."),
    errors.Overloaded: (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "Too many sign-ins at once; try again in a moment.",
    ),
}


class ErrorsAsStatus(grpc_errors.ErrorsAsStatus):
    """The one mapping of identity's errors to gRPC status codes."""

    async def abort_for(self, context: grpc.aio.ServicerContext, exc: BaseException) -> None:
        match exc:
            case errors.InvalidInput(problems=problems):
                await abort_with_field_errors(
                    context, [FieldError(p.field, p.message, p.code) for p in problems]
                )
            case errors.InvalidAuthorizationRequest(error=error, description=description):
                await abort_with_problem(
                    context,
                    grpc.StatusCode.INVALID_ARGUMENT,
                    description,
                    NamedProblem("invalid-authorization-request", {"error": error}),
                )
            case errors.InsufficientScope(scope=scope):
                await abort_with_problem(
                    context,
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"The access token's scope does not include `{scope}`.",
                    scopes.insufficient_scope(scope),
                )
            case errors.CannotChangeOwnAccount():
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    "Administrators cannot demote or deactivate their own account.",
                    NamedProblem("cannot-change-own-account", {}),
                )
            case errors.IdentityError():
                code, message = next(v for k, v in _STATUS.items() if isinstance(exc, k))
                await context.abort(code, message)


def _actor(context: grpc.aio.ServicerContext) -> Actor | None:
    """The caller the edge verified; a malformed principal counts as anonymous."""
    try:
        return convert.actor_from(Principal.from_metadata(context.invocation_metadata()))
    except InvalidPrincipal:
        return None


class IdentityServicer(identity_service_pb2_grpc.IdentityServiceServicer):
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], handlers: IdentityHandlers) -> None:
        self._uow = unit_of_work
        self._handlers = handlers

    async def RegisterCustomer(
        self, request: pb.RegisterCustomerRequest, context: grpc.aio.ServicerContext
    ) -> pb.RegisterCustomerResponse:
        async with ErrorsAsStatus(context):
            command = commands.RegisterCustomer(
                correlation_id=get_correlation_id(),
                email=request.email,
                password=request.password,
                full_name=request.full_name,
            )
            user = await self._handlers.register_customer(command, self._uow())
            if user is None:  # the email had an account: its owner is told, the caller learns nothing
                return pb.RegisterCustomerResponse()
            return pb.RegisterCustomerResponse(user=convert.user_message(user))

    async def IssuePasswordGrant(
        self, request: pb.IssuePasswordGrantRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssuePasswordGrantResponse:
        async with ErrorsAsStatus(context):
            command = commands.IssuePasswordGrant(
                correlation_id=get_correlation_id(),
                email=request.email,
                password=request.password,
                scope=request.scope,
            )
            grant = await self._handlers.issue_password_grant(command, self._uow())
            return pb.IssuePasswordGrantResponse(grant=convert.grant_message(grant))

    async def IssueAuthorizationCode(
        self, request: pb.IssueAuthorizationCodeRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssueAuthorizationCodeResponse:
        async with ErrorsAsStatus(context):
            command = commands.IssueAuthorizationCode(
                correlation_id=get_correlation_id(),
                email=request.email,
                password=request.password,
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                code_challenge_method=request.code_challenge_method,
                scope=request.scope,
            )
            code = await self._handlers.issue_authorization_code(command, self._uow())
            lifetime = int(AUTHORIZATION_CODE_LIFETIME.total_seconds())
            return pb.IssueAuthorizationCodeResponse(code=code, expires_in=lifetime)

    async def IssueAuthorizationCodeGrant(
        self, request: pb.IssueAuthorizationCodeGrantRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssueAuthorizationCodeGrantResponse:
        async with ErrorsAsStatus(context):
            command = commands.IssueAuthorizationCodeGrant(
                correlation_id=get_correlation_id(),
                code=request.code,
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                code_verifier=request.code_verifier,
            )
            grant = await self._handlers.issue_authorization_code_grant(command, self._uow())
            return pb.IssueAuthorizationCodeGrantResponse(grant=convert.grant_message(grant))

    async def IssueRefreshGrant(
        self, request: pb.IssueRefreshGrantRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssueRefreshGrantResponse:
        async with ErrorsAsStatus(context):
            command = commands.IssueRefreshGrant(
                correlation_id=get_correlation_id(), refresh_token=request.refresh_token, scope=request.scope
            )
            grant = await self._handlers.issue_refresh_grant(command, self._uow())
            return pb.IssueRefreshGrantResponse(grant=convert.grant_message(grant))

    async def IssueClientCredentialsGrant(
        self, request: pb.IssueClientCredentialsGrantRequest, context: grpc.aio.ServicerContext
    ) -> pb.IssueClientCredentialsGrantResponse:
        async with ErrorsAsStatus(context):
            command = commands.IssueClientCredentialsGrant(
                correlation_id=get_correlation_id(),
                client_id=request.client_id,
                client_secret=request.client_secret,
                scope=request.scope,
            )
            grant = await self._handlers.issue_client_credentials_grant(command, self._uow())
            return convert.client_grant_response(grant)

    async def RevokeRefreshToken(
        self, request: pb.RevokeRefreshTokenRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeRefreshTokenResponse:
        async with ErrorsAsStatus(context):
            command = commands.RevokeRefreshToken(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                refresh_token=request.refresh_token,
            )
            await self._handlers.revoke_refresh_token(command, self._uow())
            return pb.RevokeRefreshTokenResponse()

    async def GetJwks(
        self, request: pb.GetJwksRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetJwksResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetJwks(correlation_id=get_correlation_id())
            return convert.jwks_response(await self._handlers.get_jwks(command, self._uow()))

    async def RotateSigningKey(
        self, request: pb.RotateSigningKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.RotateSigningKeyResponse:
        async with ErrorsAsStatus(context):
            command = commands.RotateSigningKey(actor=_actor(context), correlation_id=get_correlation_id())
            kid = await self._handlers.rotate_signing_key(command, self._uow())
            return pb.RotateSigningKeyResponse(kid=kid)

    async def GetCurrentUser(
        self, request: pb.GetCurrentUserRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCurrentUserResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetCurrentUser(actor=_actor(context), correlation_id=get_correlation_id())
            user = await self._handlers.get_current_user(command, self._uow())
            return pb.GetCurrentUserResponse(user=convert.user_message(user))

    async def ListUsers(
        self, request: pb.ListUsersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListUsersResponse:
        async with ErrorsAsStatus(context):
            command = commands.ListUsers(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                role=convert.role_of(request.role) if request.role else None,
                email_contains=request.email_contains,
                page_size=request.page_size,
                page_token=request.page_token,
            )
            users, following = await self._handlers.list_users(command, self._uow())
            return pb.ListUsersResponse(
                users=[convert.user_message(user) for user in users], next_page_token=following
            )

    async def ListOrganizations(
        self, request: pb.ListOrganizationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListOrganizationsResponse:
        async with ErrorsAsStatus(context):
            command = commands.ListOrganizations(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                name_contains=request.name_contains,
                page_size=request.page_size,
            )
            found = await self._handlers.list_organizations(command, self._uow())
            return pb.ListOrganizationsResponse(
                organizations=[convert.organization_message(o) for o in found]
            )

    async def UpdateUser(
        self, request: pb.UpdateUserRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateUserResponse:
        async with ErrorsAsStatus(context):
            set_organization = request.HasField("organization_id")
            command = commands.UpdateUser(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                user_id=convert.uuid_of(request.user_id, "id"),
                role=convert.role_of(request.role) if request.HasField("role") else None,
                active=request.active if request.HasField("active") else None,
                set_organization=set_organization,
                organization_id=convert.optional_uuid_of(request.organization_id, "organization_id")
                if set_organization
                else None,
            )
            user = await self._handlers.update_user(command, self._uow())
            return pb.UpdateUserResponse(user=convert.user_message(user))

    async def CreateOrganization(
        self, request: pb.CreateOrganizationRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateOrganizationResponse:
        async with ErrorsAsStatus(context):
            command = commands.CreateOrganization(
                actor=_actor(context), correlation_id=get_correlation_id(), name=request.name
            )
            organization = await self._handlers.create_organization(command, self._uow())
            return pb.CreateOrganizationResponse(organization=convert.organization_message(organization))

    async def CreateApiClient(
        self, request: pb.CreateApiClientRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateApiClientResponse:
        async with ErrorsAsStatus(context):
            command = commands.CreateApiClient(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                name=request.name,
                scopes=tuple(request.scopes),
                rate_limit_tier=request.rate_limit_tier,
                organization_id=convert.optional_uuid_of(request.organization_id, "organization_id"),
            )
            created = await self._handlers.create_api_client(command, self._uow())
            return convert.new_api_client_response(created)

    async def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        async with ErrorsAsStatus(context):
            command = commands.ListAuditEntries(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                page_size=request.page_size,
                page_token=request.page_token,
                action_prefix=request.action_prefix,
            )
            entries, following = await self._handlers.list_audit_entries(command, self._uow())
            return pb.ListAuditEntriesResponse(
                entries=[convert.audit_entry_message(entry) for entry in entries], next_page_token=following
            )

    async def GetUserContact(
        self, request: pb.GetUserContactRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetUserContactResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetUserContact(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                user_id=convert.uuid_of(request.user_id, "user_id"),
            )
            contact = await self._handlers.get_user_contact(command, self._uow())
            return convert.contact_response(contact)

    async def ListOrganizationContacts(
        self, request: pb.ListOrganizationContactsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListOrganizationContactsResponse:
        async with ErrorsAsStatus(context):
            command = commands.ListOrganizationContacts(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                organization_id=convert.uuid_of(request.organization_id, "organization_id"),
            )
            members = await self._handlers.list_organization_contacts(command, self._uow())
            return convert.organization_contacts_response(members)

    async def UpdateMyProfile(
        self, request: pb.UpdateMyProfileRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateMyProfileResponse:
        async with ErrorsAsStatus(context):
            command = commands.UpdateMyProfile(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                full_name=request.full_name if request.HasField("full_name") else None,
            )
            user = await self._handlers.update_my_profile(command, self._uow())
            return pb.UpdateMyProfileResponse(user=convert.user_message(user))

    async def ChangeMyPassword(
        self, request: pb.ChangeMyPasswordRequest, context: grpc.aio.ServicerContext
    ) -> pb.ChangeMyPasswordResponse:
        async with ErrorsAsStatus(context):
            command = commands.ChangeMyPassword(
                actor=_actor(context),
                correlation_id=get_correlation_id(),
                current_password=request.current_password,
                new_password=request.new_password,
                refresh_token=request.refresh_token,
            )
            await self._handlers.change_my_password(command, self._uow())
            return pb.ChangeMyPasswordResponse()

    async def GetOrganization(
        self, request: pb.GetOrganizationRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetOrganizationResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetOrganization(
                correlation_id=get_correlation_id(),
                organization_id=convert.uuid_of(request.organization_id, "organization_id"),
            )
            organization = await self._handlers.get_organization(command, self._uow())
            return pb.GetOrganizationResponse(organization=convert.organization_message(organization))
