"""Use cases against in-memory fakes: one transaction each, holds all or none, limits, idempotency,
release and expiry, the catalog's messages and availability."""

import dataclasses
import datetime as dt
import uuid

import pytest
from ticketing_factories import NOW, buyer, make_event, make_zone
from ticketing_fakes import FakeCatalogReader, FakeReservations, FakeUnitOfWork, TicketingState

from ticketing_svc.application import handlers
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind, Idempotency
from ticketing_svc.domain.errors import (
    EventNotFound,
    IdempotencyKeyReused,
    InvalidInput,
    LimitReached,
    NotAllowed,
    NotOnSale,
    ReservationNotFound,
    SessionNotFound,
    SoldOut,
    Unauthenticated,
)
from ticketing_svc.domain.events import (
    ReservationExpired,
    ReservationHeld,
    ReservationReleased,
    ZoneBackOnSale,
    ZoneSoldOut,
)
from ticketing_svc.domain.model import (
    CatalogEvent,
    CatalogSession,
    ItemRequest,
    Reservation,
    ReservationStatus,
    SaleSettings,
    SaleStatus,
    SessionUpdate,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
CORRELATION = str(uuid.uuid4())


class Clock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def published(event: CatalogEvent) -> commands.FollowCatalog:
    return commands.FollowCatalog(uuid.uuid4(), "EventPublished", event.id, event=event)


async def on_sale(uow: FakeUnitOfWork, *events: CatalogEvent) -> None:
    for event in events:
        assert await handlers.follow_catalog(published(event), uow)


def reserving(
    event: CatalogEvent,
    actor: Actor | None,
    *items: tuple[int, int],
    session: int = 0,
    idempotency: Idempotency | None = None,
) -> commands.Reserve:
    """A Reserve command; ``items`` are (zone index, quantity), one place of the first zone by default."""
    return commands.Reserve(
        actor=actor,
        session_id=event.sessions[session].id,
        items=tuple(ItemRequest(event.zones[z].id, q) for z, q in items or ((0, 1),)),
        correlation_id=CORRELATION,
        idempotency=idempotency,
    )


async def reserve(uow: FakeUnitOfWork, command: commands.Reserve, clock: Clock | None = None) -> Reservation:
    return await handlers.reserve(command, uow, clock or Clock())


def held_of(uow: FakeUnitOfWork, event: CatalogEvent, zone: int = 0, session: int = 0) -> int:
    return uow.line(event.sessions[session].id, event.zones[zone].id).held


# ---------------------------------------------------------------- holding places


async def test_a_hold_commits_the_reservation_its_places_and_its_message_together() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=10)
    await on_sale(uow, event)
    actor = buyer()

    reservation = await reserve(uow, reserving(event, actor, (0, 3)))

    assert uow.committed.reservations[reservation.id].status is ReservationStatus.HELD
    assert reservation.customer_id == actor.subject
    assert reservation.expires_at == NOW + dt.timedelta(minutes=event.settings.hold_minutes)
    assert held_of(uow, event) == 3
    assert uow.places_of(event.id, actor.subject) == 3
    assert [(type(m), c) for m, c in uow.messages] == [(ReservationHeld, CORRELATION)]
    held = uow.messages[0][0]
    assert isinstance(held, ReservationHeld)
    assert held.reservation.id == reservation.id
    assert reservation.events == []  # drained into the outbox
    assert uow.commits == 2  # the catalog's message, then the hold


async def test_taking_the_last_places_also_tells_the_zone_is_sold_out() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=4)
    await on_sale(uow, event)
    await reserve(uow, reserving(event, buyer(), (0, 4)))
    assert [type(m) for m, _ in uow.messages] == [ReservationHeld, ZoneSoldOut]
    sold_out = uow.messages[1][0]
    assert isinstance(sold_out, ZoneSoldOut)
    assert (sold_out.event_id, sold_out.line.available) == (event.id, 0)


