"""The report read model in PostgreSQL: messages folded in once by messageId (a replay changes
nothing), counters that add up per session x zone x hour, check-ins and waiting lists, and the
organization's events found in the catalog copy."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from ticketing_factories import catalog_message, make_event

from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.model import CatalogEvent
from ticketing_svc.domain.reports import Bucket, ReportQuery
from ticketing_svc.entrypoints import catalog_messages, report_messages

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def order_message(
    event: CatalogEvent,
    kind: str,
    *,
    quantity: int,
    at: dt.datetime,
    refund: str | None = None,
    refunded_tickets: list[str] | None = None,
    tickets: list[str] | None = None,
) -> Envelope:
    zone, session = event.zones[0], event.sessions[0]
    price = zone.price.amount
    order = {
        "id": str(uuid.uuid4()),
        "sessionId": str(session.id),
        "items": [
            {
                "zoneId": str(zone.id),
                "zoneName": zone.name,
                "quantity": quantity,
                "unitPrice": {"amount": f"{price:.2f}", "currency": "EUR"},
            }
        ],
        "total": {"amount": f"{price * quantity:.2f}", "currency": "EUR"},
        "paidAt": _iso(at),
    }
    payload: dict[str, object] = {"order": order}
    if kind == "OrderPaid":
        payload["tickets"] = [
            {
                "id": ticket,
                "zoneId": str(zone.id),
                "zoneName": zone.name,
                "holderName": "Ana",
                "price": {"amount": f"{price:.2f}", "currency": "EUR"},
                "status": "valid",
            }
            for ticket in tickets or []
        ]
    else:
        payload["refund"] = {
            "amount": {"amount": refund, "currency": "EUR"},
            "reason": "r",
            "ticketIds": refunded_tickets or [],
        }
    return Envelope.new(event_id=event.id, name=event.name, type=kind, payload=payload, occurred_at=at)


async def test_a_replayed_message_counts_once_and_the_report_adds_up(
    use_cases_for: Callable[..., UseCases], clock: object
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=10)
    command = catalog_messages.command_for(catalog_message(event))
    assert command is not None
    assert await use_cases.follow_catalog(command)
    at = dt.datetime.now(dt.UTC).replace(minute=5, second=0, microsecond=0)
    tickets = [str(uuid.uuid4()) for _ in range(3)]
    paid = order_message(event, "OrderPaid", quantity=3, at=at, tickets=tickets)
    refunded = order_message(
        event,
        "OrderRefunded",
        quantity=3,
        at=at + dt.timedelta(hours=1),
        refund="25.50",
        refunded_tickets=tickets[:1],
    )
    checked_in = Envelope.new(
        event_id=event.id,
        name=event.name,
        type="TicketCheckedIn",
        occurred_at=at,
        payload={
            "admission": {
                "ticketId": tickets[1],
                "orderId": str(uuid.uuid4()),
                "sessionId": str(event.sessions[0].id),
                "zoneId": str(event.zones[0].id),
                "direction": "entry",
                "scannedAt": _iso(at),
                "deviceId": "door-1",
                "doubleAdmission": False,
            }
        },
    )
    joined = Envelope.new(
        event_id=event.id,
        name=event.name,
        type="WaitlistJoined",
        occurred_at=at,
        payload={
            "entry": {
                "entryId": str(uuid.uuid4()),
                "sessionId": str(event.sessions[0].id),
                "zoneId": str(event.zones[0].id),
                "quantity": 2,
            }
        },
    )

    outcomes = [
        await use_cases.project_report(report_messages.command_for(message))
        for message in (paid, refunded, checked_in, joined, paid, refunded, checked_in, joined)
    ]

    assert outcomes == [True] * 4 + [False] * 4
    organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=event.organization_id)
    report = await use_cases.event_report(
        commands.GetEventReport(
            organizer, event.id, ReportQuery(since=at - dt.timedelta(hours=2), bucket=Bucket.HOUR)
        )
    )
    totals = report.totals
    assert (totals.tickets_sold, totals.tickets_refunded, totals.orders_paid, totals.refunds) == (3, 1, 1, 1)
    assert totals.gross == {"EUR": Decimal("76.50")}
    assert totals.refunded == {"EUR": Decimal("25.50")}
    assert (totals.admitted, totals.entries) == (1, 1)
    assert (report.waitlist_entries, report.waitlist_places) == (1, 2)
    assert [b.figures.tickets_sold for b in report.series] == [3, 0]
    assert report.series[1].figures.tickets_refunded == 1
    assert report.sell_through == Decimal("0.2000")
    organization = await use_cases.organization_report(
        commands.GetOrganizationReport(organizer, event.organization_id, ReportQuery())
    )
    assert organization.totals.tickets_sold == 3
