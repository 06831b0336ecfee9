"""The life of one service process: metrics endpoint, gRPC server, background workers, clean exit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.telemetry import MetricsEndpoint

log = logging.getLogger(__name__)


@dataclass
class Worker:
    """A background loop that runs beside the gRPC server (e.g. the outbox relay)."""

    name: str
    run: Callable[[], Coroutine[Any, Any, None]]
    stop: Callable[[], None]


@dataclass
class ServiceProcess:
    grpc: GrpcService
    metrics: MetricsEndpoint
    workers: Sequence[Worker] = ()
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def run(self) -> None:
        """Serves until SIGTERM/SIGINT; workers stop after the gRPC server has drained."""
        self.metrics.start()
        tasks = [asyncio.create_task(worker.run(), name=worker.name) for worker in self.workers]
        try:
            await self.grpc.run()
        finally:
            for worker in self.workers:
                worker.stop()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=10)
            for hook in self.on_shutdown:
                await hook()
            self.metrics.stop()
            log.info("service stopped")
