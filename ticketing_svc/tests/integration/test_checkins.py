"""Check-in against a real PostgreSQL: device nonces recorded once, simultaneous scans of one ticket
admitting once, offline uploads and their double admissions, exits and re-entry, revoked and forged
tickets, and the offline pack's cursor. Tickets come from orders paid through the PSP simulator."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from test_orders_payments import RING, held, notice, on_sale, order_for, pay
from ticketing_factories import buyer, make_event

from devstack.infra import PaymentSimulator
from devstack.testing import eventually
from ticketing_svc.adapters.orm import admissions, checkins
from ticketing_svc.adapters.payments import StripePaymentProvider
from ticketing_svc.adapters.ticket_signing import TicketClaims as SignedClaims
from ticketing_svc.adapters.ticket_signing import TicketKeyRing
from ticketing_svc.adapters.tickets import KeyRingSigner
from ticketing_svc.application.checkin_handlers import CheckInPack
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.checkins import Scan, ScanResult, ScanType
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.errors import SessionNotFound
from ticketing_svc.domain.model import CatalogEvent, SaleSettings
from ticketing_svc.domain.orders import Ticket, TicketStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclasses.dataclass
class Venue:
    """An event on sale with paid tickets, and its door staff."""

    use_cases: UseCases
    event: CatalogEvent
    tickets: list[Ticket]
    staff: Actor
    organizer: Actor

    @property
    def session_id(self) -> uuid.UUID:
        return self.event.sessions[0].id

    async def scan(
        self,
        secret: str,
        *,
        nonce: str | None = None,
        device: str = "door-1",
        type_: ScanType = ScanType.ENTRY,
        actor: Actor | None = None,
    ) -> ScanResult:
        outcome = await self.use_cases.check_in(
            commands.CheckIn(
                actor=actor or self.staff,
                secret=secret,
                session_id=self.session_id,
                device_id=device,
                nonce=nonce or uuid.uuid4().hex,
                type=type_,
            )
        )
        return outcome.answer.result

    def offline(self, ticket: Ticket, device: str, at: dt.datetime) -> Scan:
        return Scan(
            ticket.secret, self.session_id, device, uuid.uuid4().hex, at, ScanType.ENTRY, offline=True
        )

    async def pack(self, cursor: str | None = None) -> CheckInPack:
        return await self.use_cases.checkin_pack(commands.GetCheckInPack(self.staff, self.session_id, cursor))


@pytest.fixture
def venue_for(
    ticketing_engine: AsyncEngine, psp_simulator: PaymentSimulator, clock: Callable[[], dt.datetime]
) -> Callable[..., object]:
    async def open_venue(*, quantity: int = 2, reentry: bool = False) -> Venue:
        use_cases = UseCases(
            ticketing_engine,
            catalog=None,
            clock=clock,
            provider=StripePaymentProvider(psp_simulator.secret_key, api_base=psp_simulator.url),
            signer=KeyRingSigner(RING),
        )
        event = make_event(capacity=30, settings=SaleSettings(reentry_allowed=reentry))
        await on_sale(use_cases, event)
        customer = buyer()
        order = await use_cases.create_order(
            order_for(customer, await held(use_cases, event, customer, quantity))
        )
        assert order.payment_reference is not None
        pay(psp_simulator, order.payment_reference)
        await use_cases.handle_payment_notice(notice(order.id, order.payment_reference))
        mine = await use_cases.list_my_tickets(commands.ListMyTickets(customer))
        tickets = sorted((t for t in mine.tickets if t.order_id == order.id), key=lambda t: t.position)
        assert len(tickets) == quantity
        org = event.organization_id
        return Venue(
            use_cases,
            event,
            tickets,
            staff=Actor(uuid.uuid4(), ActorKind.USER, role="staff", organization_id=org),
            organizer=Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=org),
        )

    return open_venue


async def recorded(engine: AsyncEngine, device: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).where(checkins.c.device_id == device)) or 0)


async def test_a_retried_scan_gets_the_first_answer_and_is_recorded_once(venue_for, ticketing_engine) -> None:
    venue = await venue_for()
    device = f"door-{uuid.uuid4().hex[:8]}"
    secret = venue.tickets[0].secret

    first = await venue.scan(secret, nonce="scan-1", device=device)
    retries = await asyncio.gather(*(venue.scan(secret, nonce="scan-1", device=device) for _ in range(5)))
    another = await venue.scan(secret, nonce="scan-2", device=device)

    assert first is ScanResult.OK
    assert retries == [ScanResult.OK] * 5
    assert another is ScanResult.ALREADY_REDEEMED
    assert await recorded(ticketing_engine, device) == 2


async def test_a_nonce_answers_only_within_its_session(venue_for) -> None:
    ours, theirs = await venue_for(quantity=1), await venue_for(quantity=1)

    assert await ours.scan(ours.tickets[0].secret, nonce="0001", device="door-1") is ScanResult.OK
    # Another organization's device with the same name and nonce neither sees our answer nor is
    # refused: its scan is its own.
    assert await theirs.scan("NOTATICKET", nonce="0001", device="door-1") is ScanResult.INVALID
    assert await theirs.scan(theirs.tickets[0].secret, nonce="0002", device="door-1") is ScanResult.OK


async def test_twenty_simultaneous_scans_of_one_ticket_admit_it_once(venue_for, ticketing_engine) -> None:
    venue = await venue_for(quantity=1)
    secret = venue.tickets[0].secret

    results = await asyncio.gather(*(venue.scan(secret, device=f"door-{n}") for n in range(20)))

    assert results.count(ScanResult.OK) == 1
    assert results.count(ScanResult.ALREADY_REDEEMED) == 19
    async with ticketing_engine.connect() as connection:
        row = (
            await connection.execute(select(admissions).where(admissions.c.ticket_id == venue.tickets[0].id))
        ).one()
    assert (row.inside, row.entries, row.version) == (True, 1, 1)
    pack = await venue.pack()
    assert pack.occupancy.admitted == 1


async def test_an_offline_double_admission_at_two_doors_is_recorded_flagged_and_listed(venue_for) -> None:
    venue = await venue_for()
    ticket, other = venue.tickets
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    at_a, at_b = (
        venue.offline(ticket, "door-a", now),
        venue.offline(ticket, "door-b", now + dt.timedelta(seconds=30)),
    )

    first = await venue.use_cases.check_in_batch(
        commands.CheckInBatch(
            venue.staff, venue.session_id, "door-b", (at_b, venue.offline(other, "door-b", now))
        )
    )
    second = await venue.use_cases.check_in_batch(
        commands.CheckInBatch(venue.staff, venue.session_id, "door-a", (at_a,))
    )

    assert [a.result for a in first.answers] == [ScanResult.OK, ScanResult.OK]
    assert (second.answers[0].result, second.answers[0].conflict) == (ScanResult.ALREADY_REDEEMED, True)
    assert second.answers[0].first_scan is not None
    assert second.answers[0].first_scan.device_id == "door-b"
    conflicts = await venue.use_cases.checkin_conflicts(
        commands.ListCheckInConflicts(venue.organizer, venue.event.id)
    )
    assert [c.ticket.id for c in conflicts] == [ticket.id]
    assert [(s.device_id, s.result, s.conflict) for s in conflicts[0].scans] == [
        ("door-a", ScanResult.ALREADY_REDEEMED, True),
        ("door-b", ScanResult.OK, False),
    ]
    # The upload retried: the same answers, nothing new recorded or flagged.
    again = await venue.use_cases.check_in_batch(
        commands.CheckInBatch(venue.staff, venue.session_id, "door-a", (at_a,))
    )
    assert again.answers[0].replayed
    assert again.answers[0].conflict
    listed = await venue.use_cases.checkin_conflicts(
        commands.ListCheckInConflicts(venue.staff, venue.event.id)
    )
    assert len(listed[0].scans) == 2


@pytest.mark.parametrize("reentry", [False, True])
async def test_exit_and_re_entry_follow_the_events_setting(venue_for, reentry: bool) -> None:
    venue = await venue_for(reentry=reentry)
    secret = venue.tickets[0].secret

    assert await venue.scan(secret, type_=ScanType.EXIT) is ScanResult.ALREADY_REDEEMED  # never entered
    assert await venue.scan(secret) is ScanResult.OK
    assert await venue.scan(secret, type_=ScanType.EXIT) is ScanResult.OK
    assert await venue.scan(secret, type_=ScanType.EXIT) is ScanResult.ALREADY_REDEEMED
    back_in = await venue.scan(secret)

    assert back_in is (ScanResult.OK if reentry else ScanResult.ALREADY_REDEEMED)
    assert (await venue.pack()).occupancy.admitted == (1 if reentry else 0)


async def test_each_answer_counts_the_people_inside_after_its_scan(venue_for) -> None:
    venue = await venue_for(quantity=3, reentry=True)
    first, second, third = (ticket.secret for ticket in venue.tickets)

    async def inside(
        secret: str, type_: ScanType = ScanType.ENTRY, nonce: str | None = None
    ) -> tuple[str, int]:
        outcome = await venue.use_cases.check_in(
            commands.CheckIn(
                venue.staff, secret, venue.session_id, "door-9", nonce or uuid.uuid4().hex, type_
            )
        )
        assert outcome.occupancy.capacity == 30
        assert outcome.occupancy == (await venue.pack()).occupancy  # as a separate read counts them
        return outcome.answer.result.value, outcome.occupancy.admitted

    assert await inside(first, nonce="n-1") == ("ok", 1)
    assert await inside(second) == ("ok", 2)
    assert await inside(first) == ("already_redeemed", 2)
    assert await inside("not-a-ticket") == ("invalid", 2)
    assert await inside(first, ScanType.EXIT) == ("ok", 1)
    assert await inside(first, ScanType.EXIT) == ("already_redeemed", 1)
    assert await inside(third, ScanType.EXIT) == ("already_redeemed", 1)
    assert await inside(first) == ("ok", 2)  # re-entry
    assert await inside(third) == ("ok", 3)
    assert await inside(first, nonce="n-1") == ("ok", 3)  # the first answer, and the count now


async def test_a_refunded_ticket_is_refused_online_and_listed_revoked_once_the_pack_refreshes(
    venue_for,
) -> None:
    venue = await venue_for()
    refunded, kept = venue.tickets
    first = await eventually(
        lambda: _pack_with(venue, None, {refunded.id, kept.id}), within=10, what="the first pack"
    )
    assert first.revoked == []

    await venue.use_cases.refund_order(
        commands.RefundOrder(venue.organizer, refunded.order_id, ticket_ids=(refunded.id,))
    )

    assert await venue.scan(refunded.secret) is ScanResult.REVOKED
    later = await eventually(
        lambda: _pack_with(venue, first.cursor, {refunded.id}), within=10, what="the refund"
    )
    assert [t.id for t in later.tickets] == [refunded.id]
    assert later.revoked == [refunded.id]
    assert later.tickets[0].status is TicketStatus.REVOKED


async def _pack_with(venue: Venue, cursor: str | None, ids: set[uuid.UUID]) -> CheckInPack | None:
    pack = await venue.pack(cursor)
    return pack if {t.id for t in pack.tickets} == ids and pack.complete else None


async def test_the_pack_cursor_returns_only_what_changed_since(venue_for) -> None:
    venue = await venue_for(quantity=3)
    everything = await eventually(
        lambda: _pack_with(venue, None, {t.id for t in venue.tickets}), within=10, what="the first pack"
    )
    assert {k["kid"] for k in everything.keys} == {RING.active_kid}
    assert everything.event.id == venue.event.id

    assert await venue.scan(venue.tickets[1].secret) is ScanResult.OK
    changed = await eventually(
        lambda: _pack_with(venue, everything.cursor, {venue.tickets[1].id}), within=10, what="the used ticket"
    )
    assert changed.tickets[0].status is TicketStatus.USED
    assert changed.occupancy.admitted == 1

    quiet = await venue.pack(changed.cursor)
    assert quiet.tickets == []
    assert quiet.complete


async def test_a_forged_or_altered_secret_is_invalid(venue_for) -> None:
    venue = await venue_for(quantity=1)
    genuine = RING.verify(venue.tickets[0].secret)
    forged = TicketKeyRing.generate(RING.active_kid).sign(
        SignedClaims(
            genuine.ticket_id, genuine.session_id, genuine.zone_id, genuine.valid_from, genuine.valid_until
        )
    )
    secret = venue.tickets[0].secret
    altered = secret[:40] + ("A" if secret[40] != "A" else "B") + secret[41:]

    for bad in (forged, altered, secret[:-1], "HELLO"):
        assert await venue.scan(bad) is ScanResult.INVALID
    assert await venue.scan(secret) is ScanResult.OK


async def test_a_ticket_of_another_session_is_wrong_session_and_strangers_see_no_session(venue_for) -> None:
    venue = await venue_for(quantity=1)
    elsewhere = await venue_for(quantity=1)
    same_org = dataclasses.replace(venue.staff, organization_id=elsewhere.event.organization_id)

    assert await venue.scan(elsewhere.tickets[0].secret) is ScanResult.WRONG_SESSION
    with pytest.raises(SessionNotFound):
        await venue.scan(venue.tickets[0].secret, actor=same_org)
    with pytest.raises(SessionNotFound):
        await venue.scan(venue.tickets[0].secret, actor=buyer())
