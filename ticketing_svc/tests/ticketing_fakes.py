"""In-memory fakes of ticketing's ports, for unit tests of the handlers only.

Every fake works on the unit of work's copy of the committed state, taken when the transaction
begins; ``commit`` makes that copy the committed state and anything else is dropped. The inventory
and the customers' tallies keep the SQL adapters' rules: all items or none, never past capacity,
never past the per-customer limit, never below zero (the database's check constraints).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ticketing_svc.application.ports import (
    CatalogCopy,
    CatalogReader,
    CustomerPlaces,
    Inbox,
    Inventory,
    Outbox,
    Reservations,
    UnitOfWork,
)
from ticketing_svc.domain.errors import IdempotencyConflict, LimitReached, SoldOut
from ticketing_svc.domain.events import DomainEvent
from ticketing_svc.domain.model import (
    CatalogEvent,
    InventoryLine,
    ItemRequest,
    Offer,
    Reservation,
    ReservationStatus,
)

LineKey = tuple[uuid.UUID, uuid.UUID]  # (session id, zone id)


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
    # Moves on at every commit: a transaction that began before another one committed cannot commit.
    generation: int = 0

    def check(self) -> None:
        for line in self.lines.values():
            if line.held < 0 or line.sold < 0 or line.held + line.sold > line.capacity:
                raise ConstraintViolated(f"ck_inventory_counts: {line}")
        if any(places < 0 for places in self.places.values()):
            raise ConstraintViolated("ck_customer_places")


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

    async def for_event(self, event_id: uuid.UUID) -> list[InventoryLine]:
        return [
            line
            for key, line in sorted(self._state.lines.items())
            if self._state.event_of_line[key] == event_id
        ]


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


class FakeUnitOfWork(UnitOfWork):
    """A transaction over ``committed``; only what is committed is kept.

    Several units of work may share one ``committed`` state, as concurrent transactions: one whose
    state was committed over by another since it began fails to commit (a serialization failure),
    so no write is ever lost silently.
    """

    def __init__(self, committed: TicketingState | None = None) -> None:
        self.committed = committed if committed is not None else TicketingState()
        self.commits = 0
        self._begin()

    def _begin(self) -> None:
        self._state = copy.deepcopy(self.committed)
        self.catalog = FakeCatalogCopy(self._state)
        self.inventory = FakeInventory(self._state)
        self.customers = FakeCustomerPlaces(self._state)
        self.reservations = FakeReservations(self._state, self.committed)
        self.inbox = FakeInbox(self._state)
        self.outbox = FakeOutbox(self._state)

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
