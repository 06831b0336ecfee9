"""The waiting lists' use cases: join, look, leave, and the organizer's lengths.

The serving rule and why nobody starves: domain/waitlist.py. Places freed are served by the paths
that free them (application/waitlist.py); leaving the list serves too, since the entry behind a
head that leaves may fit in the places kept so far.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ticketing_svc.application.handlers import (
    DRAFT,
    Clock,
    _catalog_event,
    _end_orders,
    _give_back,
    _read_through,
    person,
    system_clock,
)
from ticketing_svc.application.ports import CatalogReader, UnitOfWork
from ticketing_svc.application.waitlist import serve_waitlists
from ticketing_svc.domain.commands import (
    Actor,
    GetWaitlistLengths,
    JoinWaitlist,
    LeaveWaitlist,
    ListMyWaitlist,
)
from ticketing_svc.domain.errors import NotAllowed, SessionNotFound, WaitlistEntryNotFound
from ticketing_svc.domain.model import CatalogEvent, stock_transitions
from ticketing_svc.domain.waitlist import WaitlistEntry, WaitlistLength, WaitlistStanding, WaitlistStatus

MY_ENTRIES_MAX = 100


def _waiter(actor: Actor | None, doing: str) -> uuid.UUID:
    return person(actor, doing).subject


async def join_waitlist(
    cmd: JoinWaitlist, uow: UnitOfWork, clock: Clock = system_clock, *, catalog: CatalogReader | None = None
) -> WaitlistStanding:
    """Puts the caller in the waiting list of a sold-out zone of a session, for ``quantity`` places.

    Raises ZoneNotSoldOut (places are left: reserve them), NotOnSale, InvalidInput, SessionNotFound.
    Joining again while an entry is active returns that entry, as it is now.
    """
    customer_id = _waiter(cmd.actor, "join a waiting list")
    now = clock()
    async with uow:
        offer = await uow.catalog.offer(cmd.session_id)
    # Unknown, or a draft copy whose "published" may be a message behind: read the event through
    # first, as a reservation does, rather than refuse a session published a moment ago.
    draft = offer is not None and (
        offer.event.status == DRAFT
        or ((session := offer.event.session(cmd.session_id)) is not None and session.status == DRAFT)
    )
    if offer is None or (draft and catalog is not None):
        await _read_through(uow, catalog, session_id=cmd.session_id)
    async with uow:
        existing = await uow.waitlist.active(customer_id, cmd.session_id, cmd.zone_id)
        if existing is not None:
            return await _standing(uow, existing)
        offer = await uow.catalog.offer(cmd.session_id)
        if offer is None:
            raise SessionNotFound(cmd.session_id)
        entry = WaitlistEntry.join(
            offer.event,
            session_id=cmd.session_id,
            zone_id=cmd.zone_id,
            quantity=cmd.quantity,
            customer_id=customer_id,
            now=now,
        )
        stored = await uow.waitlist.add(entry)
        if stored is None:  # a twin request of the same account joined first
            existing = await uow.waitlist.active(customer_id, cmd.session_id, cmd.zone_id)
            if existing is None:  # and it ended meanwhile: this one may join on a retry
                raise SessionNotFound(cmd.session_id)
            return await _standing(uow, existing)
        await uow.inventory.join_waitlist(cmd.session_id, cmd.zone_id, cmd.quantity)
        await uow.outbox.add(entry.events, correlation_id=cmd.correlation_id)
        entry.events = []
        standing = await _standing(uow, stored)
        await uow.commit()
    return standing


async def _standing(uow: UnitOfWork, entry: WaitlistEntry) -> WaitlistStanding:
    place = await uow.waitlist.place(entry) if entry.status is WaitlistStatus.WAITING else None
    event = await uow.catalog.get(entry.event_id)
    zone = event.zone(entry.zone_id) if event is not None else None
    return WaitlistStanding(
        entry, place, event_name=event.name if event else "", zone_name=zone.name if zone else ""
    )


async def list_my_waitlist(cmd: ListMyWaitlist, uow: UnitOfWork) -> list[WaitlistStanding]:
    """The caller's waiting-list entries, newest first, each with its place in line while waiting."""
    customer_id = _waiter(cmd.actor, "see your waiting lists")
    async with uow:
        entries = await uow.waitlist.for_customer(customer_id, limit=MY_ENTRIES_MAX)
        return [await _standing(uow, entry) for entry in entries]