async def test_a_sold_out_item_rolls_back_the_whole_reservation() -> None:
    uow = FakeUnitOfWork()
    event = make_event(zones=2, capacity=3)
    await on_sale(uow, event)
    actor = buyer()
    await reserve(uow, reserving(event, buyer(), (1, 2)))
    before = len(uow.messages)

    with pytest.raises(SoldOut) as refused:
        await reserve(uow, reserving(event, actor, (0, 2), (1, 2)))

    assert refused.value.left == {event.zones[0].id: 3, event.zones[1].id: 1}
    assert actor.subject not in {r.customer_id for r in uow.committed.reservations.values()}
    assert len(uow.messages) == before
    assert uow.places_of(event.id, actor.subject) == 0
    assert (held_of(uow, event, 0), held_of(uow, event, 1)) == (0, 2)


async def test_a_zone_of_another_session_has_its_own_places() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=2, sessions=2)
    await on_sale(uow, event)
    await reserve(uow, reserving(event, buyer(), (0, 2), session=0))
    with pytest.raises(SoldOut):
        await reserve(uow, reserving(event, buyer(), session=0))
    await reserve(uow, reserving(event, buyer(), (0, 2), session=1))
    assert held_of(uow, event, session=1) == 2


@pytest.mark.parametrize(
    "event",
    [
        make_event(status="draft"),
        make_event(status="cancelled"),
        make_event(session_status="cancelled"),
        make_event(session_status="presale"),
        make_event(sessions=1, settings=SaleSettings(on_sale_at=NOW + dt.timedelta(minutes=1))),
    ],
    ids=[
        "draft event",
        "cancelled event",
        "cancelled session",
        "session not yet on sale",
        "before on_sale_at",
    ],
)
async def test_nothing_is_held_while_the_session_is_not_on_sale(event: CatalogEvent) -> None:
    uow = FakeUnitOfWork()
    await on_sale(uow, event)
    with pytest.raises(NotOnSale):
        await reserve(uow, reserving(event, buyer()))
    assert uow.committed.reservations == {}
    assert held_of(uow, event) == 0


async def test_sales_open_at_on_sale_at_to_the_second() -> None:
    uow = FakeUnitOfWork()
    opens = NOW + dt.timedelta(hours=1)
    event = make_event(settings=SaleSettings(on_sale_at=opens))
    await on_sale(uow, event)
    clock = Clock(opens - dt.timedelta(seconds=1))
    with pytest.raises(NotOnSale, match="go on sale at"):
        await reserve(uow, reserving(event, buyer()), clock)
    clock.advance(seconds=1)
    await reserve(uow, reserving(event, buyer()), clock)


async def test_a_removed_session_sells_nothing() -> None:
    uow = FakeUnitOfWork()
    event = make_event(sessions=2)
    await on_sale(uow, event)
    removed = SessionUpdate(
        event.version + 1, "published", CatalogSession(event.sessions[0].id, "on_sale", True)
    )
    await handlers.follow_catalog(
        commands.FollowCatalog(uuid.uuid4(), "SessionChanged", event.id, session=removed), uow
    )
    with pytest.raises(NotOnSale, match="removed"):
        await reserve(uow, reserving(event, buyer(), session=0))
    await reserve(uow, reserving(event, buyer(), session=1))


async def test_more_places_than_a_zone_allows_per_order_is_invalid_with_the_field_path() -> None:
    uow = FakeUnitOfWork()
    event = make_event(zones=(make_zone(max_per_order=10), make_zone(max_per_order=4)))
    await on_sale(uow, event)
    with pytest.raises(InvalidInput) as refused:
        await reserve(uow, reserving(event, buyer(), (0, 10), (1, 5)))
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("items.1.quantity", "at most 4 places of this zone per order")
    ]
    assert uow.committed.reservations == {}
    await reserve(uow, reserving(event, buyer(), (0, 10), (1, 4)))


