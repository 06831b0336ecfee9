"""Sign-up, OAuth 2.0 token endpoint (RFC 6749), logout, and the OpenID discovery documents."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote_plus

import grpc
from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import JSONResponse

from edge.api.deps import CurrentToken, EdgeState, State
from edge.api.problems import UNAUTHENTICATED, problem
from edge.api.schemas.identity import (
    LogoutRequest,
    OAuthError,
    RegistrationAccepted,
    TokenResponse,
    UserRegister,
)
from edge.errors import OAUTH_TOKEN_PATH, Problem
from taquilla.identity.v1 import identity_service_pb2 as pb

router = APIRouter(tags=["auth"])

TOKEN_ENDPOINT = OAUTH_TOKEN_PATH
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post(
    "/api/v1/auth/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegistrationAccepted,
    summary="Create a customer account",
    description="Self-service sign-up. The account is a `customer`; only administrators grant other roles. "
    "Passwords need at least 12 characters and may not be common ones.\n\n"
    "Every valid request answers `202` with the same body, whether or not the address already has an "
    "account, so sign-up never tells who has one: a new address gets its account at once (sign in with "
    "`POST /api/v1/auth/token`); an address that has one is left as it is and its owner gets an e-mail "
    "saying someone tried to register with it.",
    responses={
        422: problem("Invalid fields (weak password, malformed email, unknown fields)"),
    },
)
async def register(body: UserRegister, state: State) -> RegistrationAccepted:
    await state.identity.register_customer(body.email, body.password, body.full_name)
    return RegistrationAccepted()


def _oauth_error(
    code: str, description: str, status_code: int = 400, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": code, "error_description": description},
        status_code=status_code,
        headers={**NO_STORE, **(headers or {})},
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    return unquote_plus(client_id), unquote_plus(secret)


def _grant_body(grant: pb.TokenGrant) -> dict[str, Any]:
    body = TokenResponse(
        access_token=grant.access_token,
        expires_in=grant.expires_in,
        refresh_token=grant.refresh_token or None,
        scope=grant.scope,
    )
    return body.model_dump(exclude_none=True)


class _OAuthFailure(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def _invalid_client(description: str) -> _OAuthFailure:
    return _OAuthFailure(
        _oauth_error("invalid_client", description, 401, {"WWW-Authenticate": 'Basic realm="taquilla"'})
    )


async def _password(state: EdgeState, form: TokenForm, request: Request) -> pb.TokenGrant:
    if not form.username or not form.password:
        raise _OAuthFailure(_oauth_error("invalid_request", "username and password are required"))
    return await state.identity.password_grant(form.username, form.password, form.scope or "")


async def _refresh(state: EdgeState, form: TokenForm, request: Request) -> pb.TokenGrant:
    if not form.refresh_token:
        raise _OAuthFailure(_oauth_error("invalid_request", "refresh_token is required"))
    return await state.identity.refresh_grant(form.refresh_token)


async def _client_credentials(state: EdgeState, form: TokenForm, request: Request) -> pb.TokenGrant:
    basic = _basic_credentials(request)
    client_id, secret = basic if basic is not None else (form.client_id or "", form.client_secret or "")
    if not client_id or not secret:
        raise _invalid_client("client authentication is required")
    try:
        return await state.identity.client_credentials_grant(client_id, secret, form.scope or "")
    except grpc.aio.AioRpcError as exc:
        if exc.code() is grpc.StatusCode.UNAUTHENTICATED:
            raise _invalid_client("unknown client or wrong secret") from None
        raise


GRANTS: dict[str, Callable[[EdgeState, TokenForm, Request], Awaitable[pb.TokenGrant]]] = {
    "password": _password,
    "refresh_token": _refresh,
    "client_credentials": _client_credentials,
}
_GRPC_TO_OAUTH = {
    grpc.StatusCode.UNAUTHENTICATED: ("invalid_grant", 400),
    grpc.StatusCode.INVALID_ARGUMENT: ("invalid_scope", 400),
    grpc.StatusCode.UNAVAILABLE: ("temporarily_unavailable", 503),
    grpc.StatusCode.DEADLINE_EXCEEDED: ("temporarily_unavailable", 503),
    # identity_svc sheds sign-ins while too many passwords are being checked.
    grpc.StatusCode.RESOURCE_EXHAUSTED: ("temporarily_unavailable", 503),
}


@dataclass(frozen=True)
class TokenForm:
    grant_type: str | None
    username: str | None
    password: str | None
    refresh_token: str | None
    scope: str | None
    client_id: str | None
    client_secret: str | None


@router.post(
    TOKEN_ENDPOINT,
    response_model=TokenResponse,
    summary="Get tokens (OAuth 2.0)",
    description="RFC 6749 token endpoint with a form body. `grant_type=password` (`username` is the email, "
    "`password`), `grant_type=refresh_token` (`refresh_token`; it rotates: use the new one next time, a "
    "reused token revokes the whole session), `grant_type=client_credentials` (partner API clients: "
    "HTTP Basic or `client_id` + `client_secret`). Errors use RFC 6749 bodies, not problem+json.",
    responses={
        400: {
            "model": OAuthError,
            "description": "invalid_request, invalid_grant, unsupported_grant_type, invalid_scope",
        },
        401: {"model": OAuthError, "description": "invalid_client"},
    },
)
async def token(
    request: Request,
    state: State,
    grant_type: Annotated[str | None, Form(max_length=64)] = None,
    username: Annotated[str | None, Form(max_length=320)] = None,
    password: Annotated[str | None, Form(max_length=1024)] = None,
    refresh_token: Annotated[str | None, Form(max_length=1024)] = None,
    scope: Annotated[str | None, Form(max_length=512)] = None,
    client_id: Annotated[str | None, Form(max_length=128)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> Response:
    form = TokenForm(grant_type, username, password, refresh_token, scope, client_id, client_secret)
    if not grant_type:
        return _oauth_error("invalid_request", "grant_type is required")
    issue = GRANTS.get(grant_type)
    if issue is None:
        return _oauth_error("unsupported_grant_type", "use password, refresh_token or client_credentials")
    try:
        grant = await issue(state, form, request)
    except _OAuthFailure as failure:
        return failure.response
    except grpc.aio.AioRpcError as exc:
        mapped = _GRPC_TO_OAUTH.get(exc.code())
        if mapped is None:
            raise
        code, status_code = mapped
        headers = {"Retry-After": "1"} if status_code == 503 else None
        description = exc.details() if status_code == 400 else "try again shortly"
        return _oauth_error(code, description or code, status_code, headers)
    return JSONResponse(_grant_body(grant), headers=NO_STORE)


@router.post(
    "/api/v1/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out",
    description="Revokes the access token used for this call at once and, when `refresh_token` is sent, "
    "the whole refresh-token family (every device of this sign-in).",
    responses=UNAUTHENTICATED,
)
async def logout(token: CurrentToken, state: State, body: LogoutRequest | None = None) -> Response:
    if body and body.refresh_token:
        await state.identity.revoke_refresh_token(token.principal, body.refresh_token)
    try:
        await state.guard.revocations.revoke(token.jti, token.expires_at)
    except Exception:  # Redis away: the access token then lives out its 15 minutes
        raise Problem(503, "Sign-out could not be completed; try again shortly.") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens (JWKS)")
async def jwks(state: State) -> JSONResponse:
    keys = await state.jwks.public_jwks()
    return JSONResponse({"keys": keys}, headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/openid-configuration", summary="OpenID Connect discovery document")
async def openid_configuration(state: State) -> dict[str, Any]:
    base = state.settings.public_url.rstrip("/")
    return {
        "issuer": state.settings.issuer,
        "token_endpoint": f"{base}{TOKEN_ENDPOINT}",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "userinfo_endpoint": f"{base}/api/v1/users/me",
        "registration_endpoint": f"{base}/api/v1/auth/register",
        "grant_types_supported": ["password", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "scopes_supported": ["events:read", "events:write", "tickets:read", "tickets:write", "checkin"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "role", "org", "scope"],
    }
