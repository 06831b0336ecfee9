"""Authenticates the bearer token (if any) and applies the rate limit, before any route runs.

The outcome is left in ``scope["state"]["auth"]`` for the route dependencies in ``api/deps.py``:
a verified token, a rejection reason, or nothing for anonymous calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.security.ratelimit import RATE_LIMITED, Decision, Limit, RateLimiter
from edge.security.tokens import TokenRejected, TokenVerifier, VerifiedToken
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.principal import PrincipalKind

UNLIMITED_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
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
AUTH_PATHS = frozenset({"/api/v1/auth/token", "/api/v1/auth/register"})


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


class AuthAndRateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _bucket(scope: Scope, outcome: AuthOutcome, limits: Limits) -> tuple[str, str, Limit]:
        """(route class, bucket key, limit) for this request."""
        client_ip = (scope.get("client") or ("unknown", 0))[0]
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
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
        state = scope.setdefault("state", {})
        state["auth"] = outcome
        # What the limiter's round trip read along (the catalog cache's version), for the routes.
        state["read_along"] = decision.read_along if decision is not None else None
        if decision is not None and not decision.allowed:
            RATE_LIMITED.labels(route_class).inc()
            await _too_many_requests(scope, send, decision)
            return
        await self.app(scope, receive, _with_headers(send, decision))


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
