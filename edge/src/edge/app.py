"""The edge application: FastAPI with problem+json errors, correlation ids, auth and rate limits."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from redis.asyncio import Redis

from edge.api.deps import EdgeState
from edge.api.idempotency import RunningKeys
from edge.api.problems import document_shared_errors
from edge.api.routes import (
    admin,
    admin_notifications,
    audit,
    auth,
    checkins,
    events,
    health,
    orders,
    reports,
    reservations,
    transfers,
    users,
    waitlist,
    webhooks,
)
from edge.cache.availability import AvailabilityCache
from edge.cache.middleware import CachedReads, InvalidateOnCatalogWrites
from edge.cache.store import VERSION_KEY, CatalogCache
from edge.clients.audit import AuditClient
from edge.clients.channels import ServiceChannels
from edge.clients.events import EventsClient
from edge.clients.health import HealthClient
from edge.clients.identity import IdentityClient
from edge.clients.notifications import NotificationsClient
from edge.clients.ticketing import TicketingClient
from edge.clients.webhooks import WebhooksClient
from edge.config import EdgeSettings
from edge.errors import install_error_handlers
from edge.graphql.schema import graphql_router
from edge.middleware import CorrelationAndMetricsMiddleware, ServerSpanMiddleware
from edge.security.client_address import ClientAddressMiddleware, TrustedProxies
from edge.security.middleware import AuthAndRateLimitMiddleware, Guard, Limits
from edge.security.ratelimit import Limit, RateLimiter
from edge.security.revocations import RevokedTokens
from edge.security.tokens import JwksCache, TokenVerifier

DESCRIPTION = """
Taquilla's public API: events, tickets and accounts for buyers, organizers, door staff and partners.

**Authentication.** OAuth 2.0: get tokens from `POST /api/v1/auth/token` (grant types `password`,
`refresh_token`, `client_credentials`) and send `Authorization: Bearer <access_token>`. Access tokens
are EdDSA-signed JWTs valid 15 minutes; verify them yourself with `/.well-known/jwks.json`.

**Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
documents; invalid fields are listed in `errors` as `{field, message}`.

