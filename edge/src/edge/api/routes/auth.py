"""Sign-up, the OAuth 2.0 sign-in (RFC 6749: the authorization code flow with PKCE, the token
endpoint), logout, and the authorization server's metadata (RFC 8414) and keys."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import unquote_plus, urlencode

import grpc
from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import JSONResponse

from edge.api.deps import CurrentToken, EdgeState, State
from edge.api.problems import UNAUTHENTICATED, problem
from edge.api.refresh_cookie import clear_refresh_cookie, csrf_refusal, refresh_cookie, set_refresh_cookie
from edge.api.schemas.identity import (
    AuthorizationGranted,
    LogoutRequest,
    OAuthError,
    RegistrationAccepted,
    TokenResponse,
    UserRegister,
)
from edge.errors import OAUTH_TOKEN_PATH, Problem
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla_runtime import scopes
from taquilla_runtime.grpc_errors import problem_from_trailers

router = APIRouter(tags=["auth"])

TOKEN_ENDPOINT = OAUTH_TOKEN_PATH
AUTHORIZE_ENDPOINT = "/api/v1/auth/authorize"
SIGN_IN_PAGE = "/login"  # the web app's sign-in page: the authorization endpoint users see
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
    if not state.settings.allows_password_grant:
        raise _OAuthFailure(
            _oauth_error("unsupported_grant_type", "the password grant is off: use authorization_code")
        )
    if not form.username or not form.password:
        raise _OAuthFailure(_oauth_error("invalid_request", "username and password are required"))
    return await state.identity.password_grant(form.username, form.password, form.scope or "")


async def _authorization_code(state: EdgeState, form: TokenForm, request: Request) -> pb.TokenGrant:
    if not form.code or not form.redirect_uri or not form.client_id or not form.code_verifier:
        raise _OAuthFailure(
            _oauth_error("invalid_request", "code, redirect_uri, client_id and code_verifier are required")
        )
    return await state.identity.authorization_code_grant(
        form.code, client_id=form.client_id, redirect_uri=form.redirect_uri, code_verifier=form.code_verifier
    )


async def _refresh(state: EdgeState, form: TokenForm, request: Request) -> pb.TokenGrant:
    if not form.refresh_token:
        raise _OAuthFailure(_oauth_error("invalid_request", "refresh_token is required"))
    return await state.identity.refresh_grant(form.refresh_token, form.scope or "")


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
    "authorization_code": _authorization_code,
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
    code: str | None = None
    redirect_uri: str | None = None
    code_verifier: str | None = None


@router.post(
    TOKEN_ENDPOINT,
    response_model=TokenResponse,
    summary="Get tokens (OAuth 2.0)",
    description="RFC 6749 token endpoint with a form body. `grant_type=authorization_code` (`code` from "
    "`POST /api/v1/auth/authorize`, the same `redirect_uri` and `client_id`, and the PKCE `code_verifier`; "
    "a code works once), `grant_type=refresh_token` (`refresh_token`; it rotates: use the new one next "
    "time, a reused token revokes the whole session; `scope` may ask for less, never more, and the "
    "sign-in's scope is kept), `grant_type=client_credentials` (partner API clients: HTTP Basic or "
    "`client_id` + `client_secret`). `grant_type=password` (`username` is the email, `password`) is for "
    "development and tests only (RFC 9700 forbids it): production answers `unsupported_grant_type` unless "
    "`EDGE_PASSWORD_GRANT_ENABLED` is set. `scope` narrows a new token (space-separated). Errors use "
    "RFC 6749 bodies, not problem+json.",
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
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    code: Annotated[str | None, Form(max_length=128)] = None,
    redirect_uri: Annotated[str | None, Form(max_length=512)] = None,
    code_verifier: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    form = TokenForm(
        grant_type,
        username,
        password,
        refresh_token,
        scope,
        client_id,
        client_secret,
        code,
        redirect_uri,
        code_verifier,
    )
    if not grant_type:
        return _oauth_error("invalid_request", "grant_type is required")
    issue = GRANTS.get(grant_type)
    if issue is None:
        return _oauth_error(
            "unsupported_grant_type", "use authorization_code, refresh_token or client_credentials"
        )
    # The web app's refresh token lives in an HttpOnly cookie: its code exchange sets it, and a
    # refresh without `refresh_token` reads it (edge.api.refresh_cookie).
    if (grant_type == "authorization_code" and client_id == state.settings.web_client_id) or (
        grant_type == "refresh_token" and not refresh_token
    ):
        return await _web_app_grant(issue, state, form, request)
    return await _grant_response(issue, state, form, request)


Issue = Callable[[EdgeState, TokenForm, Request], Awaitable[pb.TokenGrant]]


async def _grant_response(issue: Issue, state: EdgeState, form: TokenForm, request: Request) -> JSONResponse:
    try:
        grant = await issue(state, form, request)
    except _OAuthFailure as failure:
        return failure.response
    except grpc.aio.AioRpcError as exc:
        return _oauth_failure_for(exc)
    return JSONResponse(_grant_body(grant), headers=NO_STORE)


async def _web_app_grant(issue: Issue, state: EdgeState, form: TokenForm, request: Request) -> JSONResponse:
    """A grant whose refresh token travels in the cookie, never in the body."""
    refusal = csrf_refusal(request, state.settings)
    if refusal is not None:
        return _oauth_error("invalid_request", refusal, 403)
    refreshing = form.grant_type == "refresh_token"
    if refreshing:
        form = replace(form, refresh_token=refresh_cookie(request))
    answer = await _grant_response(issue, state, form, request)
    if answer.status_code == 200:
        body = json.loads(bytes(answer.body))
        refresh = body.pop("refresh_token", "")
        answer = JSONResponse(body, headers=NO_STORE)
        set_refresh_cookie(answer, refresh)
    elif refreshing and answer.status_code == 400:
        clear_refresh_cookie(answer)  # spent, revoked or expired: the browser may forget it
    return answer


@router.post(
    AUTHORIZE_ENDPOINT,
    response_model=AuthorizationGranted,
    summary="Sign in for an authorization code (OAuth 2.0 with PKCE)",
    description="What the platform's sign-in page (the web app's `/login`, the authorization endpoint of "
    "`/.well-known/oauth-authorization-server`) posts, as a form: the user's `username` (e-mail) and "
    "`password`, and the client's `response_type=code`, `client_id`, `redirect_uri`, `code_challenge` "
    "(BASE64URL(SHA-256(code_verifier)), RFC 7636) with `code_challenge_method=S256`, `state` and "
    "optionally `scope`. Only registered public clients and their redirect URIs are accepted (the web "
    "app, `taquilla-web`). The answer's one-time `code` is valid 60 s and bound to the client, the "
    "redirect URI and the challenge: exchange it at `POST /api/v1/auth/token` with "
    "`grant_type=authorization_code` and the verifier. Wrong credentials answer `access_denied`, like "
    "the password grant (same lockout and throttles). Errors use RFC 6749 bodies, not problem+json.",
    responses={
        400: {
            "model": OAuthError,
            "description": "access_denied (wrong e-mail or password), invalid_request, "
            "unauthorized_client, unsupported_response_type, invalid_scope",
        },
    },
)
async def authorize(
    state: State,
    response_type: Annotated[str, Form(min_length=1, max_length=16)],  # an empty form field reads as missing
    client_id: Annotated[str, Form(min_length=1, max_length=64)],
    redirect_uri: Annotated[str, Form(min_length=1, max_length=512)],
    code_challenge: Annotated[str, Form(min_length=1, max_length=128)],
    username: Annotated[str, Form(min_length=1, max_length=320)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    code_challenge_method: Annotated[str, Form(max_length=16)] = "S256",
    state_: Annotated[str | None, Form(alias="state", max_length=512)] = None,
    scope: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    if response_type != "code":
        return _oauth_error("unsupported_response_type", "response_type must be code")
    try:
        reply = await state.identity.authorization_code(
            username,
            password,
            client_id=client_id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            scope=scope,
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() is grpc.StatusCode.UNAUTHENTICATED:
            return _oauth_error("access_denied", "wrong e-mail or password, or the account is locked")
        named = problem_from_trailers(exc.trailing_metadata())
        if exc.code() is grpc.StatusCode.INVALID_ARGUMENT and named is not None:
            return _oauth_error(str(named.extensions.get("error", "invalid_request")), exc.details() or "")
        return _oauth_failure_for(exc)
    query = {"code": reply.code, **({"state": state_} if state_ is not None else {})}
    separator = "&" if "?" in redirect_uri else "?"
    body = AuthorizationGranted(
        code=reply.code,
        state=state_,
        expires_in=reply.expires_in,
        redirect_to=f"{redirect_uri}{separator}{urlencode(query)}",
    )
    return JSONResponse(body.model_dump(exclude_none=True), headers=NO_STORE)


def _oauth_failure_for(exc: grpc.aio.AioRpcError) -> JSONResponse:
    mapped = _GRPC_TO_OAUTH.get(exc.code())
    if mapped is None:
        raise exc
    code, status_code = mapped
    headers = {"Retry-After": "1"} if status_code == 503 else None
    description = exc.details() if status_code == 400 else "try again shortly"
    return _oauth_error(code, description or code, status_code, headers)


@router.post(
    "/api/v1/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out",
    description="Revokes the access token used for this call at once and, when `refresh_token` is sent "
    "(or the web app's refresh cookie comes along), the whole refresh-token family (every device of "
    "this sign-in); the refresh cookie is cleared.",
    responses=UNAUTHENTICATED,
)
async def logout(
    request: Request, token: CurrentToken, state: State, body: LogoutRequest | None = None
) -> Response:
    family = (body.refresh_token if body else None) or refresh_cookie(request)
    if family:
        await state.identity.revoke_refresh_token(token.principal, family)
    try:
        await state.guard.revocations.revoke(token.jti, token.expires_at)
    except Exception:  # Redis away: the access token then lives out its 15 minutes
        raise Problem(503, "Sign-out could not be completed; try again shortly.") from None
    answer = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_refresh_cookie(answer)
    return answer


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens (JWKS)")
async def jwks(state: State) -> JSONResponse:
    keys = await state.jwks.public_jwks()
    return JSONResponse({"keys": keys}, headers={"Cache-Control": "public, max-age=300"})


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="OAuth 2.0 Authorization Server Metadata (RFC 8414)",
    description="Exactly what is built: the sign-in page (authorization endpoint, code flow with PKCE "
    "S256 for registered public clients), the token endpoint and its grants and client authentication "
    "methods, the keys, the scopes. There is no OpenID Connect (no ID tokens) and no dynamic client "
    "registration; `grant_types_supported` lists `password` only where it is on (not in production).",
)
async def authorization_server_metadata(state: State) -> JSONResponse:
    settings = state.settings
    base = settings.public_url.rstrip("/")
    grants = ["authorization_code", "refresh_token", "client_credentials"]
    if settings.allows_password_grant:
        grants.append("password")
    document = {
        "issuer": settings.issuer,
        "authorization_endpoint": f"{settings.web_app_url.rstrip('/')}{SIGN_IN_PAGE}",
        "token_endpoint": f"{base}{TOKEN_ENDPOINT}",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "scopes_supported": sorted(scopes.ALL_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "service_documentation": f"{base}/openapi.json",
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})
