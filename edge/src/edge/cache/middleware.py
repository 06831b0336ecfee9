"""The catalog cache's two middlewares (see :mod:`edge.cache`; their place in the stack is set and
explained in :func:`edge.app.create_app`).

* :class:`InvalidateOnCatalogWrites` bumps the catalog version after a write, before its response
  leaves, so the next read misses;
* :class:`CachedReads` answers a repeated shared read from memory, before routing.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.api.etags import conditional_json
from edge.cache.store import CACHE_REQUESTS, Cached, CatalogCache, request_target, sees_shared_event

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CATALOG_PREFIX = "/api/v1/events"


class InvalidateOnCatalogWrites:
    """Bumps the catalog version after a catalog write, before its response leaves the edge.

    A write that failed as a client error (4xx) changed nothing and bumps nothing; a server error or
    an exception may hide a write that happened, so it bumps too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or not scope["path"].startswith(CATALOG_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        cache: CatalogCache = scope["app"].state.edge.cache
        started = False

        async def send_after_bump(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if not 400 <= message["status"] < 500:
                    await cache.bump()
            await send(message)

        try:
            await self.app(scope, receive, send_after_bump)
        except BaseException:
            if not started:
                await cache.bump()
            raise


class CachedReads:
    """Answers a repeated catalog read from the in-process copy, before routing (see the module).

    It runs after authentication and the rate limit (``scope["state"]``), so only requests that
    reached the catalog's version with their limit are considered, and only callers who get the
    shared answer: a rejected token, or a member of an organization asking for an event, goes on to
    the routes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(CATALOG_PREFIX):
            state = scope.get("state") or {}
            version = state.get("read_along")
            outcome = state.get("auth")
            if version is not None and outcome is not None and outcome.rejected is None:
                principal = outcome.token.principal if outcome.token is not None else None
                cache: CatalogCache = scope["app"].state.edge.cache
                found = cache.answer(request_target(scope), version, insider=not sees_shared_event(principal))
                if found is not None:
                    entry, route = found
                    scope["route"] = route  # for the metrics' route label, as the router would
                    CACHE_REQUESTS.labels("hit").inc()
                    given = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
                    if_none_match = given.decode("latin-1") if given is not None else None
                    cached = Cached(entry.body, entry.etag, "hit")
                    await conditional_json(cached, if_none_match, shared=True)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
