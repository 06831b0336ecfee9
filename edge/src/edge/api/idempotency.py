"""Idempotency-Key requests still under way: a repeat answers 409 at once instead of waiting.

The services make a key exactly-once (a unique index on the caller and the key, the first request's
result replayed, another body refused with 422). What they cannot do cheaply is tell a repeat that
arrives while the first request is still running: it would queue behind the first one's transaction
and could run out of time (504). So the edge marks a key as running in Redis for as long as its
request is under way, and a repeat that finds the mark answers ``409 …/idempotency-key-in-use`` with
``Retry-After`` at once (the IETF draft "The Idempotency-Key HTTP Header Field", as Stripe does).
Once the first request has answered, the mark is gone and a repeat reaches the service, which
replays the result.

The mark outlives a request that never removes it (the edge killed mid-request) by ``hold_seconds``
at most. When Redis cannot be asked the request goes on unmarked: correctness never depended on the
mark, only the quick 409 does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import Counter
from redis.asyncio import Redis

from edge.errors import Problem
from taquilla_runtime.principal import Principal

log = logging.getLogger(__name__)

IN_USE = Counter(
    "taquilla_edge_idempotency_in_use_total",
    "Requests refused with 409 because the first request with their Idempotency-Key was still running.",
)
UNMARKED = Counter(
    "taquilla_edge_idempotency_unmarked_total",
    "Idempotency-Key requests served without a running mark (Redis failed).",
)

RETRY_AFTER_SECONDS = 1

# Deletes KEYS[1] only while it still holds this request's mark (ARGV[1]): a mark that expired and
# was taken by a later request is that request's to remove.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RunningKeys:
    """Marks an Idempotency-Key as running while its request is under way (see the module)."""

    def __init__(self, redis: Redis, *, hold_seconds: float) -> None:
        self._redis = redis
        self._hold_ms = max(1, int(hold_seconds * 1000))

    @staticmethod
    def _name(principal: Principal, operation: str, key: str) -> str:
        # Keys belong to their caller and their operation; hashed, so a key's text never sits in Redis.
        scope = f"{principal.kind}:{principal.subject}\x00{operation}\x00{key}"
        return "idem:running:" + hashlib.sha256(scope.encode()).hexdigest()

    async def _mark(self, name: str, mark: str) -> bool | None:
        """True when marked, False when another request holds the mark, None when Redis failed."""
        try:
            return bool(await self._redis.set(name, mark, nx=True, px=self._hold_ms))
        except Exception as exc:  # connection refused, timeout: serve unmarked (see the module)
            UNMARKED.inc()
            log.warning("idempotency marks unavailable", extra={"reason": type(exc).__name__})
            return None

    @asynccontextmanager
    async def running(self, principal: Principal, operation: str, key: str | None) -> AsyncIterator[None]:
        """Holds ``key`` (of ``principal``, for ``operation``) as running for the ``async with`` body.

        Raises Problem 409 ``idempotency-key-in-use`` when another request with it is running.
        """
        if key is None:
            yield
            return
        name, mark = self._name(principal, operation, key), secrets.token_hex(16)
        marked = await self._mark(name, mark)
        if marked is False:
            IN_USE.inc()
            raise Problem(
                409,
                "A request with this Idempotency-Key is still being processed; retry after it has "
                "answered to get its result.",
                title="Idempotency-Key In Use",
                slug="idempotency-key-in-use",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        try:
            yield
        finally:
            if marked:
                try:
                    await self._redis.eval(RELEASE, 1, name, mark)
                except Exception:  # the mark expires by itself after hold_seconds
                    UNMARKED.inc()
