"""In-memory fakes of ticketing's ports, for unit tests of the handlers only.

Every fake works on the unit of work's copy of the committed state, taken when the transaction
begins; ``commit`` makes that copy the committed state and anything else is dropped. The inventory
and the customers' tallies keep the SQL adapters' rules: all items or none, never past capacity,
never past the per-customer limit, never below zero (the database's check constraints). Orders,
tickets, refunds and notices keep theirs too: one order per reservation (OrderExists), one
Idempotency-Key per account (IdempotencyConflict), one ticket per (order, position)
(TicketsAlreadyIssued), refunds never above the order's total, a provider's notice id recorded once.
A unique index sees what other transactions committed since this one began, as PostgreSQL's does.

Outside the unit of work: the payment provider (:class:`FakePaymentProvider`, whose payments the
tests settle), the ticket signer and the printer.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ticketing_svc.application.ports import (
    Cancellations,
    CatalogCopy,
    CatalogReader,
    CheckIns,
    CustomerPlaces,
    Exports,
    Inbox,
    Inventory,
    Orders,
    Outbox,
    PaymentNotices,
    PaymentProvider,
    Refunds,
    Reports,
    Reservations,
    TicketPrinter,
    Tickets,
    TicketSigner,
    Transfers,
    UnitOfWork,
    Waitlist,
)
from ticketing_svc.domain.checkins import (
    NO_TICKET,
    Admission,
    ChangePosition,
    CheckInConflict,
    CheckInRecord,
    ConflictScan,
    DoorTicket,
    Occupancy,
    ScanResult,
    TicketChanges,
)
from ticketing_svc.domain.errors import (
    IdempotencyConflict,
    LimitReached,
    OrderExists,
    PaymentProviderUnavailable,
    SoldOut,
    TicketNotTransferable,
    TicketsAlreadyIssued,
    ZoneNotSoldOut,
)
from ticketing_svc.domain.events import DomainEvent
from ticketing_svc.domain.model import (
    CatalogEvent,
    InventoryLine,
    ItemRequest,
    Money,
    Offer,
    Reservation,
    ReservationStatus,
)
from ticketing_svc.domain.orders import (
    EVENT_CANCELLED,
    CancellationProgress,
    Checkout,
    Order,
    OrderStatus,
    PaymentOutcome,
    PaymentState,
    Refund,
    RefundStatus,
    Ticket,
    TicketClaims,
    TicketStatus,
)
from ticketing_svc.domain.reports import (
    Attendee,
    CheckInMove,
    Figures,
    ReportQuery,
    SalesMove,
    SoldTicket,
    WaitlistMove,
    hour_of,
)
from ticketing_svc.domain.transfers import TicketTransfer, TransferStatus
from ticketing_svc.domain.waitlist import WaitlistEntry, WaitlistLength, WaitlistStatus

LineKey = tuple[uuid.UUID, uuid.UUID]  # (session id, zone id)
# Orders the reconciliation asks the provider about (SqlOrders' _UNSETTLED).
UNSETTLED = frozenset(
    {OrderStatus.PENDING_PAYMENT, OrderStatus.FAILED, OrderStatus.EXPIRED, OrderStatus.CANCELLED}
)
PAID_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED})


class ConstraintViolated(Exception):
    """What PostgreSQL's check constraints would refuse (a negative or over-capacity count)."""


@dataclass
class TicketingState:
    """Everything ticketing stores, as plain dictionaries."""

    events: dict[uuid.UUID, CatalogEvent] = field(default_factory=dict)
    event_of_session: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    lines: dict[LineKey, InventoryLine] = field(default_factory=dict)
    event_of_line: dict[LineKey, uuid.UUID] = field(default_factory=dict)
    places: dict[tuple[uuid.UUID, uuid.UUID], int] = field(default_factory=dict)
    reservations: dict[uuid.UUID, Reservation] = field(default_factory=dict)
    # (customer id, Idempotency-Key) -> (reservation id, request fingerprint)
    keys: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, str]] = field(default_factory=dict)
    inbox: dict[uuid.UUID, str] = field(default_factory=dict)
    # Events whose stored copy was read through from the catalog rather than taken from a message.
    read_through: set[uuid.UUID] = field(default_factory=set)
    messages: list[tuple[DomainEvent, str | None]] = field(default_factory=list)
    orders: dict[uuid.UUID, Order] = field(default_factory=dict)
    # (customer id, Idempotency-Key) -> (order id, request fingerprint)
    order_keys: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, str]] = field(default_factory=dict)
    reconciled_at: dict[uuid.UUID, dt.datetime] = field(default_factory=dict)
    tickets: dict[uuid.UUID, Ticket] = field(default_factory=dict)
    refunds: dict[uuid.UUID, Refund] = field(default_factory=dict)
    # (order id, Idempotency-Key) -> (refund id, request fingerprint)
    refund_keys: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, str]] = field(default_factory=dict)
    # Refund sagas of cancelled events: event id -> (started at, finished at)
    cancellations: dict[uuid.UUID, tuple[dt.datetime, dt.datetime | None]] = field(default_factory=dict)
    # (provider, notice id) -> (notice type, received at)
    notices: dict[tuple[str, str], tuple[str, dt.datetime]] = field(default_factory=dict)
    transfers: dict[uuid.UUID, TicketTransfer] = field(default_factory=dict)
    waitlist: dict[uuid.UUID, WaitlistEntry] = field(default_factory=dict)
    # The next waiting-list position (the database's sequence).
    next_position: int = 1
    # Check-in: scans by id, their (session id, device id, nonce), admissions by ticket, and where each ticket
    # last changed (a counter standing for the transaction id the database stamps).
    checkins: dict[uuid.UUID, CheckInRecord] = field(default_factory=dict)
    nonces: dict[tuple[uuid.UUID, str, str], uuid.UUID] = field(default_factory=dict)
    admissions: dict[uuid.UUID, Admission] = field(default_factory=dict)
    ticket_changes: dict[uuid.UUID, int] = field(default_factory=dict)
    change_counter: int = 0
    # The report read model: messages folded in, sales and check-in rows, tickets, admitted
    # tickets and waiting lists (as report_* tables).
    report_inbox: set[uuid.UUID] = field(default_factory=set)
    report_sales: dict[tuple[uuid.UUID, uuid.UUID, dt.datetime, str], SalesMove] = field(default_factory=dict)
    report_checkins: dict[tuple[uuid.UUID, uuid.UUID, dt.datetime], tuple[uuid.UUID, Figures]] = field(
        default_factory=dict
    )
    report_tickets: dict[uuid.UUID, SoldTicket] = field(default_factory=dict)
    report_admitted: set[uuid.UUID] = field(default_factory=set)
    report_waitlist: dict[tuple[uuid.UUID, uuid.UUID], WaitlistMove] = field(default_factory=dict)
    # Moves on at every commit: a transaction that began before another one committed cannot commit.
    generation: int = 0

    def ticket_changed(self, ticket_id: uuid.UUID) -> None:
        self.change_counter += 1
        self.ticket_changes[ticket_id] = self.change_counter

    def check(self) -> None:
        for line in self.lines.values():
            if line.held < 0 or line.sold < 0 or line.held + line.sold > line.capacity:
                raise ConstraintViolated(f"ck_inventory_counts: {line}")
        if any(places < 0 for places in self.places.values()):
            raise ConstraintViolated("ck_customer_places")
        if any(line.waiting < 0 for line in self.lines.values()):
            raise ConstraintViolated("ck_inventory_waiting")
        active = [(e.customer_id, e.session_id, e.zone_id) for e in self.waitlist.values() if e.active]
        if len(active) != len(set(active)):
            raise ConstraintViolated("ux_waitlist_active")
        for order in self.orders.values():
            check_order(order)


def check_order(order: Order) -> None:
    """ck_orders_refunded and ck_orders_paid."""
    if not Decimal("0") <= order.refunded <= order.total.amount:
        raise ConstraintViolated(f"ck_orders_refunded: {order.refunded} of {order.total}")
    if (order.status in PAID_STATUSES) != (order.paid_at is not None):
        raise ConstraintViolated(f"ck_orders_paid: {order.status} paid at {order.paid_at}")


class FakeCatalogCopy(CatalogCopy):
    def __init__(self, state: TicketingState) -> None:
        self._state = state

    async def offer(self, session_id: uuid.UUID) -> Offer | None:
        event_id = self._state.event_of_session.get(session_id)
        event = self._state.events.get(event_id) if event_id is not None else None
        if event is None:
            return None
        left = {z: line.available for (s, z), line in self._state.lines.items() if s == session_id}
        return Offer(event, left)

    async def get(self, event_id: uuid.UUID) -> CatalogEvent | None:
        return self._state.events.get(event_id)

    async def get_many(self, event_ids: Sequence[uuid.UUID]) -> list[CatalogEvent]:
        return [self._state.events[event_id] for event_id in event_ids if event_id in self._state.events]

    async def store(self, event: CatalogEvent, *, read_through: bool = False) -> bool:
        stored = self._state.events.get(event.id)
        if stored is not None:
            stored_read_through = event.id in self._state.read_through
            if stored.version > event.version or (
                stored.version == event.version and not read_through and stored_read_through
            ):
                return False
        self._state.events[event.id] = event
        if read_through:
            self._state.read_through.add(event.id)
        else:
            self._state.read_through.discard(event.id)
        for session in event.sessions:
            self._state.event_of_session.setdefault(session.id, event.id)
        for session_id, zone_id, capacity in event.inventory_lines():
            key = (session_id, zone_id)
            line = self._state.lines.get(key)
            if line is None:
                self._state.lines[key] = InventoryLine(session_id, zone_id, capacity, 0, 0)
                self._state.event_of_line[key] = event.id
            else:  # capacity follows the catalog, never below what is held and sold
                self._state.lines[key] = replace(line, capacity=max(capacity, line.held + line.sold))
        return True


class FakeInventory(Inventory):
    def __init__(self, state: TicketingState) -> None:
        self._state = state

    async def take(
        self, session_id: uuid.UUID, items: Sequence[ItemRequest]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        lines = self._state.lines
        left = {
            item.zone_id: lines[key].available if (key := (session_id, item.zone_id)) in lines else 0
            for item in items
        }
        if any(left[item.zone_id] < item.quantity for item in items):
            raise SoldOut(left)  # all or none: nothing was taken
        before: list[InventoryLine] = []
        after: list[InventoryLine] = []
        for item in sorted(items, key=lambda i: i.zone_id):
            key = (session_id, item.zone_id)
            before.append(lines[key])
            lines[key] = replace(lines[key], held=lines[key].held + item.quantity)
            after.append(lines[key])
        return before, after

    async def give_back(
        self, holds: Sequence[tuple[uuid.UUID, uuid.UUID, int]]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        before: list[InventoryLine] = []
        after: list[InventoryLine] = []
        for session_id, zone_id, quantity in sorted(holds):
            line = self._state.lines.get((session_id, zone_id))
            if line is None:
                continue
            given = replace(line, held=line.held - quantity)
            if given.held < 0:
                raise ConstraintViolated(f"ck_inventory_counts: {given}")
            self._state.lines[(session_id, zone_id)] = given
            before.append(line)
            after.append(given)
        return before, after

    async def sell(self, session_id: uuid.UUID, items: Sequence[ItemRequest]) -> None:
        for item in sorted(items, key=lambda i: i.zone_id):
            key = (session_id, item.zone_id)
            line = self._state.lines.get(key)
            if line is None:
                continue  # an UPDATE of no row
            sold = replace(line, held=line.held - item.quantity, sold=line.sold + item.quantity)
            if sold.held < 0:
                raise ConstraintViolated(f"ck_inventory_counts: {sold}")
            self._state.lines[key] = sold

    async def unsell(
        self, session_id: uuid.UUID, items: Sequence[ItemRequest]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        before: list[InventoryLine] = []
        after: list[InventoryLine] = []
        for item in sorted(items, key=lambda i: i.zone_id):
            key = (session_id, item.zone_id)
            line = self._state.lines.get(key)
            if line is None:
                continue
            unsold = replace(line, sold=line.sold - item.quantity)
            if unsold.sold < 0:
                raise ConstraintViolated(f"ck_inventory_counts: {unsold}")
            self._state.lines[key] = unsold
            before.append(line)
            after.append(unsold)
        return before, after

    async def for_event(self, event_id: uuid.UUID) -> list[InventoryLine]:
        return [
            line
            for key, line in sorted(self._state.lines.items())
            if self._state.event_of_line[key] == event_id
        ]

    async def for_events(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[InventoryLine]]:
        found = {event_id: await self.for_event(event_id) for event_id in event_ids}
        return {event_id: lines for event_id, lines in found.items() if lines}

    async def line(self, session_id: uuid.UUID, zone_id: uuid.UUID) -> InventoryLine | None:
        return self._state.lines.get((session_id, zone_id))

    async def join_waitlist(self, session_id: uuid.UUID, zone_id: uuid.UUID, quantity: int) -> InventoryLine:
        line = self._state.lines[(session_id, zone_id)]
        if line.waiting == 0 and line.free >= quantity:
            raise ZoneNotSoldOut(line.free)
        self._state.lines[(session_id, zone_id)] = replace(line, waiting=line.waiting + 1)
        return self._state.lines[(session_id, zone_id)]

    async def leave_waitlist(self, session_id: uuid.UUID, zone_id: uuid.UUID) -> InventoryLine:
        line = self._state.lines[(session_id, zone_id)]
        self._state.lines[(session_id, zone_id)] = replace(line, waiting=line.waiting - 1)
        return self._state.lines[(session_id, zone_id)]

    async def offer(self, session_id: uuid.UUID, zone_id: uuid.UUID, quantity: int) -> InventoryLine:
        line = self._state.lines[(session_id, zone_id)]
        if line.free < quantity or line.waiting == 0:
            raise SoldOut({zone_id: 0})
        self._state.lines[(session_id, zone_id)] = replace(
            line, held=line.held + quantity, waiting=line.waiting - 1
        )
        return self._state.lines[(session_id, zone_id)]


class FakeWaitlist(Waitlist):
    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    @staticmethod
    def _copy(entry: WaitlistEntry) -> WaitlistEntry:
        return replace(entry, events=[])

    async def add(self, entry: WaitlistEntry) -> WaitlistEntry | None:
        key = (entry.customer_id, entry.session_id, entry.zone_id)
        # The unique index sees what other transactions committed since this one began.
        for entries in (self._state.waitlist, self._committed.waitlist):
            if any(e.active and (e.customer_id, e.session_id, e.zone_id) == key for e in entries.values()):
                return None
        entry.position = self._state.next_position
        self._state.next_position += 1
        self._state.waitlist[entry.id] = self._copy(entry)
        return entry

    async def active(
        self, customer_id: uuid.UUID, session_id: uuid.UUID, zone_id: uuid.UUID
    ) -> WaitlistEntry | None:
        key = (customer_id, session_id, zone_id)
        found = [
            e
            for e in self._state.waitlist.values()
            if e.active and (e.customer_id, e.session_id, e.zone_id) == key
        ]
        return self._copy(found[0]) if found else None

    async def get(self, entry_id: uuid.UUID, *, for_update: bool = False) -> WaitlistEntry | None:
        found = self._state.waitlist.get(entry_id)
        return self._copy(found) if found is not None else None

    async def waiting(self, session_id: uuid.UUID, zone_id: uuid.UUID, *, limit: int) -> list[WaitlistEntry]:
        found = sorted(
            (
                e
                for e in self._state.waitlist.values()
                if (e.session_id, e.zone_id) == (session_id, zone_id) and e.status is WaitlistStatus.WAITING
            ),
            key=lambda e: e.position,
        )
        return [self._copy(e) for e in found[:limit]]

    async def by_offers(self, reservation_ids: Sequence[uuid.UUID]) -> list[WaitlistEntry]:
        return [
            self._copy(e)
            for e in self._state.waitlist.values()
            if e.status is WaitlistStatus.OFFERED and e.offer_reservation_id in reservation_ids
        ]

    async def save(self, entry: WaitlistEntry) -> None:
        self._state.waitlist[entry.id] = self._copy(entry)

    async def place(self, entry: WaitlistEntry) -> int:
        return 1 + sum(
            1
            for e in self._state.waitlist.values()
            if (e.session_id, e.zone_id) == (entry.session_id, entry.zone_id)
            and e.status is WaitlistStatus.WAITING
            and e.position < entry.position
        )

    async def for_customer(self, customer_id: uuid.UUID, *, limit: int) -> list[WaitlistEntry]:
        found = sorted(
            (e for e in self._state.waitlist.values() if e.customer_id == customer_id),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        return [self._copy(e) for e in found[:limit]]

    async def lengths(self, event_id: uuid.UUID) -> list[WaitlistLength]:
        found: dict[tuple[uuid.UUID, uuid.UUID], WaitlistLength] = {}
        for e in self._state.waitlist.values():
            if e.event_id != event_id or not e.active:
                continue
            key = (e.session_id, e.zone_id)
            length = found.get(key, WaitlistLength(e.session_id, e.zone_id, 0, 0, 0))
            if e.status is WaitlistStatus.WAITING:
                length = replace(length, entries=length.entries + 1, places=length.places + e.quantity)
            else:
                length = replace(length, offered=length.offered + 1)
            found[key] = length
        return [found[key] for key in sorted(found)]


class FakeCustomerPlaces(CustomerPlaces):
    def __init__(self, state: TicketingState) -> None:
        self._state = state

    async def add(
        self, event_id: uuid.UUID, customer_id: uuid.UUID, places: int, *, limit: int | None
    ) -> int:
        had = self._state.places.get((event_id, customer_id), 0)
        if limit is not None and had + places > limit:
            raise LimitReached(limit, had)
        self._state.places[(event_id, customer_id)] = had + places
        return had

    async def subtract(self, tallies: Sequence[tuple[uuid.UUID, uuid.UUID, int]]) -> None:
        for event_id, customer_id, places in tallies:
            key = (event_id, customer_id)
            if key in self._state.places:
                self._state.places[key] = max(0, self._state.places[key] - places)


class FakeReservations(Reservations):
    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    async def add(
        self, reservation: Reservation, *, idempotency_key: str | None, fingerprint: str | None
    ) -> None:
        if idempotency_key is not None:
            key = (reservation.customer_id, idempotency_key)
            # The unique index sees what other transactions committed since this one began.
            if key in self._state.keys or key in self._committed.keys:
                raise IdempotencyConflict
            self._state.keys[key] = (reservation.id, fingerprint or "")
        self._state.reservations[reservation.id] = reservation.snapshot()

    async def by_idempotency_key(self, customer_id: uuid.UUID, key: str) -> tuple[Reservation, str] | None:
        found = self._state.keys.get((customer_id, key))
        if found is None:
            return None
        reservation_id, fingerprint = found
        return self._state.reservations[reservation_id].snapshot(), fingerprint

    async def get(self, reservation_id: uuid.UUID, *, for_update: bool = False) -> Reservation | None:
        found = self._state.reservations.get(reservation_id)
        return found.snapshot() if found is not None else None

    async def save(self, reservation: Reservation) -> None:
        self._state.reservations[reservation.id] = reservation.snapshot()

    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[ReservationStatus],
    ) -> list[Reservation]:
        found = [
            r
            for r in self._state.reservations.values()
            if r.customer_id == customer_id
            and (not statuses or r.status in statuses)
            and (after is None or (r.created_at, r.id) < after)
        ]
        found.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return [r.snapshot() for r in found[:limit]]

    async def due(self, now: dt.datetime, *, limit: int) -> list[Reservation]:
        found = sorted(
            (r for r in self._state.reservations.values() if r.held and r.expires_at <= now),
            key=lambda r: r.expires_at,
        )
        return [r.snapshot() for r in found[:limit]]


def _newest_first(
    found: list[Order], *, limit: int, after: tuple[dt.datetime, uuid.UUID] | None
) -> list[Order]:
    found = [o for o in found if after is None or (o.created_at, o.id) < after]
    found.sort(key=lambda o: (o.created_at, o.id), reverse=True)
    return found[:limit]


class FakeOrders(Orders):
    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    def _read(self, order: Order) -> Order:
        """A copy, with its ticket ids read from the tickets as SqlOrders reads them."""
        issued = sorted(
            (t for t in self._state.tickets.values() if t.order_id == order.id), key=lambda t: t.position
        )
        return replace(order, ticket_ids=tuple(t.id for t in issued), events=[])

    def _taken(self, test: Callable[[Order], bool]) -> Order | None:
        for orders in (self._state.orders, self._committed.orders):
            found = next((o for o in orders.values() if test(o)), None)
            if found is not None:
                return found
        return None

    async def add(self, order: Order, *, idempotency_key: str | None, fingerprint: str | None) -> None:
        if idempotency_key is not None:
            key = (order.customer_id, idempotency_key)
            # ON CONFLICT (customer_id, idempotency_key) DO NOTHING: nothing stored, nothing raised
            # by the index, and the adapter tells the caller.
            if key in self._state.order_keys or key in self._committed.order_keys:
                raise IdempotencyConflict
        existing = self._taken(lambda o: o.reservation_id == order.reservation_id)
        if existing is not None:
            raise OrderExists(existing.id)
        if order.id in self._state.orders or order.id in self._committed.orders:
            raise ConstraintViolated(f"pk_orders: {order.id}")
        if order.payment_reference is not None and self._taken(
            lambda o: o.payment_reference == order.payment_reference
        ):
            raise ConstraintViolated(f"orders_payment_reference_key: {order.payment_reference}")
        if order.quantity <= 0:
            raise ConstraintViolated("ck_orders_quantity")
        check_order(order)
        if idempotency_key is not None:
            self._state.order_keys[(order.customer_id, idempotency_key)] = (order.id, fingerprint or "")
        self._state.orders[order.id] = replace(order, ticket_ids=(), events=[])

    async def by_idempotency_key(self, customer_id: uuid.UUID, key: str) -> tuple[Order, str] | None:
        found = self._state.order_keys.get((customer_id, key))
        if found is None:
            return None
        order_id, fingerprint = found
        return self._read(self._state.orders[order_id]), fingerprint

    async def get(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        found = self._state.orders.get(order_id)
        return self._read(found) if found is not None else None

    async def by_reservation(self, reservation_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        found = next((o for o in self._state.orders.values() if o.reservation_id == reservation_id), None)
        return self._read(found) if found is not None else None

    async def by_payment_reference(self, reference: str) -> Order | None:
        found = next((o for o in self._state.orders.values() if o.payment_reference == reference), None)
        return self._read(found) if found is not None else None

    async def save(self, order: Order) -> None:
        stored = self._state.orders.get(order.id)
        if stored is None:
            return  # an UPDATE of no row
        if order.payment_reference is not None and self._taken(
            lambda o: o.id != order.id and o.payment_reference == order.payment_reference
        ):
            raise ConstraintViolated(f"orders_payment_reference_key: {order.payment_reference}")
        # Only the columns SqlOrders.save writes.
        saved = replace(
            stored,
            status=order.status,
            payment_reference=order.payment_reference,
            checkout_url=order.checkout_url,
            failure_code=order.failure_code,
            paid_at=order.paid_at,
            refunded=order.refunded,
            updated_at=order.updated_at,
        )
        check_order(saved)  # CHECK constraints hold at every statement
        self._state.orders[order.id] = saved

    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[OrderStatus],
    ) -> list[Order]:
        found = [
            o
            for o in self._state.orders.values()
            if o.customer_id == customer_id and (not statuses or o.status in statuses)
        ]
        return [self._read(o) for o in _newest_first(found, limit=limit, after=after)]

    async def for_event(
        self,
        event_id: uuid.UUID,
        *,
        query: str | None,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[OrderStatus],
    ) -> list[Order]:
        def matches(order: Order) -> bool:
            if not query:
                return True
            try:
                return order.id == uuid.UUID(query)
            except ValueError:
                needle = query.lower()
                return needle in order.buyer.name.lower() or needle in order.buyer.email.lower()

        found = [
            o
            for o in self._state.orders.values()
            if o.event_id == event_id and (not statuses or o.status in statuses) and matches(o)
        ]
        return [self._read(o) for o in _newest_first(found, limit=limit, after=after)]

    async def unsettled(
        self, *, created_before: dt.datetime, created_after: dt.datetime, limit: int
    ) -> list[Order]:
        checked = self._state.reconciled_at
        found = [
            o
            for o in self._state.orders.values()
            if o.status in UNSETTLED
            and o.payment_reference is not None
            and created_after < o.created_at < created_before
            and (o.id not in checked or checked[o.id] < created_before)
        ]
        # Never asked first, then the longest unasked; then the oldest.
        found.sort(key=lambda o: (o.id in checked, checked.get(o.id, o.created_at), o.created_at))
        return [self._read(o) for o in found[:limit]]

    async def reconciled(self, order_id: uuid.UUID, at: dt.datetime) -> None:
        if order_id in self._state.orders:
            self._state.reconciled_at[order_id] = at


class FakeTickets(Tickets):
    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    async def add(self, tickets: Sequence[Ticket]) -> None:
        if not tickets:
            return
        taken = {
            (t.order_id, t.position)
            for stored in (self._state.tickets, self._committed.tickets)
            for t in stored.values()
        }
        secrets = {
            t.secret for stored in (self._state.tickets, self._committed.tickets) for t in stored.values()
        }
        added: dict[uuid.UUID, Ticket] = {}
        for ticket in tickets:
            if ticket.order_id not in self._state.orders:
                raise ConstraintViolated(f"tickets_order_id_fkey: {ticket.order_id}")
            if (ticket.order_id, ticket.position) in taken:
                raise TicketsAlreadyIssued  # uq_tickets_order_position; the whole insert fails
            if ticket.id in self._state.tickets or ticket.id in added or ticket.secret in secrets:
                raise ConstraintViolated(f"tickets_pkey or tickets_secret_key: {ticket.id}")
            taken.add((ticket.order_id, ticket.position))
            secrets.add(ticket.secret)
            added[ticket.id] = ticket
        self._state.tickets.update(added)
        for ticket_id in added:
            self._state.ticket_changed(ticket_id)

    async def get(self, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None:
        return self._state.tickets.get(ticket_id)

    async def revoke(self, ticket_ids: Sequence[uuid.UUID], *, reason: str | None = None) -> None:
        for ticket_id in ticket_ids:
            if ticket_id in self._state.tickets:
                self._state.tickets[ticket_id] = replace(
                    self._state.tickets[ticket_id], status=TicketStatus.REVOKED, revoked_reason=reason
                )
                self._state.ticket_changed(ticket_id)

    async def next_position(self, order_id: uuid.UUID) -> int:
        positions = [t.position for t in self._state.tickets.values() if t.order_id == order_id]
        return max(positions) + 1 if positions else 0

    async def for_order(self, order_id: uuid.UUID) -> list[Ticket]:
        return sorted(
            (t for t in self._state.tickets.values() if t.order_id == order_id), key=lambda t: t.position
        )

    async def for_customer(
        self, customer_id: uuid.UUID, *, limit: int, after: tuple[dt.datetime, uuid.UUID] | None
    ) -> list[Ticket]:
        found = [
            t
            for t in self._state.tickets.values()
            if t.customer_id == customer_id and (after is None or (t.issued_at, t.id) < after)
        ]
        found.sort(key=lambda t: (t.issued_at, t.id), reverse=True)
        return found[:limit]


class FakeTransfers(Transfers):
    """At most one pending transfer per ticket (ux_ticket_transfers_pending), seeing commits of
    other transactions as the unique index does."""

    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    async def add(self, transfer: TicketTransfer) -> None:
        def clash(other: TicketTransfer) -> bool:
            return (
                other.ticket_id == transfer.ticket_id
                and other.status is TransferStatus.PENDING
                and other.id != transfer.id
            )

        committed = (t for t in self._committed.transfers.values() if t.id not in self._state.transfers)
        if any(clash(t) for t in self._state.transfers.values()) or any(clash(t) for t in committed):
            raise TicketNotTransferable("transfer-pending", "The ticket is already on its way to someone.")
        self._state.transfers[transfer.id] = replace(transfer, events=[])

    async def get(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> TicketTransfer | None:
        found = self._state.transfers.get(transfer_id)
        return replace(found, events=[]) if found is not None else None

    async def pending_for(self, ticket_id: uuid.UUID) -> TicketTransfer | None:
        for transfer in self._state.transfers.values():
            if transfer.ticket_id == ticket_id and transfer.status is TransferStatus.PENDING:
                return replace(transfer, events=[])
        return None

    async def save(self, transfer: TicketTransfer) -> None:
        self._state.transfers[transfer.id] = replace(transfer, events=[])


class FakeRefunds(Refunds):
    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    async def add(
        self, refund: Refund, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> None:
        if idempotency_key is not None:
            key = (refund.order_id, idempotency_key)
            if key in self._state.refund_keys or key in self._committed.refund_keys:
                raise IdempotencyConflict
        if refund.amount.amount <= 0:
            raise ConstraintViolated(f"ck_refunds_amount: {refund.amount}")
        if refund.id in self._state.refunds or refund.id in self._committed.refunds:
            raise ConstraintViolated(f"refunds_pkey: {refund.id}")
        if refund.order_id not in self._state.orders:
            raise ConstraintViolated(f"refunds_order_id_fkey: {refund.order_id}")
        if refund.reason == EVENT_CANCELLED and any(
            r.order_id == refund.order_id and r.reason == EVENT_CANCELLED
            for stored in (self._state.refunds, self._committed.refunds)
            for r in stored.values()
        ):
            raise ConstraintViolated(f"ux_refunds_cancellation: {refund.order_id}")
        if idempotency_key is not None:
            self._state.refund_keys[(refund.order_id, idempotency_key)] = (refund.id, fingerprint or "")
        self._state.refunds[refund.id] = copy.copy(refund)

    async def by_idempotency_key(self, order_id: uuid.UUID, key: str) -> tuple[Refund, str] | None:
        found = self._state.refund_keys.get((order_id, key))
        if found is None:
            return None
        refund_id, fingerprint = found
        return copy.copy(self._state.refunds[refund_id]), fingerprint

    async def get(self, refund_id: uuid.UUID, *, for_update: bool = False) -> Refund | None:
        found = self._state.refunds.get(refund_id)
        return copy.copy(found) if found is not None else None

    async def by_provider_id(self, provider_refund_id: str) -> Refund | None:
        found = next(
            (r for r in self._state.refunds.values() if r.provider_refund_id == provider_refund_id), None
        )
        return copy.copy(found) if found is not None else None

    async def requested(self, *, limit: int) -> list[Refund]:
        found = sorted(
            (r for r in self._state.refunds.values() if r.status is RefundStatus.REQUESTED),
            key=lambda r: r.requested_at,
        )
        return [copy.copy(r) for r in found[:limit]]

    async def save(self, refund: Refund) -> None:
        stored = self._state.refunds.get(refund.id)
        if stored is None:
            return
        if refund.provider_refund_id is not None and any(
            r.id != refund.id and r.provider_refund_id == refund.provider_refund_id
            for stored_refunds in (self._state.refunds, self._committed.refunds)
            for r in stored_refunds.values()
        ):
            raise ConstraintViolated(f"refunds_provider_refund_id_key: {refund.provider_refund_id}")
        self._state.refunds[refund.id] = replace(
            stored,
            status=refund.status,
            provider_refund_id=refund.provider_refund_id,
            settled_at=refund.settled_at,
        )

    async def for_order(self, order_id: uuid.UUID) -> list[Refund]:
        found = sorted(
            (r for r in self._state.refunds.values() if r.order_id == order_id), key=lambda r: r.requested_at
        )
        return [copy.copy(r) for r in found]


class FakeCancellations(Cancellations):
    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    async def start(self, event_id: uuid.UUID, now: dt.datetime) -> bool:
        if event_id in self._state.cancellations or event_id in self._committed.cancellations:
            return False
        self._state.cancellations[event_id] = (now, None)
        return True

    async def running(self, *, limit: int) -> list[uuid.UUID]:
        found = sorted(
            ((started, e) for e, (started, finished) in self._state.cancellations.items() if finished is None)
        )
        return [event_id for _, event_id in found[:limit]]

    async def finish(self, event_id: uuid.UUID, now: dt.datetime) -> None:
        if event_id in self._state.cancellations:
            self._state.cancellations[event_id] = (self._state.cancellations[event_id][0], now)

    async def orders_to_refund(self, event_id: uuid.UUID, *, limit: int) -> list[uuid.UUID]:
        def requested(order_id: uuid.UUID) -> Decimal:
            return sum(
                (
                    r.amount.amount
                    for r in self._state.refunds.values()
                    if r.order_id == order_id and r.status is RefundStatus.REQUESTED
                ),
                Decimal("0"),
            )

        found = [
            o
            for o in self._state.orders.values()
            if o.event_id == event_id
            and o.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
            and not any(
                r.order_id == o.id and r.reason == EVENT_CANCELLED for r in self._state.refunds.values()
            )
            and o.refunded + requested(o.id) < o.total.amount
        ]
        found.sort(key=lambda o: (o.created_at, o.id))
        return [o.id for o in found[:limit]]

    async def progress(self, event_id: uuid.UUID) -> CancellationProgress | None:
        saga = self._state.cancellations.get(event_id)
        if saga is None:
            return None
        paid = [o for o in self._state.orders.values() if o.event_id == event_id and o.paid_at is not None]
        cancelled = [
            r
            for r in self._state.refunds.values()
            if r.reason == EVENT_CANCELLED
            and (order := self._state.orders.get(r.order_id)) is not None
            and order.event_id == event_id
        ]
        succeeded = [r for r in cancelled if r.status is RefundStatus.SUCCEEDED]
        return CancellationProgress(
            event_id=event_id,
            started_at=saga[0],
            finished_at=saga[1],
            orders=len(paid),
            requested=len(cancelled),
            refunded=len(succeeded),
            amount_refunded=sum((r.amount.amount for r in succeeded), Decimal("0")),
            currency=min((o.total.currency for o in paid), default=None),
        )


class FakePaymentNotices(PaymentNotices):
    def __init__(
        self, state: TicketingState, committed: TicketingState, clock: Callable[[], dt.datetime]
    ) -> None:
        self._state = state
        self._committed = committed
        self._clock = clock

    async def first_time(self, provider: str, notice_id: str, *, notice_type: str) -> bool:
        key = (provider, notice_id)
        if key in self._state.notices or key in self._committed.notices:
            return False
        self._state.notices[key] = (notice_type, self._clock())
        return True

    async def forget(self, *, received_before: dt.datetime) -> int:
        old = [key for key, (_, received_at) in self._state.notices.items() if received_at < received_before]
        for key in old:
            del self._state.notices[key]
        return len(old)


class FakeInbox(Inbox):
    def __init__(self, state: TicketingState) -> None:
        self._state = state

    async def first_time(self, message_id: uuid.UUID, *, message_type: str) -> bool:
        if message_id in self._state.inbox:
            return False
        self._state.inbox[message_id] = message_type
        return True


class FakeOutbox(Outbox):
    def __init__(self, state: TicketingState) -> None:
        self._state = state

    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        self._state.messages.extend((event, correlation_id) for event in events)


class FakeCatalogReader(CatalogReader):
    """The catalog service, knowing the events it was given."""

    def __init__(self, *events: CatalogEvent) -> None:
        self.events = list(events)
        self.reads = 0

    async def event_for_session(self, session_id: uuid.UUID) -> CatalogEvent | None:
        self.reads += 1
        return next((e for e in self.events if e.session(session_id) is not None), None)

    async def event(self, event_id: uuid.UUID) -> CatalogEvent | None:
        self.reads += 1
        return next((e for e in self.events if e.id == event_id), None)


@dataclass
class FakePayment:
    """A payment at the fake provider: what its page was opened for, and where it stands now."""

    order_id: uuid.UUID
    amount: Money
    state: PaymentState
    closed: bool = False
    refunded: Decimal = Decimal("0.00")


class FakePaymentProvider(PaymentProvider):
    """A payment provider whose payments the tests settle (:meth:`succeed`, :meth:`decline`,
    :meth:`expire`, :meth:`leave_pending`).

    Like Stripe, it honours idempotency keys: a checkout is keyed by the order's id and a refund by
    the refund's id, so a repeated call answers with what the first one made. ``calls`` counts every
    attempt per method, failed ones included; ``idempotency_keys`` lists the keys of every create
    and refund in order. :meth:`fail` makes the next calls raise PaymentProviderUnavailable.
    """

    name = "stripe"

    def __init__(self) -> None:
        self.payments: dict[str, FakePayment] = {}
        self.calls: Counter[str] = Counter()
        self.idempotency_keys: list[str] = []
        self.checkout_requests: list[tuple[uuid.UUID, str, str]] = []  # (order id, return, cancel)
        self.asked: list[str] = []  # the references payment_state was asked about, in order
        self._checkouts: dict[str, Checkout] = {}  # by idempotency key
        self._refunds: dict[str, tuple[str, Money]] = {}  # by idempotency key: (refund id, amount)
        self._failures: Counter[str] = Counter()
        self.down = False

    # ------------------------------------------------------------ what tests do

    def fail(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` raise PaymentProviderUnavailable."""
        self._failures[method] += times

    def succeed(self, reference: str, amount: Money | None = None) -> None:
        payment = self.payments[reference]
        payment.state = PaymentState(reference, PaymentOutcome.SUCCEEDED, amount or payment.amount)

    def decline(self, reference: str, failure_code: str = "card_declined") -> None:
        payment = self.payments[reference]
        payment.state = PaymentState(
            reference, PaymentOutcome.FAILED, payment.amount, failure_code=failure_code
        )

    def expire(self, reference: str) -> None:
        payment = self.payments[reference]
        payment.state = PaymentState(reference, PaymentOutcome.EXPIRED, payment.amount)

    def leave_pending(self, reference: str) -> None:
        payment = self.payments[reference]
        payment.state = PaymentState(reference, PaymentOutcome.PENDING, payment.amount)

    @property
    def refunds(self) -> list[tuple[str, str, Money]]:
        """(idempotency key, provider refund id, amount) of every refund made, once each."""
        return [(key, refund_id, amount) for key, (refund_id, amount) in self._refunds.items()]

    def refunded(self, reference: str) -> Decimal:
        return self.payments[reference].refunded

    # ------------------------------------------------------------ the port

    def _attempt(self, method: str) -> None:
        self.calls[method] += 1
        if self.down:
            raise PaymentProviderUnavailable("The fake provider is down.")
        if self._failures[method] > 0:
            self._failures[method] -= 1
            raise PaymentProviderUnavailable(f"The fake provider failed {method} on purpose.")

    async def start_checkout(self, order: Order, *, return_url: str, cancel_url: str) -> Checkout:
        self._attempt("start_checkout")
        key = f"checkout-{order.id}"
        self.idempotency_keys.append(key)
        self.checkout_requests.append((order.id, return_url, cancel_url))
        if key in self._checkouts:
            return self._checkouts[key]
        reference = f"cs_test_{len(self._checkouts) + 1}_{order.id.hex[:8]}"
        checkout = Checkout(reference, f"https://pay.example/{reference}")
        self._checkouts[key] = checkout
        self.payments[reference] = FakePayment(
            order.id, order.total, PaymentState(reference, PaymentOutcome.PENDING, order.total)
        )
        return checkout

    async def payment_state(self, reference: str) -> PaymentState:
        self._attempt("payment_state")
        self.asked.append(reference)
        if reference not in self.payments:
            raise LookupError(f"No such checkout session: {reference}")  # Stripe's 404
        return self.payments[reference].state

    async def refund(self, reference: str, refund: Refund) -> str:
        self._attempt("refund")
        key = f"refund-{refund.id}"
        self.idempotency_keys.append(key)
        if key in self._refunds:
            return self._refunds[key][0]
        payment = self.payments[reference]
        if payment.state.outcome is not PaymentOutcome.SUCCEEDED:
            raise ValueError(f"{reference} has no charge to refund")
        if payment.refunded + refund.amount.amount > payment.amount.amount:
            raise ValueError(f"{reference}: refunds would pass the charge")  # Stripe refuses it too
        payment.refunded += refund.amount.amount
        refund_id = f"re_test_{len(self._refunds) + 1}"
        self._refunds[key] = (refund_id, refund.amount)
        return refund_id

    async def close_checkout(self, reference: str) -> None:
        self._attempt("close_checkout")
        payment = self.payments[reference]
        if payment.state.outcome is PaymentOutcome.PENDING:
            payment.closed = True
            self.expire(reference)


class FakeSigner(TicketSigner):
    """Deterministic secrets: the claims in clear, with an HMAC of them (so two tickets never share
    one, and a test can read back what a secret vouches for)."""

    KEY = b"fake-ticket-key"

    def __init__(self) -> None:
        self.signed: list[TicketClaims] = []

    def sign(self, claims: TicketClaims) -> str:
        self.signed.append(claims)
        body = "|".join(
            (
                str(claims.ticket_id),
                str(claims.session_id),
                str(claims.zone_id),
                claims.valid_from.isoformat(),
                claims.valid_until.isoformat(),
            )
        )
        mac = hmac.new(self.KEY, body.encode(), hashlib.sha256).hexdigest()[:16]
        return f"signed:{body}|{mac}"

    @staticmethod
    def claims(secret: str) -> TicketClaims:
        """What a secret this signer made vouches for (its MAC unchecked: tests only)."""
        ticket, session, zone, valid_from, valid_until, _ = secret.removeprefix("signed:").split("|")
        return TicketClaims(
            uuid.UUID(ticket),
            uuid.UUID(session),
            uuid.UUID(zone),
            dt.datetime.fromisoformat(valid_from),
            dt.datetime.fromisoformat(valid_until),
        )

    def public_keys(self) -> list[dict[str, str]]:
        return [{"kty": "oct", "kid": "fake", "crv": "", "x": "", "alg": "HS256", "use": "sig"}]

    def verify(self, secret: str) -> TicketClaims | None:
        body, _, mac = secret.removeprefix("signed:").rpartition("|")
        expected = hmac.new(self.KEY, body.encode(), hashlib.sha256).hexdigest()[:16]
        if not secret.startswith("signed:") or not hmac.compare_digest(mac, expected):
            return None
        return self.claims(secret)


class FakeCheckIns(CheckIns):
    """Scans and admissions; a nonce and an admission's version seen as PostgreSQL's unique index
    and compare-and-set see them: including what other transactions committed since this one began."""

    def __init__(self, state: TicketingState, committed: TicketingState) -> None:
        self._state = state
        self._committed = committed

    async def claim(self, record: CheckInRecord, *, recorded_at: dt.datetime) -> CheckInRecord | None:
        key = (record.session_id, record.device_id, record.nonce)
        earlier = self._committed.nonces.get(key) or self._state.nonces.get(key)
        if earlier is not None:
            return self._committed.checkins.get(earlier) or self._state.checkins[earlier]
        self._state.nonces[key] = record.id
        self._state.checkins[record.id] = record
        return None

    async def settle(
        self, checkin_id: uuid.UUID, *, result: ScanResult, ticket_id: uuid.UUID | None, conflict: bool
    ) -> None:
        self._state.checkins[checkin_id] = replace(
            self._state.checkins[checkin_id], result=result, ticket_id=ticket_id, conflict=conflict
        )

    async def door_ticket(self, ticket_id: uuid.UUID) -> DoorTicket | None:
        ticket = self._state.tickets.get(ticket_id)
        if ticket is None:
            return None
        return DoorTicket(
            ticket.id,
            ticket.session_id,
            ticket.zone_id,
            ticket.zone_name,
            ticket.holder_name,
            ticket.status,
            order_id=ticket.order_id,
        )

    async def admission(self, ticket_id: uuid.UUID) -> Admission | None:
        # READ COMMITTED: a newer committed admission wins over this transaction's older copy.
        mine, theirs = self._state.admissions.get(ticket_id), self._committed.admissions.get(ticket_id)
        if theirs is not None and (mine is None or theirs.version > mine.version):
            self._state.admissions[ticket_id] = theirs
            return theirs
        return mine

    async def save_admission(self, admission: Admission) -> bool:
        current = await self.admission(admission.ticket_id)
        if (current.version if current is not None else 0) != admission.version - 1:
            return False
        self._state.admissions[admission.ticket_id] = admission
        return True

    async def mark_used(self, ticket_id: uuid.UUID) -> None:
        ticket = self._state.tickets[ticket_id]
        if ticket.status is TicketStatus.VALID:
            self._state.tickets[ticket_id] = replace(ticket, status=TicketStatus.USED)
            self._state.ticket_changed(ticket_id)

    async def occupancy(self, session_id: uuid.UUID) -> Occupancy:
        admitted = sum(1 for a in self._state.admissions.values() if a.session_id == session_id and a.inside)
        capacity = sum(line.capacity for (s, _), line in self._state.lines.items() if s == session_id)
        return Occupancy(admitted, capacity)

    async def changes(
        self, session_id: uuid.UUID, *, after: ChangePosition | None, limit: int
    ) -> TicketChanges:
        start = (after.xid, after.ticket_id) if after is not None else (0, NO_TICKET)
        changed = sorted(
            (self._state.ticket_changes[t.id], t.id)
            for t in self._state.tickets.values()
            if t.session_id == session_id and (self._state.ticket_changes[t.id], t.id) > start
        )
        page = changed[:limit]
        tickets = [await self.door_ticket(ticket_id) for _, ticket_id in page]
        if len(changed) > limit:
            return TicketChanges([t for t in tickets if t], ChangePosition(*page[-1]), complete=False)
        return TicketChanges(
            [t for t in tickets if t], ChangePosition(self._state.change_counter + 1), complete=True
        )

    async def conflicts(self, event_id: uuid.UUID, *, limit: int) -> list[CheckInConflict]:
        flagged: dict[uuid.UUID, dt.datetime] = {}
        for record in self._state.checkins.values():
            ticket = self._state.tickets.get(record.ticket_id) if record.ticket_id else None
            if record.conflict and ticket is not None and ticket.event_id == event_id:
                flagged[ticket.id] = max(flagged.get(ticket.id, record.scanned_at), record.scanned_at)
        found: list[CheckInConflict] = []
        for ticket_id in sorted(flagged, key=lambda t: flagged[t], reverse=True)[:limit]:
            door = await self.door_ticket(ticket_id)
            assert door is not None
            records = sorted(
                (r for r in self._state.checkins.values() if r.ticket_id == ticket_id and r.result),
                key=lambda r: r.scanned_at,
            )
            seen = [
                ConflictScan(r.scanned_at, r.device_id, r.result, r.type, r.conflict)
                for r in records
                if r.result is not None
            ]
            found.append(CheckInConflict(door, seen))
        return found


class FakePrinter(TicketPrinter):
    """Documents that name what they print, and a record of what was printed."""

    def __init__(self) -> None:
        self.printed: list[tuple[uuid.UUID, list[uuid.UUID]]] = []

    def qr_svg(self, secret: str) -> str:
        return f"<svg data-secret={secret!r}/>"

    def order_pdf(
        self, order: Order, tickets: Sequence[Ticket], *, session_starts_at: dt.datetime | None
    ) -> bytes:
        self.printed.append((order.id, [t.id for t in tickets]))
        return b"%PDF-fake " + " ".join(str(t.id) for t in tickets).encode()


class FakeReports(Reports):
    def __init__(self, state: TicketingState) -> None:
        self._state = state

    async def first_time(self, message_id: uuid.UUID, *, message_type: str) -> bool:
        if message_id in self._state.report_inbox:
            return False
        self._state.report_inbox.add(message_id)
        return True

    async def record_tickets(self, tickets: Sequence[SoldTicket]) -> None:
        for ticket in tickets:
            self._state.report_tickets.setdefault(ticket.ticket_id, ticket)

    async def sold_tickets(self, ticket_ids: Sequence[uuid.UUID]) -> list[SoldTicket]:
        return [self._state.report_tickets[t] for t in ticket_ids if t in self._state.report_tickets]

    async def add_sales(self, moves: Sequence[SalesMove]) -> None:
        for move in moves:
            key = (move.session_id, move.zone_id, move.hour, move.currency)
            row = self._state.report_sales.get(key)
            if row is None:
                self._state.report_sales[key] = move
                continue
            self._state.report_sales[key] = replace(
                row,
                tickets_sold=row.tickets_sold + move.tickets_sold,
                gross=row.gross + move.gross,
                tickets_refunded=row.tickets_refunded + move.tickets_refunded,
                refunded=row.refunded + move.refunded,
                orders_paid=row.orders_paid + move.orders_paid,
                refunds=row.refunds + move.refunds,
            )

    async def add_checkin(self, move: CheckInMove) -> None:
        first = 0
        if (
            move.direction == "entry"
            and not move.double_admission
            and move.ticket_id not in self._state.report_admitted
        ):
            self._state.report_admitted.add(move.ticket_id)
            first = 1
        key = (move.session_id, move.zone_id, hour_of(move.scanned_at))
        _, figures = self._state.report_checkins.setdefault(key, (move.event_id, Figures()))
        figures.add_checkins(
            admitted=first,
            entries=int(move.direction == "entry" and not move.double_admission),
            exits=int(move.direction == "exit"),
            double_admissions=int(move.double_admission),
        )

    async def add_waitlist(self, move: WaitlistMove) -> None:
        key = (move.session_id, move.zone_id)
        row = self._state.report_waitlist.get(key, replace(move, entries=0, places=0))
        self._state.report_waitlist[key] = replace(
            row, entries=max(row.entries + move.entries, 0), places=max(row.places + move.places, 0)
        )

    async def organization_events(self, organization_id: uuid.UUID, *, limit: int) -> list[CatalogEvent]:
        return [e for e in self._state.events.values() if e.organization_id == organization_id][:limit]

    @staticmethod
    def _within(hour: dt.datetime, query: ReportQuery) -> bool:
        return (query.since is None or hour >= hour_of(query.since)) and (
            query.until is None or hour < query.until
        )

    async def sales(
        self, event_ids: Sequence[uuid.UUID], query: ReportQuery
    ) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime, Figures]]:
        found = []
        for (session_id, zone_id, hour, currency), row in self._state.report_sales.items():
            if row.event_id in event_ids and self._within(hour, query):
                figures = Figures()
                figures.add_sales(
                    currency,
                    tickets_sold=row.tickets_sold,
                    gross=row.gross,
                    tickets_refunded=row.tickets_refunded,
                    refunded=row.refunded,
                    orders_paid=row.orders_paid,
                    refunds=row.refunds,
                )
                found.append((session_id, zone_id, hour, figures))
        return found

    async def checkins(
        self, event_ids: Sequence[uuid.UUID], query: ReportQuery
    ) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime, Figures]]:
        return [
            (session_id, zone_id, hour, copy.deepcopy(figures))
            for (session_id, zone_id, hour), (event_id, figures) in self._state.report_checkins.items()
            if event_id in event_ids and self._within(hour, query)
        ]

    async def waitlists(self, event_ids: Sequence[uuid.UUID]) -> list[WaitlistMove]:
        return [row for row in self._state.report_waitlist.values() if row.event_id in event_ids]


class FakeExports(Exports):
    def __init__(self, state: TicketingState) -> None:
        self._state = state

    async def count_orders(
        self, event_id: uuid.UUID, *, query: str | None, statuses: Sequence[OrderStatus]
    ) -> int:
        return sum(
            1
            for o in self._state.orders.values()
            if o.event_id == event_id and (not statuses or o.status in statuses) and query is None
        )

    async def attendees(self, event_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Attendee]:
        found = sorted(
            (
                t
                for t in self._state.tickets.values()
                if t.event_id == event_id and (after is None or t.id > after)
            ),
            key=lambda t: t.id,
        )[:limit]
        return [
            Attendee(
                ticket_id=t.id,
                order_id=t.order_id,
                session_id=t.session_id,
                zone_id=t.zone_id,
                zone_name=t.zone_name,
                holder_name=t.holder_name,
                buyer_name=self._state.orders[t.order_id].buyer.name,
                buyer_email=self._state.orders[t.order_id].buyer.email,
                price=t.price.amount,
                currency=t.price.currency,
                status=t.status.value,
                issued_at=t.issued_at,
                first_entry_at=a.first_entry_at if (a := self._state.admissions.get(t.id)) else None,
            )
            for t in found
        ]

    async def count_attendees(self, event_id: uuid.UUID) -> int:
        return sum(1 for t in self._state.tickets.values() if t.event_id == event_id)


class FakeUnitOfWork(UnitOfWork):
    """A transaction over ``committed``; only what is committed is kept.

    Several units of work may share one ``committed`` state, as concurrent transactions: one whose
    state was committed over by another since it began fails to commit (a serialization failure),
    so no write is ever lost silently.
    """

    def __init__(
        self, committed: TicketingState | None = None, *, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.committed = committed if committed is not None else TicketingState()
        # The database's now(), for rows it stamps itself (payment notices' received_at).
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.commits = 0
        self._begin()

    def _begin(self) -> None:
        self._state = copy.deepcopy(self.committed)
        self.catalog = FakeCatalogCopy(self._state)
        self.inventory = FakeInventory(self._state)
        self.customers = FakeCustomerPlaces(self._state)
        self.reservations = FakeReservations(self._state, self.committed)
        self.orders = FakeOrders(self._state, self.committed)
        self.tickets = FakeTickets(self._state, self.committed)
        self.checkins = FakeCheckIns(self._state, self.committed)
        self.transfers = FakeTransfers(self._state, self.committed)
        self.refunds = FakeRefunds(self._state, self.committed)
        self.notices = FakePaymentNotices(self._state, self.committed, self.clock)
        self.cancellations = FakeCancellations(self._state, self.committed)
        self.waitlist = FakeWaitlist(self._state, self.committed)
        self.inbox = FakeInbox(self._state)
        self.outbox = FakeOutbox(self._state)
        self.reports = FakeReports(self._state)
        self.exports = FakeExports(self._state)

    async def __aenter__(self) -> FakeUnitOfWork:
        self._begin()
        return self

    async def commit(self) -> None:
        if self._state.generation != self.committed.generation:
            raise ConstraintViolated("could not serialize access due to concurrent update")
        self._state.check()
        self._state.generation += 1
        # In place, so that other units of work over the same state see the commit.
        for name, value in vars(self._state).items():
            setattr(self.committed, name, value)
        self.commits += 1
        self._begin()

    async def rollback(self) -> None:
        self._begin()

    # What the tests read: the committed state only.

    @property
    def messages(self) -> list[tuple[DomainEvent, str | None]]:
        return self.committed.messages

    def line(self, session_id: uuid.UUID, zone_id: uuid.UUID) -> InventoryLine:
        return self.committed.lines[(session_id, zone_id)]

    def places_of(self, event_id: uuid.UUID, customer_id: uuid.UUID) -> int:
        return self.committed.places.get((event_id, customer_id), 0)

    def order(self, order_id: uuid.UUID) -> Order:
        """The committed order as the adapter reads it (its ticket ids from the tickets)."""
        return replace(
            self.committed.orders[order_id], ticket_ids=tuple(t.id for t in self.tickets_of(order_id))
        )

    def tickets_of(self, order_id: uuid.UUID) -> list[Ticket]:
        return sorted(
            (t for t in self.committed.tickets.values() if t.order_id == order_id), key=lambda t: t.position
        )

    def refunds_of(self, order_id: uuid.UUID) -> list[Refund]:
        return sorted(
            (r for r in self.committed.refunds.values() if r.order_id == order_id),
            key=lambda r: r.requested_at,
        )
