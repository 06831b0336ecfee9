"""The catalog cache: answers in Redis under the catalog's version, with an in-process copy of
recent entries and of the answers given at each address (see :mod:`edge.cache` for the design)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from prometheus_client import Counter
from redis.asyncio import Redis
from starlette.types import Scope

from taquilla_runtime.principal import Principal

log = logging.getLogger(__name__)

CACHE_REQUESTS = Counter(
    "taquilla_edge_cache_requests_total",
    "Catalog reads by cache outcome: hit, miss (built and stored), bypass (a personal answer, never "
    "cached) or error (Redis failed; answered by the service).",
    ["result"],
)
CACHE_INVALIDATIONS = Counter(
    "taquilla_edge_cache_invalidations_total",
    "Catalog version bumps after catalog writes, by outcome (ok, error).",
    ["outcome"],
)

VERSION_KEY = "edge:catalog:version"
ENTRY_PREFIX = "edge:catalog:entry:"
LOCK_PREFIX = "edge:catalog:lock:"

Builder = Callable[[], Awaitable[tuple[bytes, str]]]


@dataclass(frozen=True, slots=True)
class Cached:
    """A JSON body with its ETag, and how the cache answered (hit, miss, bypass, error)."""

    body: bytes
    etag: str
    result: str


class CatalogCache:
    def __init__(
        self,
        redis: Redis,
        *,
        ttl_seconds: float,
        wait_seconds: float = 1.0,
        poll_seconds: float = 0.02,
        pause_after_failure: float = 2.0,
        log_interval: float = 30.0,
        local_entries: int = 512,
    ) -> None:
        self._redis = redis
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self._ttl_seconds = ttl_seconds
        self._lock_ms = max(1000, int(wait_seconds * 2000))
        self._wait = wait_seconds
        self._poll = poll_seconds
        self._pause = pause_after_failure
        self._log_interval = log_interval
        self._skip_until = 0.0
        self._last_log = 0.0
        self._release_lock = redis.register_script(_RELEASE)
        self._local: dict[str, _Entry] = {}
        self._local_max = local_entries
        self._answers: dict[str, _Answer] = {}

    async def fetch(self, key: str, build: Builder, *, version: bytes | None = None) -> Cached:
        """The answer for ``key``: cached under the current catalog version, or built by ``build``
        (once per key at a time) and stored. Exceptions of ``build`` propagate and store nothing.

        ``version`` is the catalog version when this request has already read it (with its rate
        limit), which allows answering from the in-process copy.
        """
        if time.monotonic() < self._skip_until:
            return await self._without_cache(build)
        entry_key = ENTRY_PREFIX + key
        if version is not None:
            local = self._local.get(entry_key)
            if local is not None and local.version == (version or b"0") and time.time() < local.expires_at:
                CACHE_REQUESTS.labels("hit").inc()
                return Cached(local.body, local.etag, "hit")
        try:
            # The client has no decode_responses, so replies are bytes (redis-py types them bytes | str).
            current, stored = cast("list[bytes | None]", await self._redis.mget(VERSION_KEY, entry_key))
        except Exception as exc:  # any Redis failure: answer from the service
            self._failed(exc)
            return await self._without_cache(build)
        current = bytes(current or b"0")
        found = _Entry.decode(stored, current)
        if found is not None:
            self._keep(entry_key, found)
            CACHE_REQUESTS.labels("hit").inc()
            return Cached(found.body, found.etag, "hit")
        return await self._rebuild(entry_key, current, build)

    def remember_answer(self, target: str, key: str, route: object, *, everyone: bool) -> None:
        """The shared answer for ``key`` was given at ``target`` (path and query string) by ``route``;
        ``everyone`` when every caller gets it, otherwise only callers outside any organization."""
        if target not in self._answers and len(self._answers) >= self._local_max:
            del self._answers[next(iter(self._answers))]
        self._answers[target] = _Answer(ENTRY_PREFIX + key, route, everyone)

    def answer(self, target: str, version: bytes, *, insider: bool) -> tuple[_Entry, object] | None:
        """The in-process entry for a request to ``target`` under catalog ``version``, with the route
        that first answered it; None unless it is current and the caller gets the shared answer."""
        answer = self._answers.get(target)
        if answer is None or (insider and not answer.everyone) or time.monotonic() < self._skip_until:
            return None
        local = self._local.get(answer.entry_key)
        if local is None or local.version != (version or b"0") or time.time() >= local.expires_at:
            return None
        return local, answer.route

    def _keep(self, entry_key: str, entry: _Entry) -> None:
        if entry_key not in self._local and len(self._local) >= self._local_max:
            del self._local[next(iter(self._local))]  # the oldest
        self._local[entry_key] = entry

    async def _rebuild(self, entry_key: str, version: bytes, build: Builder) -> Cached:
        lock_key = f"{LOCK_PREFIX}{entry_key.removeprefix(ENTRY_PREFIX)}:{version.decode()}"
        token = secrets.token_hex(8)
        try:
            leader = await self._redis.set(lock_key, token, nx=True, px=self._lock_ms)
        except Exception as exc:
            self._failed(exc)
            return await self._without_cache(build)
        if not leader:
            waited = await self._wait_for(entry_key, lock_key, version)
            if waited is not None:
                self._keep(entry_key, waited)
                CACHE_REQUESTS.labels("hit").inc()
                return Cached(waited.body, waited.etag, "hit")
        try:
            body, etag = await build()
        except BaseException:
            if leader:
                await self._release(lock_key, token)
            raise
        entry = _Entry(version, time.time() + self._ttl_seconds, etag, body)
        try:
            await self._redis.set(entry_key, entry.encode(), px=self._ttl_ms)
            if leader:
                await self._release(lock_key, token)
            self._keep(entry_key, entry)
        except Exception as exc:
            self._failed(exc)
        CACHE_REQUESTS.labels("miss").inc()
        return Cached(body, etag, "miss")

    async def _wait_for(self, entry_key: str, lock_key: str, version: bytes) -> _Entry | None:
        """The entry another request is building, if it lands within ``wait_seconds``; None at once
        when that request gave up (its lock is gone and no entry came: its build failed, e.g. a
        cursor the service refused), so waiters do not sit out the whole wait for nothing."""
        deadline = time.monotonic() + self._wait
        while time.monotonic() < deadline:
            await asyncio.sleep(self._poll)
            try:
                stored, lock = cast("list[bytes | None]", await self._redis.mget(entry_key, lock_key))
                found = _Entry.decode(stored, version)
            except Exception as exc:
                self._failed(exc)
                return None
            if found is not None or lock is None:
                return found
        return None

    async def _release(self, lock_key: str, token: str) -> None:
        try:
            # Only our own lock: it may have expired and been taken by another request meanwhile.
            await self._release_lock(keys=[lock_key], args=[token])
        except Exception as exc:
            self._failed(exc)

    async def _without_cache(self, build: Builder) -> Cached:
        body, etag = await build()
        CACHE_REQUESTS.labels("error").inc()
        return Cached(body, etag, "error")

    async def bump(self) -> None:
        """Makes every cached catalog answer obsolete (after a catalog write)."""
        try:
            await self._redis.incr(VERSION_KEY)
        except Exception as exc:
            CACHE_INVALIDATIONS.labels("error").inc()
            # Other instances may still serve entries of the old version until their TTL ends;
            # this one at least stops trusting the cache for as long.
            self._skip_until = max(self._skip_until, time.monotonic() + self._ttl_seconds)
            log.warning("catalog cache version bump failed", extra={"reason": type(exc).__name__})
            return
        CACHE_INVALIDATIONS.labels("ok").inc()

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        self._skip_until = max(self._skip_until, now + self._pause)
        if now - self._last_log >= self._log_interval:
            self._last_log = now
            log.warning(
                "catalog cache unavailable; answering from the service", extra={"reason": type(exc).__name__}
            )


@dataclass(frozen=True, slots=True)
class _Answer:
    entry_key: str
    route: object
    everyone: bool


_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


@dataclass(frozen=True, slots=True)
class _Entry:
    """A cached answer: the catalog version it was built under, when it expires (epoch seconds)."""

    version: bytes
    expires_at: float
    etag: str
    body: bytes

    def encode(self) -> bytes:
        return b"\n".join((self.version, str(self.expires_at).encode(), self.etag.encode(), self.body))

    @classmethod
    def decode(cls, stored: bytes | None, version: bytes) -> _Entry | None:
        """The entry if it was built under ``version``; None for a missing, obsolete or foreign one."""
        if not stored:
            return None
        parts = bytes(stored).split(b"\n", 3)
        if len(parts) != 4 or parts[0] != version:
            return None
        try:
            expires_at = float(parts[1])
        except ValueError:
            return None
        return cls(version, expires_at, parts[2].decode(), parts[3])


def sees_shared_event(principal: Principal | None) -> bool:
    """Whether the caller sees an event as everybody outside its organization does, the view that is
    cached: anonymous callers and members of no organization, administrators excepted."""
    return principal is None or (not principal.is_admin and principal.organization_id is None)


def request_target(scope: Scope) -> str:
    """The path and query string as sent: the key of an answer given before routing (CachedReads)."""
    return f"{scope['path']}?{scope['query_string'].decode('latin-1')}"
