"""One gRPC channel per service, carrying the request's correlation id on every call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from taquilla_runtime.correlation import GRPC_METADATA_KEY, get_correlation_id


class _CorrelationInterceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        correlation_id = get_correlation_id()
        if correlation_id:
            metadata = grpc.aio.Metadata(*(client_call_details.metadata or ()))
            metadata.add(GRPC_METADATA_KEY, correlation_id)
            client_call_details = client_call_details._replace(metadata=metadata)
        return await continuation(client_call_details, request)


def open_channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        interceptors=[_CorrelationInterceptor()],
        options=[("grpc.keepalive_time_ms", 30_000), ("grpc.enable_retries", 1)],
    )


@dataclass
class ServiceChannels:
    identity: grpc.aio.Channel
    events: grpc.aio.Channel
    notifications: grpc.aio.Channel

    @classmethod
    def open(cls, identity: str, events: str, notifications: str) -> ServiceChannels:
        return cls(open_channel(identity), open_channel(events), open_channel(notifications))

    def named(self) -> dict[str, grpc.aio.Channel]:
        return {
            "identity_svc": self.identity,
            "event_svc": self.events,
            "notification_svc": self.notifications,
        }

    async def close(self) -> None:
        for channel in self.named().values():
            await channel.close()
