"""Messages of taquilla.ticketing.v1 as ticketing_svc's outbox writes them (adapters/outbox.py), with
random ids: for the unit tests and the integration tests of the buyers' e-mails."""

from __future__ import annotations

import uuid
from typing import Any

from taquilla_runtime.messaging.envelope import Envelope

EVENT_NAME = "Festival de Música del Caribe"


def money(amount: str, currency: str = "COP") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def make_ticket(**overrides: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "zoneId": str(uuid.uuid4()),
        "zoneName": "Platea",
        "holderName": "Rita Prueba",
        "price": money("120000.00"),
        "status": "valid",
    }
    ticket.update(overrides)
    return ticket


def make_order(*, locale: str = "es", email: str | None = None, **overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "reservationId": str(uuid.uuid4()),
        "customerId": str(uuid.uuid4()),
        "organizationId": str(uuid.uuid4()),
        "sessionId": str(uuid.uuid4()),
        "status": "pending_payment",
        "items": [
            {
                "zoneId": str(uuid.uuid4()),
                "quantity": 2,
                "unitPrice": money("120000.00"),
                "zoneName": "Platea",
            }
        ],
        "total": money("240000.00"),
        "refunded": money("0.00"),
        "buyer": {
            "name": "Rita Prueba",
            "email": email or f"buyer-{uuid.uuid4().hex[:8]}@example.com",
            "locale": locale,
        },
        "createdAt": "2027-03-01T19:50:00Z",
        "payBy": "2027-03-01T20:10:00Z",
        "paidAt": None,
        "failureCode": None,
        "ticketIds": [],
    }
    order.update(overrides)
    return order


def make_order_envelope(
    kind: str = "OrderPaid",
    *,
    order: dict[str, Any] | None = None,
    tickets: list[dict[str, Any]] | None = None,
    refund: dict[str, Any] | None = None,
    locale: str = "es",
    email: str | None = None,
) -> Envelope:
    """An order message of ``kind``: OrderPaid carries ``tickets`` (two by default), OrderRefunded
    its ``refund``."""
    order = order or make_order(locale=locale, email=email)
    payload: dict[str, Any] = {"order": order}
    if kind == "OrderPaid":
        issued = tickets if tickets is not None else [make_ticket(), make_ticket(holderName="Ana Prueba")]
        order.update(status="paid", paidAt="2027-03-01T20:00:00Z", ticketIds=[t["id"] for t in issued])
        payload["tickets"] = issued
    if kind == "OrderRefunded":
        payload["refund"] = {
            "amount": money("120000.00"),
            "reason": "requested_by_organizer",
            "ticketIds": [],
        }
        payload["refund"].update(refund or {})
    return Envelope.new(event_id=uuid.uuid4(), name=EVENT_NAME, type=kind, payload=payload)


def make_reservation_envelope(kind: str = "ReservationHeld") -> Envelope:
    """A message of the ticketing topic nobody is e-mailed about."""
    reservation = {
        "id": str(uuid.uuid4()),
        "customerId": str(uuid.uuid4()),
        "sessionId": str(uuid.uuid4()),
        "status": "held",
        "items": [{"zoneId": str(uuid.uuid4()), "quantity": 1, "unitPrice": money("120000.00")}],
        "total": money("120000.00"),
        "createdAt": "2027-03-01T19:50:00Z",
        "expiresAt": "2027-03-01T20:00:00Z",
        "endedAt": None,
    }
    return Envelope.new(
        event_id=uuid.uuid4(), name=EVENT_NAME, type=kind, payload={"reservation": reservation}
    )


def make_offer_envelope(*, customer_id: str | None = None, quantity: int = 2) -> Envelope:
    """A WaitlistOffered: places held for the next buyer of a waiting list."""
    offer = {
        "entryId": str(uuid.uuid4()),
        "customerId": customer_id or str(uuid.uuid4()),
        "reservationId": str(uuid.uuid4()),
        "sessionId": str(uuid.uuid4()),
        "sessionStartsAt": "2027-03-01T21:00:00Z",
        "zoneId": str(uuid.uuid4()),
        "zoneName": "Platea",
        "quantity": quantity,
        "expiresAt": "2027-03-01T20:10:00Z",
    }
    return Envelope.new(
        event_id=uuid.uuid4(), name=EVENT_NAME, type="WaitlistOffered", payload={"offer": offer}
    )
