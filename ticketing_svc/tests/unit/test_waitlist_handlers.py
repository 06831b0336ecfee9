"""Waiting lists against in-memory fakes: joining a sold-out zone, offers made by releases and
expiries in order, the head blocking the line, leaving, and the organizer's lengths."""

import dataclasses
import datetime as dt
import uuid

import pytest
from ticketing_factories import NOW, buyer, make_event, make_zone
from ticketing_fakes import FakeUnitOfWork

from ticketing_svc.application import handlers, waitlist_handlers
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.errors import (
    NotAllowed,
    SoldOut,
    WaitlistEntryNotFound,
    ZoneNotSoldOut,
)
from ticketing_svc.domain.events import (
    ReservationHeld,
    WaitlistJoined,
    WaitlistLeft,
    WaitlistOffered,
    ZoneBackOnSale,
)
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, Reservation, ReservationStatus, SaleSettings
from ticketing_svc.domain.waitlist import WaitlistStanding, WaitlistStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Clock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def sale(capacity: int, *, max_per_order: int = 10) -> tuple[FakeUnitOfWork, CatalogEvent]:
    uow = FakeUnitOfWork()
    event = make_event(zones=[make_zone(capacity, max_per_order=max_per_order)])
    assert await handlers.follow_catalog(
        commands.FollowCatalog(uuid.uuid4(), "EventPublished", event.id, event=event), uow
    )
    return uow, event


async def hold(
    uow: FakeUnitOfWork, event: CatalogEvent, quantity: int, clock: Clock | None = None
) -> Reservation:
    command = commands.Reserve(buyer(), event.sessions[0].id, (ItemRequest(event.zones[0].id, quantity),))
    return await handlers.reserve(command, uow, clock or Clock())


async def join(
    uow: FakeUnitOfWork, event: CatalogEvent, quantity: int, actor: Actor | None = None
) -> WaitlistStanding:
    command = commands.JoinWaitlist(actor or buyer(), event.sessions[0].id, event.zones[0].id, quantity)
    return await waitlist_handlers.join_waitlist(command, uow, Clock())


async def release(uow: FakeUnitOfWork, reservation: Reservation) -> None:
    command = commands.ReleaseReservation(Actor(reservation.customer_id), reservation.id)
    await handlers.release_reservation(command, uow, Clock())


def status_of(uow: FakeUnitOfWork, standing: WaitlistStanding) -> WaitlistStatus:
    return uow.committed.waitlist[standing.entry.id].status


def offered(uow: FakeUnitOfWork, standing: WaitlistStanding) -> Reservation:
    entry = uow.committed.waitlist[standing.entry.id]
    assert entry.status is WaitlistStatus.OFFERED
    assert entry.offer_reservation_id is not None
    return uow.committed.reservations[entry.offer_reservation_id]


async def test_a_zone_with_places_left_is_reserved_not_waited_for() -> None:
    uow, event = await sale(5)
    await hold(uow, event, 3)
    with pytest.raises(ZoneNotSoldOut) as refused:
        await join(uow, event, 2)
    assert refused.value.available == 2
    # Asking for more than is left is a sold-out zone for that buyer: they may wait.
    standing = await join(uow, event, 3)
    assert (standing.entry.status, standing.place) == (WaitlistStatus.WAITING, 1)


async def test_entries_take_their_place_in_line_and_joining_again_returns_the_same() -> None:
    uow, event = await sale(2)
    await hold(uow, event, 2)
    actor = buyer()
    first = await join(uow, event, 1, actor)
    second = await join(uow, event, 2)
    again = await join(uow, event, 1, actor)
    assert (first.place, second.place, again.place) == (1, 2, 1)
    assert again.entry.id == first.entry.id
    assert uow.line(event.sessions[0].id, event.zones[0].id).waiting == 2


