"""Serving the waiting lists: what every path that frees places does, inside its own transaction.

A release, an expiry sweep and a refund give places back and then call :func:`serve_waitlists` for
the zones they touched, before they commit: the places go to the head of the zone's list (a hold
made for that buyer, domain/waitlist.py) in the same transaction that freed them, so the public
reservation path never sees them free while someone waits (the inventory also refuses the public any
place of a zone with entries waiting). Locks are taken in one order everywhere: the inventory line,
then the entries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from ticketing_svc.application.ports import UnitOfWork
from ticketing_svc.domain.errors import InvalidInput, LimitReached, NotOnSale
from ticketing_svc.domain.events import DomainEvent
from ticketing_svc.domain.model import CatalogEvent, InventoryLine, ItemRequest, Reservation
from ticketing_svc.domain.waitlist import WaitlistEntry, next_to_serve

LineKey = tuple[uuid.UUID, uuid.UUID]


async def offers_ended(uow: UnitOfWork, reservations: Sequence[Reservation], now: dt.datetime) -> None:
    """Ends the waiting-list entries whose offered reservation just ended (expired, released or
    purchased); their places are then served like any others."""
    ended = {reservation.id: reservation for reservation in reservations}
    for entry in await uow.waitlist.by_offers(sorted(ended)):
        assert entry.offer_reservation_id is not None
        if entry.offer_ended(ended[entry.offer_reservation_id], now):
            await uow.waitlist.save(entry)


async def serve_waitlists(
    uow: UnitOfWork, zones: Iterable[LineKey], now: dt.datetime, *, correlation_id: str | None
) -> dict[LineKey, InventoryLine]:
    """Offers the free places of each zone to its waiting list, head first, as long as the head
    fits (domain/waitlist.py). Returns the lines it looked at, as they are now."""
    lines: dict[LineKey, InventoryLine] = {}
    events: dict[uuid.UUID, CatalogEvent | None] = {}
    for session_id, zone_id in sorted(set(zones)):
        line = await uow.inventory.line(session_id, zone_id)
        if line is None:
            continue
        lines[(session_id, zone_id)] = line
        if line.waiting == 0 or line.free == 0:
            continue
        if session_id not in events:
            offer = await uow.catalog.offer(session_id)
            events[session_id] = offer.event if offer is not None else None
        event = events[session_id]
        if event is None or not event.sells(session_id, now):
            continue  # nothing sells: the list keeps waiting (and the public buys nothing either)
        while line.waiting > 0:
            head = next_to_serve(line.free, await uow.waitlist.waiting(session_id, zone_id, limit=1))
            if head is None:
                break
            line = await _offer(uow, event, head, now, correlation_id=correlation_id)
        lines[(session_id, zone_id)] = line
    return lines


async def _offer(
    uow: UnitOfWork,
    event: CatalogEvent,
    entry: WaitlistEntry,
    now: dt.datetime,
    *,
    correlation_id: str | None,
) -> InventoryLine:
    """Holds the entry's places for its buyer, or ends the entry when the buyer cannot take them
    (over the event's per-customer limit, or the zone's rules changed since it joined)."""
    try:
        reservation = Reservation.hold(
            event,
            session_id=entry.session_id,
            items=(ItemRequest(entry.zone_id, entry.quantity),),
            customer_id=entry.customer_id,
            now=now,
        )
        await uow.customers.add(
            event.id, entry.customer_id, entry.quantity, limit=event.settings.max_per_customer
        )
    except (InvalidInput, NotOnSale, LimitReached):
        entry.lapse(now, event_name=event.name)
        await uow.waitlist.save(entry)
        lapsed, entry.events = list(entry.events), []
        await uow.outbox.add(lapsed, correlation_id=correlation_id)
        return await uow.inventory.leave_waitlist(entry.session_id, entry.zone_id)
    await uow.reservations.add(reservation, idempotency_key=None, fingerprint=None)
    line = await uow.inventory.offer(entry.session_id, entry.zone_id, entry.quantity)
    entry.offer(reservation, event, now)
    await uow.waitlist.save(entry)
    messages: list[DomainEvent] = [*reservation.events, *entry.events]
    reservation.events, entry.events = [], []
    await uow.outbox.add(messages, correlation_id=correlation_id)
    return line
