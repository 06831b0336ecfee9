"""The ticket-signing key ring and the ticket documents, behind the application's ports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ticketing_svc.adapters import ticket_documents, ticket_signing
from ticketing_svc.application.ports import TicketPrinter, TicketSigner
from ticketing_svc.domain.orders import Order, Ticket, TicketClaims


class KeyRingSigner(TicketSigner):
    def __init__(self, ring: ticket_signing.TicketKeyRing) -> None:
        self._ring = ring

    def sign(self, claims: TicketClaims) -> str:
        return self._ring.sign(
            ticket_signing.TicketClaims(
                ticket_id=claims.ticket_id,
                session_id=claims.session_id,
                zone_id=claims.zone_id,
                valid_from=claims.valid_from,
                valid_until=claims.valid_until,
            )
        )

    def public_keys(self) -> list[dict[str, str]]:
        return self._ring.public_keys()

    def verify(self, secret: str) -> TicketClaims | None:
        try:
            claims = self._ring.verify(secret)
        except ticket_signing.InvalidTicketSecret:
            return None
        return TicketClaims(
            ticket_id=claims.ticket_id,
            session_id=claims.session_id,
            zone_id=claims.zone_id,
            valid_from=claims.valid_from,
            valid_until=claims.valid_until,
        )


class DocumentPrinter(TicketPrinter):
    def qr_svg(self, secret: str) -> str:
        return ticket_documents.qr_svg(secret)

    def order_pdf(
        self, order: Order, tickets: Sequence[Ticket], *, session_starts_at: dt.datetime | None
    ) -> bytes:
        return ticket_documents.tickets_pdf(
            ticket_documents.PrintableOrder(
                order_id=order.id,
                event_name=order.event_name,
                session_starts_at=session_starts_at,
                venue=None,
                locale=order.buyer.locale,
                tickets=[
                    ticket_documents.PrintableTicket(
                        ticket_id=ticket.id,
                        zone_name=ticket.zone_name,
                        holder_name=ticket.holder_name,
                        price=ticket.price.amount,
                        currency=ticket.price.currency,
                        secret=ticket.secret,
                    )
                    for ticket in tickets
                ],
            )
        )
