"""What tests share beyond infrastructure: waiting on a condition with a deadline, and a service's
gRPC servicers served in process on a free port.

Tests never sleep for something to happen: they wait on the condition it stands for (a health
status, a committed offset, a recorded outcome) until a deadline, and fail with what they waited for.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from taquilla_runtime.grpc_server import GrpcService, Registration

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]], *, within: float, what: str, interval: float = 0.05
) -> T:
    """Calls ``check`` (plain or async) every ``interval`` seconds until it returns something truthy,
    and returns that; raises AssertionError naming ``what`` once ``within`` seconds have passed.

    The async twin of :func:`devstack.processes.wait_until`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        outcome = check()
        result: T = await outcome if inspect.isawaitable(outcome) else outcome
        if result:
            return result
        if loop.time() >= deadline:
            raise AssertionError(f"{what}: not within {within:g}s (last seen: {result!r})")
        await asyncio.sleep(interval)


@asynccontextmanager
async def in_process_service(service_name: str, *register: Registration) -> AsyncIterator[str]:
    """Serves ``register``'s servicers the way the service's process does (the runtime's
    :class:`GrpcService`: interceptors, health, reflection) on 127.0.0.1 and a free port; yields the
    address and stops the server on exit."""
    service = GrpcService(
        address="127.0.0.1:0", service_names=[service_name], register=register, grace_seconds=1
    )
    await service.start()
    try:
        yield f"127.0.0.1:{service.port}"
    finally:
        await service.stop()
