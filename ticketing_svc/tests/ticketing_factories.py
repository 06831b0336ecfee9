"""Catalog events, messages and commands for ticketing's tests, with random ids."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.model import CatalogEvent, CatalogSession, CatalogZone, Money, SaleSettings

NOW = dt.datetime(2027, 3, 1, 18, 0, tzinfo=dt.UTC)


def buyer() -> Actor:
    return Actor(uuid.uuid4(), ActorKind.USER)


def make_zone(
    capacity: int = 100, *, max_per_order: int = 10, amount: str = "25.50", currency: str = "EUR"
) -> CatalogZone:
    return CatalogZone(uuid.uuid4(), "Pista", Money(Decimal(amount), currency), capacity, max_per_order)


def make_event(
    *,
    zones: int | Sequence[CatalogZone] = 1,
    capacity: int = 100,
    sessions: int = 1,
    status: str = "published",
    session_status: str = "on_sale",
    version: int = 2,
    settings: SaleSettings | None = None,
    **overrides: Any,
) -> CatalogEvent:
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "organization_id": uuid.uuid4(),
        "name": "Noche de Tango",
        "status": status,
        "version": version,
        "zones": tuple(zones)
        if not isinstance(zones, int)
        else tuple(
            CatalogZone(uuid.uuid4(), f"Zona {i + 1}", Money(Decimal("25.50"), "EUR"), capacity)
            for i in range(zones)
        ),
        "sessions": tuple(
            CatalogSession(uuid.uuid4(), session_status, starts_at=NOW, ends_at=NOW + dt.timedelta(hours=4))
            for _ in range(sessions)
        ),
        "settings": settings or SaleSettings(),
    }
    fields.update(overrides)
    return CatalogEvent(**fields)


def _instant(moment: dt.datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def catalog_payload(event: CatalogEvent) -> dict[str, Any]:
    """The event as event_svc's messages carry it (taquilla.events.v1 `payload.event`)."""
    return {
        "id": str(event.id),
        "organizationId": str(event.organization_id),
        "createdBy": str(uuid.uuid4()),
        "name": event.name,
        "category": "concert",
        "status": event.status,
        "startsAt": "2027-03-01T18:00:00Z",
        "endsAt": "2027-03-01T22:00:00Z",
        "timezone": "Europe/Madrid",
        "venue": {
            "name": "Sala",
            "city": "Madrid",
            "address": "Calle 1",
            "latitude": None,
            "longitude": None,
        },
        "imageUrl": None,
        "capacity": sum(z.capacity for z in event.zones) * len(event.sessions),
        "version": event.version,
        "zones": [
            {
                "id": str(z.id),
                "name": z.name,
                "price": {"amount": f"{z.price.amount:.2f}", "currency": z.price.currency},
                "capacity": z.capacity,
                "maxPerOrder": z.max_per_order,
            }
            for z in event.zones
        ],
        "sales": {
            "onSaleAt": event.settings.on_sale_at.isoformat().replace("+00:00", "Z")
            if event.settings.on_sale_at
            else None,
            "holdMinutes": event.settings.hold_minutes,
            "maxPerCustomer": event.settings.max_per_customer,
            "waitingRoom": event.settings.waiting_room,
            "admissionPerMinute": event.settings.admission_per_minute,
            "paymentMinutes": event.settings.payment_minutes,
            "reentryAllowed": event.settings.reentry_allowed,
            "transfersAllowed": event.settings.transfers_allowed,
        },
        "sessions": [
            {
                "id": str(s.id),
                "title": "",
                "startsAt": _instant(s.starts_at) or "2027-03-01T18:00:00Z",
                "endsAt": _instant(s.ends_at) or "2027-03-01T22:00:00Z",
                "place": "",
                "status": s.status,
                "capacity": sum(z.capacity for z in event.zones),
                "removed": s.removed,
            }
            for s in event.sessions
        ],
        "publishedAt": "2027-02-01T10:00:00Z",
        "cancelledAt": None,
        "deletedAt": None,
    }


def catalog_message(event: CatalogEvent, message_type: str = "EventPublished") -> Envelope:
    return Envelope.new(
        event_id=event.id, name=event.name, type=message_type, payload={"event": catalog_payload(event)}
    )
