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
    ReservationExpired,
    ReservationHeld,
    ReservationReleased,
    ZoneBackOnSale,
    ZoneSoldOut,
)
from ticketing_svc.domain.model import InventoryLine, Reservation


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
        "items": [
            {
                "zoneId": str(item.zone_id),
                "quantity": item.quantity,
                "unitPrice": {
                    "amount": f"{item.unit_price.amount:.2f}",
                    "currency": item.unit_price.currency,
                },
            }
            for item in reservation.items
        ],
        "total": {"amount": f"{total.amount:.2f}", "currency": total.currency},
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