**Rate limits.** Every response carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset`; over the limit you get `429` with `Retry-After`.

**Correlation.** Every response carries `X-Correlation-ID` (yours, if you sent a UUID): quote it
when you report a problem.
"""

TAGS = [
    {"name": "auth", "description": "Sign-up, OAuth 2.0 tokens, logout and the OpenID discovery documents."},
    {"name": "users", "description": "The signed-in user's own account."},
    {
        "name": "admin",
        "description": "Administration: users, organizations, API clients, audit log, signing keys.",
    },
    {
        "name": "reservations",
        "description": "Holding places to buy: reservations that last a few minutes, and places left.",
    },
    {
        "name": "orders",
        "description": "Buying held places: orders paid at the payment provider, for buyers and organizers.",
    },
    {
        "name": "tickets",
        "description": "Tickets of paid orders: their QR codes, a printable PDF, the keys that verify them, "
        "and sending a ticket to someone else.",
    },
    {
        "name": "check-in",
        "description": "The door: scanning tickets online and offline, the offline pack, double admissions.",
    },
    {
        "name": "payments",
        "description": "The payment provider's notifications (webhooks), signed by the provider.",
    },
    {
        "name": "webhooks",
        "description": "Partners' webhooks: an organization's endpoints, signed deliveries of its messages "
        "(Standard Webhooks), the delivery log and redelivery.",
    },
    {"name": "operations", "description": "Liveness and readiness."},
]


def _limits(settings: EdgeSettings) -> Limits:
    return Limits(
        auth=Limit.parse(settings.rate_limit_auth),
        anonymous=Limit.parse(settings.rate_limit_anonymous),
        user=Limit.parse(settings.rate_limit_user),
        client_tiers={
            "standard": Limit.parse(settings.rate_limit_client_standard),
            "partner": Limit.parse(settings.rate_limit_client_partner),
        },
        username=Limit.parse(settings.rate_limit_username),
    )


def create_app(settings: EdgeSettings | None = None) -> FastAPI:
    settings = settings or EdgeSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Channels and pools connect lazily: the edge starts even while a dependency is down. Every
        # client is built here, once; routes get them from EdgeState (api/deps.py).
        channels = ServiceChannels.open(
            settings.identity_svc_address,
            settings.event_svc_address,
            settings.notification_svc_address,
            settings.ticketing_svc_address,
        )
        redis = Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        identity = IdentityClient(channels.identity, settings.grpc_deadline_seconds)
        jwks = JwksCache(identity.jwks, ttl=settings.jwks_cache_seconds)
        revocations = RevokedTokens(
            redis,
            refresh_seconds=settings.revocation_refresh_seconds,
            max_age_seconds=settings.revocation_copy_max_age_seconds,
        )
        app.state.edge = EdgeState(
            settings=settings,
            channels=channels,
            redis=redis,
            health_clients=[
                HealthClient(name, channel, settings.readiness_timeout_seconds)
                for name, channel in channels.named().items()
            ],
            identity=identity,
            audit=AuditClient(channels.named(), settings.grpc_deadline_seconds),
            events=EventsClient(channels.events, settings.grpc_deadline_seconds),
            notifications=NotificationsClient(channels.notifications, settings.grpc_deadline_seconds),
            ticketing=TicketingClient(channels.ticketing, settings.grpc_deadline_seconds),
            webhooks=WebhooksClient(channels.notifications, settings.grpc_deadline_seconds),
            availability=AvailabilityCache(ttl_seconds=settings.availability_cache_seconds),
            jwks=jwks,
            guard=Guard(
                verifier=TokenVerifier(jwks, issuer=settings.issuer, audience=settings.token_audience),
                limiter=RateLimiter(redis, settings.redis_url, read_along=VERSION_KEY),
                limits=_limits(settings),
                revocations=revocations,
            ),
            cache=CatalogCache(
                redis, ttl_seconds=settings.cache_ttl_seconds, wait_seconds=settings.cache_wait_seconds
            ),
            running_keys=RunningKeys(redis, hold_seconds=settings.idempotency_running_seconds),
        )
        # What start-up built lives as long as the process: kept out of the garbage collector's
        # full collections, which would otherwise walk it again and again while requests wait.
        gc.collect()
        gc.freeze()
        copying = asyncio.create_task(revocations.run(), name="revoked-tokens-copy")
        try:
            yield
        finally:
            revocations.stop()
            await copying
            await channels.close()
            await app.state.edge.guard.limiter.close()
            await redis.aclose()

    app = FastAPI(
        title="Taquilla API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url="/docs" if settings.interactive_docs else None,
        redoc_url="/redoc" if settings.interactive_docs else None,
        openapi_url="/openapi.json",
        swagger_ui_init_oauth={"usePkceWithAuthorizationCodeGrant": False},
        # FastAPI's own OpenTelemetry (0.165+) would add a second server span, spans per dependency
        # and endpoint, and its own metrics and logs to every request. The edge has its server span
        # (ServerSpanMiddleware, placed behind authentication and the rate limit on purpose), its
        # Prometheus metrics and its JSON logs, so FastAPI's stays off.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    # Middleware order: each add_middleware wraps everything added before it, so the last one added
    # sees a request first. A request therefore goes through, outermost first:
    #   0. ClientAddressMiddleware (edge.security.client_address): who the client is, from the peer
    #      and, behind a trusted proxy (EDGE_TRUSTED_PROXIES) only, X-Forwarded-For, in scope["client"];
    #   1. CorrelationAndMetricsMiddleware: correlation id and metrics for every answer, the
    #      rejections and cache hits below included;
    #   2. AuthAndRateLimitMiddleware: verifies the token and spends the rate limit, reading the
    #      catalog cache's version along in the same Redis round trip (scope["state"]);
    #   3. CachedReads (edge.cache.middleware): answers a repeated shared catalog read from memory
    #      with that version, before routing, a span or any dependency;
    #   4. ServerSpanMiddleware: a server span for the requests that go on to the routes;
    #   5. InvalidateOnCatalogWrites (edge.cache.middleware): innermost, so the catalog version is
    #      bumped after a write's route has answered and before the response leaves the edge.
    app.add_middleware(InvalidateOnCatalogWrites)
    app.add_middleware(ServerSpanMiddleware)
    app.add_middleware(CachedReads)
    app.add_middleware(AuthAndRateLimitMiddleware)
    hsts = settings.strict_transport_security
    app.add_middleware(
        CorrelationAndMetricsMiddleware,
        response_headers=[(b"strict-transport-security", hsts.encode())] if hsts else [],
    )
    app.add_middleware(ClientAddressMiddleware, trusted=TrustedProxies.parse(settings.trusted_proxies))
    install_error_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_shared_errors(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(admin_notifications.router)
    app.include_router(events.catalog_router())
    app.include_router(reservations.router)
    app.include_router(orders.router)
    app.include_router(transfers.router)
    app.include_router(waitlist.router)
    app.include_router(checkins.router)
    app.include_router(graphql_router(settings))
    app.include_router(webhooks.router)
    app.include_router(reports.router)
    return app
