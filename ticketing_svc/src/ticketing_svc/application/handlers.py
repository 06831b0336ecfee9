"""Ticketing's use cases: one async function per command, each one transaction.

Handlers read through the unit of work, let the domain decide, queue the resulting domain events in
the outbox and commit, in that order. The one decision the domain cannot make alone, whether places
are left, is the inventory's: it is made atomically inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ticketing_svc.application.ports import CatalogReader, UnitOfWork, WaitingRoom
from ticketing_svc.application.waitlist import offers_ended, serve_waitlists
from ticketing_svc.domain.commands import (
    Actor,
    CountTaken,
    ExpireReservations,
    FollowCatalog,
    GetAvailability,
    GetEventsAvailability,
    GetQueueStanding,
    GetReservation,
    JoinQueue,
    ListReservations,
    ReleaseReservation,
    Reserve,
)
from ticketing_svc.domain.errors import (
    EventNotFound,
    IdempotencyConflict,
    IdempotencyKeyReused,
    InvalidInput,
    NotAllowed,
    NotOnSale,
    NoWaitingRoom,
    QueueEntryNotFound,
    ReservationNotFound,
    SessionNotFound,
    SoldOut,
    Unauthenticated,
)
from ticketing_svc.domain.events import DomainEvent
from ticketing_svc.domain.model import (
    CatalogEvent,
    InventoryLine,
    Reservation,
    SaleStatus,
    sale_status,
    stock_transitions,
)
from ticketing_svc.domain.waiting_room import QueueEntry, QueueStanding, can_join, check_admission, standing

Clock = Callable[[], dt.datetime]
DRAFT = "draft"
CANCELLED = "cancelled"
PAGE_SIZE_MAX = 100


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def person(actor: Actor | None, doing: str) -> Actor:
    """The caller, when it is a signed-in person; ``doing`` completes "Sign in to …"."""
    if actor is None:
        raise Unauthenticated(f"Sign in to {doing}.")
    if not actor.is_user:
        raise NotAllowed(f"Only people's accounts {doing}.")
    return actor


def _buyer(actor: Actor | None) -> Actor:
    return person(actor, "reserve tickets")


def page_after(after: tuple[str, uuid.UUID] | None) -> tuple[dt.datetime, uuid.UUID] | None:
    """A listing's keyset position, (created-at ISO string, id), as the repositories take it."""
    return (dt.datetime.fromisoformat(after[0]), after[1]) if after is not None else None


class HasEvents(Protocol):
    events: list[DomainEvent]


def drain(entity: HasEvents) -> list[DomainEvent]:
    """The domain events an aggregate recorded, handed over once (for the outbox)."""
    events, entity.events = entity.events, []
    return events


# ---------------------------------------------------------------- reservations


async def reserve(
    cmd: Reserve,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    catalog: CatalogReader | None = None,
    admission_secret: bytes = b"",
) -> Reservation:
    """Holds places of one session for the caller, all items or none.

    Raises NotOnSale, SoldOut (places left per zone), LimitReached, InvalidInput, SessionNotFound.
    A replayed Idempotency-Key returns the reservation the first request made, as it is now.
    """
    buyer = _buyer(cmd.actor)
    read_through = False
    for _ in range(3):
        try:
            return await _reserve(cmd, buyer, uow, clock, admission_secret)
        except _UnknownSession:
            if read_through:
                raise SessionNotFound(cmd.session_id) from None
            # Published a moment ago and the catalog's message is still on its way: read the event
            # through and keep the copy, whatever this reservation's fate, then try again.
            await _read_through(uow, catalog, session_id=cmd.session_id)
            read_through = True
        except _DraftCopy:
            # The copy says draft, but the catalog's "published" may be a message behind (creating
            # with publish sends both at once): ask the catalog before refusing, once.
            if read_through or catalog is None:
                raise NotOnSale("The event is draft: nothing is on sale.") from None
            await _read_through(uow, catalog, session_id=cmd.session_id)
            read_through = True
        except IdempotencyConflict:
            continue  # a twin request with the same key committed while this one ran: answer with its result
    return await _reserve(cmd, buyer, uow, clock, admission_secret)


class _UnknownSession(Exception):
    """Ticketing has not heard of the session (yet)."""


class _DraftCopy(Exception):
    """Ticketing's copy of the event or session is a draft (perhaps only for a moment)."""


