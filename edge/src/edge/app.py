"""The edge application: FastAPI with problem+json errors, correlation ids and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from edge.api.deps import EdgeState
from edge.api.routes import health
from edge.clients.channels import ServiceChannels
from edge.clients.health import HealthClient
from edge.config import EdgeSettings
from edge.errors import install_error_handlers
from edge.middleware import CorrelationAndMetricsMiddleware

DESCRIPTION = """
Taquilla's public API: events, tickets and accounts for buyers, organizers, door staff and partners.

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json` documents.
Every response carries `X-Correlation-ID` (the one you sent, if it is a UUID, or a new one): quote it
when you report a problem.
"""


def create_app(settings: EdgeSettings | None = None) -> FastAPI:
    settings = settings or EdgeSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Channels and pools connect lazily: the edge starts even while a dependency is down.
        channels = ServiceChannels.open(
            settings.identity_svc_address, settings.event_svc_address, settings.notification_svc_address
        )
        redis = Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        app.state.edge = EdgeState(
            settings=settings,
            channels=channels,
            redis=redis,
            health_clients=[
                HealthClient(name, channel, settings.readiness_timeout_seconds)
                for name, channel in channels.named().items()
            ],
        )
        try:
            yield
        finally:
            await channels.close()
            await redis.aclose()

    app = FastAPI(
        title="Taquilla API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )
    app.add_middleware(CorrelationAndMetricsMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    return app
