"""The organizers' reports against in-memory fakes: messages made by ticketing's own handlers and
outbox code, folded into the counters through the report consumer's reader, and read back."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from test_checkin_handlers import Door
from test_order_handlers import Shop
from ticketing_factories import buyer

from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.adapters.outbox import envelope_for
from ticketing_svc.application import handlers, order_handlers, report_handlers, waitlist_handlers
from ticketing_svc.domain import commands
from ticketing_svc.domain.checkins import ScanType
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.errors import EventNotFound, InvalidInput, NotAllowed
from ticketing_svc.domain.reports import Bucket, Report, ReportQuery, split
from ticketing_svc.entrypoints.report_messages import command_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

EVERYTHING = ReportQuery()


# Each domain event's envelope, made once (as its outbox row is): a redelivery has the same messageId.
_ENVELOPES: dict[str, Envelope] = {}


async def fold_in(shop: Shop, *, twice: bool = False) -> int:
    """Every message the shop's handlers made, as the report consumer reads them; how many counted."""
    counted = 0
    for message, correlation_id in shop.uow.committed.messages:
        envelope = _ENVELOPES.setdefault(repr(message), envelope_for(message, correlation_id)[0])
        for _ in range(2 if twice else 1):
            counted += await report_handlers.project(command_for(envelope), shop.uow)
    return counted


async def report(shop: Shop, query: ReportQuery = EVERYTHING) -> Report:
    return await report_handlers.event_report(
        commands.GetEventReport(shop.organizer, shop.event.id, query), shop.uow, shop.clock
    )


async def sell_and_refund(shop: Shop) -> None:
    orders = [await shop.pay(await shop.checkout(buyer(), quantity)) for quantity in (1, 2, 3)]
    tickets = shop.uow.tickets_of(orders[1].id)
    await order_handlers.refund_order(
        commands.RefundOrder(shop.organizer, orders[1].id, ticket_ids=(tickets[0].id,)),
        shop.uow,
        shop.clock,
        provider=shop.provider,
    )
    await order_handlers.refund_order(
        commands.RefundOrder(shop.organizer, orders[2].id, amount=Decimal("10.01")),
        shop.uow,
        shop.clock,
        provider=shop.provider,
    )
    await shop.process_refunds()


def sums_over_orders(shop: Shop) -> tuple[int, Decimal, Decimal, int]:
    paid = [o for o in shop.uow.committed.orders.values() if o.paid_at is not None]
    revoked = sum(1 for t in shop.uow.committed.tickets.values() if t.status.value == "revoked")
    return (
        sum(item.quantity for o in paid for item in o.items),
        sum((o.total.amount for o in paid), Decimal("0")),
        sum((o.refunded for o in paid), Decimal("0")),
        revoked,
    )


async def test_the_report_totals_equal_the_orders_after_sales_and_refunds() -> None:
    shop = await Shop.open()
    await sell_and_refund(shop)

    await fold_in(shop)
    got = await report(shop)

    sold, gross, refunded, revoked = sums_over_orders(shop)
    totals = got.totals
    assert (totals.tickets_sold, totals.gross, totals.refunded) == (sold, {"EUR": gross}, {"EUR": refunded})
    assert totals.tickets_refunded == revoked == 1
    assert totals.orders_paid == 3
    assert totals.refunds == 2
    assert got.capacity == 10
    assert got.sell_through == Decimal(sold - revoked) / 10
    [line] = got.lines
    assert line.zone_name == shop.event.zones[0].name
    assert [bucket.figures.tickets_sold for bucket in got.series] == [sold]


async def test_a_message_folded_in_twice_counts_once() -> None:
    shop = await Shop.open()
    await sell_and_refund(shop)

    counted = await fold_in(shop, twice=True)
    again = await fold_in(shop)

    assert counted == len(shop.uow.committed.messages)
    assert again == 0
    sold, gross, refunded, _ = sums_over_orders(shop)
    totals = (await report(shop)).totals
    assert (totals.tickets_sold, totals.gross["EUR"], totals.refunded["EUR"]) == (sold, gross, refunded)


async def test_check_in_progress_counts_each_ticket_admitted_once() -> None:
    door = await Door.open()
    first, second = door.tickets
    await door.scan(first)
    await door.scan(first, type_=ScanType.EXIT)
    await door.scan(first)  # no re-entry: refused, nothing announced
    await door.scan(second)

    await fold_in(door.shop)
    totals = (await report(door.shop)).totals

    assert (totals.admitted, totals.entries, totals.exits, totals.inside) == (2, 2, 1, 1)
    assert totals.tickets_sold == 2