async def test_released_places_are_offered_to_the_list_in_order_not_to_the_public() -> None:
    uow, event = await sale(2)
    taken = await hold(uow, event, 2)
    first, second = await join(uow, event, 1), await join(uow, event, 1)
    third = await join(uow, event, 1)
    uow.committed.messages.clear()

    await release(uow, taken)

    mine, yours = offered(uow, first), offered(uow, second)
    assert (mine.status, mine.quantity, mine.customer_id) == (
        ReservationStatus.HELD,
        1,
        first.entry.customer_id,
    )
    assert yours.customer_id == second.entry.customer_id
    assert status_of(uow, third) is WaitlistStatus.WAITING
    offers = [m for m, _ in uow.messages if isinstance(m, WaitlistOffered)]
    assert [o.customer_id for o in offers] == [first.entry.customer_id, second.entry.customer_id]
    assert offers[0].reservation_id == mine.id
    assert offers[0].zone_name == event.zones[0].name
    assert sum(isinstance(m, ReservationHeld) for m, _ in uow.messages) == 2
    line = uow.line(event.sessions[0].id, event.zones[0].id)
    assert (line.held, line.waiting, line.available) == (2, 1, 0)


async def test_a_group_at_the_head_waits_for_all_its_places_and_the_single_behind_it_waits_too() -> None:
    uow, event = await sale(4)
    three, one = await hold(uow, event, 3), await hold(uow, event, 1)
    group, single = await join(uow, event, 4), await join(uow, event, 1)

    await release(uow, one)
    assert status_of(uow, group) is WaitlistStatus.WAITING
    assert status_of(uow, single) is WaitlistStatus.WAITING  # not served before the group
    with pytest.raises(SoldOut):  # nor is the public
        await hold(uow, event, 1)

    await release(uow, three)
    assert offered(uow, group).quantity == 4
    assert status_of(uow, single) is WaitlistStatus.WAITING


async def test_an_unclaimed_offer_expires_and_passes_to_the_next_entry() -> None:
    uow, event = await sale(1)
    clock = Clock()
    taken = await hold(uow, event, 1, clock)
    first, second = await join(uow, event, 1), await join(uow, event, 1)
    clock.now = taken.expires_at
    await handlers.expire_reservations(commands.ExpireReservations(), uow, clock)
    offer = offered(uow, first)

    clock.now = offer.expires_at
    expired = await handlers.expire_reservations(commands.ExpireReservations(), uow, clock)

    assert [r.id for r in expired] == [offer.id]
    assert status_of(uow, first) is WaitlistStatus.EXPIRED
    assert offered(uow, second).expires_at == clock.now + dt.timedelta(minutes=event.settings.hold_minutes)


async def test_an_offer_is_checked_out_like_any_reservation_and_fulfils_the_entry() -> None:
    uow, event = await sale(1)
    taken = await hold(uow, event, 1)
    waiting = await join(uow, event, 1)
    await release(uow, taken)
    offer = offered(uow, waiting)
    reservation = await handlers.get_reservation(
        commands.GetReservation(Actor(waiting.entry.customer_id), offer.id), uow
    )
    assert reservation.held


async def test_leaving_the_head_lets_the_next_entry_have_the_places_kept() -> None:
    uow, event = await sale(4)
    await hold(uow, event, 3)
    one = await hold(uow, event, 1)
    group, single = await join(uow, event, 4), await join(uow, event, 1)
    await release(uow, one)

    left = await waitlist_handlers.leave_waitlist(
        commands.LeaveWaitlist(Actor(group.entry.customer_id), group.entry.id), uow, Clock()
    )

    assert left.entry.status is WaitlistStatus.LEFT
    assert offered(uow, single).quantity == 1
    line = uow.line(event.sessions[0].id, event.zones[0].id)
    assert (line.held, line.waiting) == (4, 0)


async def test_when_the_last_entry_leaves_free_places_are_back_on_sale() -> None:
    uow, event = await sale(4)
    await hold(uow, event, 3)
    one = await hold(uow, event, 1)
    group = await join(uow, event, 4)
    await release(uow, one)
    uow.committed.messages.clear()

    await waitlist_handlers.leave_waitlist(
        commands.LeaveWaitlist(Actor(group.entry.customer_id), group.entry.id), uow, Clock()
    )

    assert [type(m) for m, _ in uow.messages] == [WaitlistLeft, ZoneBackOnSale]
    assert (await hold(uow, event, 1)).held


