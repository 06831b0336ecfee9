"""What happened in ticketing (past tense). Each one becomes one message on taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ticketing_svc.domain.model import InventoryLine, Money, Reservation
    from ticketing_svc.domain.orders import Order, Ticket
    from ticketing_svc.domain.transfers import Party, TicketTransfer


@dataclass(frozen=True, slots=True)
class ReservationHeld:
    reservation: Reservation
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReservationReleased:
    reservation: Reservation
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReservationExpired:
    reservation: Reservation
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ZoneSoldOut:
    event_id: uuid.UUID
    event_name: str
    line: InventoryLine
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ZoneBackOnSale:
    event_id: uuid.UUID
    event_name: str
    line: InventoryLine
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    order: Order
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrderPaid:
    """Paid, with the tickets issued for it (their secrets never leave the service in messages)."""

    order: Order
    tickets: tuple[Ticket, ...]
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrderPaymentFailed:
    order: Order
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrderExpired:
    order: Order
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrderRefunded:
    """A refund the provider confirmed: ``amount`` now, ``order.refunded`` in all."""

    order: Order
    amount: Money
    reason: str
    occurred_at: dt.datetime
    ticket_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketTransferOffered:
    """A holder sent a ticket to an e-mail address. ``token`` is the secret of the link the
    recipient's e-mail carries (only its hash is stored; the message is the one way it travels)."""

    transfer: TicketTransfer
    ticket: Ticket
    token: str
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TicketTransferred:
    """The recipient took the ticket: the old one is revoked, ``ticket`` is the new one."""

    transfer: TicketTransfer
    ticket: Ticket
    recipient: Party
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WaitlistOffered:
    """Places freed in a sold-out zone were held for the next buyer of its waiting list."""

    entry_id: uuid.UUID
    customer_id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    session_starts_at: dt.datetime | None
    zone_id: uuid.UUID
    zone_name: str
    quantity: int
    reservation_id: uuid.UUID
    expires_at: dt.datetime
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WaitlistJoined:
    """A buyer joined the waiting list of a sold-out zone for ``quantity`` places."""

    entry_id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    zone_id: uuid.UUID
    quantity: int
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WaitlistLeft:
    """An entry stopped waiting without an offer: the buyer left (``left``), or could not take the
    places when its turn came (``lapsed``). An entry that was offered places leaves the line with
    WaitlistOffered instead."""

    entry_id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    zone_id: uuid.UUID
    quantity: int
    reason: str
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TicketCheckedIn:
    """A scan let a ticket's holder in or out (``direction``), or an offline upload admitted a ticket
    another door had already admitted (``double_admission``). Refused scans are not announced."""

    event_id: uuid.UUID
    event_name: str
    ticket_id: uuid.UUID
    order_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    direction: str
    scanned_at: dt.datetime
    device_id: str
    double_admission: bool
    occurred_at: dt.datetime


DomainEvent = (
    ReservationHeld
    | ReservationReleased
    | ReservationExpired
    | ZoneSoldOut
    | ZoneBackOnSale
    | OrderPlaced
    | OrderPaid
    | OrderPaymentFailed
    | OrderExpired
    | OrderRefunded
    | TicketTransferOffered
    | TicketTransferred
    | WaitlistOffered
    | WaitlistJoined
    | WaitlistLeft
    | TicketCheckedIn
)