async def test_waiting_lists_are_counted_from_joins_leaves_and_offers() -> None:
    shop = await Shop.open(capacity=2)
    holder = buyer()
    held = await shop.hold(holder, 2)
    session_id, zone_id = shop.event.sessions[0].id, shop.event.zones[0].id

    async def join(quantity: int) -> tuple[Actor, uuid.UUID]:
        actor = buyer()
        standing = await waitlist_handlers.join_waitlist(
            commands.JoinWaitlist(actor, session_id, zone_id, quantity), shop.uow, shop.clock
        )
        return actor, standing.entry.id

    await join(2)
    leaver, leaving = await join(1)
    await join(1)
    await waitlist_handlers.leave_waitlist(commands.LeaveWaitlist(leaver, leaving), shop.uow, shop.clock)
    await fold_in(shop)
    before = await report(shop)
    # The hold ends: its places are offered to the head of the list, which stops waiting.
    await handlers.release_reservation(commands.ReleaseReservation(holder, held.id), shop.uow, shop.clock)
    await fold_in(shop)
    after = await report(shop)

    assert (before.waitlist_entries, before.waitlist_places) == (2, 3)
    assert (after.waitlist_entries, after.waitlist_places) == (1, 1)


async def test_reports_are_for_the_organizations_organizers_and_admins() -> None:
    shop = await Shop.open()
    stranger = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=uuid.uuid4())
    admin = Actor(uuid.uuid4(), ActorKind.USER, role="admin")

    with pytest.raises(EventNotFound):
        await report_handlers.event_report(
            commands.GetEventReport(stranger, shop.event.id, EVERYTHING), shop.uow, shop.clock
        )
    with pytest.raises(NotAllowed):
        await report_handlers.organization_report(
            commands.GetOrganizationReport(stranger, shop.event.organization_id, EVERYTHING),
            shop.uow,
            shop.clock,
        )
    mine = await report_handlers.organization_report(
        commands.GetOrganizationReport(admin, shop.event.organization_id, EVERYTHING), shop.uow, shop.clock
    )
    assert {line.event_id for line in mine.lines} == {shop.event.id}


async def test_a_span_must_be_ordered_and_bounded() -> None:
    shop = await Shop.open()
    now = shop.clock.now
    for query in (
        ReportQuery(since=now, until=now - dt.timedelta(hours=1)),
        ReportQuery(since=now - dt.timedelta(days=401), until=now),
        ReportQuery(since=now - dt.timedelta(days=40), until=now, bucket=Bucket.HOUR),
        ReportQuery(bucket=Bucket.HOUR),
        ReportQuery(since=dt.datetime(2030, 1, 1)),  # naive on purpose
    ):
        with pytest.raises(InvalidInput):
            await report(shop, query)


async def test_a_span_counts_the_hours_it_covers() -> None:
    shop = await Shop.open()
    await shop.pay(await shop.checkout(buyer(), 1))
    shop.clock.advance(hours=3)
    await shop.pay(await shop.checkout(buyer(), 2))
    await fold_in(shop)

    late = await report(shop, ReportQuery(since=shop.clock.now - dt.timedelta(hours=1), bucket=Bucket.HOUR))
    everything = await report(
        shop, ReportQuery(since=shop.clock.now - dt.timedelta(hours=5), bucket=Bucket.HOUR)
    )

    assert late.totals.tickets_sold == 2
    assert [b.figures.tickets_sold for b in everything.series] == [1, 2]
    assert everything.series[1].start - everything.series[0].start == dt.timedelta(hours=3)


async def test_splits_add_up_to_the_amount_to_the_cent() -> None:
    assert split(Decimal("10.00"), [Decimal("1"), Decimal("2"), Decimal("1")]) == [
        Decimal("2.50"),
        Decimal("5.00"),
        Decimal("2.50"),
    ]
    assert split(Decimal("10.00"), [Decimal("1")] * 3) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert split(Decimal("0.01"), [Decimal("3"), Decimal("7")]) == [Decimal("0.00"), Decimal("0.01")]
    assert split(Decimal("5.00"), [Decimal("0"), Decimal("0")]) == [Decimal("5.00"), Decimal("0.00")]


async def test_attendees_are_exported_a_page_at_a_time_with_a_count_first() -> None:
    shop = await Shop.open()
    for quantity in (2, 3):
        await shop.pay(await shop.checkout(buyer(), quantity))
    seen: list[uuid.UUID] = []
    after = None
    totals = []
    while True:
        page = await report_handlers.list_event_attendees(
            commands.ListEventAttendees(shop.organizer, shop.event.id, limit=2, after=after), shop.uow
        )
        totals.append(page.total)
        seen.extend(a.ticket_id for a in page.attendees)
        if not page.has_more:
            break
        after = page.attendees[-1].ticket_id

    assert sorted(seen) == sorted(shop.uow.committed.tickets)
    assert len(seen) == 5
    assert totals == [5, None, None]
    with pytest.raises(EventNotFound):
        await report_handlers.list_event_attendees(
            commands.ListEventAttendees(buyer(), shop.event.id), shop.uow
        )
