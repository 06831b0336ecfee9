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
    "purchased": pb.RESERVATION_STATUS_PURCHASED,
}
PB_TO_RESERVATION_STATUS = {value: key for key, value in RESERVATION_STATUS_TO_PB.items()}
PB_TO_QUEUE_STATUS = {
    pb.QUEUE_STATUS_WAITING: "waiting",
    pb.QUEUE_STATUS_ADMITTED: "admitted",
    pb.QUEUE_STATUS_SOLD_OUT: "sold_out",
}
ORDER_STATUS_TO_PB = {
    "pending_payment": pb.ORDER_STATUS_PENDING_PAYMENT,
    "paid": pb.ORDER_STATUS_PAID,
    "partially_refunded": pb.ORDER_STATUS_PARTIALLY_REFUNDED,
    "refunded": pb.ORDER_STATUS_REFUNDED,
    "failed": pb.ORDER_STATUS_FAILED,
    "expired": pb.ORDER_STATUS_EXPIRED,
    "cancelled": pb.ORDER_STATUS_CANCELLED,
}
PB_TO_ORDER_STATUS = {value: key for key, value in ORDER_STATUS_TO_PB.items()}
PB_TO_TICKET_STATUS = {
    pb.TICKET_STATUS_VALID: "valid",
    pb.TICKET_STATUS_REVOKED: "revoked",
    pb.TICKET_STATUS_USED: "used",
}
PB_TO_TRANSFER_STATUS = {
    pb.TRANSFER_STATUS_PENDING: "pending",
    pb.TRANSFER_STATUS_ACCEPTED: "accepted",
    pb.TRANSFER_STATUS_CANCELLED: "cancelled",
    pb.TRANSFER_STATUS_EXPIRED: "expired",
}
PB_TO_WAITLIST_STATUS = {
    pb.WAITLIST_STATUS_WAITING: "waiting",
    pb.WAITLIST_STATUS_OFFERED: "offered",
    pb.WAITLIST_STATUS_FULFILLED: "fulfilled",
    pb.WAITLIST_STATUS_EXPIRED: "expired",
    pb.WAITLIST_STATUS_LEFT: "left",
}
PB_TO_SALE_STATUS = {
    pb.SALE_STATUS_ON_SALE: "on_sale",
    pb.SALE_STATUS_FEW_LEFT: "few_left",
    pb.SALE_STATUS_SOLD_OUT: "sold_out",
    pb.SALE_STATUS_NOT_ON_SALE: "not_on_sale",
}


