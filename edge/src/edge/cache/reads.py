"""The one way catalog routes read through the cache: ``await reads.cached(key, build)``.

``build`` asks the service and returns the JSON body with its ETag; the dependency finds the
answer under the catalog's current version (or builds and stores it), remembers where it was given
so that a repeat is answered before routing (:class:`edge.cache.middleware.CachedReads`), and
answers 200 or 304 (If-None-Match) with the ETag and cache headers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from edge.api.deps import State
from edge.api.etags import IfNoneMatch, conditional_json
from edge.cache.store import CACHE_REQUESTS, Builder, Cached, CatalogCache, request_target, sees_shared_event
from taquilla_runtime.principal import Principal


class CatalogReads:
    """A catalog read of one request: its cache, its address and the ETag the client already has."""

    __slots__ = ("_cache", "_if_none_match", "_request")

    def __init__(self, cache: CatalogCache, request: Request, if_none_match: str | None) -> None:
        self._cache = cache
        self._request = request
        self._if_none_match = if_none_match

    async def cached(
        self, key: str, build: Builder, *, everyone: bool = True, principal: Principal | None = None
    ) -> Response:
        """The answer for ``key``, cached for the callers who share it.

        With ``everyone`` every caller gets the same answer. Otherwise callers outside any
        organization share it, while members of an organization and administrators (``principal``)
        may see more (drafts): theirs is built for them every time and never cached.
        """
        if not everyone and not sees_shared_event(principal):
            CACHE_REQUESTS.labels("bypass").inc()
            return conditional_json(
                Cached(*await build(), result="bypass"), self._if_none_match, shared=False
            )
        request = self._request
        # The catalog's version, when this request's rate limit read it along (edge.cache).
        version: bytes | None = getattr(request.state, "read_along", None)
        cached = await self._cache.fetch(key, build, version=version)
        self._cache.remember_answer(
            request_target(request.scope), key, request.scope.get("route"), everyone=everyone
        )
        return conditional_json(cached, self._if_none_match, shared=True)


async def catalog_reads(request: Request, state: State, if_none_match: IfNoneMatch = None) -> CatalogReads:
    return CatalogReads(state.cache, request, if_none_match)


Reads = Annotated[CatalogReads, Depends(catalog_reads)]