async def _read_through(
    uow: UnitOfWork,
    catalog: CatalogReader | None,
    *,
    session_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> None:
    fresh = None
    if catalog is not None:
        if session_id is not None:
            fresh = await catalog.event_for_session(session_id)
        elif event_id is not None:
            fresh = await catalog.event(event_id)
    if fresh is None:
        if session_id is not None:
            raise SessionNotFound(session_id)
        raise EventNotFound(event_id or "")
    async with uow:
        await uow.catalog.store(fresh, read_through=True)
        await uow.commit()


async def _reserve(
    cmd: Reserve, buyer: Actor, uow: UnitOfWork, clock: Clock, admission_secret: bytes
) -> Reservation:
    now = clock()
    async with uow:
        if cmd.idempotency is not None:
            earlier = await uow.reservations.by_idempotency_key(buyer.subject, cmd.idempotency.key)
            if earlier is not None:
                reservation, fingerprint = earlier
                if fingerprint != cmd.idempotency.fingerprint:
                    raise IdempotencyKeyReused
                return reservation
        offer = await uow.catalog.offer(cmd.session_id)
        if offer is None:
            raise _UnknownSession
        event = offer.event
        if event.settings.waiting_room:
            check_admission(
                admission_secret, cmd.admission, event_id=event.id, customer_id=buyer.subject, now=now
            )
        session = event.session(cmd.session_id)
        if event.status == DRAFT or (session is not None and session.status == DRAFT):
            raise _DraftCopy
        reservation = Reservation.hold(
            event, session_id=cmd.session_id, items=cmd.items, customer_id=buyer.subject, now=now
        )
        # Once a zone is sold out, most requests of a flash sale are refusals: answer them from the
        # snapshot just read, before writing anything (ADR 0012).
        short = offer.shortfall(cmd.items)
        if short is not None:
            raise SoldOut(short)
        # Writes that contend least come first, so the zone's row is locked only for its own
        # update and the commit (docs/adr/0012-ticketing-inventory-concurrency.md).
        await uow.reservations.add(
            reservation,
            idempotency_key=cmd.idempotency.key if cmd.idempotency else None,
            fingerprint=cmd.idempotency.fingerprint if cmd.idempotency else None,
        )
        await uow.outbox.add(drain(reservation), correlation_id=cmd.correlation_id)
        await uow.customers.add(
            event.id, buyer.subject, reservation.quantity, limit=event.settings.max_per_customer
        )
        before, after = await uow.inventory.take(cmd.session_id, cmd.items)
        transitions = stock_transitions(before, after, event_id=event.id, event_name=event.name, now=now)
        if transitions:
            await uow.outbox.add(transitions, correlation_id=cmd.correlation_id)
        await uow.commit()
    return reservation


async def get_reservation(cmd: GetReservation, uow: UnitOfWork) -> Reservation:
    buyer = _buyer(cmd.actor)
    async with uow:
        reservation = await uow.reservations.get(cmd.reservation_id)
    if reservation is None or reservation.customer_id != buyer.subject:
        raise ReservationNotFound(cmd.reservation_id)
    return reservation


@dataclass(frozen=True, slots=True)
class ReservationPage:
    reservations: list[Reservation]
    has_more: bool


async def list_reservations(cmd: ListReservations, uow: UnitOfWork) -> ReservationPage:
    buyer = _buyer(cmd.actor)
    limit = max(1, min(PAGE_SIZE_MAX, cmd.limit))
    async with uow:
        found = await uow.reservations.for_customer(
            buyer.subject, limit=limit + 1, after=page_after(cmd.after), statuses=cmd.statuses
        )
    return ReservationPage(found[:limit], has_more=len(found) > limit)


async def release_reservation(
    cmd: ReleaseReservation, uow: UnitOfWork, clock: Clock = system_clock
) -> Reservation:
    """Lets a held reservation's places go at once; a reservation no longer held is left as it is."""
    buyer = _buyer(cmd.actor)
    now = clock()
    async with uow:
        reservation = await uow.reservations.get(cmd.reservation_id, for_update=True)
        if reservation is None or reservation.customer_id != buyer.subject:
            raise ReservationNotFound(cmd.reservation_id)
        if reservation.release(now):
            await _give_back(uow, [reservation], now, correlation_id=cmd.correlation_id)
            await _end_orders(uow, [reservation], now, expired=False, correlation_id=cmd.correlation_id)
        await uow.commit()
    return reservation


async def expire_reservations(
    cmd: ExpireReservations, uow: UnitOfWork, clock: Clock = system_clock
) -> list[Reservation]:
    """Ends up to ``cmd.limit`` holds whose time ran out and puts their places back on sale."""
    now = clock()
    async with uow:
        due = await uow.reservations.due(now, limit=cmd.limit)
        expired = [reservation for reservation in due if reservation.expire(now)]
        if expired:
            await _give_back(uow, expired, now, correlation_id=None)
            await _end_orders(uow, expired, now, expired=True, correlation_id=None)
        await uow.commit()
    return expired


async def _give_back(
    uow: UnitOfWork, reservations: Sequence[Reservation], now: dt.datetime, *, correlation_id: str | None
) -> None:
    """Stores the ended reservations and returns their places: customers' tallies first, then the
    inventory, each in one fixed order, the same as reserve's (no deadlock between the two); then
    the places are offered to the zones' waiting lists (application/waitlist.py)."""
    tallies: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    holds: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for reservation in reservations:
        await uow.reservations.save(reservation)
        key = (reservation.event_id, reservation.customer_id)
        tallies[key] = tallies.get(key, 0) + reservation.quantity
        for item in reservation.items:
            line = (reservation.session_id, item.zone_id)
            holds[line] = holds.get(line, 0) + item.quantity
    messages: list[DomainEvent] = [event for reservation in reservations for event in drain(reservation)]
    await uow.customers.subtract([(e, c, n) for (e, c), n in sorted(tallies.items())])
    before, after = await uow.inventory.give_back([(s, z, n) for (s, z), n in sorted(holds.items())])
    # The places go to the zones' waiting lists first, in this same transaction.
    await offers_ended(uow, reservations, now)
    await uow.outbox.add(messages, correlation_id=correlation_id)
    messages = []
    served = await serve_waitlists(uow, holds, now, correlation_id=correlation_id)
    after = [served.get((line.session_id, line.zone_id), line) for line in after]
    event_of_session = {r.session_id: (r.event_id, r.event_name) for r in reservations}
    for session_id, (event_id, event_name) in event_of_session.items():
        messages += stock_transitions(
            [line for line in before if line.session_id == session_id],
            [line for line in after if line.session_id == session_id],
            event_id=event_id,
            event_name=event_name,
            now=now,
        )
    await uow.outbox.add(messages, correlation_id=correlation_id)


async def _end_orders(
    uow: UnitOfWork,
    reservations: Sequence[Reservation],
    now: dt.datetime,
    *,
    expired: bool,
    correlation_id: str | None,
) -> None:
    """The orders still waiting for payment of reservations that just ended: expired with their
    hold, or cancelled with a release. A payment that still comes in is settled by its notice."""
    for reservation in reservations:
        order = await uow.orders.by_reservation(reservation.id, for_update=True)
        if order is None:
            continue
        if order.expire(now) if expired else order.cancel(now):
            await uow.orders.save(order)
            await uow.outbox.add(drain(order), correlation_id=correlation_id)


# ---------------------------------------------------------------- availability


@dataclass(frozen=True, slots=True)
class ZoneAvailability:
    line: InventoryLine
    status: SaleStatus


@dataclass(frozen=True, slots=True)
class Availability:
    event: CatalogEvent
    zones: list[ZoneAvailability]
    as_of: dt.datetime


async def get_availability(
    cmd: GetAvailability,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    catalog: CatalogReader | None = None,
) -> Availability:
    """Places left and sale status per session x zone of a published (or once published) event;
    an event published a moment ago is read through from the catalog."""
    now = clock()
    event = await _catalog_event(uow, catalog, cmd.event_id)
    async with uow:
        lines = await uow.inventory.for_event(cmd.event_id)
    return _availability(event, lines, now)


def _availability(event: CatalogEvent, lines: Sequence[InventoryLine], now: dt.datetime) -> Availability:
    zones = []
    for line in lines:
        selling = event.sells(line.session_id, now)
        shown = (
            line if selling else InventoryLine(line.session_id, line.zone_id, line.capacity, 0, line.capacity)
        )
        zones.append(ZoneAvailability(shown, sale_status(line, selling=selling)))
    return Availability(event, zones, as_of=now)


EVENTS_AVAILABILITY_MAX = 100


async def get_events_availability(
    cmd: GetEventsAvailability,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    catalog: CatalogReader | None = None,
) -> list[Availability]:
    """:func:`get_availability` for up to 100 events, in the order asked and each once, in two reads;
    an id that names no event ticketing knows is left out, so one unknown event does not fail a
    list. An event published a moment ago is read through from the catalog, one by one (rare)."""
    if len(cmd.event_ids) > EVENTS_AVAILABILITY_MAX:
        raise InvalidInput.single("event_ids", f"at most {EVENTS_AVAILABILITY_MAX} ids at once")
    wanted: list[uuid.UUID] = []
    for raw in cmd.event_ids:
        try:
            event_id = uuid.UUID(raw)
        except ValueError:
            continue
        if event_id not in wanted:
            wanted.append(event_id)
    now = clock()
    async with uow:
        copies = {event.id: event for event in await uow.catalog.get_many(wanted)}
        lines = await uow.inventory.for_events(list(copies))
    found = []
    for event_id in wanted:
        event = copies.get(event_id)
        if event is not None:
            found.append(_availability(event, lines.get(event_id, []), now))
            continue
        try:
            found.append(await get_availability(GetAvailability(event_id), uow, clock, catalog=catalog))
        except EventNotFound:
            continue
    return found


async def count_taken(cmd: CountTaken, uow: UnitOfWork) -> list[InventoryLine]:
    """Places held and sold per session x zone, for the catalog service only."""
    if cmd.actor is None or cmd.actor.is_user:
        raise NotAllowed("Only Taquilla's services count taken places.")
    async with uow:
        return await uow.inventory.for_event(cmd.event_id)


# ---------------------------------------------------------------- the catalog's messages


async def follow_catalog(cmd: FollowCatalog, uow: UnitOfWork, clock: Clock = system_clock) -> bool:
    """Applies one catalog message, once. False for a redelivery, an older version than the one
    stored, or a session change of an event ticketing has not heard of (the next full message or a
    read-through brings it)."""
    async with uow:
        if not await uow.inbox.first_time(cmd.message_id, message_type=cmd.message_type):
            await uow.commit()
            return False
        event = cmd.event
        stored = await uow.catalog.get(cmd.event_id)
        if event is None and cmd.session is not None:
            event = stored.with_session(cmd.session) if stored is not None else None
        stored_now = await uow.catalog.store(event) if event is not None else False
        if (
            stored_now
            and event is not None
            and event.status == CANCELLED
            and (stored is None or stored.status != CANCELLED)
        ):
            # Every paid order of a cancelled event is refunded: the saga starts in this transaction.
            await uow.cancellations.start(event.id, clock())
        if stored_now and event is not None:
            # A capacity raised, or a session back on sale, may free places its waiting lists wait for.
            waiting = [
                (line.session_id, line.zone_id)
                for line in await uow.inventory.for_event(event.id)
                if line.waiting > 0 and line.free > 0
            ]
            if waiting:
                await serve_waitlists(uow, waiting, clock(), correlation_id=None)
        await uow.commit()
    return stored_now


# ---------------------------------------------------------------- the waiting room


async def join_queue(
    cmd: JoinQueue,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    room: WaitingRoom,
    catalog: CatalogReader | None = None,
    admission_secret: bytes,
) -> QueueStanding:
    """The caller's place in the event's waiting room (the same entry on every call)."""
    buyer = _buyer(cmd.actor)
    now = clock()
    event = await _catalog_event(uow, catalog, cmd.event_id)
    if not event.settings.waiting_room:
        raise NoWaitingRoom("This sale has no waiting room: reserve directly.")
    if not can_join(event.settings, now):
        opens = event.settings.on_sale_at
        assert opens is not None
        raise NoWaitingRoom(f"The waiting room opens 30 minutes before the on-sale ({opens.isoformat()}).")
    early = event.settings.on_sale_at is not None and now < event.settings.on_sale_at
    entry = await room.join(event.id, buyer.subject, now=now, early=early)
    return await _standing(uow, event, entry, now, admission_secret)


async def queue_standing(
    cmd: GetQueueStanding,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    room: WaitingRoom,
    catalog: CatalogReader | None = None,
    admission_secret: bytes,
) -> QueueStanding:
    """Where the caller stands in a waiting room, with an admission once it is their turn."""
    buyer = _buyer(cmd.actor)
    now = clock()
    entry = await room.entry(cmd.queue_id)
    if entry is None or entry.customer_id != buyer.subject:
        raise QueueEntryNotFound(cmd.queue_id)
    event = await _catalog_event(uow, catalog, entry.event_id)
    return await _standing(uow, event, entry, now, admission_secret)


async def _catalog_event(uow: UnitOfWork, catalog: CatalogReader | None, event_id: uuid.UUID) -> CatalogEvent:
    """Ticketing's copy of the event; one published a moment ago is read through from the catalog."""
    async with uow:
        event = await uow.catalog.get(event_id)
    if event is None:
        await _read_through(uow, catalog, event_id=event_id)
        async with uow:
            event = await uow.catalog.get(event_id)
    if event is None:
        raise EventNotFound(event_id)
    return event


async def _standing(
    uow: UnitOfWork, event: CatalogEvent, entry: QueueEntry, now: dt.datetime, secret: bytes
) -> QueueStanding:
    async with uow:
        lines = await uow.inventory.for_event(event.id)
    return standing(entry, event.settings, now, sold_out=event.sold_out(lines), secret=secret)
