"""Places left per event, kept for a moment in the edge's memory.

Availability changes with every sale, so it never goes through the catalog cache (whose entries
live until the catalog changes). Each edge keeps an event's answer for ``ttl_seconds`` at most, and
concurrent requests for the same event share one call to ticketing_svc: a page polled by thousands
of buyers costs the service one read per event per edge per interval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MAX_EVENTS = 10_000


class AvailabilityCache:
    def __init__(self, *, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, tuple[str, bytes]]] = {}
        self._pending: dict[str, asyncio.Future[tuple[str, bytes]]] = {}

    async def get(
        self, event_id: str, build: Callable[[], Awaitable[tuple[str, bytes]]]
    ) -> tuple[str, bytes]:
        now = time.monotonic()
        entry = self._entries.get(event_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        pending = self._pending.get(event_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[tuple[str, bytes]] = asyncio.get_running_loop().create_future()
        self._pending[event_id] = future
        try:
            body = await build()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        finally:
            self._pending.pop(event_id, None)
        future.set_result(body)
        if self._ttl > 0:
            if len(self._entries) >= MAX_EVENTS:
                self._entries.clear()
            self._entries[event_id] = (time.monotonic() + self._ttl, body)
        return body
