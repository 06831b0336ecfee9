"""Rate limits in Redis: GCRA in one atomic Lua script, which also checks revoked access tokens.

One round trip per request decides both, over one pipelined connection (script_pipe.py). Limits
are per client address (edge.security.client_address) for anonymous calls, per user or API client
otherwise, stricter on the token and registration endpoints, and per tier for API clients; a
password sign-in also spends its username's bucket, given back when it succeeds
(edge.security.throttle). If Redis fails there is no decision: the middleware then refuses what must
not go unchecked (sign-in, sign-up, bearer tokens it cannot vouch for) and serves the rest unlimited,
counts it and logs once per interval.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from prometheus_client import Counter
from redis.asyncio import Redis

from edge.security.script_pipe import ScriptPipe

log = logging.getLogger(__name__)

RATE_LIMITED = Counter("taquilla_edge_rate_limited_total", "Requests refused with 429.", ["route_class"])
LIMITER_UNAVAILABLE = Counter(
    "taquilla_edge_ratelimit_unavailable_total",
    "Requests served without a rate-limit decision (Redis failed).",
)

# KEYS[1] the bucket, KEYS[2] the revoked-token marker, KEYS[3] a key read along (the catalog
# cache's version: edge.cache). ARGV[1] limit, ARGV[2] period in ms.
# Returns {allowed, remaining, retry_after_ms, reset_ms, revoked, value of KEYS[3] or ''}.
GCRA = """
local t = redis.call('TIME')
local extra = redis.call('GET', KEYS[3]) or ''
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local interval = period / limit
local revoked = redis.call('EXISTS', KEYS[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if allow_at > now then
    return {0, 0, math.ceil(allow_at - now), math.ceil(tat - now), revoked, extra}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1)
local remaining = math.floor((now + period - new_tat) / interval)
return {1, remaining, 0, math.ceil(new_tat - now), revoked, extra}
"""


# Gives one request back to a bucket (KEYS[1]): its theoretical arrival time moves back one
# interval. ARGV[1] limit, ARGV[2] period in ms.
REFUND = """
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local new_tat = tat - tonumber(ARGV[2]) / tonumber(ARGV[1])
if new_tat <= now then
    redis.call('DEL', KEYS[1])
else
    redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1)
end
return 1
"""


@dataclass(frozen=True)
class Limit:
    count: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """'120/60' means 120 requests per 60 seconds."""
        count, _, period = text.partition("/")
        limit = cls(int(count), int(period or 60))
        if limit.count < 1 or limit.period_seconds < 1:
            raise ValueError(f"invalid rate limit {text!r}")
        return limit


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int
    token_revoked: bool = False
    # The value of the key read along with the decision (None when the limiter has none).
    read_along: bytes | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.retry_after_seconds).encode()))
        return headers


class RateLimiter:
    """``read_along`` names a key whose value comes back with every decision, in the same round trip:
    the catalog cache's version, so a cached answer needs no Redis call of its own.

    Decisions go through a :class:`ScriptPipe` to ``redis_url`` (one pipelined connection: the
    script runs on every request); revocations through ``redis``.
    """

    def __init__(
        self,
        redis: Redis,
        redis_url: str,
        *,
        timeout: float = 0.5,
        log_interval: float = 30.0,
        pause_after_failure: float = 2.0,
        read_along: str | None = None,
    ) -> None:
        self._redis = redis
        self._read_along = read_along
        self._script = ScriptPipe(redis_url, GCRA, timeout=timeout)
        self._log_interval = log_interval
        self._pause = pause_after_failure
        self._last_log = 0.0
        self._skip_until = 0.0

    async def check(self, key: str, limit: Limit, *, jti: str | None = None) -> Decision | None:
        """The decision, or None when Redis cannot be asked (the request is then served)."""
        now = time.monotonic()
        if now < self._skip_until:  # Redis just failed: do not make every request wait for it
            LIMITER_UNAVAILABLE.inc()
            return None
        try:
            allowed, remaining, retry_ms, reset_ms, revoked, extra = await self._script(
                [f"rl:{key}", f"revoked:{jti or '-'}", self._read_along or "rl:-"],
                [limit.count, limit.period_seconds * 1000],
            )
        except Exception as exc:  # connection refused, timeout, script error: degrade, never fail the request
            LIMITER_UNAVAILABLE.inc()
            self._skip_until = now + self._pause
            if now - self._last_log >= self._log_interval:
                self._last_log = now
                log.warning(
                    "rate limiter unavailable; serving without limits", extra={"reason": type(exc).__name__}
                )
            return None
        return Decision(
            allowed=bool(allowed),
            limit=limit.count,
            remaining=int(remaining),
            reset_seconds=math.ceil(int(reset_ms) / 1000),
            retry_after_seconds=max(1, math.ceil(int(retry_ms) / 1000)),
            token_revoked=bool(revoked),
            read_along=bytes(extra) if self._read_along is not None else None,
        )

    async def refund(self, key: str, limit: Limit) -> None:
        """Gives back the request :meth:`check` counted against ``key`` (best effort: Redis may fail)."""
        try:
            refund = self._redis.eval(
                REFUND, 1, f"rl:{key}", str(limit.count), str(limit.period_seconds * 1000)
            )
            await refund
        except Exception:  # Redis away: the request stays counted, which errs on the strict side
            LIMITER_UNAVAILABLE.inc()

    async def close(self) -> None:
        await self._script.close()
