"""Stripe's idempotent requests: a POST with an ``Idempotency-Key`` is answered once and replayed.

Like Stripe, a key is kept 24 hours, scoped to the API key, and bound to its endpoint and parameters:
the same key with other parameters is refused with ``idempotency_error``. Only completed successes are
kept, as Stripe keeps no result for a request refused by validation. Two requests with one key at once
are served one after the other, the second replaying the first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psp_sim.errors import StripeError


@dataclass
class Saved:
    endpoint: str
    fingerprint: str
    status: int
    body: Any
    saved_at: float


@dataclass
class IdempotencyKeys:
    ttl_seconds: float
    clock: Callable[[], float]
    _saved: dict[tuple[str, str], Saved] = field(default_factory=dict)
    _locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)

    def lock(self, api_key: str, key: str) -> asyncio.Lock:
        return self._locks.setdefault((api_key, key), asyncio.Lock())

    def replay(self, api_key: str, key: str, endpoint: str, fingerprint: str) -> Saved | None:
        """The saved answer for this key, None when there is none, or an error on a different request."""
        self._forget_old()
        saved = self._saved.get((api_key, key))
        if saved is None:
            return None
        if saved.endpoint != endpoint or saved.fingerprint != fingerprint:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error",
                code="idempotency_key_in_use" if saved.endpoint != endpoint else None,
            )
        return saved

    def save(self, api_key: str, key: str, endpoint: str, fingerprint: str, status: int, body: Any) -> None:
        self._saved[(api_key, key)] = Saved(endpoint, fingerprint, status, body, self.clock())

    def reset(self) -> None:
        self._saved.clear()
        self._locks.clear()

    def _forget_old(self) -> None:
        horizon = self.clock() - self.ttl_seconds
        for entry in [k for k, saved in self._saved.items() if saved.saved_at < horizon]:
            del self._saved[entry]
            lock = self._locks.get(entry)
            if lock is not None and not lock.locked():
                del self._locks[entry]
