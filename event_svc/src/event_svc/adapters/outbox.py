"""Domain events → message envelopes in the outbox table (same transaction as the change).

Payloads use the envelope's camelCase. Every message of one event is keyed by the event id, so
consumers see an event's messages in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from event_svc.application.ports import Outbox
from event_svc.config import EVENTS_TOPIC
from event_svc.domain.events import (
    DomainEvent,
    EventCancelled,
    EventCreated,
    EventPublished,
    EventUpdated,
    SessionChanged,
)
from event_svc.domain.model import Event, Session
from event_svc.domain.values import utc_iso
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import outbox_insert

_TRACE_CONTEXT = TraceContextTextMapPropagator()


class SqlOutbox(Outbox):
    def __init__(self, connection: AsyncConnection, table: Table, topic: str = EVENTS_TOPIC) -> None:
        self._connection = connection
        self._table = table
        self._topic = topic

    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        traceparent = current_traceparent()
        for event in events:
            await outbox_insert(
                self._connection,
                self._table,
                topic=self._topic,
                envelope=envelope_for(event, correlation_id),
                traceparent=traceparent,
            )


def current_traceparent() -> str | None:
    """The W3C traceparent of the current OpenTelemetry span, if there is one."""
    carrier: dict[str, str] = {}
    _TRACE_CONTEXT.inject(carrier)
    return carrier.get("traceparent")


def envelope_for(domain_event: DomainEvent, correlation_id: str | None) -> Envelope:
    event = domain_event.event
    payload: dict[str, Any]
    match domain_event:
        case EventCreated():
            kind, payload = "EventCreated", {"event": event_payload(event)}
        case EventPublished():
            kind, payload = "EventPublished", {"event": event_payload(event)}
        case EventUpdated(changed=changed):
            kind, payload = "EventUpdated", {"changed": list(changed), "event": event_payload(event)}
        case EventCancelled(reason=reason):
            kind, payload = "EventCancelled", {"reason": reason, "event": event_payload(event)}
        case SessionChanged(session=session, change=change):
            kind = "SessionChanged"
            payload = {
                "change": change.value,
                "eventVersion": event.version,
                "eventStatus": event.status.value,
                "session": session_payload(session, event.zones_capacity),
            }
    return Envelope.new(
        event_id=event.id,
        name=event.name,
        type=kind,
        payload=payload,
        correlation_id=correlation_id,
        occurred_at=domain_event.occurred_at,
    )


def _optional_time(value: Any) -> str | None:
    return utc_iso(value) if value is not None else None


def event_payload(event: Event) -> dict[str, Any]:
    zones_capacity = event.zones_capacity
    return {
        "id": str(event.id),
        "organizationId": str(event.organization_id),
        # notification_svc writes to the creator: it looks the user up by this id.
        "createdBy": str(event.created_by),
        "name": event.name,
        "category": event.category.value,
        "status": event.status.value,
        "startsAt": utc_iso(event.starts_at),
        "endsAt": utc_iso(event.ends_at),
        "timezone": event.timezone,
        "venue": {
            "name": event.venue.name,
            "city": event.venue.city,
            "address": event.venue.address,
            "latitude": event.venue.latitude,
            "longitude": event.venue.longitude,
        },
        "imageUrl": event.image_url,
        "capacity": event.capacity,
        "version": event.version,
        "zones": [
            {
                "id": str(zone.id),
                "name": zone.name,
                "price": {"amount": f"{zone.price.amount:.2f}", "currency": zone.price.currency},
                "capacity": zone.capacity,
                "maxPerOrder": zone.max_per_order,
            }
            for zone in event.zones
        ],
        "sales": {
            "onSaleAt": _optional_time(event.sales.on_sale_at),
            "holdMinutes": event.sales.hold_minutes,
            "maxPerCustomer": event.sales.max_per_customer,
            "waitingRoom": event.sales.waiting_room,
            "admissionPerMinute": event.sales.admission_per_minute,
            "paymentMinutes": event.sales.payment_minutes,
            "reentryAllowed": event.sales.reentry_allowed,
            "transfersAllowed": event.sales.transfers_allowed,
        },
        "sessions": [session_payload(session, zones_capacity) for session in event.live_sessions],
        "publishedAt": _optional_time(event.published_at),
        "cancelledAt": _optional_time(event.cancelled_at),
        "deletedAt": _optional_time(event.deleted_at),
    }


def session_payload(session: Session, zones_capacity: int) -> dict[str, Any]:
    return {
        "id": str(session.id),
        "title": session.title,
        "startsAt": utc_iso(session.starts_at),
        "endsAt": utc_iso(session.ends_at),
        "place": session.place,
        "status": session.status.value,
        "capacity": session.capacity(zones_capacity),
        "removed": session.removed,
    }
