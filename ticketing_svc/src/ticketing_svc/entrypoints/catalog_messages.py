"""The catalog's messages (taquilla.events.v1) as ticketing commands: the one reader of their payloads.

Full messages (EventCreated, EventPublished, EventUpdated, EventCancelled) carry the whole event;
SessionChanged carries one session with the event's version and status after the change. Other
types are of no interest to ticketing and become None.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from taquilla_runtime.messaging.consumer import PoisonMessage
from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.domain.commands import FollowCatalog
from ticketing_svc.domain.model import (
    DEFAULT_ADMISSION_PER_MINUTE,
    DEFAULT_HOLD_MINUTES,
    DEFAULT_MAX_PER_ORDER,
    DEFAULT_PAYMENT_MINUTES,
    CatalogEvent,
    CatalogSession,
    CatalogZone,
    Money,
    SaleSettings,
    SessionUpdate,
)

FULL_EVENT_TYPES = frozenset({"EventCreated", "EventPublished", "EventUpdated", "EventCancelled"})


class UnreadableMessage(PoisonMessage):
    """A catalog message of a known type whose payload is not what the catalog sends."""


def command_for(envelope: Envelope) -> FollowCatalog | None:
    try:
        if envelope.type in FULL_EVENT_TYPES:
            return FollowCatalog(
                message_id=envelope.message_id,
                message_type=envelope.type,
                event_id=envelope.event_id,
                event=event_from(envelope.payload["event"]),
            )
        if envelope.type == "SessionChanged":
            payload = envelope.payload
            return FollowCatalog(
                message_id=envelope.message_id,
                message_type=envelope.type,
                event_id=envelope.event_id,
                session=SessionUpdate(
                    event_version=int(payload["eventVersion"]),
                    event_status=str(payload["eventStatus"]),
                    session=session_from(payload["session"]),
                ),
            )
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise UnreadableMessage(f"{envelope.type}: {type(exc).__name__}") from None
    return None


def session_from(data: dict[str, Any]) -> CatalogSession:
    return CatalogSession(
        uuid.UUID(data["id"]),
        str(data["status"]),
        bool(data.get("removed", False)),
        starts_at=_instant(data.get("startsAt")),
        ends_at=_instant(data.get("endsAt")),
    )


def _instant(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def event_from(data: dict[str, Any]) -> CatalogEvent:
    sales = data.get("sales") or {}
    on_sale_at = sales.get("onSaleAt")
    max_per_customer = sales.get("maxPerCustomer")
    return CatalogEvent(
        id=uuid.UUID(data["id"]),
        organization_id=uuid.UUID(data["organizationId"]),
        name=str(data["name"]),
        status=str(data["status"]),
        version=int(data["version"]),
        zones=tuple(
            CatalogZone(
                id=uuid.UUID(zone["id"]),
                name=str(zone["name"]),
                price=Money(Decimal(zone["price"]["amount"]), str(zone["price"]["currency"])),
                capacity=int(zone["capacity"]),
                max_per_order=int(zone.get("maxPerOrder") or DEFAULT_MAX_PER_ORDER),
            )
            for zone in data["zones"]
        ),
        sessions=tuple(session_from(session) for session in data["sessions"]),
        settings=SaleSettings(
            on_sale_at=_instant(on_sale_at),
            hold_minutes=int(sales.get("holdMinutes") or DEFAULT_HOLD_MINUTES),
            max_per_customer=int(max_per_customer) if max_per_customer else None,
            waiting_room=bool(sales.get("waitingRoom", False)),
            admission_per_minute=int(sales.get("admissionPerMinute") or DEFAULT_ADMISSION_PER_MINUTE),
            payment_minutes=int(sales.get("paymentMinutes") or DEFAULT_PAYMENT_MINUTES),
            reentry_allowed=bool(sales.get("reentryAllowed", False)),
            transfers_allowed=bool(sales.get("transfersAllowed", True)),
        ),
    )
