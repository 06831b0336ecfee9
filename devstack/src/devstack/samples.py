"""Sample messages of the platform's topics, whole and valid against their schemas
(protos/taquilla/<context>/v1/messages.schema.json; tests/contracts checks every kind), for tests that
feed a consumer directly. Tests build their inputs from here instead of writing payload fragments
that can drift from what producers send."""

from __future__ import annotations

import uuid
from typing import Any

from taquilla_runtime.messaging.envelope import Envelope

DEMO_ORGANIZER = "5e1d0000-0000-4000-8000-000000000002"
CATALOG_KINDS = ("EventCreated", "EventPublished", "EventUpdated", "EventCancelled")


def catalog_event(kind: str = "EventCreated", **overrides: Any) -> dict[str, Any]:
    """An event as taquilla.events.v1 carries it (``payload.event``), in the status ``kind`` leaves it."""
    status = {"EventCreated": "draft", "EventCancelled": "cancelled"}.get(kind, "published")
    starts, ends = (
        overrides.get("startsAt", "2027-05-01T01:00:00Z"),
        overrides.get("endsAt", "2027-05-01T04:00:00Z"),
    )
    capacity = int(overrides.get("capacity", 100))
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "organizationId": "5e1d0000-0000-4000-8000-000000000001",
        "createdBy": DEMO_ORGANIZER,
        "name": "Noche de Jazz",
        "category": "concert",
        "status": status,
        "startsAt": starts,
        "endsAt": ends,
        "timezone": "Europe/Madrid",
        "venue": {
            "name": "Sala",
            "city": "Madrid",
            "address": "Calle 1",
            "latitude": None,
            "longitude": None,
        },
        "imageUrl": None,
        "capacity": capacity,
        "version": 1,
        "zones": [
            {
                "id": str(uuid.uuid4()),
                "name": "General",
                "price": {"amount": "25.50", "currency": "EUR"},
                "capacity": capacity,
                "maxPerOrder": 10,
            }
        ],
        "sales": {
            "onSaleAt": None,
            "holdMinutes": 10,
            "maxPerCustomer": None,
            "waitingRoom": False,
            "admissionPerMinute": 300,
            "paymentMinutes": 10,
            "reentryAllowed": False,
            "transfersAllowed": True,
        },
        "sessions": [
            {
                "id": str(uuid.uuid4()),
                "title": "",
                "startsAt": starts,
                "endsAt": ends,
                "place": "",
                "status": {"draft": "draft", "cancelled": "cancelled"}.get(status, "on_sale"),
                "capacity": capacity,
                "removed": False,
            }
        ],
        "publishedAt": None if status == "draft" else "2027-01-10T12:00:00Z",
        "cancelledAt": "2027-01-11T12:00:00Z" if status == "cancelled" else None,
        "deletedAt": None,
    }
    event.update(overrides)
    return event


def catalog_message(kind: str = "EventCreated", **overrides: Any) -> Envelope:
    """A whole catalog message of ``kind``; ``overrides`` replace members of its event."""
    event = catalog_event(kind, **overrides)
    payload: dict[str, Any] = {"event": event}
    if kind == "EventCancelled":
        payload["reason"] = "Lluvia"
    if kind == "EventUpdated":
        payload["changed"] = ["name"]
    return Envelope.new(event_id=uuid.UUID(event["id"]), name=event["name"], type=kind, payload=payload)