async def leave_waitlist(
    cmd: LeaveWaitlist, uow: UnitOfWork, clock: Clock = system_clock
) -> WaitlistStanding:
    """Takes the caller's entry off its list. An entry with an offer out gives the offered places
    up (the reservation is released, and they go to the next entry); one that had ended is left as
    it is. Raises WaitlistEntryNotFound for another account's entry."""
    customer_id = _waiter(cmd.actor, "leave a waiting list")
    for _ in range(3):
        now = clock()
        async with uow:
            entry = await uow.waitlist.get(cmd.entry_id)
            if entry is None or entry.customer_id != customer_id:
                raise WaitlistEntryNotFound(cmd.entry_id)
            if entry.status is WaitlistStatus.OFFERED:
                await _decline_offer(uow, entry, now, correlation_id=cmd.correlation_id)
            elif entry.status is WaitlistStatus.WAITING:
                # The line first, then the entry: the order every path that serves the list locks in.
                before = await uow.inventory.line(entry.session_id, entry.zone_id)
                locked = await uow.waitlist.get(entry.id, for_update=True)
                assert locked is not None
                if before is None or locked.status is not WaitlistStatus.WAITING:
                    continue  # served a moment ago: look again (rolled back as the block exits)
                event = await uow.catalog.get(locked.event_id)
                locked.leave(now, event_name=event.name if event is not None else "")
                await uow.waitlist.save(locked)
                await uow.inventory.leave_waitlist(locked.session_id, locked.zone_id)
                if event is not None:
                    await uow.outbox.add(locked.events, correlation_id=cmd.correlation_id)
                locked.events = []
                served = await serve_waitlists(
                    uow, [(locked.session_id, locked.zone_id)], now, correlation_id=cmd.correlation_id
                )
                if event is not None:
                    after = list(served.values())
                    await uow.outbox.add(
                        stock_transitions([before], after, event_id=event.id, event_name=event.name, now=now),
                        correlation_id=cmd.correlation_id,
                    )
            await uow.commit()
        async with uow:
            found = await uow.waitlist.get(cmd.entry_id)
            assert found is not None  # entries are never deleted
            return await _standing(uow, found)
    raise WaitlistEntryNotFound(cmd.entry_id)


async def _decline_offer(
    uow: UnitOfWork, entry: WaitlistEntry, now: dt.datetime, *, correlation_id: str | None
) -> None:
    assert entry.offer_reservation_id is not None
    reservation = await uow.reservations.get(entry.offer_reservation_id, for_update=True)
    if reservation is not None and reservation.release(now):
        # The offer's entry is ended (left) and its places served to the next, as any release.
        await _give_back(uow, [reservation], now, correlation_id=correlation_id)
        await _end_orders(uow, [reservation], now, expired=False, correlation_id=correlation_id)


@dataclass(frozen=True, slots=True)
class WaitlistLengths:
    event: CatalogEvent
    lines: list[WaitlistLength]


async def waitlist_lengths(
    cmd: GetWaitlistLengths, uow: UnitOfWork, *, catalog: CatalogReader | None = None
) -> WaitlistLengths:
    """Entries and places waiting per session x zone of an event (every zone, zeros included), for
    the event's organizer or an admin."""
    actor = person(cmd.actor, "see waiting lists")
    event = await _catalog_event(uow, catalog, cmd.event_id)
    if not actor.manages(event.organization_id):
        raise NotAllowed("Only the event's organizer or an admin sees its waiting lists.")
    async with uow:
        found = {
            (length.session_id, length.zone_id): length for length in await uow.waitlist.lengths(event.id)
        }
        lines = await uow.inventory.for_event(event.id)
    return WaitlistLengths(
        event,
        [
            found.get((line.session_id, line.zone_id), WaitlistLength(line.session_id, line.zone_id, 0, 0))
            for line in lines
        ],
    )
