from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from devstack.processes import free_port
from edge.app import create_app
from edge.config import EdgeSettings

EdgeClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def edge_client() -> EdgeClientFactory:
    """An HTTP client for an edge app whose settings the test chooses; nothing listens by default."""

    @asynccontextmanager
    async def open_client(**overrides: object) -> AsyncIterator[httpx.AsyncClient]:
        dead = lambda: f"127.0.0.1:{free_port()}"
        settings = EdgeSettings(
            **{
                "identity_svc_address": dead(),
                "event_svc_address": dead(),
                "notification_svc_address": dead(),
                "ticketing_svc_address": dead(),
                "redis_url": f"redis://127.0.0.1:{free_port()}/0",
                "readiness_timeout_seconds": 0.5,
                **overrides,
            }
        )
        app = create_app(settings)

        @app.get("/boom", include_in_schema=False)
        async def boom() -> None:
            raise RuntimeError("connection to db.internal.example:5432 refused; SELECT * FROM users")

        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://edge.test") as client:
                yield client

    return open_client