async def test_every_invalid_item_is_reported_at_once() -> None:
    uow = FakeUnitOfWork()
    event = make_event(zones=2)
    await on_sale(uow, event)
    command = dataclasses.replace(
        reserving(event, buyer()),
        items=(
            ItemRequest(uuid.uuid4(), 1),
            ItemRequest(event.zones[0].id, 0),
            ItemRequest(event.zones[0].id, 1),
        ),
    )
    with pytest.raises(InvalidInput) as refused:
        await reserve(uow, command)
    assert [p.field for p in refused.value.problems] == [
        "items.0.zone_id",
        "items.1.quantity",
        "items.2.zone_id",
    ]


async def test_a_buyer_cannot_hold_more_than_the_per_customer_limit_across_reservations() -> None:
    uow = FakeUnitOfWork()
    event = make_event(settings=SaleSettings(max_per_customer=4))
    await on_sale(uow, event)
    actor = buyer()
    await reserve(uow, reserving(event, actor, (0, 3)))

    with pytest.raises(LimitReached) as refused:
        await reserve(uow, reserving(event, actor, (0, 2)))

    assert (refused.value.limit, refused.value.taken) == (4, 3)
    assert uow.places_of(event.id, actor.subject) == 3
    assert held_of(uow, event) == 3
    await reserve(uow, reserving(event, actor, (0, 1)))
    await reserve(uow, reserving(event, buyer(), (0, 4)))  # the limit is per account


async def test_one_order_above_the_per_customer_limit_is_refused() -> None:
    uow = FakeUnitOfWork()
    event = make_event(settings=SaleSettings(max_per_customer=2))
    await on_sale(uow, event)
    with pytest.raises(LimitReached) as refused:
        await reserve(uow, reserving(event, buyer(), (0, 3)))
    assert (refused.value.limit, refused.value.taken) == (2, 0)
    assert uow.committed.reservations == {}


async def test_only_signed_in_people_reserve() -> None:
    uow = FakeUnitOfWork()
    event = make_event()
    await on_sale(uow, event)
    with pytest.raises(Unauthenticated):
        await reserve(uow, reserving(event, None))
    for kind in (ActorKind.CLIENT, ActorKind.SERVICE):
        with pytest.raises(NotAllowed):
            await reserve(uow, reserving(event, Actor(uuid.uuid4(), kind)))
    assert uow.committed.reservations == {}


async def test_an_unknown_session_is_not_found() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(SessionNotFound):
        await reserve(uow, reserving(make_event(), buyer()))


async def test_a_session_not_yet_heard_of_is_read_through_from_the_catalog_and_kept() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=5)
    catalog = FakeCatalogReader(event)
    reservation = await handlers.reserve(reserving(event, buyer(), (0, 2)), uow, Clock(), catalog=catalog)
    assert reservation.event_id == event.id
    assert uow.committed.events[event.id] == event
    assert held_of(uow, event) == 2
    await handlers.reserve(reserving(event, buyer()), uow, Clock(), catalog=catalog)
    assert catalog.reads == 1


# ---------------------------------------------------------------- idempotency


async def test_a_replayed_idempotency_key_returns_the_first_reservation_and_holds_nothing_more() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=10)
    await on_sale(uow, event)
    actor = buyer()
    key = Idempotency("k-1", "fingerprint-a")
    first = await reserve(uow, reserving(event, actor, (0, 2), idempotency=key))
    again = await reserve(uow, reserving(event, actor, (0, 2), idempotency=key))
    assert again.id == first.id
    assert len(uow.committed.reservations) == 1
    assert held_of(uow, event) == 2
    assert [type(m) for m, _ in uow.messages] == [ReservationHeld]


async def test_a_replay_answers_with_the_reservation_as_it_is_now() -> None:
    uow = FakeUnitOfWork()
    event = make_event()
    await on_sale(uow, event)
    actor = buyer()
    key = Idempotency("k-1", "f")
    first = await reserve(uow, reserving(event, actor, idempotency=key))
    await handlers.release_reservation(commands.ReleaseReservation(actor, first.id), uow, Clock())
    again = await reserve(uow, reserving(event, actor, idempotency=key))
    assert (again.id, again.status) == (first.id, ReservationStatus.RELEASED)
    assert held_of(uow, event) == 0


