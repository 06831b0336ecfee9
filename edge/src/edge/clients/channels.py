"""One gRPC channel per service, carrying the request's correlation id on every call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry import propagate, trace

from taquilla_runtime.correlation import GRPC_METADATA_KEY, get_correlation_id
from taquilla_runtime.service_client import CHANNEL_OPTIONS

tracer = trace.get_tracer("edge.grpc")


class _CorrelationInterceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Adds the request's correlation id and W3C trace context to every outgoing call."""

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        method = client_call_details.method
        name = method.decode() if isinstance(method, bytes) else str(method)
        with tracer.start_as_current_span(
            name.lstrip("/"), kind=trace.SpanKind.CLIENT, attributes={"rpc.system": "grpc"}
        ) as span:
            metadata = grpc.aio.Metadata(*(client_call_details.metadata or ()))
            correlation_id = get_correlation_id()
            if correlation_id:
                metadata.add(GRPC_METADATA_KEY, correlation_id)
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            for key, value in carrier.items():
                metadata.add(key, value)
            call = await continuation(client_call_details._replace(metadata=metadata), request)
            # Awaiting inside the span times the whole RPC; the caller awaits the same call object and
            # gets its result or its error.
            try:
                await call
            except grpc.aio.AioRpcError as exc:
                span.set_status(trace.StatusCode.ERROR, exc.code().name)
            return call


def open_channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        interceptors=[_CorrelationInterceptor()],
        options=[*CHANNEL_OPTIONS, ("grpc.enable_retries", 1)],
    )


@dataclass
class ServiceChannels:
    identity: grpc.aio.Channel
    events: grpc.aio.Channel
    notifications: grpc.aio.Channel
    ticketing: grpc.aio.Channel

    @classmethod
    def open(cls, identity: str, events: str, notifications: str, ticketing: str) -> ServiceChannels:
        return cls(
            open_channel(identity), open_channel(events), open_channel(notifications), open_channel(ticketing)
        )

    def named(self) -> dict[str, grpc.aio.Channel]:
        return {
            "identity_svc": self.identity,
            "event_svc": self.events,
            "notification_svc": self.notifications,
            "ticketing_svc": self.ticketing,
        }

    async def close(self) -> None:
        for channel in self.named().values():
            await channel.close()
