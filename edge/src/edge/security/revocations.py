"""Revoked access tokens (logouts): kept in Redis, and copied into this process so that a short Redis
outage does not let a revoked token in again.

A logout writes ``revoked:<jti>`` (read by the rate limiter's script on every request, in the same
round trip as the limit) and adds the jti, scored by the token's expiry, to one sorted set. Every
``refresh_seconds`` the edge reads that set whole (expired members pruned first) into memory. When
Redis cannot be asked, the middleware checks a bearer token against that copy, as long as it is at
most ``max_age_seconds`` old; an older copy cannot vouch for the token and the request is refused
with 503 (edge.security.middleware). Revocations made on another edge after the last refresh are
missed for at most that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from prometheus_client import Gauge
from redis.asyncio import Redis

log = logging.getLogger(__name__)

REVOKED_SET = "revoked:by-expiry"
COPY_AGE = Gauge(
    "taquilla_edge_revocation_copy_age_seconds",
    "Age of the edge's in-process copy of the revoked access tokens.",
)


class RevokedTokens:
    def __init__(
        self,
        redis: Redis,
        *,
        refresh_seconds: float = 5.0,
        max_age_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._refresh = refresh_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._wall = wall_clock
        self._copy: dict[str, float] = {}  # jti -> expiry (epoch seconds)
        self._fetched_at: float | None = None
        self._stop = asyncio.Event()

    async def revoke(self, jti: str, expires_at: int) -> None:
        """Denies an access token until it expires (logout). Raises when Redis cannot be written."""
        ttl = max(1, expires_at - int(self._wall()) + 60)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(f"revoked:{jti}", b"1", ex=ttl)
            pipe.zadd(REVOKED_SET, {jti: expires_at + 60})
            await pipe.execute()
        self._copy[jti] = expires_at + 60

    async def refresh(self) -> None:
        """Reads the revoked tokens not yet expired into memory. Raises when Redis cannot be asked."""
        now = self._wall()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(REVOKED_SET, "-inf", now)
            pipe.zrangebyscore(REVOKED_SET, now, "+inf", withscores=True)
            _, members = await pipe.execute()
        self._copy = {
            (jti.decode() if isinstance(jti, bytes) else str(jti)): float(score) for jti, score in members
        }
        self._fetched_at = self._clock()

    def revoked(self, jti: str) -> bool | None:
        """Whether the copy lists ``jti``; None when the copy is too old (or was never read) to tell."""
        if self._fetched_at is None:
            return None
        age = self._clock() - self._fetched_at
        COPY_AGE.set(age)
        if age > self._max_age:
            return None
        return jti in self._copy

    async def run(self) -> None:
        """Refreshes the copy every ``refresh_seconds`` until :meth:`stop`; a failed refresh leaves the
        last copy in place (it ages out of use after ``max_age_seconds``)."""
        failing = False
        while not self._stop.is_set():
            try:
                await self.refresh()
                failing = False
            except Exception as exc:  # Redis away: keep the copy, it ages out by itself
                if not failing:
                    log.warning("revoked tokens could not be read", extra={"reason": type(exc).__name__})
                failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self._refresh)

    def stop(self) -> None:
        self._stop.set()
