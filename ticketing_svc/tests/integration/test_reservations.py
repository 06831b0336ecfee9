"""Reservations against a real PostgreSQL: no oversell under concurrency, limits, expiry, messages."""

import asyncio
import dataclasses
import random
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing_factories import buyer, catalog_message, make_event

from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.adapters.orm import inventory, outbox, reservations
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, Idempotency
from ticketing_svc.domain.errors import (
    IdempotencyKeyReused,
    LimitReached,
    NotOnSale,
    ReservationNotFound,
    SessionNotFound,
    SoldOut,
)
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, ReservationStatus, SaleSettings
from ticketing_svc.entrypoints.catalog_messages import command_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def on_sale(use_cases: UseCases, event: CatalogEvent) -> None:
    command = command_for(catalog_message(event))
    assert command is not None
    assert await use_cases.follow_catalog(command)


def reserve(
    event: CatalogEvent, actor: Actor, quantity: int = 1, zone: int = 0, **kw: object
) -> commands.Reserve:
    return commands.Reserve(
        actor=actor,
        session_id=event.sessions[0].id,
        items=(ItemRequest(event.zones[zone].id, quantity),),
        **kw,  # type: ignore[arg-type]
    )


async def line_of(engine: AsyncEngine, event: CatalogEvent, zone: int = 0) -> tuple[int, int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(inventory.c.capacity, inventory.c.held, inventory.c.sold).where(
                    inventory.c.session_id == event.sessions[0].id,
                    inventory.c.zone_id == event.zones[zone].id,
                )
            )
        ).one()
    return row.capacity, row.held, row.sold


async def test_ten_times_over_demand_from_concurrent_buyers_sells_out_exactly(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=60)
    await on_sale(use_cases, event)
    answers: list[tuple[int, str]] = []

    async def attempt(quantity: int) -> None:
        try:
            reservation = await use_cases.reserve(reserve(event, buyer(), quantity))
            answers.append((quantity, str(reservation.id)))
        except SoldOut as refused:
            left = refused.left[event.zones[0].id]
            answers.append((quantity, "sold-out" if left < quantity else "wrongly refused"))

    quantities = [random.randint(1, 4) for _ in range(240)] + [1] * 60  # ~10 x capacity
    await asyncio.gather(*(attempt(q) for q in quantities))

    accepted = {rid: q for q, rid in answers if rid != "sold-out"}
    capacity, held, sold = await line_of(ticketing_engine, event)
    assert held == sum(accepted.values()) == capacity == 60
    assert sold == 0
    async with ticketing_engine.connect() as connection:
        rows = dict(
            (
                await connection.execute(
                    select(reservations.c.id, reservations.c.quantity).where(
                        reservations.c.event_id == event.id
                    )
                )
            ).all()
        )
    assert {str(k): v for k, v in rows.items()} == accepted  # each acceptance is exactly one row
    assert len(answers) == len(quantities)


