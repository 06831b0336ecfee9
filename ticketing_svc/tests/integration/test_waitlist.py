"""Waiting lists against a real PostgreSQL: the order of service, a group blocking the line, offers
expiring to the next entry, refunded places going to the list, concurrent joins of one account.

Time moves with the test's clock and the sweeper's function is called directly: nobody sleeps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import urllib.request
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing_factories import buyer, catalog_message, make_event

from devstack.infra import PaymentSimulator
from ticketing_svc.adapters.orm import inventory, outbox, waitlist_entries
from ticketing_svc.adapters.payments import StripePaymentProvider
from ticketing_svc.adapters.ticket_signing import TicketKeyRing
from ticketing_svc.adapters.tickets import KeyRingSigner
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.errors import SoldOut, ZoneNotSoldOut
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, Reservation, ReservationStatus, SaleSettings
from ticketing_svc.domain.orders import OrderStatus
from ticketing_svc.domain.waitlist import WaitlistStanding, WaitlistStatus
from ticketing_svc.entrypoints.catalog_messages import command_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

EDGE = Actor(uuid.uuid5(uuid.NAMESPACE_URL, "taquilla:service:edge"), ActorKind.SERVICE)


async def on_sale(use_cases: UseCases, event: CatalogEvent) -> None:
    command = command_for(catalog_message(event))
    assert command is not None
    assert await use_cases.follow_catalog(command)


async def hold(
    use_cases: UseCases, event: CatalogEvent, quantity: int, actor: Actor | None = None
) -> Reservation:
    return await use_cases.reserve(
        commands.Reserve(actor or buyer(), event.sessions[0].id, (ItemRequest(event.zones[0].id, quantity),))
    )


async def join(
    use_cases: UseCases, event: CatalogEvent, quantity: int, actor: Actor | None = None
) -> WaitlistStanding:
    return await use_cases.join_waitlist(
        commands.JoinWaitlist(actor or buyer(), event.sessions[0].id, event.zones[0].id, quantity)
    )


async def release(use_cases: UseCases, reservation: Reservation) -> None:
    await use_cases.release_reservation(
        commands.ReleaseReservation(Actor(reservation.customer_id), reservation.id)
    )


async def entries(engine: AsyncEngine, event: CatalogEvent) -> dict[uuid.UUID, tuple[str, uuid.UUID | None]]:
    """Each entry of the event's lists: (status, offered reservation)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(
                waitlist_entries.c.id, waitlist_entries.c.status, waitlist_entries.c.offer_reservation_id
            ).where(waitlist_entries.c.event_id == event.id)
        )
        return {row.id: (row.status, row.offer_reservation_id) for row in rows}


async def line(engine: AsyncEngine, event: CatalogEvent) -> tuple[int, int, int]:
    """(held, sold, waiting) of the event's first zone."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(inventory.c.held, inventory.c.sold, inventory.c.waiting).where(
                    inventory.c.session_id == event.sessions[0].id, inventory.c.zone_id == event.zones[0].id
                )
            )
        ).one()
    return row.held, row.sold, row.waiting


async def offered_to(use_cases: UseCases, engine: AsyncEngine, standing: WaitlistStanding) -> Reservation:
    """The reservation held for the entry's buyer (the entry must be offered)."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(waitlist_entries.c.status, waitlist_entries.c.offer_reservation_id).where(
                    waitlist_entries.c.id == standing.entry.id
                )
            )
        ).one()
    assert row.status == "offered"
    return await use_cases.get_reservation(
        commands.GetReservation(Actor(standing.entry.customer_id), row.offer_reservation_id)
    )


async def test_freed_places_are_offered_in_the_order_buyers_joined(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=3)
    await on_sale(use_cases, event)
    taken = await hold(use_cases, event, 3)
    line_up = [await join(use_cases, event, 1) for _ in range(4)]
    assert [standing.place for standing in line_up] == [1, 2, 3, 4]

    await release(use_cases, taken)

    first_three = [await offered_to(use_cases, ticketing_engine, s) for s in line_up[:3]]
    assert [r.customer_id for r in first_three] == [s.entry.customer_id for s in line_up[:3]]
    assert all(r.status is ReservationStatus.HELD and r.quantity == 1 for r in first_three)
    assert (await entries(ticketing_engine, event))[line_up[3].entry.id][0] == "waiting"
    assert await line(ticketing_engine, event) == (3, 0, 1)
    [mine] = await use_cases.list_my_waitlist(commands.ListMyWaitlist(Actor(line_up[3].entry.customer_id)))
    assert mine.place == 1  # the others no longer wait
    async with ticketing_engine.connect() as connection:
        offers = await connection.scalar(
            select(func.count()).where(
                outbox.c.envelope["type"].astext == "WaitlistOffered",
                outbox.c.envelope["eventId"].astext == str(event.id),
            )
        )
    assert offers == 3


async def test_a_group_of_four_waits_for_four_places_and_the_single_behind_it_is_not_served_first(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=4)
    await on_sale(use_cases, event)
    holds = [await hold(use_cases, event, 1) for _ in range(4)]
    group, single = await join(use_cases, event, 4), await join(use_cases, event, 1)

    for reservation in holds[:3]:
        await release(use_cases, reservation)
        assert {status for status, _ in (await entries(ticketing_engine, event)).values()} == {"waiting"}
        with pytest.raises(SoldOut):
            await hold(use_cases, event, 1)  # nor does the public get the places kept for the group
    assert await line(ticketing_engine, event) == (1, 0, 2)

    await release(use_cases, holds[3])

    assert (await offered_to(use_cases, ticketing_engine, group)).quantity == 4
    assert (await entries(ticketing_engine, event))[single.entry.id][0] == "waiting"
    assert await line(ticketing_engine, event) == (4, 0, 1)