async def test_leaving_with_an_offer_out_gives_the_places_to_the_next() -> None:
    uow, event = await sale(1)
    taken = await hold(uow, event, 1)
    first, second = await join(uow, event, 1), await join(uow, event, 1)
    await release(uow, taken)
    offer = offered(uow, first)

    await waitlist_handlers.leave_waitlist(
        commands.LeaveWaitlist(Actor(first.entry.customer_id), first.entry.id), uow, Clock()
    )

    assert uow.committed.reservations[offer.id].status is ReservationStatus.RELEASED
    assert status_of(uow, first) is WaitlistStatus.LEFT
    assert offered(uow, second).quantity == 1


async def test_another_accounts_entry_is_not_found() -> None:
    uow, event = await sale(1)
    await hold(uow, event, 1)
    waiting = await join(uow, event, 1)
    with pytest.raises(WaitlistEntryNotFound):
        await waitlist_handlers.leave_waitlist(
            commands.LeaveWaitlist(buyer(), waiting.entry.id), uow, Clock()
        )


async def test_an_offer_is_skipped_for_a_buyer_over_the_events_limit() -> None:
    uow = FakeUnitOfWork()
    event = make_event(zones=[make_zone(3)], settings=SaleSettings(max_per_customer=2))
    await handlers.follow_catalog(
        commands.FollowCatalog(uuid.uuid4(), "EventPublished", event.id, event=event), uow
    )
    taken = await hold(uow, event, 1)
    greedy = buyer()
    await handlers.reserve(
        commands.Reserve(greedy, event.sessions[0].id, (ItemRequest(event.zones[0].id, 2),)), uow, Clock()
    )
    skipped = await join(uow, event, 1, greedy)  # a third place would pass the limit of 2
    served = await join(uow, event, 1)

    await release(uow, taken)

    assert status_of(uow, skipped) is WaitlistStatus.EXPIRED
    assert offered(uow, served).quantity == 1


async def test_the_organizer_sees_the_lists_lengths_per_zone() -> None:
    uow, event = await sale(2)
    await hold(uow, event, 2)
    await join(uow, event, 1)
    await join(uow, event, 2)
    organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=event.organization_id)

    lengths = await waitlist_handlers.waitlist_lengths(commands.GetWaitlistLengths(organizer, event.id), uow)

    [line] = lengths.lines
    assert (line.zone_id, line.entries, line.places, line.offered) == (event.zones[0].id, 2, 3, 0)
    with pytest.raises(NotAllowed):
        await waitlist_handlers.waitlist_lengths(commands.GetWaitlistLengths(buyer(), event.id), uow)


async def test_places_added_by_the_organizer_go_to_the_list_first() -> None:
    uow, event = await sale(2)
    await hold(uow, event, 2)
    waiting = await join(uow, event, 1)
    bigger = dataclasses.replace(
        event, version=event.version + 1, zones=(dataclasses.replace(event.zones[0], capacity=3),)
    )

    await handlers.follow_catalog(
        commands.FollowCatalog(uuid.uuid4(), "EventUpdated", event.id, event=bigger), uow, Clock()
    )

    assert offered(uow, waiting).quantity == 1
    line = uow.line(event.sessions[0].id, event.zones[0].id)
    assert (line.capacity, line.held, line.waiting) == (3, 3, 0)


async def test_joining_and_leaving_while_waiting_are_announced_and_an_offer_is_not_a_leave() -> None:
    uow, event = await sale(4)
    await hold(uow, event, 4)
    first = await join(uow, event, 2)
    second = await join(uow, event, 1)

    await waitlist_handlers.leave_waitlist(
        commands.LeaveWaitlist(Actor(second.entry.customer_id), second.entry.id), uow, Clock()
    )

    changes = [(type(m), m.entry_id) for m, _ in uow.messages if isinstance(m, WaitlistJoined | WaitlistLeft)]
    assert changes == [
        (WaitlistJoined, first.entry.id),
        (WaitlistJoined, second.entry.id),
        (WaitlistLeft, second.entry.id),
    ]
