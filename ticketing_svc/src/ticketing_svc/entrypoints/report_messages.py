"""Ticketing's own messages (taquilla.ticketing.v1) as report commands: the one reader of their
payloads for the organizers' reports. Every message becomes a command (so it is recorded as folded
in, once); types the reports do not count carry nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from prometheus_client import Counter

from taquilla_runtime.messaging.consumer import PoisonMessage
from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.domain.commands import ConfirmedRefund, PaidOrder, ProjectReport
from ticketing_svc.domain.reports import CheckInMove, OrderLine, SoldTicket, WaitlistMove

PROJECTED = Counter(
    "taquilla_ticketing_svc_report_messages_total",
    "Messages of taquilla.ticketing.v1 folded into the report counters, by type and outcome "
    "(counted, or duplicate: already folded in).",
    ["type", "outcome"],
)


class UnreadableMessage(PoisonMessage):
    """A ticketing message of a known type whose payload is not what ticketing sends."""


def _instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _lines(order: dict[str, Any]) -> tuple[OrderLine, ...]:
    return tuple(
        OrderLine(uuid.UUID(item["zoneId"]), int(item["quantity"]), Decimal(item["unitPrice"]["amount"]))
        for item in order["items"]
    )


def _ticket(session_id: uuid.UUID, ticket: dict[str, Any]) -> SoldTicket:
    return SoldTicket(
        uuid.UUID(ticket["id"]),
        session_id,
        uuid.UUID(ticket["zoneId"]),
        Decimal(ticket["price"]["amount"]),
        str(ticket["price"]["currency"]),
    )


def command_for(envelope: Envelope) -> ProjectReport:
    """The report command of a message (raises UnreadableMessage for a payload ticketing never sends)."""
    payload = envelope.payload

    def base(session_id: uuid.UUID, **counted: Any) -> ProjectReport:
        return ProjectReport(
            message_id=envelope.message_id,
            message_type=envelope.type,
            event_id=envelope.event_id,
            session_id=session_id,
            **counted,
        )

    try:
        match envelope.type:
            case "OrderPaid":
                order = payload["order"]
                session_id = uuid.UUID(order["sessionId"])
                return base(
                    session_id,
                    paid=PaidOrder(
                        currency=str(order["total"]["currency"]),
                        lines=_lines(order),
                        paid_at=_instant(order["paidAt"]) if order["paidAt"] else envelope.occurred_at,
                        tickets=tuple(_ticket(session_id, t) for t in payload["tickets"]),
                    ),
                )
            case "OrderRefunded":
                order, refund = payload["order"], payload["refund"]
                return base(
                    uuid.UUID(order["sessionId"]),
                    refund=ConfirmedRefund(
                        currency=str(refund["amount"]["currency"]),
                        lines=_lines(order),
                        amount=Decimal(refund["amount"]["amount"]),
                        ticket_ids=tuple(uuid.UUID(t) for t in refund["ticketIds"]),
                        at=envelope.occurred_at,
                    ),
                )
            case "TicketTransferred":
                ticket = payload["ticket"]
                session_id = uuid.UUID(payload["transfer"]["sessionId"])
                return base(session_id, tickets=(_ticket(session_id, ticket),))
            case "TicketCheckedIn":
                admission = payload["admission"]
                session_id = uuid.UUID(admission["sessionId"])
                return base(
                    session_id,
                    checkin=CheckInMove(
                        event_id=envelope.event_id,
                        session_id=session_id,
                        zone_id=uuid.UUID(admission["zoneId"]),
                        ticket_id=uuid.UUID(admission["ticketId"]),
                        direction=str(admission["direction"]),
                        double_admission=bool(admission["doubleAdmission"]),
                        scanned_at=_instant(admission["scannedAt"]),
                    ),
                )
            case "WaitlistJoined" | "WaitlistLeft" | "WaitlistOffered":
                entry = payload["entry"] if envelope.type != "WaitlistOffered" else payload["offer"]
                session_id = uuid.UUID(entry["sessionId"])
                # Joining adds an entry that waits; leaving while waiting, or being offered places,
                # takes it out of the line.
                sign = 1 if envelope.type == "WaitlistJoined" else -1
                return base(
                    session_id,
                    waitlist=WaitlistMove(
                        envelope.event_id,
                        session_id,
                        uuid.UUID(entry["zoneId"]),
                        sign,
                        sign * int(entry["quantity"]),
                    ),
                )
            case _:
                return base(uuid.UUID(int=0))
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise UnreadableMessage(f"{envelope.type}: {type(exc).__name__}") from None


def report_handler(
    project: Callable[[ProjectReport], Awaitable[bool]],
) -> Callable[[Envelope], Awaitable[None]]:
    """What the report consumer of taquilla.ticketing.v1 does with each message."""

    async def handle(envelope: Envelope) -> None:
        counted = await project(command_for(envelope))
        PROJECTED.labels(envelope.type, "counted" if counted else "duplicate").inc()

    return handle