async def test_two_zones_of_one_event_sell_independently(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(zones=2, capacity=5)
    await on_sale(use_cases, event)
    await use_cases.reserve(reserve(event, buyer(), 5, zone=0))
    with pytest.raises(SoldOut):
        await use_cases.reserve(reserve(event, buyer(), 1, zone=0))
    await use_cases.reserve(reserve(event, buyer(), 5, zone=1))
    assert (await line_of(ticketing_engine, event, 1))[1] == 5


async def test_all_items_or_none(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(zones=2, capacity=3)
    await on_sale(use_cases, event)
    both = commands.Reserve(
        actor=buyer(),
        session_id=event.sessions[0].id,
        items=(ItemRequest(event.zones[0].id, 2), ItemRequest(event.zones[1].id, 4)),
    )
    with pytest.raises(SoldOut) as refused:
        await use_cases.reserve(both)
    assert refused.value.left == {event.zones[0].id: 3, event.zones[1].id: 3}
    assert (await line_of(ticketing_engine, event, 0))[1] == 0


async def test_parallel_requests_of_one_buyer_cannot_pass_the_per_customer_limit(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=100, settings=SaleSettings(max_per_customer=4))
    await on_sale(use_cases, event)
    actor = buyer()
    results = await asyncio.gather(
        *(use_cases.reserve(reserve(event, actor, 1)) for _ in range(12)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 4
    assert all(isinstance(r, LimitReached) for r in results if isinstance(r, BaseException))
    assert (await line_of(ticketing_engine, event))[1] == 4
    # Releasing one hold gives the buyer room for one more.
    held = next(r for r in results if not isinstance(r, BaseException))
    await use_cases.release_reservation(commands.ReleaseReservation(actor, held.id))
    await use_cases.reserve(reserve(event, actor, 1))


async def test_an_expired_hold_puts_its_places_back_on_sale(
    ticketing_engine: AsyncEngine, clock: object, use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=2, settings=SaleSettings(hold_minutes=2))
    await on_sale(use_cases, event)
    actor = buyer()
    held = await use_cases.reserve(reserve(event, actor, 2))
    with pytest.raises(SoldOut):
        await use_cases.reserve(reserve(event, buyer(), 1))
    clock.advance(minutes=2)  # type: ignore[attr-defined]
    expired = await use_cases.expire_reservations(commands.ExpireReservations())
    assert held.id in {r.id for r in expired}
    assert (await line_of(ticketing_engine, event))[1] == 0
    again = await use_cases.get_reservation(commands.GetReservation(actor, held.id))
    assert again.status is ReservationStatus.EXPIRED
    await use_cases.reserve(reserve(event, buyer(), 2))


async def test_holds_due_before_a_restart_are_released_by_the_next_process(
    ticketing_database_url: str, clock: object, use_cases_for: Callable[..., UseCases]
) -> None:
    from taquilla_runtime.db import create_engine
    from ticketing_svc.config import SCHEMA

    event = make_event(capacity=3, settings=SaleSettings(hold_minutes=2))
    first = create_engine(ticketing_database_url, schema=SCHEMA, application_name="first-process")
    before = UseCases(first, catalog=None, clock=clock)  # type: ignore[arg-type]
    await on_sale(before, event)
    held = await before.reserve(reserve(event, buyer(), 3))
    await first.dispose()  # the process is gone; its holds stay in the database
    clock.advance(minutes=3)  # type: ignore[attr-defined]
    second = create_engine(ticketing_database_url, schema=SCHEMA, application_name="second-process")
    try:
        after = UseCases(second, catalog=None, clock=clock)  # type: ignore[arg-type]
        expired = await after.expire_reservations(commands.ExpireReservations())
        assert held.id in {r.id for r in expired}
        await after.reserve(reserve(event, buyer(), 3))
    finally:
        await second.dispose()


async def test_a_released_hold_is_on_sale_again_at_once_and_release_is_idempotent(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=1)
    await on_sale(use_cases, event)
    actor = buyer()
    held = await use_cases.reserve(reserve(event, actor))
    released = await use_cases.release_reservation(commands.ReleaseReservation(actor, held.id))
    again = await use_cases.release_reservation(commands.ReleaseReservation(actor, held.id))
    assert released.status is again.status is ReservationStatus.RELEASED
    assert (await line_of(ticketing_engine, event))[1] == 0
    await use_cases.reserve(reserve(event, buyer()))


async def test_another_accounts_reservation_is_not_found(
    clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event()
    await on_sale(use_cases, event)
    held = await use_cases.reserve(reserve(event, buyer()))
    with pytest.raises(ReservationNotFound):
        await use_cases.get_reservation(commands.GetReservation(buyer(), held.id))
    with pytest.raises(ReservationNotFound):
        await use_cases.release_reservation(commands.ReleaseReservation(buyer(), held.id))


async def test_a_repeated_idempotency_key_returns_the_first_reservation_even_in_parallel(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=10)
    await on_sale(use_cases, event)
    actor = buyer()
    key = Idempotency("retry-1", "fingerprint-a")
    results = await asyncio.gather(
        *(use_cases.reserve(reserve(event, actor, 2, idempotency=key)) for _ in range(6))
    )
    assert len({r.id for r in results}) == 1
    assert (await line_of(ticketing_engine, event))[1] == 2
    with pytest.raises(IdempotencyKeyReused):
        await use_cases.reserve(reserve(event, actor, 3, idempotency=Idempotency("retry-1", "fingerprint-b")))


async def test_nothing_sells_before_publication_after_cancellation_or_for_an_unknown_session(
    clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(session_status="teaser")
    await on_sale(use_cases, event)
    with pytest.raises(NotOnSale):
        await use_cases.reserve(reserve(event, buyer()))
    selling = make_event()
    await on_sale(use_cases, selling)
    await use_cases.reserve(reserve(selling, buyer()))
    cancelled = dataclasses.replace(selling, status="cancelled", version=selling.version + 1)
    command = command_for(catalog_message(cancelled, "EventCancelled"))
    assert command is not None
    await use_cases.follow_catalog(command)
    with pytest.raises(NotOnSale):
        await use_cases.reserve(reserve(selling, buyer()))
    with pytest.raises(SessionNotFound):
        await use_cases.reserve(commands.Reserve(buyer(), uuid.uuid4(), (ItemRequest(uuid.uuid4(), 1),)))


async def test_a_redelivered_or_older_catalog_message_changes_nothing(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=10, version=5)
    message = catalog_message(event)
    command = command_for(message)
    assert command is not None
    assert await use_cases.follow_catalog(command) is True
    assert await use_cases.follow_catalog(command) is False  # the same messageId again
    older = command_for(catalog_message(dataclasses.replace(event, version=4, status="draft")))
    assert older is not None
    assert await use_cases.follow_catalog(older) is False
    await use_cases.reserve(reserve(event, buyer()))


async def test_every_change_is_one_message_in_the_platform_envelope_keyed_by_session(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=2)
    await on_sale(use_cases, event)
    actor = buyer()
    held = await use_cases.reserve(reserve(event, actor, 2))
    await use_cases.release_reservation(commands.ReleaseReservation(actor, held.id))
    async with ticketing_engine.connect() as connection:
        rows = (
            await connection.execute(
                select(outbox.c.key, outbox.c.envelope, outbox.c.topic)
                .where(outbox.c.envelope["eventId"].astext == str(event.id))
                .order_by(outbox.c.id)
            )
        ).all()
    envelopes = [Envelope.from_dict(row.envelope) for row in rows]
    assert [e.type for e in envelopes] == [
        "ReservationHeld",
        "ZoneSoldOut",
        "ReservationReleased",
        "ZoneBackOnSale",
    ]
    assert {row.key for row in rows} == {str(event.sessions[0].id)}
    assert {row.topic for row in rows} == {"taquilla.ticketing.v1"}
    assert envelopes[0].payload["reservation"]["id"] == str(held.id)
    assert envelopes[0].payload["reservation"]["total"] == {"amount": "51.00", "currency": "EUR"}
    assert envelopes[1].payload["available"] == 0
    assert all(e.name == event.name for e in envelopes)


async def test_availability_reports_each_session_and_zone(
    clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(zones=3, capacity=10)
    await on_sale(use_cases, event)
    await use_cases.reserve(reserve(event, buyer(), 10, zone=0))
    await use_cases.reserve(reserve(event, buyer(), 9, zone=1))
    availability = await use_cases.get_availability(commands.GetAvailability(event.id))
    by_zone = {zone.line.zone_id: (zone.line.available, zone.status.value) for zone in availability.zones}
    assert by_zone == {
        event.zones[0].id: (0, "sold_out"),
        event.zones[1].id: (1, "few_left"),
        event.zones[2].id: (10, "on_sale"),
    }
    async with asyncio.timeout(5):
        count = await use_cases.count_taken(
            commands.CountTaken(Actor(uuid.uuid4(), commands.ActorKind.SERVICE), event.id)
        )
    assert sum(line.held for line in count) == 19


async def test_no_counter_is_ever_negative_or_over_capacity(ticketing_engine: AsyncEngine) -> None:
    async with ticketing_engine.connect() as connection:
        bad = await connection.scalar(
            select(func.count()).where(
                (inventory.c.held < 0) | (inventory.c.held + inventory.c.sold > inventory.c.capacity)
            )
        )
    assert bad == 0


async def test_messages_of_one_catalog_command_apply_in_order_and_a_read_through_copy_stays(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    # Creating an event with "publish": true sends EventCreated (draft) then EventPublished, both at
    # version 1: the second must win.
    use_cases = use_cases_for(clock)
    published = make_event(version=1)
    draft = dataclasses.replace(
        published,
        status="draft",
        sessions=tuple(dataclasses.replace(s, status="draft") for s in published.sessions),
    )
    for event, kind in ((draft, "EventCreated"), (published, "EventPublished")):
        command = command_for(catalog_message(event, kind))
        assert command is not None
        assert await use_cases.follow_catalog(command)
    await use_cases.reserve(reserve(published, buyer()))

    # A copy read through from the catalog is the last state of its version: an earlier message of
    # that version arriving late does not turn it back into a draft.
    other = make_event(version=1)
    async with use_cases.uow() as uow:
        assert await uow.catalog.store(other, read_through=True)
        await uow.commit()
    late = command_for(catalog_message(dataclasses.replace(other, status="draft"), "EventCreated"))
    assert late is not None
    assert await use_cases.follow_catalog(late) is False
    await use_cases.reserve(reserve(other, buyer()))
