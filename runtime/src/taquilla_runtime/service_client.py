"""How a service calls another one: a stub whose channel opens on first use, inside the running
event loop (grpc.aio binds a channel to the loop that made it), and calls that carry the calling
service's own identity and the current trace, with a deadline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import grpc
from opentelemetry import propagate

from taquilla_runtime.principal import Principal

StubT = TypeVar("StubT")


class ServiceClient(Generic[StubT]):
    def __init__(
        self, address: str, stub_type: Callable[[grpc.aio.Channel], StubT], *, caller: str, deadline: float
    ) -> None:
        self._address = address
        self._stub_type = stub_type
        self._identity = Principal.for_service(caller).to_metadata()
        self.deadline = deadline
        self._channel: grpc.aio.Channel | None = None
        self._stub: StubT | None = None

    @property
    def stub(self) -> StubT:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self._address)
            self._stub = self._stub_type(self._channel)
        return self._stub

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """This service's identity and the current trace (the callee's spans join it)."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return (self._identity, *carrier.items())

    async def close(self) -> None:
        """Closes the channel; the next call opens a new one."""
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None