async def test_an_unclaimed_offer_expires_and_the_sweeper_hands_it_to_the_next(
    ticketing_engine: AsyncEngine, clock: object, use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=2, settings=SaleSettings(hold_minutes=2))
    await on_sale(use_cases, event)
    await hold(use_cases, event, 2)
    first, second = await join(use_cases, event, 2), await join(use_cases, event, 2)

    clock.advance(minutes=2)  # type: ignore[attr-defined]
    await use_cases.expire_reservations(commands.ExpireReservations())
    offer = await offered_to(use_cases, ticketing_engine, first)
    assert (await entries(ticketing_engine, event))[second.entry.id][0] == "waiting"

    clock.advance(minutes=2)  # type: ignore[attr-defined]
    expired = await use_cases.expire_reservations(commands.ExpireReservations())

    assert offer.id in {r.id for r in expired}
    assert (await entries(ticketing_engine, event))[first.entry.id][0] == "expired"
    handed_over = await offered_to(use_cases, ticketing_engine, second)
    assert handed_over.expires_at == clock.now + dt.timedelta(minutes=2)  # type: ignore[attr-defined]
    assert await line(ticketing_engine, event) == (2, 0, 0)
    # The list is empty: once the second offer lapses too, the places are on sale to everyone.
    clock.advance(minutes=2)  # type: ignore[attr-defined]
    await use_cases.expire_reservations(commands.ExpireReservations())
    await hold(use_cases, event, 2)


async def test_concurrent_joins_of_one_account_make_one_entry(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=1)
    await on_sale(use_cases, event)
    await hold(use_cases, event, 1)
    actor = buyer()

    joined = await asyncio.gather(*(join(use_cases, event, 1, actor) for _ in range(8)))

    assert len({standing.entry.id for standing in joined}) == 1
    assert len(await entries(ticketing_engine, event)) == 1
    assert (await line(ticketing_engine, event))[2] == 1


async def test_leaving_takes_the_entry_off_the_line_and_frees_the_zone_for_everyone(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], use_cases_for: Callable[..., UseCases]
) -> None:
    use_cases = use_cases_for(clock)
    event = make_event(capacity=2)
    await on_sale(use_cases, event)
    one = await hold(use_cases, event, 1)
    with pytest.raises(ZoneNotSoldOut):
        await join(use_cases, event, 1)  # a place is left: reserve it
    await hold(use_cases, event, 1)
    group = await join(use_cases, event, 2)
    await release(use_cases, one)
    with pytest.raises(SoldOut):
        await hold(use_cases, event, 1)

    left = await use_cases.leave_waitlist(
        commands.LeaveWaitlist(Actor(group.entry.customer_id), group.entry.id)
    )

    assert left.entry.status is WaitlistStatus.LEFT
    assert await line(ticketing_engine, event) == (1, 0, 0)
    await hold(use_cases, event, 1)


GOOD = "4242424242424242"


def pay(simulator: PaymentSimulator, reference: str) -> None:
    request = urllib.request.Request(
        f"{simulator.url}/_sim/checkout/sessions/{reference}/pay",
        data=json.dumps({"card": GOOD}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        reply.read()


async def test_refunded_places_go_to_the_list_and_paying_the_offer_fulfils_the_entry(
    ticketing_engine: AsyncEngine, clock: Callable[[], object], psp_simulator: PaymentSimulator
) -> None:
    use_cases = UseCases(
        ticketing_engine,
        catalog=None,
        clock=clock,  # type: ignore[arg-type]
        provider=StripePaymentProvider(psp_simulator.secret_key, api_base=psp_simulator.url),
        signer=KeyRingSigner(TicketKeyRing.generate("w1")),
    )
    event = make_event(capacity=2)
    await on_sale(use_cases, event)
    customer = buyer()

    async def paid(actor: Actor, reservation_id: uuid.UUID) -> tuple[uuid.UUID, tuple[uuid.UUID, ...]]:
        order = await use_cases.create_order(
            commands.CreateOrder(actor, reservation_id, "Ana Núñez", "ana@example.com", "es")
        )
        assert order.payment_reference is not None
        pay(psp_simulator, order.payment_reference)
        outcome = await use_cases.handle_payment_notice(
            commands.HandlePaymentNotice(
                actor=EDGE,
                provider="stripe",
                notice_id=f"evt_{uuid.uuid4().hex}",
                notice_type="checkout.session.completed",
                object_id=order.payment_reference,
                order_id=order.id,
            )
        )
        assert outcome.order is not None
        assert outcome.order.status is OrderStatus.PAID
        return outcome.order.id, outcome.order.ticket_ids

    order_id, tickets = await paid(customer, (await hold(use_cases, event, 2, customer)).id)
    waiting = await join(use_cases, event, 1)
    organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=event.organization_id)

    await use_cases.refund_order(commands.RefundOrder(organizer, order_id, ticket_ids=(tickets[0],)))

    offer = await offered_to(use_cases, ticketing_engine, waiting)
    assert offer.quantity == 1
    assert await line(ticketing_engine, event) == (1, 1, 0)
    await paid(Actor(waiting.entry.customer_id), offer.id)
    assert (await entries(ticketing_engine, event))[waiting.entry.id][0] == "fulfilled"
    lengths = await use_cases.waitlist_lengths(commands.GetWaitlistLengths(organizer, event.id))
    assert [(x.entries, x.places, x.offered) for x in lengths.lines] == [(0, 0, 0)]
