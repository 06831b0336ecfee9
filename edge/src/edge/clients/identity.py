"""Typed client of taquilla.identity.v1.IdentityService, with deadlines on every call."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime.principal import Principal

ROLE_TO_PB = {
    "admin": pb.ROLE_ADMIN,
    "organizer": pb.ROLE_ORGANIZER,
    "customer": pb.ROLE_CUSTOMER,
    "staff": pb.ROLE_STAFF,
}
PB_TO_ROLE = {value: key for key, value in ROLE_TO_PB.items()}


def _metadata(principal: Principal | None) -> Sequence[tuple[str, str]]:
    return (principal.to_metadata(),) if principal else ()


class IdentityClient:
    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self._stub = identity_service_pb2_grpc.IdentityServiceStub(channel)
        self._deadline = deadline

    async def register_customer(self, email: str, password: str, full_name: str) -> pb.User | None:
        """The new account, or None when the address already had one (its owner is e-mailed)."""
        reply: pb.RegisterCustomerResponse = await self._stub.RegisterCustomer(
            pb.RegisterCustomerRequest(email=email, password=password, full_name=full_name),
            timeout=self._deadline,
        )
        return reply.user if reply.HasField("user") else None

    async def password_grant(self, email: str, password: str, scope: str) -> pb.TokenGrant:
        reply: pb.IssuePasswordGrantResponse = await self._stub.IssuePasswordGrant(
            pb.IssuePasswordGrantRequest(email=email, password=password, scope=scope), timeout=self._deadline
        )
        return reply.grant

    async def authorization_code(
        self,
        email: str,
        password: str,
        *,
        client_id: str,
        redirect_uri: str,
        code_challenge: str,
        code_challenge_method: str,
        scope: str,
    ) -> pb.IssueAuthorizationCodeResponse:
        reply: pb.IssueAuthorizationCodeResponse = await self._stub.IssueAuthorizationCode(
            pb.IssueAuthorizationCodeRequest(
                email=email,
                password=password,
                client_id=client_id,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                scope=scope,
            ),
            timeout=self._deadline,
        )
        return reply

    async def authorization_code_grant(
        self, code: str, *, client_id: str, redirect_uri: str, code_verifier: str
    ) -> pb.TokenGrant:
        reply: pb.IssueAuthorizationCodeGrantResponse = await self._stub.IssueAuthorizationCodeGrant(
            pb.IssueAuthorizationCodeGrantRequest(
                code=code, client_id=client_id, redirect_uri=redirect_uri, code_verifier=code_verifier
            ),
            timeout=self._deadline,
        )
        return reply.grant

    async def refresh_grant(self, refresh_token: str, scope: str = "") -> pb.TokenGrant:
        reply: pb.IssueRefreshGrantResponse = await self._stub.IssueRefreshGrant(
            pb.IssueRefreshGrantRequest(refresh_token=refresh_token, scope=scope), timeout=self._deadline
        )
        return reply.grant

    async def client_credentials_grant(self, client_id: str, client_secret: str, scope: str) -> pb.TokenGrant:
        reply: pb.IssueClientCredentialsGrantResponse = await self._stub.IssueClientCredentialsGrant(
            pb.IssueClientCredentialsGrantRequest(
                client_id=client_id, client_secret=client_secret, scope=scope
            ),
            timeout=self._deadline,
        )
        return reply.grant

    async def revoke_refresh_token(self, principal: Principal | None, refresh_token: str) -> None:
        await self._stub.RevokeRefreshToken(
            pb.RevokeRefreshTokenRequest(refresh_token=refresh_token),
            metadata=_metadata(principal),
            timeout=self._deadline,
        )

    async def jwks(self) -> list[dict[str, str]]:
        reply: pb.GetJwksResponse = await self._stub.GetJwks(pb.GetJwksRequest(), timeout=self._deadline)
        return [
            {"kid": k.kid, "kty": k.kty, "crv": k.crv, "x": k.x, "alg": k.alg, "use": k.use}
            for k in reply.keys
        ]

    async def rotate_signing_key(self, principal: Principal) -> str:
        reply: pb.RotateSigningKeyResponse = await self._stub.RotateSigningKey(
            pb.RotateSigningKeyRequest(), metadata=_metadata(principal), timeout=self._deadline
        )
        return str(reply.kid)

    async def current_user(self, principal: Principal) -> pb.User:
        reply: pb.GetCurrentUserResponse = await self._stub.GetCurrentUser(
            pb.GetCurrentUserRequest(), metadata=_metadata(principal), timeout=self._deadline
        )
        return reply.user

    async def update_my_profile(self, principal: Principal, *, full_name: str | None) -> pb.User:
        request = pb.UpdateMyProfileRequest()
        if full_name is not None:
            request.full_name = full_name
        reply: pb.UpdateMyProfileResponse = await self._stub.UpdateMyProfile(
            request, metadata=_metadata(principal), timeout=self._deadline
        )
        return reply.user

    async def change_my_password(
        self, principal: Principal, *, current_password: str, new_password: str, refresh_token: str
    ) -> None:
        request = pb.ChangeMyPasswordRequest(
            current_password=current_password, new_password=new_password, refresh_token=refresh_token
        )
        await self._stub.ChangeMyPassword(request, metadata=_metadata(principal), timeout=self._deadline)

    async def get_organization(self, organization_id: str) -> pb.Organization:
        reply: pb.GetOrganizationResponse = await self._stub.GetOrganization(
            pb.GetOrganizationRequest(organization_id=organization_id), timeout=self._deadline
        )
        return reply.organization

    async def list_users(
        self, principal: Principal, *, role: str | None, email: str, limit: int, cursor: str
    ) -> pb.ListUsersResponse:
        request = pb.ListUsersRequest(
            role=ROLE_TO_PB[role] if role else pb.ROLE_UNSPECIFIED,
            email_contains=email,
            page_size=limit,
            page_token=cursor,
        )
        reply: pb.ListUsersResponse = await self._stub.ListUsers(
            request, metadata=_metadata(principal), timeout=self._deadline
        )
        return reply

    async def update_user(
        self,
        principal: Principal,
        user_id: str,
        *,
        role: str | None,
        active: bool | None,
        set_organization: bool,
        organization_id: str | None,
    ) -> pb.User:
        request = pb.UpdateUserRequest(user_id=user_id)
        if role is not None:
            request.role = ROLE_TO_PB[role]
        if active is not None:
            request.active = active
        if set_organization:
            request.organization_id = organization_id or ""
        reply: pb.UpdateUserResponse = await self._stub.UpdateUser(
            request, metadata=_metadata(principal), timeout=self._deadline
        )
        return reply.user

    async def create_organization(self, principal: Principal, name: str) -> pb.Organization:
        reply: pb.CreateOrganizationResponse = await self._stub.CreateOrganization(
            pb.CreateOrganizationRequest(name=name), metadata=_metadata(principal), timeout=self._deadline
        )
        return reply.organization

    async def list_organizations(
        self, principal: Principal, *, name: str, limit: int
    ) -> list[pb.Organization]:
        reply: pb.ListOrganizationsResponse = await self._stub.ListOrganizations(
            pb.ListOrganizationsRequest(name_contains=name, page_size=limit),
            metadata=_metadata(principal),
            timeout=self._deadline,
        )
        return list(reply.organizations)

    async def create_api_client(
        self, principal: Principal, *, name: str, scopes: list[str], tier: str, organization_id: str | None
    ) -> pb.CreateApiClientResponse:
        reply: pb.CreateApiClientResponse = await self._stub.CreateApiClient(
            pb.CreateApiClientRequest(
                name=name, scopes=scopes, rate_limit_tier=tier, organization_id=organization_id or ""
            ),
            metadata=_metadata(principal),
            timeout=self._deadline,
        )
        return reply
