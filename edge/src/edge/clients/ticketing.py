"""Typed client of taquilla.ticketing.v1.TicketingService, with deadlines."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.principal import Principal

RESERVATION_STATUS_TO_PB = {
    "held": pb.RESERVATION_STATUS_HELD,
    "released": pb.RESERVATION_STATUS_RELEASED,
    "expired": pb.RESERVATION_STATUS_EXPIRED,
}
PB_TO_RESERVATION_STATUS = {value: key for key, value in RESERVATION_STATUS_TO_PB.items()}
PB_TO_QUEUE_STATUS = {
    pb.QUEUE_STATUS_WAITING: "waiting",
    pb.QUEUE_STATUS_ADMITTED: "admitted",
    pb.QUEUE_STATUS_SOLD_OUT: "sold_out",
}
PB_TO_SALE_STATUS = {
    pb.SALE_STATUS_ON_SALE: "on_sale",
    pb.SALE_STATUS_FEW_LEFT: "few_left",
    pb.SALE_STATUS_SOLD_OUT: "sold_out",
    pb.SALE_STATUS_NOT_ON_SALE: "not_on_sale",
}


class TicketingClient:
    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self._stub = ticketing_service_pb2_grpc.TicketingServiceStub(channel)
        self._deadline = deadline

    async def reserve(
        self,
        principal: Principal,
        session_id: str,
        items: Sequence[tuple[str, int]],
        *,
        idempotency_key: str | None,
        fingerprint: str,
        admission: str | None = None,
    ) -> pb.Reservation:
        reply: pb.ReserveResponse = await self._stub.Reserve(
            pb.ReserveRequest(
                session_id=session_id,
                items=[pb.ItemRequest(zone_id=zone_id, quantity=quantity) for zone_id, quantity in items],
                idempotency_key=idempotency_key or "",
                request_fingerprint=fingerprint,
                admission=admission or "",
            ),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.reservation

    async def get_reservation(self, principal: Principal, reservation_id: str) -> pb.Reservation:
        reply: pb.GetReservationResponse = await self._stub.GetReservation(
            pb.GetReservationRequest(id=reservation_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.reservation

    async def list_reservations(
        self, principal: Principal, *, statuses: Sequence[str], limit: int, cursor: str
    ) -> pb.ListMyReservationsResponse:
        reply: pb.ListMyReservationsResponse = await self._stub.ListMyReservations(
            pb.ListMyReservationsRequest(
                limit=limit, cursor=cursor, statuses=[RESERVATION_STATUS_TO_PB[s] for s in statuses]
            ),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def release_reservation(self, principal: Principal, reservation_id: str) -> pb.Reservation:
        reply: pb.ReleaseReservationResponse = await self._stub.ReleaseReservation(
            pb.ReleaseReservationRequest(id=reservation_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.reservation

    async def availability(self, event_id: str) -> pb.GetAvailabilityResponse:
        reply: pb.GetAvailabilityResponse = await self._stub.GetAvailability(
            pb.GetAvailabilityRequest(event_id=event_id), timeout=self._deadline
        )
        return reply

    async def join_queue(self, principal: Principal, event_id: str) -> pb.QueueStanding:
        reply: pb.QueueStanding = await self._stub.JoinQueue(
            pb.JoinQueueRequest(event_id=event_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def queue_standing(self, principal: Principal, queue_id: str) -> pb.QueueStanding:
        reply: pb.QueueStanding = await self._stub.GetQueueStanding(
            pb.GetQueueStandingRequest(queue_id=queue_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply
