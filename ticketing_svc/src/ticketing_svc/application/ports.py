"""What the use cases need from the outside world. Adapters implement these; unit tests fake them."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence

import taquilla_runtime.unit_of_work
from ticketing_svc.domain.checkins import (
    Admission,
    ChangePosition,
    CheckInConflict,
    CheckInRecord,
    DoorTicket,
    Occupancy,
    ScanResult,
    TicketChanges,
)
from ticketing_svc.domain.events import DomainEvent
from ticketing_svc.domain.model import (
    CatalogEvent,
    InventoryLine,
    ItemRequest,
    Offer,
    Reservation,
    ReservationStatus,
)
from ticketing_svc.domain.orders import (
    CancellationProgress,
    Checkout,
    Order,
    OrderStatus,
    PaymentState,
    Refund,
    Ticket,
    TicketClaims,
)
from ticketing_svc.domain.reports import (
    Attendee,
    CheckInMove,
    Figures,
    ReportQuery,
    SalesMove,
    SoldTicket,
    WaitlistMove,
)
from ticketing_svc.domain.transfers import TicketTransfer
from ticketing_svc.domain.waiting_room import QueueEntry
from ticketing_svc.domain.waitlist import WaitlistEntry, WaitlistLength


class CatalogCopy(abc.ABC):
    """Ticketing's copy of the catalog: the latest version of each event it was told about."""

    @abc.abstractmethod
    async def offer(self, session_id: uuid.UUID) -> Offer | None:
        """The event the session belongs to with the session's places left per zone, read in one go;
        None when ticketing has not heard of the session."""

    @abc.abstractmethod
    async def get(self, event_id: uuid.UUID) -> CatalogEvent | None: ...

    @abc.abstractmethod
    async def get_many(self, event_ids: Sequence[uuid.UUID]) -> list[CatalogEvent]:
        """The copies found among these ids, in no particular order (one read for them all)."""

    @abc.abstractmethod
    async def store(self, event: CatalogEvent, *, read_through: bool = False) -> bool:
        """Stores the event unless the stored copy is as new; True when it was stored.

        The catalog gives every message of one command the same version (publishing a new event
        sends EventCreated then EventPublished, both at version 1) and delivers them in order, so a
        message replaces a copy of the same version taken from an earlier message. A copy read
        through from the catalog is already the last state of its version: only a newer version
        replaces it, and a read-through replaces any copy of its version or older.
        Adds an inventory line for every new session x zone, and follows capacity changes."""