async def test_an_idempotency_key_reused_for_another_request_is_refused() -> None:
    uow = FakeUnitOfWork()
    event = make_event()
    await on_sale(uow, event)
    actor = buyer()
    await reserve(uow, reserving(event, actor, idempotency=Idempotency("k-1", "fingerprint-a")))
    with pytest.raises(IdempotencyKeyReused):
        await reserve(uow, reserving(event, actor, (0, 3), idempotency=Idempotency("k-1", "fingerprint-b")))
    assert held_of(uow, event) == 1


async def test_idempotency_keys_belong_to_their_account() -> None:
    uow = FakeUnitOfWork()
    event = make_event()
    await on_sale(uow, event)
    key = Idempotency("shared", "f")
    first = await reserve(uow, reserving(event, buyer(), idempotency=key))
    second = await reserve(uow, reserving(event, buyer(), idempotency=key))
    assert first.id != second.id
    assert held_of(uow, event) == 2


async def test_a_twin_request_that_commits_first_is_answered_with_the_twins_reservation() -> None:
    state = TicketingState()
    setup = FakeUnitOfWork(state)
    event = make_event(capacity=10)
    await on_sale(setup, event)
    actor = buyer()
    key = Idempotency("k-1", "f")
    twins: list[Reservation] = []

    class TwinCommitsFirst(FakeReservations):
        """Between this request's look-up of the key and its insert, the twin commits."""

        async def add(
            self, reservation: Reservation, *, idempotency_key: str | None, fingerprint: str | None
        ) -> None:
            if not twins:
                twins.append(
                    await reserve(FakeUnitOfWork(state), reserving(event, actor, (0, 2), idempotency=key))
                )
            await super().add(reservation, idempotency_key=idempotency_key, fingerprint=fingerprint)

    class RacingUnitOfWork(FakeUnitOfWork):
        def _begin(self) -> None:
            super()._begin()
            self.reservations = TwinCommitsFirst(self._state, self.committed)

    answer = await reserve(RacingUnitOfWork(state), reserving(event, actor, (0, 2), idempotency=key))

    assert answer.id == twins[0].id
    assert len(state.reservations) == 1
    assert state.lines[(event.sessions[0].id, event.zones[0].id)].held == 2
    assert state.places[(event.id, actor.subject)] == 2


# ---------------------------------------------------------------- release and expiry


async def test_release_gives_the_places_back_and_tells_the_zone_is_back_on_sale() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=2)
    await on_sale(uow, event)
    actor = buyer()
    held = await reserve(uow, reserving(event, actor, (0, 2)))
    clock = Clock(NOW + dt.timedelta(minutes=1))

    released = await handlers.release_reservation(
        commands.ReleaseReservation(actor, held.id, correlation_id=CORRELATION), uow, clock
    )

    assert (released.status, released.ended_at) == (ReservationStatus.RELEASED, clock.now)
    assert uow.committed.reservations[held.id].status is ReservationStatus.RELEASED
    assert held_of(uow, event) == 0
    assert uow.places_of(event.id, actor.subject) == 0
    assert [(type(m), c) for m, c in uow.messages[2:]] == [
        (ReservationReleased, CORRELATION),
        (ZoneBackOnSale, CORRELATION),
    ]
    back = uow.messages[3][0]
    assert isinstance(back, ZoneBackOnSale)
    assert back.line.available == 2
    await reserve(uow, reserving(event, buyer(), (0, 2)))


async def test_release_of_a_zone_that_was_not_sold_out_tells_only_of_the_release() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=5)
    await on_sale(uow, event)
    actor = buyer()
    held = await reserve(uow, reserving(event, actor, (0, 2)))
    await handlers.release_reservation(commands.ReleaseReservation(actor, held.id), uow, Clock())
    assert [type(m) for m, _ in uow.messages] == [ReservationHeld, ReservationReleased]


