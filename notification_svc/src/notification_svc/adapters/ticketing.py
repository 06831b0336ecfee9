"""The tickets of a paid order from ticketing_svc (gRPC, as the service notification_svc): the PDF it
prints, and each ticket's QR code drawn here as a PNG from the ticket's signed secret.

The secrets are read over gRPC only to draw the codes; they never reach a log or the database.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

import grpc
import segno

from notification_svc.adapters.directory import AWAY
from notification_svc.application.ports import Enclosure, OrderTickets, TicketDocuments
from notification_svc.domain.errors import DeliveryFailed, DependencyUnavailable
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.service_client import ServiceClient

# Answers that will not change by asking again: the notification fails for good (dead-lettered,
# replayable once fixed). Anything else (UNAVAILABLE, DEADLINE_EXCEEDED, ...) is retried.
PERMANENT = frozenset(
    {
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
    }
)
MESSAGE_DOMAIN = "taquilla.local"


def qr_png(secret: str) -> bytes:
    """The ticket's QR code as a PNG, big enough for a phone screen at the door."""
    buffer = io.BytesIO()
    segno.make(secret, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def qr_content_id(ticket_id: str) -> str:
    return f"qr-{ticket_id}@{MESSAGE_DOMAIN}"


class TicketingDocuments(TicketDocuments):
    def __init__(self, ticketing_address: str, *, deadline: float = 10.0) -> None:
        self._ticketing = ServiceClient(
            ticketing_address,
            ticketing_service_pb2_grpc.TicketingServiceStub,
            caller="notification_svc",
            deadline=deadline,
        )

    async def for_order(self, order_id: str, ticket_ids: Sequence[str]) -> OrderTickets:
        try:
            document = await self._pdf(order_id)
            tickets = await asyncio.gather(*(self._ticket(ticket_id) for ticket_id in ticket_ids))
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            if code in AWAY:
                raise DependencyUnavailable("ticketing_svc", code.name) from None
            raise DeliveryFailed(f"ticketing_svc {code.name}", permanent=code in PERMANENT) from None
        pdf = Enclosure(
            document.content,
            document.content_type or "application/pdf",
            document.filename or f"taquilla-order-{order_id}.pdf",
        )
        qr_codes: dict[str, Enclosure] = {}
        for ticket in tickets:
            if ticket.secret:  # a ticket that no longer admits anyone has none
                qr_codes[ticket.id] = Enclosure(
                    qr_png(ticket.secret), "image/png", f"ticket-{ticket.id}.png", qr_content_id(ticket.id)
                )
        return OrderTickets(pdf, qr_codes)

    async def _pdf(self, order_id: str) -> pb.Document:
        document: pb.Document = await self._ticketing.stub.GetOrderTicketsPdf(
            pb.GetOrderRequest(id=order_id),
            metadata=self._ticketing.metadata(),
            timeout=self._ticketing.deadline,
        )
        return document

    async def _ticket(self, ticket_id: str) -> pb.Ticket:
        reply: pb.TicketResponse = await self._ticketing.stub.GetTicket(
            pb.GetTicketRequest(id=ticket_id),
            metadata=self._ticketing.metadata(),
            timeout=self._ticketing.deadline,
        )
        return reply.ticket

    async def close(self) -> None:
        await self._ticketing.close()
