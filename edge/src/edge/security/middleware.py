"""Authenticates the bearer token (if any) and applies the rate limit, before any route runs.

The outcome is left in ``scope["state"]["auth"]`` for the route dependencies in ``api/deps.py``:
a verified token, a rejection reason, or nothing for anonymous calls.

Buckets are per client address (edge.security.client_address) for the sign-in and sign-up
endpoints and anonymous calls, per user or API client otherwise. A password sign-in spends, besides
its address's bucket, one of its username's (edge.security.throttle): many addresses do not buy many
guesses at one account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.security.client_address import bucket_address, scope_client
from edge.security.ratelimit import RATE_LIMITED, Decision, Limit, RateLimiter
from edge.security.revocations import RevokedTokens
from edge.security.throttle import read_token_request, username_bucket
from edge.security.tokens import TokenRejected, TokenVerifier, VerifiedToken
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.principal import PrincipalKind

# /readyz is not among them: on the public port it is an anonymous call like any other (it asks every
# dependency, so unlimited it would be a cheap way to load them); on the internal port it is unlimited.
UNLIMITED_PATHS = frozenset(
    {
        "/healthz",
        "/metrics",
        "/docs",
        "/redoc",
        "/openapi.json",
        "/docs/oauth2-redirect",
        "/favicon.ico",
        # The payment provider's notifications: no bucket at all. They come from a few of the
        # provider's addresses in bursts (a sale's payments land together), so any per-IP bucket
        # would refuse the provider exactly when it matters, and one shared bucket could be drained
        # by forged requests. A forged notification costs one HMAC over at most 256 KiB and reaches
        # nothing (edge.api.routes.orders); the provider's retries are what we would lose.
        "/api/v1/payments/stripe/webhook",
    }
)
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 (a path)
AUTHORIZE_PATH = "/api/v1/auth/authorize"
# Both take a password (the authorization code flow's sign-in page posts to AUTHORIZE_PATH).
SIGN_IN_PATHS = frozenset({TOKEN_PATH, AUTHORIZE_PATH})
AUTH_PATHS = frozenset({*SIGN_IN_PATHS, "/api/v1/auth/register"})
AUTH_PREFIX = "/api/v1/auth/"
# Seconds a client waits before trying again while Redis cannot be asked (the limiter's pause).
UNDECIDED_RETRY_AFTER = 2


@dataclass(frozen=True)
class AuthOutcome:
    token: VerifiedToken | None = None
    rejected: str | None = None


@dataclass(frozen=True)
class Limits:
    auth: Limit
    anonymous: Limit
    user: Limit
    client_tiers: dict[str, Limit]
    username: Limit


def _bearer(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            header: str = value.decode("latin-1")
            scheme, _, credentials = header.partition(" ")
            token = credentials.strip()
            if scheme.lower() == "bearer" and token:
                return token
    return None


@dataclass(frozen=True)
class Guard:
    """What the middleware needs, built in the app's lifespan."""

    verifier: TokenVerifier
    limiter: RateLimiter
    limits: Limits
    revocations: RevokedTokens


class AuthAndRateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _bucket(scope: Scope, outcome: AuthOutcome, limits: Limits) -> tuple[str, str, Limit]:
        """(route class, bucket key, limit) for this request."""
        client_ip = bucket_address(scope_client(scope))
        if scope["path"] in AUTH_PATHS:
            return "auth", f"auth:ip:{client_ip}", limits.auth
        token = outcome.token
        if token is None:
            return "anonymous", f"anon:ip:{client_ip}", limits.anonymous
        if token.principal.kind is PrincipalKind.CLIENT:
            tier = token.tier or "standard"
            limit = limits.client_tiers.get(tier, limits.client_tiers["standard"])
            return f"client:{tier}", f"client:{token.principal.subject}", limit
        return "user", f"user:{token.principal.subject}", limits.user

    @staticmethod
    def _internal(scope: Scope) -> bool:
        """The internal port's requests (readiness for operators) are never limited."""
        internal: bool = scope["app"].state.edge.settings.on_internal_port(scope.get("server"))
        return internal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS or self._internal(scope):
            await self.app(scope, receive, send)
            return
        guard: Guard = scope["app"].state.edge.guard
        outcome = AuthOutcome()
        token = _bearer(scope)
        if token is not None:
            try:
                outcome = AuthOutcome(token=await guard.verifier.verify(token))
            except TokenRejected as exc:
                outcome = AuthOutcome(rejected=str(exc))
        route_class, key, limit = self._bucket(scope, outcome, guard.limits)
        decision = await guard.limiter.check(key, limit, jti=outcome.token.jti if outcome.token else None)
        if decision is not None and decision.token_revoked:
            outcome = AuthOutcome(rejected="The access token was revoked")
        if decision is None:
            # Redis cannot be asked: no rate limit and no revocation check from it. Fail closed where
            # that matters (see _undecided); anonymous reads go on unlimited.
            refusal = self._undecided(scope, outcome, guard)
            if refusal is not None:
                await _unavailable(scope, send, refusal)
                return
            if outcome.token is not None and guard.revocations.revoked(outcome.token.jti):
                outcome = AuthOutcome(rejected="The access token was revoked")
        state = scope.setdefault("state", {})
        state["auth"] = outcome
        # What the limiter's round trip read along (the catalog cache's version), for the routes.
        state["read_along"] = decision.read_along if decision is not None else None
        if decision is not None and not decision.allowed:
            RATE_LIMITED.labels(route_class).inc()
            await _too_many_requests(scope, send, decision)
            return
        if scope["path"] in SIGN_IN_PATHS and scope["method"] == "POST":
            request = await read_token_request(scope, receive)
            if request.refusal is not None:
                await request.refusal(scope, receive, send)
                return
            receive = request.replay(receive)
            if request.username is not None:
                await self._signing_in(scope, receive, send, guard, decision, request.username)
                return
        await self.app(scope, receive, _with_headers(send, decision))

    @staticmethod
    def _undecided(scope: Scope, outcome: AuthOutcome, guard: Guard) -> str | None:
        """Why a request is refused while Redis cannot be asked, or None to serve it.

        Sign-in, sign-up and sign-out (/api/v1/auth/*) are refused: unthrottled password guessing and
        logouts that revoke nothing are worse than a short outage. A bearer token is refused unless
        this edge's copy of the revoked tokens is recent enough to vouch for it (a logged-out token
        must not come back)."""
        if scope["path"].startswith(AUTH_PREFIX):
            return "Signing in, up and out is unavailable for a moment; try again shortly."
        token = outcome.token
        if token is not None and guard.revocations.revoked(token.jti) is None:
            return "Your access token cannot be checked right now; try again shortly."
        return None

    async def _signing_in(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        guard: Guard,
        decision: Decision | None,
        username: str,
    ) -> None:
        """A password sign-in: it spends its username's bucket too, and a successful one gives the
        attempt back, so only failed attempts add up (an account's owner signing in often is not
        throttled; many addresses guessing its password are)."""
        bucket, limit = username_bucket(username), guard.limits.username
        per_username = await guard.limiter.check(bucket, limit)
        if per_username is not None and not per_username.allowed:
            RATE_LIMITED.labels("auth_username").inc()
            await _too_many_requests(scope, send, per_username)
            return
        status = 0

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # The answer carries the address's bucket: the username's remaining attempts are nobody's
        # business until they run out.
        await self.app(scope, receive, _with_headers(noting_status, decision))
        if per_username is not None and status == 200:
            await guard.limiter.refund(bucket, limit)


def _with_headers(send: Send, decision: Decision | None) -> Send:
    if decision is None:
        return send

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *decision.headers()]}
        await send(message)

    return wrapped


async def _too_many_requests(scope: Scope, send: Send, decision: Decision) -> None:
    body = {
        "type": "https://taquilla.dev/problems/too-many-requests",
        "title": "Too Many Requests",
        "status": 429,
        "detail": f"Rate limit of {decision.limit} requests exceeded; "
        f"retry in {decision.retry_after_seconds} s.",
        "instance": scope["path"],
    }
    if correlation_id := get_correlation_id():
        body["correlation_id"] = correlation_id
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                *decision.headers(),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _unavailable(scope: Scope, send: Send, detail: str) -> None:
    """503 with Retry-After: problem+json, or an OAuth error on the token endpoint (RFC 6749)."""
    body: dict[str, object]
    if scope["path"] == TOKEN_PATH:
        content_type = b"application/json"
        body = {"error": "temporarily_unavailable", "error_description": detail}
    else:
        content_type = b"application/problem+json"
        body = {
            "type": "https://taquilla.dev/problems/service-unavailable",
            "title": "Service Unavailable",
            "status": 503,
            "detail": detail,
            "instance": scope["path"],
        }
        if correlation_id := get_correlation_id():
            body["correlation_id"] = correlation_id
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(payload)).encode()),
                (b"retry-after", str(UNDECIDED_RETRY_AFTER).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