async def test_releasing_twice_gives_the_places_back_once() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=5)
    await on_sale(uow, event)
    actor = buyer()
    await reserve(uow, reserving(event, buyer(), (0, 1)))
    held = await reserve(uow, reserving(event, actor, (0, 2)))
    release = commands.ReleaseReservation(actor, held.id)
    await handlers.release_reservation(release, uow, Clock())
    messages = len(uow.messages)
    again = await handlers.release_reservation(release, uow, Clock(NOW + dt.timedelta(minutes=1)))
    assert again.status is ReservationStatus.RELEASED
    assert again.ended_at == NOW
    assert held_of(uow, event) == 1
    assert len(uow.messages) == messages


async def test_another_accounts_reservation_can_be_neither_read_nor_released() -> None:
    uow = FakeUnitOfWork()
    event = make_event()
    await on_sale(uow, event)
    held = await reserve(uow, reserving(event, buyer()))
    stranger = buyer()
    with pytest.raises(ReservationNotFound):
        await handlers.get_reservation(commands.GetReservation(stranger, held.id), uow)
    with pytest.raises(ReservationNotFound):
        await handlers.release_reservation(commands.ReleaseReservation(stranger, held.id), uow, Clock())
    with pytest.raises(ReservationNotFound):
        await handlers.release_reservation(commands.ReleaseReservation(stranger, uuid.uuid4()), uow, Clock())
    assert uow.committed.reservations[held.id].held
    assert held_of(uow, event) == 1


async def test_only_holds_whose_time_ran_out_expire_and_never_twice() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=10, settings=SaleSettings(hold_minutes=10))
    await on_sale(uow, event)
    clock = Clock()
    early, late = buyer(), buyer()
    first = await reserve(uow, reserving(event, early, (0, 3)), clock)
    clock.advance(minutes=5)
    second = await reserve(uow, reserving(event, late, (0, 2)), clock)

    clock.advance(minutes=5)
    expired = await handlers.expire_reservations(commands.ExpireReservations(), uow, clock)

    assert [r.id for r in expired] == [first.id]
    assert uow.committed.reservations[first.id].status is ReservationStatus.EXPIRED
    assert uow.committed.reservations[first.id].ended_at == clock.now
    assert uow.committed.reservations[second.id].held
    assert held_of(uow, event) == 2
    assert uow.places_of(event.id, early.subject) == 0
    assert [type(m) for m, _ in uow.messages][-1] is ReservationExpired
    assert await handlers.expire_reservations(commands.ExpireReservations(), uow, clock) == []
    assert sum(isinstance(m, ReservationExpired) for m, _ in uow.messages) == 1


async def test_a_hold_released_before_its_time_runs_out_does_not_expire() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=3)
    await on_sale(uow, event)
    actor = buyer()
    held = await reserve(uow, reserving(event, actor, (0, 3)))
    await handlers.release_reservation(commands.ReleaseReservation(actor, held.id), uow, Clock())
    later = Clock(NOW + dt.timedelta(hours=1))
    assert await handlers.expire_reservations(commands.ExpireReservations(), uow, later) == []
    assert held_of(uow, event) == 0


async def test_expiry_works_in_batches_and_puts_a_sold_out_zone_back_on_sale() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=3, settings=SaleSettings(hold_minutes=2))
    await on_sale(uow, event)
    for _ in range(3):
        await reserve(uow, reserving(event, buyer()))
    later = Clock(NOW + dt.timedelta(minutes=2))
    assert len(await handlers.expire_reservations(commands.ExpireReservations(limit=2), uow, later)) == 2
    assert held_of(uow, event) == 1
    assert [type(m) for m, _ in uow.messages][-3:] == [ReservationExpired, ReservationExpired, ZoneBackOnSale]
    assert len(await handlers.expire_reservations(commands.ExpireReservations(limit=2), uow, later)) == 1
    assert held_of(uow, event) == 0


