"""How a service calls another one: a stub whose channel opens on first use, inside the running
event loop (grpc.aio binds a channel to the loop that made it), and calls that carry the calling
service's own identity and the current trace, with a deadline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Generic, TypeVar

import grpc
from opentelemetry import propagate

from taquilla_runtime.principal import Principal

StubT = TypeVar("StubT")

# Every channel from one service to another. With several replicas behind one DNS name (a headless
# Kubernetes Service, target ``dns:///name:port``) the channel keeps a connection to each address
# and spreads calls over them (round_robin); gRPC's default, pick_first, would send every call of
# this process to one replica. Servers close connections after GRPC_MAX_CONNECTION_AGE_MS
# (taquilla_runtime.grpc_server), which makes clients resolve the name again and find new replicas.
CHANNEL_OPTIONS: tuple[tuple[str, str | int], ...] = (
    ("grpc.service_config", json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})),
    ("grpc.keepalive_time_ms", 30_000),
)


class ServiceClient(Generic[StubT]):
    def __init__(
        self, address: str, stub_type: Callable[[grpc.aio.Channel], StubT], *, caller: str, deadline: float
    ) -> None:
        self._address = address
        self._stub_type = stub_type
        self._identity = Principal.for_service(caller)
        self.deadline = deadline
        self._channel: grpc.aio.Channel | None = None
        self._stub: StubT | None = None

    @property
    def stub(self) -> StubT:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self._address, options=CHANNEL_OPTIONS)
            self._stub = self._stub_type(self._channel)
        return self._stub

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """This service's identity and the current trace (the callee's spans join it)."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return (self._identity.to_metadata(), *carrier.items())

    async def close(self) -> None:
        """Closes the channel; the next call opens a new one."""
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None
