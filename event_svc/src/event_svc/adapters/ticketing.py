"""ticketing_svc's count of places held and sold, over gRPC (CountTaken)."""

from __future__ import annotations

import uuid

import grpc

from event_svc.application.ports import TakenPlaces
from event_svc.domain.errors import SalesUnknown
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.service_client import ServiceClient


class GrpcTakenPlaces(TakenPlaces):
    def __init__(self, address: str, *, deadline: float = 2.0) -> None:
        self._ticketing = ServiceClient(
            address, ticketing_service_pb2_grpc.TicketingServiceStub, caller="event_svc", deadline=deadline
        )

    async def for_event(self, event_id: uuid.UUID) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
        try:
            reply = await self._ticketing.stub.CountTaken(
                pb.CountTakenRequest(event_id=str(event_id)),
                metadata=self._ticketing.metadata(),
                timeout=self._ticketing.deadline,
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
        await self._ticketing.close()