# ---------------------------------------------------------------- listing


async def test_a_buyer_pages_through_their_reservations_newest_first() -> None:
    uow = FakeUnitOfWork()
    event = make_event()
    await on_sale(uow, event)
    actor = buyer()
    clock = Clock()
    made = []
    for _ in range(5):
        made.append(await reserve(uow, reserving(event, actor), clock))
        clock.advance(seconds=1)
    await reserve(uow, reserving(event, buyer()), clock)

    seen: list[uuid.UUID] = []
    after: tuple[str, uuid.UUID] | None = None
    while True:
        page = await handlers.list_reservations(commands.ListReservations(actor, limit=2, after=after), uow)
        seen += [r.id for r in page.reservations]
        if not page.has_more:
            break
        last = page.reservations[-1]
        after = (last.created_at.isoformat(), last.id)

    assert seen == [r.id for r in reversed(made)]
    await handlers.release_reservation(commands.ReleaseReservation(actor, made[0].id), uow, Clock())
    released = await handlers.list_reservations(
        commands.ListReservations(actor, statuses=(ReservationStatus.RELEASED,)), uow
    )
    assert [r.id for r in released.reservations] == [made[0].id]
    assert not released.has_more


# ---------------------------------------------------------------- the catalog's messages


async def test_a_redelivered_catalog_message_changes_nothing() -> None:
    uow = FakeUnitOfWork()
    event = make_event(version=3)
    message = published(event)
    assert await handlers.follow_catalog(message, uow) is True
    changed = dataclasses.replace(event, status="cancelled", version=4)
    redelivered = dataclasses.replace(message, event=changed)  # same messageId, whatever it says
    assert await handlers.follow_catalog(redelivered, uow) is False
    assert uow.committed.events[event.id] == event


async def test_an_older_version_of_the_event_changes_nothing() -> None:
    uow = FakeUnitOfWork()
    event = make_event(version=5, capacity=10)
    await on_sale(uow, event)
    older = dataclasses.replace(event, version=4, status="draft")
    assert await handlers.follow_catalog(published(older), uow) is False
    assert uow.committed.events[event.id] == event
    await reserve(uow, reserving(event, buyer()))


async def test_a_later_message_of_the_same_catalog_command_applies() -> None:
    # One command, one version: a later message of it (here a cancellation) is applied in order.
    uow = FakeUnitOfWork()
    event = make_event(version=5, capacity=10)
    await on_sale(uow, event)
    cancelled = dataclasses.replace(event, status="cancelled")
    assert await handlers.follow_catalog(published(cancelled), uow) is True
    assert uow.committed.events[event.id] == cancelled


async def test_a_newer_version_changes_what_sells() -> None:
    uow = FakeUnitOfWork()
    event = make_event(version=2)
    await on_sale(uow, event)
    cancelled = dataclasses.replace(event, status="cancelled", version=3)
    assert await handlers.follow_catalog(published(cancelled), uow) is True
    with pytest.raises(NotOnSale, match="cancelled"):
        await reserve(uow, reserving(event, buyer()))


async def test_a_session_update_changes_that_session_only() -> None:
    uow = FakeUnitOfWork()
    event = make_event(sessions=2, version=2)
    await on_sale(uow, event)
    paused = SessionUpdate(3, "published", CatalogSession(event.sessions[0].id, "suspended"))
    update = commands.FollowCatalog(uuid.uuid4(), "SessionChanged", event.id, session=paused)

    assert await handlers.follow_catalog(update, uow) is True

    stored = uow.committed.events[event.id]
    assert stored.version == 3
    assert stored.session(event.sessions[0].id) == paused.session
    assert stored.session(event.sessions[1].id) == event.sessions[1]
    with pytest.raises(NotOnSale, match="suspended"):
        await reserve(uow, reserving(event, buyer(), session=0))
    await reserve(uow, reserving(event, buyer(), session=1))