class Inventory(abc.ABC):
    """Places per session x zone. The only writer of held and sold."""

    @abc.abstractmethod
    async def take(
        self, session_id: uuid.UUID, items: Sequence[ItemRequest]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        """Holds the places of every item, all or none, atomically against concurrent takers.

        Returns the lines before and after. Raises SoldOut (with the places left per zone) when
        some zone has fewer places left than asked; the caller's transaction must then roll back.
        """

    @abc.abstractmethod
    async def give_back(
        self, holds: Sequence[tuple[uuid.UUID, uuid.UUID, int]]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        """Returns held places (session id, zone id, quantity); the lines before and after."""

    @abc.abstractmethod
    async def sell(self, session_id: uuid.UUID, items: Sequence[ItemRequest]) -> None:
        """Turns held places into sold ones (a paid reservation)."""

    @abc.abstractmethod
    async def unsell(
        self, session_id: uuid.UUID, items: Sequence[ItemRequest]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        """Puts sold places back on sale (refunded tickets); the lines before and after."""

    @abc.abstractmethod
    async def for_event(self, event_id: uuid.UUID) -> list[InventoryLine]: ...

    @abc.abstractmethod
    async def for_events(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[InventoryLine]]:
        """The lines of several events in one read, by event (an event without lines is left out)."""

    @abc.abstractmethod
    async def line(self, session_id: uuid.UUID, zone_id: uuid.UUID) -> InventoryLine | None:
        """One line, locked until the transaction ends (its waiting list changes under this lock)."""

    @abc.abstractmethod
    async def join_waitlist(self, session_id: uuid.UUID, zone_id: uuid.UUID, quantity: int) -> InventoryLine:
        """Counts one more entry waiting, atomically, when the zone is sold out for ``quantity``
        (fewer places free, or entries waiting already). Raises ZoneNotSoldOut otherwise."""

    @abc.abstractmethod
    async def leave_waitlist(self, session_id: uuid.UUID, zone_id: uuid.UUID) -> InventoryLine:
        """Counts one entry waiting less (it left, or its buyer could not take places)."""

    @abc.abstractmethod
    async def offer(self, session_id: uuid.UUID, zone_id: uuid.UUID, quantity: int) -> InventoryLine:
        """Holds free places for the head of the waiting list and counts it no longer waiting;
        raises SoldOut when fewer are free (the caller checked under the line's lock)."""


class Waitlist(abc.ABC):
    """The entries of the waiting lists."""

    @abc.abstractmethod
    async def add(self, entry: WaitlistEntry) -> WaitlistEntry | None:
        """Stores a new entry and returns it with its ``position``; None when the account already
        has an active entry for the zone (a concurrent join waits for the other's outcome)."""

    @abc.abstractmethod
    async def active(
        self, customer_id: uuid.UUID, session_id: uuid.UUID, zone_id: uuid.UUID
    ) -> WaitlistEntry | None: ...

    @abc.abstractmethod
    async def get(self, entry_id: uuid.UUID, *, for_update: bool = False) -> WaitlistEntry | None: ...

    @abc.abstractmethod
    async def waiting(self, session_id: uuid.UUID, zone_id: uuid.UUID, *, limit: int) -> list[WaitlistEntry]:
        """The first ``limit`` entries waiting in the zone's list, in order, locked."""

    @abc.abstractmethod
    async def by_offers(self, reservation_ids: Sequence[uuid.UUID]) -> list[WaitlistEntry]:
        """The entries offered these reservations, locked."""

    @abc.abstractmethod
    async def save(self, entry: WaitlistEntry) -> None: ...

    @abc.abstractmethod
    async def place(self, entry: WaitlistEntry) -> int:
        """The entry's place in its list among the entries waiting (1 for the head)."""

    @abc.abstractmethod
    async def for_customer(self, customer_id: uuid.UUID, *, limit: int) -> list[WaitlistEntry]:
        """The account's entries, newest first."""

    @abc.abstractmethod
    async def lengths(self, event_id: uuid.UUID) -> list[WaitlistLength]:
        """Entries and places waiting (and offered) per session x zone of the event."""


class CustomerPlaces(abc.ABC):
    """How many places of each event every account holds or owns (for the per-customer limit)."""

    @abc.abstractmethod
    async def add(
        self, event_id: uuid.UUID, customer_id: uuid.UUID, places: int, *, limit: int | None
    ) -> int:
        """Adds places unless that would pass ``limit``; returns the places the account had before.

        Raises LimitReached when it would pass. Two concurrent calls for one account see each other.
        """

    @abc.abstractmethod
    async def subtract(self, tallies: Sequence[tuple[uuid.UUID, uuid.UUID, int]]) -> None:
        """(event id, customer id, places) given back."""


class Reservations(abc.ABC):
    @abc.abstractmethod
    async def add(
        self, reservation: Reservation, *, idempotency_key: str | None, fingerprint: str | None
    ) -> None:
        """Stores a new reservation. Raises IdempotencyConflict when another request with the same
        Idempotency-Key of the same account committed first."""

    @abc.abstractmethod
    async def by_idempotency_key(self, customer_id: uuid.UUID, key: str) -> tuple[Reservation, str] | None:
        """The reservation an earlier request with this key made, with that request's fingerprint."""

    @abc.abstractmethod
    async def get(self, reservation_id: uuid.UUID, *, for_update: bool = False) -> Reservation | None: ...

    @abc.abstractmethod
    async def save(self, reservation: Reservation) -> None:
        """Writes back the status of a reservation loaded ``for_update``."""

    @abc.abstractmethod
    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[ReservationStatus],
    ) -> list[Reservation]:
        """The account's reservations, newest first, after (created_at, id)."""

    @abc.abstractmethod
    async def due(self, now: dt.datetime, *, limit: int) -> list[Reservation]:
        """Held reservations whose hold ran out, locked for this transaction; rows another
        transaction has locked are skipped (another sweeper or a release is on them)."""


class Orders(abc.ABC):
    @abc.abstractmethod
    async def add(self, order: Order, *, idempotency_key: str | None, fingerprint: str | None) -> None:
        """Stores a new order. Raises IdempotencyConflict when another request with the same key of
        the same account committed first, and OrderExists when the reservation already has one."""

    @abc.abstractmethod
    async def by_idempotency_key(self, customer_id: uuid.UUID, key: str) -> tuple[Order, str] | None: ...

    @abc.abstractmethod
    async def get(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None: ...

    @abc.abstractmethod
    async def by_reservation(
        self, reservation_id: uuid.UUID, *, for_update: bool = False
    ) -> Order | None: ...

    @abc.abstractmethod
    async def by_payment_reference(self, reference: str) -> Order | None: ...

    @abc.abstractmethod
    async def save(self, order: Order) -> None:
        """Writes back the status, payment and refunds of an order loaded ``for_update``."""

    @abc.abstractmethod
    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[OrderStatus],
    ) -> list[Order]: ...

    @abc.abstractmethod
    async def for_event(
        self,
        event_id: uuid.UUID,
        *,
        query: str | None,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[OrderStatus],
    ) -> list[Order]:
        """The event's orders newest first; ``query`` matches part of the buyer's name or e-mail, or
        a whole order id."""

    @abc.abstractmethod
    async def unsettled(
        self, *, created_before: dt.datetime, created_after: dt.datetime, limit: int
    ) -> list[Order]:
        """Orders still waiting for their payment's outcome (pending, failed) or ended without one
        (expired, cancelled) that have a payment at the provider, created in the window and not
        reconciled since ``created_before``: the reconciliation's work list, oldest check first."""

    @abc.abstractmethod
    async def reconciled(self, order_id: uuid.UUID, at: dt.datetime) -> None: ...


class Tickets(abc.ABC):
    @abc.abstractmethod
    async def add(self, tickets: Sequence[Ticket]) -> None:
        """Stores an order's tickets. Raises TicketsAlreadyIssued when the order has some."""

    @abc.abstractmethod
    async def get(self, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None: ...

    @abc.abstractmethod
    async def revoke(self, ticket_ids: Sequence[uuid.UUID], *, reason: str | None = None) -> None:
        """Revoked tickets admit nobody (refunded, or transferred: ``reason``)."""

    @abc.abstractmethod
    async def next_position(self, order_id: uuid.UUID) -> int:
        """The position after the order's last ticket (for a ticket issued by a transfer; the
        caller holds the order's lock)."""

    @abc.abstractmethod
    async def for_order(self, order_id: uuid.UUID) -> list[Ticket]: ...

    @abc.abstractmethod
    async def for_customer(
        self, customer_id: uuid.UUID, *, limit: int, after: tuple[dt.datetime, uuid.UUID] | None
    ) -> list[Ticket]: ...


class Transfers(abc.ABC):
    @abc.abstractmethod
    async def add(self, transfer: TicketTransfer) -> None:
        """Stores a new transfer. Raises TicketNotTransferable when the ticket has a pending one
        (another request committed it first)."""

    @abc.abstractmethod
    async def get(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> TicketTransfer | None: ...

    @abc.abstractmethod
    async def pending_for(self, ticket_id: uuid.UUID) -> TicketTransfer | None:
        """The ticket's pending transfer (perhaps past its time), locked for this transaction."""

    @abc.abstractmethod
    async def save(self, transfer: TicketTransfer) -> None:
        """Writes back the status of a transfer (accepted, cancelled, expired)."""


class Refunds(abc.ABC):
    @abc.abstractmethod
    async def add(
        self, refund: Refund, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> None:
        """Stores a new refund. Raises IdempotencyConflict when another request with the same
        Idempotency-Key for the same order committed first."""

    @abc.abstractmethod
    async def by_idempotency_key(self, order_id: uuid.UUID, key: str) -> tuple[Refund, str] | None: ...

    @abc.abstractmethod
    async def get(self, refund_id: uuid.UUID, *, for_update: bool = False) -> Refund | None: ...

    @abc.abstractmethod
    async def by_provider_id(self, provider_refund_id: str) -> Refund | None: ...

    @abc.abstractmethod
    async def requested(self, *, limit: int) -> list[Refund]:
        """Refunds not yet confirmed by the provider, oldest first."""

    @abc.abstractmethod
    async def save(self, refund: Refund) -> None: ...

    @abc.abstractmethod
    async def for_order(self, order_id: uuid.UUID) -> list[Refund]: ...


class Cancellations(abc.ABC):
    """The refund sagas of cancelled events."""

    @abc.abstractmethod
    async def start(self, event_id: uuid.UUID, now: dt.datetime) -> bool:
        """Starts the event's saga; False when it had started before."""

    @abc.abstractmethod
    async def running(self, *, limit: int) -> list[uuid.UUID]: ...

    @abc.abstractmethod
    async def finish(self, event_id: uuid.UUID, now: dt.datetime) -> None: ...

    @abc.abstractmethod
    async def progress(self, event_id: uuid.UUID) -> CancellationProgress | None: ...

    @abc.abstractmethod
    async def orders_to_refund(self, event_id: uuid.UUID, *, limit: int) -> list[uuid.UUID]:
        """Paid orders of the event with something left to refund and no cancellation refund yet."""


class PaymentNotices(abc.ABC):
    @abc.abstractmethod
    async def first_time(self, provider: str, notice_id: str, *, notice_type: str) -> bool:
        """Records a provider's notification as handled; False when it already was."""

    @abc.abstractmethod
    async def forget(self, *, received_before: dt.datetime) -> int:
        """Forgets the notifications received before ``received_before``; returns how many."""


class PaymentProvider(abc.ABC):
    """The payment service provider (Stripe). Every call that creates something carries an
    idempotency key, so a retry after a lost answer never charges or refunds twice."""

    name: str

    @abc.abstractmethod
    async def start_checkout(self, order: Order, *, return_url: str, cancel_url: str) -> Checkout:
        """A hosted payment page for the order's total, valid until the order's ``pay_by``."""

    @abc.abstractmethod
    async def payment_state(self, reference: str) -> PaymentState:
        """Where the payment stands now, read from the provider (never from a notification)."""

    @abc.abstractmethod
    async def refund(self, reference: str, refund: Refund) -> str:
        """Refunds ``refund.amount`` of the payment; returns the provider's refund id."""

    @abc.abstractmethod
    async def close_checkout(self, reference: str) -> None:
        """Closes the payment page of an order that expired, so it takes no more payments."""


class TicketSigner(abc.ABC):
    @abc.abstractmethod
    def sign(self, claims: TicketClaims) -> str:
        """The ticket's QR secret."""

    @abc.abstractmethod
    def public_keys(self) -> list[dict[str, str]]:
        """The verification keys as JWKs, the signing key first."""

    @abc.abstractmethod
    def verify(self, secret: str) -> TicketClaims | None:
        """The claims a QR secret proves, its validity window not checked (the domain does that);
        None when it proves nothing: malformed, forged, altered, or signed by an unknown key."""


class CheckIns(abc.ABC):
    """Scans at the door and each ticket's admission."""

    @abc.abstractmethod
    async def claim(self, record: CheckInRecord, *, recorded_at: dt.datetime) -> CheckInRecord | None:
        """Records a scan, still undecided; returns the earlier record instead when the device's nonce
        was recorded before for the session (waiting for a simultaneous twin's transaction to end)."""

    @abc.abstractmethod
    async def settle(
        self, checkin_id: uuid.UUID, *, result: ScanResult, ticket_id: uuid.UUID | None, conflict: bool
    ) -> None:
        """Writes the decision of a scan claimed in this transaction."""

    @abc.abstractmethod
    async def door_ticket(self, ticket_id: uuid.UUID) -> DoorTicket | None: ...

    @abc.abstractmethod
    async def admission(self, ticket_id: uuid.UUID) -> Admission | None:
        """The ticket's admission as committed now (never a snapshot older than the statement)."""

    @abc.abstractmethod
    async def save_admission(self, admission: Admission) -> bool:
        """Stores the admission if the stored one is still at ``admission.version - 1`` (none for
        version 1); False when another scan changed it first (nothing is written then)."""

    @abc.abstractmethod
    async def mark_used(self, ticket_id: uuid.UUID) -> None:
        """A valid ticket's first entry: it is used (the door's pack says so)."""

    @abc.abstractmethod
    async def occupancy(self, session_id: uuid.UUID) -> Occupancy: ...

    async def claim_and_read(
        self, record: CheckInRecord, *, recorded_at: dt.datetime, ticket_id: uuid.UUID | None
    ) -> tuple[CheckInRecord | None, DoorTicket | None, Admission | None]:
        """:meth:`claim`, then (for a scan claimed now) the ticket and its admission: the earlier
        record, or None with the ticket and admission (None, None without ``ticket_id``). A store
        may do it in one round trip."""
        earlier = await self.claim(record, recorded_at=recorded_at)
        if earlier is not None or ticket_id is None:
            return earlier, None, None
        ticket = await self.door_ticket(ticket_id)
        return None, ticket, await self.admission(ticket_id) if ticket is not None else None

    async def decided(
        self,
        checkin_id: uuid.UUID,
        admission: Admission | None,
        *,
        result: ScanResult,
        ticket_id: uuid.UUID | None,
        conflict: bool,
        first_entry: bool,
    ) -> bool:
        """Stores a scan's decision: the admission as :meth:`save_admission` does, and only if it
        was stored, the ticket used (``first_entry``) and the scan settled. False (nothing written)
        when another scan changed the admission first. A store may do it in one round trip."""
        if admission is not None and not await self.save_admission(admission):
            return False
        if first_entry and ticket_id is not None:
            await self.mark_used(ticket_id)
        await self.settle(checkin_id, result=result, ticket_id=ticket_id, conflict=conflict)
        return True

    async def decided_counted(
        self,
        checkin_id: uuid.UUID,
        admission: Admission | None,
        *,
        result: ScanResult,
        ticket_id: uuid.UUID | None,
        conflict: bool,
        first_entry: bool,
        session_id: uuid.UUID,
    ) -> Occupancy | None:
        """:meth:`decided`, then the session's occupancy after it; None when nothing was written.
        A store may do it in one round trip."""
        stored = await self.decided(
            checkin_id,
            admission,
            result=result,
            ticket_id=ticket_id,
            conflict=conflict,
            first_entry=first_entry,
        )
        return await self.occupancy(session_id) if stored else None

    @abc.abstractmethod
    async def changes(
        self, session_id: uuid.UUID, *, after: ChangePosition | None, limit: int
    ) -> TicketChanges:
        """The session's tickets changed after ``after`` (all without it), oldest change first, at
        most ``limit``; only changes no transaction still running can come before."""

    @abc.abstractmethod
    async def conflicts(self, event_id: uuid.UUID, *, limit: int) -> list[CheckInConflict]:
        """The event's tickets with a double admission, most recent first, with all their scans."""


class TicketPrinter(abc.ABC):
    @abc.abstractmethod
    def qr_svg(self, secret: str) -> str: ...

    @abc.abstractmethod
    def order_pdf(
        self, order: Order, tickets: Sequence[Ticket], *, session_starts_at: dt.datetime | None
    ) -> bytes: ...


class Inbox(abc.ABC):
    @abc.abstractmethod
    async def first_time(self, message_id: uuid.UUID, *, message_type: str) -> bool:
        """Records the message as handled; False when it already was (a redelivery)."""


class Outbox(abc.ABC):
    @abc.abstractmethod
    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        """Queues one message per domain event, in the caller's transaction."""


class CatalogReader(abc.ABC):
    """The catalog service itself, read when ticketing has not yet heard of a session."""

    @abc.abstractmethod
    async def event_for_session(self, session_id: uuid.UUID) -> CatalogEvent | None:
        """The published event with this session, as the catalog has it now; None if there is none."""

    @abc.abstractmethod
    async def event(self, event_id: uuid.UUID) -> CatalogEvent | None:
        """The event as anyone may see it now (published, cancelled or over); None if there is none."""


class WaitingRoom(abc.ABC):
    """The lines of gated on-sales (Redis). Raises WaitingRoomUnavailable when it cannot answer."""

    @abc.abstractmethod
    async def join(
        self, event_id: uuid.UUID, customer_id: uuid.UUID, *, now: dt.datetime, early: bool
    ) -> QueueEntry:
        """The account's place in the event's line, made on its first call: ``early`` places go in
        a random order ahead of everyone who joins after the on-sale, first come, first served."""

    @abc.abstractmethod
    async def entry(self, queue_id: uuid.UUID) -> QueueEntry | None:
        """An entry with its current rank in the line, or None."""


class Reports(abc.ABC):
    """The organizers' read model (report_* tables), projected from taquilla.ticketing.v1."""

    @abc.abstractmethod
    async def first_time(self, message_id: uuid.UUID, *, message_type: str) -> bool:
        """Records the message as folded in; False when it already was (a redelivery or replay)."""

    @abc.abstractmethod
    async def record_tickets(self, tickets: Sequence[SoldTicket]) -> None:
        """Remembers where tickets count (their session x zone and price)."""

    @abc.abstractmethod
    async def sold_tickets(self, ticket_ids: Sequence[uuid.UUID]) -> list[SoldTicket]:
        """The tickets remembered of these ids (unknown ones are left out)."""

    @abc.abstractmethod
    async def add_sales(self, moves: Sequence[SalesMove]) -> None: ...

    @abc.abstractmethod
    async def add_checkin(self, move: CheckInMove) -> None:
        """Counts a scan; an entry of a ticket never admitted before is also a first admission."""

    @abc.abstractmethod
    async def add_waitlist(self, move: WaitlistMove) -> None: ...

    @abc.abstractmethod
    async def organization_events(self, organization_id: uuid.UUID, *, limit: int) -> list[CatalogEvent]:
        """The organization's events as ticketing's catalog copy has them, newest first."""

    @abc.abstractmethod
    async def sales(
        self, event_ids: Sequence[uuid.UUID], query: ReportQuery
    ) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime, Figures]]:
        """Hourly sales rows (session, zone, hour, figures) of the events within the query's span."""

    @abc.abstractmethod
    async def checkins(
        self, event_ids: Sequence[uuid.UUID], query: ReportQuery
    ) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime, Figures]]:
        """Hourly check-in rows (session, zone, hour, figures) of the events within the span."""

    @abc.abstractmethod
    async def waitlists(self, event_ids: Sequence[uuid.UUID]) -> list[WaitlistMove]:
        """Entries and places waiting now per session x zone of the events."""


class Exports(abc.ABC):
    """What the organizer's exports read from the sales tables, a keyset page at a time."""

    @abc.abstractmethod
    async def count_orders(
        self, event_id: uuid.UUID, *, query: str | None, statuses: Sequence[OrderStatus]
    ) -> int:
        """How many orders of the event ListEventOrders' filters match."""

    @abc.abstractmethod
    async def attendees(self, event_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Attendee]:
        """The event's tickets after ``after`` in ticket id order, with their buyers."""

    @abc.abstractmethod
    async def count_attendees(self, event_id: uuid.UUID) -> int: ...


class UnitOfWork(taquilla_runtime.unit_of_work.UnitOfWork):
    """One transaction over this service's repositories: committed together, or not at all."""

    catalog: CatalogCopy
    inventory: Inventory
    customers: CustomerPlaces
    reservations: Reservations
    orders: Orders
    tickets: Tickets
    transfers: Transfers
    checkins: CheckIns
    refunds: Refunds
    cancellations: Cancellations
    notices: PaymentNotices
    waitlist: Waitlist
    inbox: Inbox
    outbox: Outbox
    reports: Reports
    exports: Exports
