"""Domain events → message envelopes in the outbox table (same transaction as the change).

Messages go to taquilla.ticketing.v1 keyed by session id, so every message about one zone of one
session (holds, releases, sold-out transitions) reaches consumers in order. ``eventId`` and ``name``
are the catalog event's, as on every message of the platform.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import outbox_insert
from ticketing_svc.adapters.orm import outbox
from ticketing_svc.application.ports import Outbox
from ticketing_svc.config import TICKETING_TOPIC
from ticketing_svc.domain.events import (
    DomainEvent,
    OrderExpired,
    OrderPaid,
    OrderPaymentFailed,
    OrderPlaced,
    OrderRefunded,
    ReservationExpired,
    ReservationHeld,
    ReservationReleased,
    TicketCheckedIn,
    TicketTransferOffered,
    TicketTransferred,
    WaitlistJoined,
    WaitlistLeft,
    WaitlistOffered,
    ZoneBackOnSale,
    ZoneSoldOut,
)
from ticketing_svc.domain.model import InventoryLine, Money, Reservation, ReservationItem
from ticketing_svc.domain.orders import Order, Ticket
from ticketing_svc.domain.transfers import Party, TicketTransfer


class SqlOutbox(Outbox):
    def __init__(self, connection: AsyncConnection, topic: str = TICKETING_TOPIC) -> None:
        self._connection = connection
        self._topic = topic

    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        for event in events:
            envelope, key = envelope_for(event, correlation_id)
            await outbox_insert(self._connection, outbox, topic=self._topic, envelope=envelope, key=key)


def envelope_for(event: DomainEvent, correlation_id: str | None) -> tuple[Envelope, str]:
    """The message for a domain event, and its Kafka key (the session id)."""
    payload: dict[str, Any]
    match event:
        case (
            ReservationHeld(reservation=r)
            | ReservationReleased(reservation=r)
            | ReservationExpired(reservation=r)
        ):
            kind = type(event).__name__
            payload = {"reservation": reservation_payload(r)}
            event_id, name, key = r.event_id, r.event_name, str(r.session_id)
        case ZoneSoldOut(line=line) | ZoneBackOnSale(line=line):
            kind = type(event).__name__
            payload = line_payload(line)
            event_id, name, key = event.event_id, event.event_name, str(line.session_id)
        case OrderPlaced(order=o) | OrderPaymentFailed(order=o) | OrderExpired(order=o):
            kind = type(event).__name__
            payload = {"order": order_payload(o)}
            event_id, name, key = o.event_id, o.event_name, str(o.session_id)
        case OrderPaid(order=o, tickets=issued):
            kind = "OrderPaid"
            payload = {"order": order_payload(o), "tickets": [ticket_payload(t) for t in issued]}
            event_id, name, key = o.event_id, o.event_name, str(o.session_id)
        case OrderRefunded(order=o, amount=amount, reason=reason, ticket_ids=ticket_ids):
            kind = "OrderRefunded"
            payload = {
                "order": order_payload(o),
                "refund": {
                    "amount": money_payload(amount),
                    "reason": reason,
                    "ticketIds": [str(ticket_id) for ticket_id in ticket_ids],
                },
            }
            event_id, name, key = o.event_id, o.event_name, str(o.session_id)
        case TicketTransferOffered(transfer=t, ticket=ticket, token=token):
            kind = "TicketTransferOffered"
            payload = {
                "transfer": transfer_payload(t, Party("", t.recipient_email, t.sender.locale)),
                "ticket": ticket_payload(ticket),
                # The link's secret, for the recipient's e-mail only: consumers must not log it.
                "token": token,
            }
            event_id, name, key = t.event_id, t.event_name, str(t.session_id)
        case TicketTransferred(transfer=t, ticket=ticket, recipient=recipient):
            kind = "TicketTransferred"
            payload = {"transfer": transfer_payload(t, recipient), "ticket": ticket_payload(ticket)}
            event_id, name, key = t.event_id, t.event_name, str(t.session_id)
        case WaitlistOffered():
            kind = "WaitlistOffered"
            payload = {"offer": offer_payload(event)}
            event_id, name, key = event.event_id, event.event_name, str(event.session_id)
        case WaitlistJoined() | WaitlistLeft():
            kind = type(event).__name__
            payload = {"entry": waitlist_entry_payload(event)}
            event_id, name, key = event.event_id, event.event_name, str(event.session_id)
        case TicketCheckedIn():
            kind = "TicketCheckedIn"
            payload = {"admission": admission_payload(event)}
            event_id, name, key = event.event_id, event.event_name, str(event.session_id)
    envelope = Envelope.new(
        event_id=event_id,
        name=name,
        type=kind,
        payload=payload,
        correlation_id=correlation_id,
        occurred_at=event.occurred_at,
    )
    return envelope, key


def utc_iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def reservation_payload(reservation: Reservation) -> dict[str, Any]:
    total = reservation.total
    return {
        "id": str(reservation.id),
        "customerId": str(reservation.customer_id),
        "sessionId": str(reservation.session_id),
        "status": reservation.status.value,
        "items": items_payload(reservation.items),
        "total": money_payload(total),
        "createdAt": utc_iso(reservation.created_at),
        "expiresAt": utc_iso(reservation.expires_at),
        "endedAt": utc_iso(reservation.ended_at) if reservation.ended_at else None,
    }


def line_payload(line: InventoryLine) -> dict[str, Any]:
    return {
        "sessionId": str(line.session_id),
        "zoneId": str(line.zone_id),
        "capacity": line.capacity,
        "held": line.held,
        "sold": line.sold,
        "available": line.available,
    }


def money_payload(value: Money) -> dict[str, str]:
    return {"amount": f"{value.amount:.2f}", "currency": value.currency}


def items_payload(items: tuple[ReservationItem, ...]) -> list[dict[str, Any]]:
    return [
        {"zoneId": str(item.zone_id), "quantity": item.quantity, "unitPrice": money_payload(item.unit_price)}
        for item in items
    ]


def order_payload(order: Order) -> dict[str, Any]:
    """An order as its messages carry it. The buyer's e-mail is there for the confirmation e-mail
    (notification_svc); consumers must not log it."""
    total = order.total
    return {
        "id": str(order.id),
        "reservationId": str(order.reservation_id),
        "customerId": str(order.customer_id),
        "organizationId": str(order.organization_id),
        "sessionId": str(order.session_id),
        "status": order.status.value,
        "items": [
            {**item, "zoneName": source.zone_name}
            for item, source in zip(items_payload(order.items), order.items, strict=True)
        ],
        "total": money_payload(total),
        "refunded": money_payload(Money(order.refunded, total.currency)),
        "buyer": {"name": order.buyer.name, "email": order.buyer.email, "locale": order.buyer.locale},
        "createdAt": utc_iso(order.created_at),
        "payBy": utc_iso(order.pay_by),
        "paidAt": utc_iso(order.paid_at) if order.paid_at else None,
        "failureCode": order.failure_code,
        "ticketIds": [str(ticket_id) for ticket_id in order.ticket_ids],
    }


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    """A ticket without its secret: the QR content never travels in messages."""
    return {
        "id": str(ticket.id),
        "zoneId": str(ticket.zone_id),
        "zoneName": ticket.zone_name,
        "holderName": ticket.holder_name,
        "price": money_payload(ticket.price),
        "status": ticket.status.value,
    }


def party_payload(party: Party) -> dict[str, str]:
    return {"name": party.name, "email": party.email, "locale": party.locale}


def transfer_payload(transfer: TicketTransfer, recipient: Party) -> dict[str, Any]:
    """A transfer as its messages carry it; the parties' addresses are there for their e-mails
    (notification_svc), and consumers must not log them."""
    return {
        "id": str(transfer.id),
        "ticketId": str(transfer.ticket_id),
        "newTicketId": str(transfer.new_ticket_id) if transfer.new_ticket_id else None,
        "orderId": str(transfer.order_id),
        "sessionId": str(transfer.session_id),
        "status": transfer.status.value,
        "sender": party_payload(transfer.sender),
        "recipient": party_payload(recipient),
        "createdAt": utc_iso(transfer.created_at),
        "expiresAt": utc_iso(transfer.expires_at),
        "acceptedAt": utc_iso(transfer.accepted_at) if transfer.accepted_at else None,
    }


def offer_payload(offer: WaitlistOffered) -> dict[str, Any]:
    """Places held for the next buyer of a waiting list. The buyer is named by account only
    (notification_svc looks the address up in identity_svc)."""
    return {
        "entryId": str(offer.entry_id),
        "customerId": str(offer.customer_id),
        "reservationId": str(offer.reservation_id),
        "sessionId": str(offer.session_id),
        "sessionStartsAt": utc_iso(offer.session_starts_at) if offer.session_starts_at else None,
        "zoneId": str(offer.zone_id),
        "zoneName": offer.zone_name,
        "quantity": offer.quantity,
        "expiresAt": utc_iso(offer.expires_at),
    }


def admission_payload(admission: TicketCheckedIn) -> dict[str, Any]:
    """A scan that let a ticket's holder in or out (no personal data: the holder is the ticket's)."""
    return {
        "ticketId": str(admission.ticket_id),
        "orderId": str(admission.order_id),
        "sessionId": str(admission.session_id),
        "zoneId": str(admission.zone_id),
        "direction": admission.direction,
        "scannedAt": utc_iso(admission.scanned_at),
        "deviceId": admission.device_id,
        "doubleAdmission": admission.double_admission,
    }


def waitlist_entry_payload(change: WaitlistJoined | WaitlistLeft) -> dict[str, Any]:
    """An entry joining or leaving a waiting list, by ids only (no buyer travels)."""
    payload: dict[str, Any] = {
        "entryId": str(change.entry_id),
        "sessionId": str(change.session_id),
        "zoneId": str(change.zone_id),
        "quantity": change.quantity,
    }
    if isinstance(change, WaitlistLeft):
        payload["reason"] = change.reason
    return payload
