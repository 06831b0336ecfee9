"""Background loops of ticketing_svc: the hold sweeper and the catalog consumer's handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Gauge

from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.domain.commands import ExpireReservations, FollowCatalog
from ticketing_svc.domain.model import Reservation
from ticketing_svc.entrypoints.catalog_messages import command_for

log = logging.getLogger(__name__)

EXPIRED = Counter("taquilla_ticketing_svc_holds_expired_total", "Holds released because their time ran out.")
SWEEP_FAILURES = Counter(
    "taquilla_ticketing_svc_sweep_failures_total", "Sweeps of expired holds that failed."
)
SWEEP_BATCH = 200
LAST_SWEEP = Gauge(
    "taquilla_ticketing_svc_last_sweep_timestamp_seconds", "When expired holds were last looked for."
)


class HoldSweeper:
    """Releases expired holds every ``interval`` seconds, from the database's view of what is due,
    so a restart (or another replica) simply carries on where the last sweep stopped."""

    def __init__(
        self, expire: Callable[[ExpireReservations], Awaitable[list[Reservation]]], *, interval: float
    ) -> None:
        self._expire = expire
        self._interval = interval
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def sweep(self) -> int:
        """Expires everything due now, a batch per transaction; returns how many holds ended."""
        total = 0
        while True:
            expired = await self._expire(ExpireReservations(limit=SWEEP_BATCH))
            total += len(expired)
            EXPIRED.inc(len(expired))
            if len(expired) < SWEEP_BATCH:
                return total

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep()
                LAST_SWEEP.set_to_current_time()
            except Exception as exc:  # the database is away: try again at the next tick
                SWEEP_FAILURES.inc()
                log.warning("hold sweep failed", extra={"reason": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)


def catalog_handler(
    follow: Callable[[FollowCatalog], Awaitable[bool]],
) -> Callable[[Envelope], Awaitable[None]]:
    """What the consumer of taquilla.events.v1 does with each message."""

    async def handle(envelope: Envelope) -> None:
        command = command_for(envelope)
        if command is not None:
            await follow(command)

    return handle


PAYMENTS_RECONCILED = Counter(
    "taquilla_ticketing_svc_payments_reconciled_total",
    "Orders moved by asking the payment provider (a notification was late or lost).",
)
CANCELLATION_REFUNDS = Counter(
    "taquilla_ticketing_svc_cancellation_refunds_requested_total",
    "Refunds requested for the paid orders of cancelled events.",
)
REFUNDS_CONFIRMED = Counter(
    "taquilla_ticketing_svc_refunds_confirmed_total", "Refunds the provider confirmed."
)
PERIODIC_FAILURES = Counter(
    "taquilla_ticketing_svc_periodic_failures_total", "Rounds of a background job that failed.", ["job"]
)


class Periodic:
    """Runs one job every ``interval`` seconds until stopped; a failed round is counted and the next
    one tries again (the jobs carry on from the database's state, so a restart loses nothing)."""

    def __init__(
        self, name: str, job: Callable[[], Awaitable[int]], *, interval: float, counter: Counter | None = None
    ) -> None:
        self.name = name
        self._job = job
        self._interval = interval
        self._counter = counter
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                done = await self._job()
                if self._counter is not None:
                    self._counter.inc(done)
            except Exception as exc:
                PERIODIC_FAILURES.labels(self.name).inc()
                log.warning("background job failed", extra={"job": self.name, "reason": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)
