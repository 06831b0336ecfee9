"""ticketing_svc's count of places held and sold, over gRPC (CountTaken)."""

from __future__ import annotations

import uuid

import grpc
from opentelemetry import propagate

from event_svc.application.ports import TakenPlaces
from event_svc.domain.errors import SalesUnknown
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.principal import Principal


class GrpcTakenPlaces(TakenPlaces):
    """Opens its channel on first use, inside the running event loop (grpc.aio binds to it)."""

    def __init__(self, address: str, *, deadline: float = 2.0) -> None:
        self._address = address
        self._deadline = deadline
        self._channel: grpc.aio.Channel | None = None
        self._stub: ticketing_service_pb2_grpc.TicketingServiceStub | None = None
        self._metadata = (Principal.for_service("event_svc").to_metadata(),)

    def _ticketing(self) -> ticketing_service_pb2_grpc.TicketingServiceStub:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self._address)
            self._stub = ticketing_service_pb2_grpc.TicketingServiceStub(self._channel)
        return self._stub

    async def for_event(self, event_id: uuid.UUID) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        try:
            reply = await self._ticketing().CountTaken(
                pb.CountTakenRequest(event_id=str(event_id)),
                metadata=(*self._metadata, *carrier.items()),
                timeout=self._deadline,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                return {}  # ticketing never heard of the event: nothing was sold
            raise SalesUnknown(
                "The places already sold cannot be checked right now; try again in a moment."
            ) from None
        return {
            (uuid.UUID(p.session_id), uuid.UUID(p.zone_id)): p.held + p.sold
            for p in reply.places
            if p.held + p.sold > 0
        }

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
