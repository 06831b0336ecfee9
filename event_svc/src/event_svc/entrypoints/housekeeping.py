"""Background upkeep beside the gRPC server: forgetting Idempotency-Keys once their day is over."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from event_svc.adapters.repository import purge_idempotency_keys
from event_svc.application.handlers import Clock, system_clock

log = logging.getLogger(__name__)


class IdempotencyKeyExpiry:
    """Deletes expired Idempotency-Keys every ``interval`` seconds; a failure waits for the next round."""

    def __init__(self, engine: AsyncEngine, *, interval: float = 900.0, clock: Clock = system_clock) -> None:
        self._engine = engine
        self._interval = interval
        self._clock = clock
        self._stopping = asyncio.Event()

    async def purge(self) -> int:
        async with self._engine.begin() as connection:
            return await purge_idempotency_keys(connection, self._clock())

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                purged = await self.purge()
                if purged:
                    log.info("expired idempotency keys deleted", extra={"count": purged})
            except Exception as exc:  # the database may be away; the next round retries
                log.warning("could not delete expired idempotency keys", extra={"reason": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)

    def stop(self) -> None:
        self._stopping.set()