async def test_a_session_update_older_than_the_event_is_ignored() -> None:
    uow = FakeUnitOfWork()
    event = make_event(version=4)
    await on_sale(uow, event)
    stale = SessionUpdate(3, "published", CatalogSession(event.sessions[0].id, "cancelled"))
    command = commands.FollowCatalog(uuid.uuid4(), "SessionChanged", event.id, session=stale)
    assert await handlers.follow_catalog(command, uow) is False
    await reserve(uow, reserving(event, buyer()))


async def test_a_session_update_of_an_unknown_event_waits_for_the_whole_event() -> None:
    uow = FakeUnitOfWork()
    event = make_event()
    update = SessionUpdate(3, "published", CatalogSession(event.sessions[0].id, "on_sale"))
    command = commands.FollowCatalog(uuid.uuid4(), "SessionChanged", event.id, session=update)
    assert await handlers.follow_catalog(command, uow) is False
    assert uow.committed.events == {}
    assert command.message_id in uow.committed.inbox  # handled: a redelivery would not help


async def test_a_new_session_gets_its_own_places() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=7, version=2)
    await on_sale(uow, event)
    added = CatalogSession(uuid.uuid4(), "on_sale")
    update = SessionUpdate(3, "published", added)
    await handlers.follow_catalog(
        commands.FollowCatalog(uuid.uuid4(), "SessionChanged", event.id, session=update), uow
    )
    line = uow.line(added.id, event.zones[0].id)
    assert (line.capacity, line.held) == (7, 0)


# ---------------------------------------------------------------- availability


async def test_availability_tells_on_sale_few_left_and_sold_out_per_zone() -> None:
    uow = FakeUnitOfWork()
    event = make_event(
        zones=(
            make_zone(20, max_per_order=20),
            make_zone(20, max_per_order=20),
            make_zone(20, max_per_order=20),
        )
    )
    await on_sale(uow, event)
    await reserve(uow, reserving(event, buyer(), (0, 20)))
    await reserve(uow, reserving(event, buyer(), (1, 18)))  # 2 left: 10 %
    await reserve(uow, reserving(event, buyer(), (2, 17)))  # 3 left: 15 %

    availability = await handlers.get_availability(commands.GetAvailability(event.id), uow, Clock())

    assert availability.event == event
    assert availability.as_of == NOW
    assert [(z.line.zone_id, z.line.available, z.status) for z in availability.zones] == sorted(
        [
            (event.zones[0].id, 0, SaleStatus.SOLD_OUT),
            (event.zones[1].id, 2, SaleStatus.FEW_LEFT),
            (event.zones[2].id, 3, SaleStatus.ON_SALE),
        ]
    )


async def test_a_session_not_on_sale_shows_no_places_left() -> None:
    uow = FakeUnitOfWork()
    opens = NOW + dt.timedelta(days=1)
    event = make_event(capacity=50, settings=SaleSettings(on_sale_at=opens))
    await on_sale(uow, event)
    before = await handlers.get_availability(commands.GetAvailability(event.id), uow, Clock())
    assert [(z.line.available, z.line.capacity, z.status) for z in before.zones] == [
        (0, 50, SaleStatus.NOT_ON_SALE)
    ]
    after = await handlers.get_availability(commands.GetAvailability(event.id), uow, Clock(opens))
    assert [(z.line.available, z.status) for z in after.zones] == [(50, SaleStatus.ON_SALE)]


async def test_availability_of_an_unknown_event_is_not_found() -> None:
    with pytest.raises(EventNotFound):
        await handlers.get_availability(commands.GetAvailability(uuid.uuid4()), FakeUnitOfWork(), Clock())