# The edge's own identity, for calls made on nobody's behalf (a payment provider's notification).
EDGE_SERVICE = Principal.for_service("edge")


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

    async def events_availability(self, event_ids: Sequence[str]) -> list[pb.GetAvailabilityResponse]:
        """Places left of several events in one call, in the order asked; unknown events left out."""
        reply: pb.GetEventsAvailabilityResponse = await self._stub.GetEventsAvailability(
            pb.GetEventsAvailabilityRequest(event_ids=event_ids), timeout=self._deadline
        )
        return list(reply.events)

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

    # ------------------------------------------------------------ orders

    async def create_order(
        self,
        principal: Principal,
        reservation_id: str,
        buyer: pb.Buyer,
        *,
        return_url: str,
        idempotency_key: str | None,
        fingerprint: str,
    ) -> pb.Order:
        reply: pb.OrderResponse = await self._stub.CreateOrder(
            pb.CreateOrderRequest(
                reservation_id=reservation_id,
                buyer=buyer,
                return_url=return_url,
                idempotency_key=idempotency_key or "",
                request_fingerprint=fingerprint,
            ),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.order

    async def get_order(self, principal: Principal, order_id: str) -> pb.Order:
        reply: pb.OrderResponse = await self._stub.GetOrder(
            pb.GetOrderRequest(id=order_id), metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply.order

    async def list_my_orders(
        self, principal: Principal, *, statuses: Sequence[str], limit: int, cursor: str
    ) -> pb.ListOrdersResponse:
        reply: pb.ListOrdersResponse = await self._stub.ListMyOrders(
            pb.ListMyOrdersRequest(
                limit=limit, cursor=cursor, statuses=[ORDER_STATUS_TO_PB[s] for s in statuses]
            ),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def list_event_orders(
        self,
        principal: Principal,
        event_id: str,
        *,
        query: str,
        statuses: Sequence[str],
        limit: int,
        cursor: str,
        count: bool = False,
    ) -> pb.ListOrdersResponse:
        reply: pb.ListOrdersResponse = await self._stub.ListEventOrders(
            pb.ListEventOrdersRequest(
                event_id=event_id,
                query=query,
                statuses=[ORDER_STATUS_TO_PB[s] for s in statuses],
                limit=limit,
                cursor=cursor,
                count=count,
            ),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def handle_payment_notice(self, notice: pb.PaymentNotice) -> pb.PaymentNoticeResult:
        """Hands a verified provider notification over, as the edge itself (nobody signed in)."""
        reply: pb.PaymentNoticeResult = await self._stub.HandlePaymentNotice(
            notice, metadata=(EDGE_SERVICE.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def refund_order(
        self,
        principal: Principal,
        order_id: str,
        *,
        ticket_ids: Sequence[str],
        amount: pb.Money | None,
        reason: str,
        idempotency_key: str | None,
        fingerprint: str,
    ) -> pb.RefundOrderResponse:
        request = pb.RefundOrderRequest(
            order_id=order_id,
            ticket_ids=list(ticket_ids),
            reason=reason,
            idempotency_key=idempotency_key or "",
            request_fingerprint=fingerprint,
        )
        if amount is not None:
            request.amount.CopyFrom(amount)
        reply: pb.RefundOrderResponse = await self._stub.RefundOrder(
            request, metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def event_refunds(self, principal: Principal, event_id: str) -> pb.EventRefunds:
        reply: pb.EventRefunds = await self._stub.GetEventRefunds(
            pb.GetEventRefundsRequest(event_id=event_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    # ------------------------------------------------------------ tickets

    async def list_my_tickets(
        self, principal: Principal, *, limit: int, cursor: str
    ) -> pb.ListTicketsResponse:
        reply: pb.ListTicketsResponse = await self._stub.ListMyTickets(
            pb.ListMyTicketsRequest(limit=limit, cursor=cursor),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def get_ticket(self, principal: Principal, ticket_id: str) -> pb.Ticket:
        reply: pb.TicketResponse = await self._stub.GetTicket(
            pb.GetTicketRequest(id=ticket_id), metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply.ticket

    async def ticket_qr_code(self, principal: Principal, ticket_id: str) -> pb.Document:
        reply: pb.Document = await self._stub.GetTicketQrCode(
            pb.GetTicketRequest(id=ticket_id), metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def order_tickets_pdf(self, principal: Principal, order_id: str) -> pb.Document:
        reply: pb.Document = await self._stub.GetOrderTicketsPdf(
            pb.GetOrderRequest(id=order_id), metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def ticket_signing_keys(self) -> pb.TicketSigningKeys:
        reply: pb.TicketSigningKeys = await self._stub.GetTicketSigningKeys(
            pb.GetTicketSigningKeysRequest(), timeout=self._deadline
        )
        return reply

    # ------------------------------------------------------------ ticket transfers

    async def offer_ticket_transfer(
        self, principal: Principal, ticket_id: str, email: str, sender: pb.TransferParty
    ) -> pb.TicketTransfer:
        reply: pb.TicketTransferResponse = await self._stub.OfferTicketTransfer(
            pb.OfferTicketTransferRequest(ticket_id=ticket_id, email=email, sender=sender),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.transfer

    async def get_ticket_transfer(
        self, principal: Principal, transfer_id: str, *, token: str, account_email: str
    ) -> pb.TicketTransfer:
        reply: pb.TicketTransferResponse = await self._stub.GetTicketTransfer(
            pb.GetTicketTransferRequest(id=transfer_id, token=token, account_email=account_email),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.transfer

    async def accept_ticket_transfer(
        self, principal: Principal, transfer_id: str, token: str, recipient: pb.TransferParty
    ) -> pb.TicketTransfer:
        reply: pb.TicketTransferResponse = await self._stub.AcceptTicketTransfer(
            pb.AcceptTicketTransferRequest(id=transfer_id, token=token, recipient=recipient),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.transfer

    async def cancel_ticket_transfer(self, principal: Principal, transfer_id: str) -> pb.TicketTransfer:
        reply: pb.TicketTransferResponse = await self._stub.CancelTicketTransfer(
            pb.CancelTicketTransferRequest(id=transfer_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply.transfer

    # ------------------------------------------------------------ waiting lists

    async def join_waitlist(
        self, principal: Principal, session_id: str, zone_id: str, quantity: int
    ) -> pb.WaitlistEntry:
        reply: pb.WaitlistEntry = await self._stub.JoinWaitlist(
            pb.JoinWaitlistRequest(session_id=session_id, zone_id=zone_id, quantity=quantity),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def list_my_waitlist(self, principal: Principal) -> pb.ListMyWaitlistResponse:
        reply: pb.ListMyWaitlistResponse = await self._stub.ListMyWaitlist(
            pb.ListMyWaitlistRequest(), metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def leave_waitlist(self, principal: Principal, entry_id: str) -> pb.WaitlistEntry:
        reply: pb.WaitlistEntry = await self._stub.LeaveWaitlist(
            pb.LeaveWaitlistRequest(id=entry_id), metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def waitlist_lengths(self, principal: Principal, event_id: str) -> pb.WaitlistLengths:
        reply: pb.WaitlistLengths = await self._stub.GetWaitlistLengths(
            pb.GetWaitlistLengthsRequest(event_id=event_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    # ------------------------------------------------------------ reports and exports

    async def event_report(self, principal: Principal, event_id: str, span: pb.ReportSpan) -> pb.Report:
        reply: pb.Report = await self._stub.GetEventReport(
            pb.GetEventReportRequest(event_id=event_id, span=span),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def organization_report(
        self, principal: Principal, organization_id: str, span: pb.ReportSpan
    ) -> pb.Report:
        reply: pb.Report = await self._stub.GetOrganizationReport(
            pb.GetOrganizationReportRequest(organization_id=organization_id, span=span),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def list_event_attendees(
        self, principal: Principal, event_id: str, *, limit: int, cursor: str
    ) -> pb.ListEventAttendeesResponse:
        reply: pb.ListEventAttendeesResponse = await self._stub.ListEventAttendees(
            pb.ListEventAttendeesRequest(event_id=event_id, limit=limit, cursor=cursor),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    # ------------------------------------------------------------ check-in

    async def check_in(self, principal: Principal, request: pb.CheckInRequest) -> pb.CheckInResponse:
        reply: pb.CheckInResponse = await self._stub.CheckIn(
            request, metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def check_in_batch(
        self, principal: Principal, request: pb.CheckInBatchRequest
    ) -> pb.CheckInBatchResponse:
        # Up to 500 scans in one transaction: more time than one scan.
        reply: pb.CheckInBatchResponse = await self._stub.CheckInBatch(
            request, metadata=(principal.to_metadata(),), timeout=self._deadline * 5
        )
        return reply

    async def checkin_pack(self, principal: Principal, session_id: str, cursor: str) -> pb.CheckInPack:
        reply: pb.CheckInPack = await self._stub.GetCheckInPack(
            pb.GetCheckInPackRequest(session_id=session_id, cursor=cursor),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply

    async def checkin_conflicts(self, principal: Principal, event_id: str) -> pb.ListCheckInConflictsResponse:
        reply: pb.ListCheckInConflictsResponse = await self._stub.ListCheckInConflicts(
            pb.ListCheckInConflictsRequest(event_id=event_id),
            metadata=(principal.to_metadata(),),
            timeout=self._deadline,
        )
        return reply