async def test_availability_of_several_events_comes_in_the_order_asked_without_the_unknown_ones() -> None:
    uow = FakeUnitOfWork()
    first, second, just_published = make_event(capacity=5), make_event(capacity=7), make_event(capacity=3)
    for event in (first, second):
        await on_sale(uow, event)
    catalog = FakeCatalogReader(just_published)
    asked = (
        str(second.id),
        "not-an-id",
        str(uuid.uuid4()),
        str(just_published.id),
        str(first.id),
        str(second.id),
    )

    found = await handlers.get_events_availability(
        commands.GetEventsAvailability(asked), uow, Clock(), catalog=catalog
    )

    assert [(a.event.id, [z.line.available for z in a.zones]) for a in found] == [
        (second.id, [7]),
        (just_published.id, [3]),
        (first.id, [5]),
    ]
    assert catalog.reads == 2  # the unknown id and the event published a moment ago, read through
    too_many = tuple(str(uuid.uuid4()) for _ in range(101))
    with pytest.raises(InvalidInput):
        await handlers.get_events_availability(commands.GetEventsAvailability(too_many), uow, Clock())


async def test_only_taquillas_services_count_taken_places() -> None:
    uow = FakeUnitOfWork()
    event = make_event(zones=2)
    await on_sale(uow, event)
    await reserve(uow, reserving(event, buyer(), (1, 4)))
    for actor in (None, buyer()):
        with pytest.raises(NotAllowed):
            await handlers.count_taken(commands.CountTaken(actor, event.id), uow)
    lines = await handlers.count_taken(
        commands.CountTaken(Actor(uuid.uuid4(), ActorKind.SERVICE), event.id), uow
    )
    assert {line.zone_id: line.held for line in lines} == {event.zones[0].id: 0, event.zones[1].id: 4}


async def test_a_read_through_copy_is_kept_even_when_the_reservation_is_refused() -> None:
    uow = FakeUnitOfWork()
    event = make_event(settings=SaleSettings(on_sale_at=NOW + dt.timedelta(days=1)))
    catalog = FakeCatalogReader(event)
    with pytest.raises(NotOnSale):
        await handlers.reserve(reserving(event, buyer()), uow, lambda: NOW, catalog=catalog)
    assert uow.committed.events[event.id] == event
    availability = await handlers.get_availability(commands.GetAvailability(event.id), uow, lambda: NOW)
    assert {zone.status.value for zone in availability.zones} == {"not_on_sale"}
    assert catalog.reads == 1


async def test_availability_of_an_event_published_a_moment_ago_is_read_through() -> None:
    uow = FakeUnitOfWork()
    event = make_event(capacity=8)
    catalog = FakeCatalogReader(event)
    availability = await handlers.get_availability(
        commands.GetAvailability(event.id), uow, lambda: NOW, catalog=catalog
    )
    assert [zone.line.available for zone in availability.zones] == [8]
    with pytest.raises(EventNotFound):
        await handlers.get_availability(
            commands.GetAvailability(uuid.uuid4()), uow, lambda: NOW, catalog=catalog
        )


async def test_a_draft_copy_is_checked_with_the_catalog_before_a_reservation_is_refused() -> None:
    # Creating with "publish" sends EventCreated (draft) and EventPublished at one version; a
    # buyer may come between the two messages.
    uow = FakeUnitOfWork()
    published = make_event(capacity=5)
    draft = dataclasses.replace(
        published,
        status="draft",
        sessions=tuple(dataclasses.replace(s, status="draft") for s in published.sessions),
    )
    await on_sale(uow, draft)
    catalog = FakeCatalogReader(published)
    held = await handlers.reserve(reserving(published, buyer()), uow, lambda: NOW, catalog=catalog)
    assert held.quantity == 1
    assert uow.committed.events[published.id] == published  # the read-through copy replaced the draft
    # A real draft is not found by the catalog either: nothing sells, and nothing is told about it.
    hidden = make_event()
    await on_sale(uow, dataclasses.replace(hidden, status="draft"))
    with pytest.raises(SessionNotFound):
        await handlers.reserve(reserving(hidden, buyer()), uow, lambda: NOW, catalog=FakeCatalogReader())
