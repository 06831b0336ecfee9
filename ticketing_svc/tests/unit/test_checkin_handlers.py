"""Check-in use cases against in-memory fakes: who may keep a door, retries, offline uploads and
their double admissions, and the offline pack."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from test_order_handlers import Shop
from ticketing_factories import buyer
from ticketing_fakes import FakeCatalogCopy

from ticketing_svc.application import checkin_handlers, order_handlers
from ticketing_svc.domain import commands
from ticketing_svc.domain.checkins import ChangePosition, Scan, ScanResult, ScanType
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.errors import EventNotFound, SessionNotFound, Unauthenticated
from ticketing_svc.domain.events import TicketCheckedIn
from ticketing_svc.domain.model import Offer
from ticketing_svc.domain.orders import Ticket, TicketStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Door:
    """A paid order of two tickets, and the event's door staff."""

    def __init__(self, shop: Shop, tickets: list[Ticket]) -> None:
        self.shop = shop
        self.tickets = tickets
        self.session_id = shop.event.sessions[0].id
        self.staff = Actor(
            uuid.uuid4(), ActorKind.USER, role="staff", organization_id=shop.event.organization_id
        )

    @classmethod
    async def open(cls) -> Door:
        shop = await Shop.open()
        order = await shop.pay(await shop.checkout(buyer(), 2))
        return cls(shop, shop.uow.tickets_of(order.id))

    async def scan(
        self,
        ticket: Ticket | str,
        *,
        actor: Actor | None = None,
        nonce: str | None = None,
        device: str = "door-1",
        type_: ScanType = ScanType.ENTRY,
    ) -> checkin_handlers.CheckInOutcome:
        return await checkin_handlers.check_in(
            commands.CheckIn(
                actor=actor or self.staff,
                secret=ticket if isinstance(ticket, str) else ticket.secret,
                session_id=self.session_id,
                device_id=device,
                nonce=nonce or uuid.uuid4().hex,
                type=type_,
            ),
            self.shop.uow,
            self.shop.clock,
            signer=self.shop.signer,
        )

    def offline(
        self, ticket: Ticket, *, device: str, minutes: float, type_: ScanType = ScanType.ENTRY
    ) -> Scan:
        return Scan(
            secret=ticket.secret,
            session_id=self.session_id,
            device_id=device,
            nonce=uuid.uuid4().hex,
            scanned_at=self.shop.clock.now + dt.timedelta(minutes=minutes),
            type=type_,
            offline=True,
        )

    async def upload(self, device: str, *scans: Scan) -> checkin_handlers.BatchOutcome:
        return await checkin_handlers.check_in_batch(
            commands.CheckInBatch(self.staff, self.session_id, device, scans),
            self.shop.uow,
            self.shop.clock,
            signer=self.shop.signer,
        )

    async def pack(self, cursor: str | None = None) -> checkin_handlers.CheckInPack:
        return await checkin_handlers.checkin_pack(
            commands.GetCheckInPack(self.staff, self.session_id, cursor),
            self.shop.uow,
            signer=self.shop.signer,
        )


async def test_door_staff_of_the_organization_admit_a_paid_ticket_once() -> None:
    door = await Door.open()

    first = await door.scan(door.tickets[0])
    again = await door.scan(door.tickets[0], device="door-2")

    assert first.answer.result is ScanResult.OK
    assert first.answer.ticket is not None
    assert first.answer.ticket.holder_name == door.tickets[0].holder_name
    assert (first.occupancy.admitted, first.occupancy.capacity) == (1, 10)
    assert again.answer.result is ScanResult.ALREADY_REDEEMED
    assert again.answer.first_scan is not None
    assert again.answer.first_scan.device_id == "door-1"
    assert door.shop.uow.committed.tickets[door.tickets[0].id].status is TicketStatus.USED


@pytest.mark.parametrize("role", ["customer", "staff", "organizer"])
async def test_anyone_but_the_organizations_door_staff_organizers_and_admins_finds_no_session(
    role: str,
) -> None:
    door = await Door.open()
    stranger = Actor(uuid.uuid4(), ActorKind.USER, role=role, organization_id=uuid.uuid4())

    with pytest.raises(SessionNotFound):
        await door.scan(door.tickets[0], actor=stranger)
    with pytest.raises(Unauthenticated):
        await checkin_handlers.check_in(
            commands.CheckIn(None, "x", door.session_id, "d", "n", ScanType.ENTRY),
            door.shop.uow,
            signer=door.shop.signer,
        )

    admin = Actor(uuid.uuid4(), ActorKind.USER, role="admin")
    assert (await door.scan(door.tickets[0], actor=admin)).answer.result is ScanResult.OK


async def test_a_retried_scan_gets_the_first_answer_and_records_nothing() -> None:
    door = await Door.open()
    first = await door.scan(door.tickets[0], nonce="n-1")
    recorded = len(door.shop.uow.committed.checkins)

    retry = await door.scan(door.tickets[0], nonce="n-1")

    assert retry.answer.result is ScanResult.OK  # not "already redeemed": it is the same scan
    assert retry.answer.replayed
    assert retry.answer.scanned_at == first.answer.scanned_at
    assert len(door.shop.uow.committed.checkins) == recorded


async def test_a_forged_or_altered_secret_is_invalid_and_shows_no_ticket() -> None:
    door = await Door.open()
    altered = door.tickets[0].secret.replace("signed:", "signed:0", 1)

    for secret in (altered, door.tickets[0].secret[:-1] + "x", "not a ticket"):
        outcome = await door.scan(secret)
        assert outcome.answer.result is ScanResult.INVALID
        assert outcome.answer.ticket is None


async def test_a_refunded_ticket_is_refused_online_and_listed_revoked_in_the_next_pack() -> None:
    door = await Door.open()
    first = await door.pack()
    assert {t.id for t in first.tickets} == {t.id for t in door.tickets}
    assert first.revoked == []
    assert first.complete

    await order_handlers.refund_order(
        commands.RefundOrder(door.shop.organizer, door.tickets[0].order_id, ticket_ids=(door.tickets[0].id,)),
        door.shop.uow,
        door.shop.clock,
        provider=door.shop.provider,
    )
    outcome = await door.scan(door.tickets[0])
    later = await door.pack(first.cursor)

    assert outcome.answer.result is ScanResult.REVOKED
    assert [t.id for t in later.tickets] == [door.tickets[0].id]
    assert later.revoked == [door.tickets[0].id]
    assert ChangePosition.from_cursor(later.cursor).xid > ChangePosition.from_cursor(first.cursor).xid


async def test_an_offline_double_admission_is_answered_per_scan_flagged_and_listed() -> None:
    door = await Door.open()
    ticket, other = door.tickets
    early = door.offline(ticket, device="door-a", minutes=1)
    late = door.offline(ticket, device="door-b", minutes=2)

    # door-b uploads first, but door-a scanned first: within one upload the first scan wins, across
    # uploads the first upload stands and the later one is flagged.
    b = await door.upload("door-b", late, door.offline(other, device="door-b", minutes=3))
    a = await door.upload("door-a", early)

    assert [r.result for r in b.answers] == [ScanResult.OK, ScanResult.OK]
    assert a.answers[0].result is ScanResult.ALREADY_REDEEMED
    assert a.answers[0].conflict
    conflicts = await checkin_handlers.checkin_conflicts(
        commands.ListCheckInConflicts(door.staff, door.shop.event.id), door.shop.uow
    )
    assert [c.ticket.id for c in conflicts] == [ticket.id]
    assert [(s.device_id, s.conflict) for s in conflicts[0].scans] == [("door-a", True), ("door-b", False)]


async def test_one_upload_applies_its_scans_in_the_order_they_were_made() -> None:
    door = await Door.open()
    ticket = door.tickets[0]
    second = door.offline(ticket, device="door-a", minutes=2)
    first = door.offline(ticket, device="door-a", minutes=1)

    outcome = await door.upload("door-a", second, first)

    # Answers come in the request's order; the earlier scan admitted, the later one is the double.
    assert [(r.nonce, r.result, r.conflict) for r in outcome.answers] == [
        (second.nonce, ScanResult.ALREADY_REDEEMED, True),
        (first.nonce, ScanResult.OK, False),
    ]
    retried = await door.upload("door-a", second, first)
    assert [r.result for r in retried.answers] == [r.result for r in outcome.answers]
    assert all(r.replayed for r in retried.answers)


async def test_conflicts_of_an_event_are_for_its_organization_only() -> None:
    door = await Door.open()
    stranger = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=uuid.uuid4())

    with pytest.raises(EventNotFound):
        await checkin_handlers.checkin_conflicts(
            commands.ListCheckInConflicts(stranger, door.shop.event.id), door.shop.uow
        )


async def test_a_door_keeps_a_sessions_event_a_few_seconds_and_still_checks_who_scans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    door = await Door.open()
    now = [0.0]
    events = checkin_handlers.DoorEvents(ttl=5.0, monotonic=lambda: now[0])
    reads: list[uuid.UUID] = []
    offer = FakeCatalogCopy.offer

    async def counted(self: FakeCatalogCopy, session_id: uuid.UUID) -> Offer | None:
        reads.append(session_id)
        return await offer(self, session_id)

    monkeypatch.setattr(FakeCatalogCopy, "offer", counted)

    async def scan(ticket: Ticket, actor: Actor, session_id: uuid.UUID | None = None) -> ScanResult:
        command = commands.CheckIn(
            actor, ticket.secret, session_id or door.session_id, "door-1", uuid.uuid4().hex, ScanType.ENTRY
        )
        outcome = await checkin_handlers.check_in(
            command, door.shop.uow, door.shop.clock, signer=door.shop.signer, events=events
        )
        return outcome.answer.result

    assert await scan(door.tickets[0], door.staff) is ScanResult.OK
    assert await scan(door.tickets[1], door.staff) is ScanResult.OK
    assert await scan(door.tickets[0], door.staff) is ScanResult.ALREADY_REDEEMED
    assert len(reads) == 1
    stranger = Actor(uuid.uuid4(), ActorKind.USER, role="staff", organization_id=uuid.uuid4())
    with pytest.raises(SessionNotFound):
        await scan(door.tickets[0], stranger)
    unknown = uuid.uuid4()
    for _ in range(2):
        with pytest.raises(SessionNotFound):
            await scan(door.tickets[0], door.staff, unknown)
    assert reads == [door.session_id, unknown, unknown]  # a session not found is not kept

    now[0] = 5.0
    assert await scan(door.tickets[1], door.staff) is ScanResult.ALREADY_REDEEMED
    assert reads == [door.session_id, unknown, unknown, door.session_id]


async def test_the_pack_of_a_session_removed_from_its_event_finds_no_session() -> None:
    door = await Door.open()
    state = door.shop.uow.committed
    event = state.events[door.shop.event.id]
    # The catalog removed the session: the event's copy no longer lists it, its places remain.
    state.events[event.id] = dataclasses.replace(
        event, sessions=tuple(s for s in event.sessions if s.id != door.session_id)
    )

    with pytest.raises(SessionNotFound):
        await door.pack()


def _checked_in(door: Door) -> list[TicketCheckedIn]:
    return [m for m, _ in door.shop.uow.committed.messages if isinstance(m, TicketCheckedIn)]


async def test_admissions_and_exits_are_announced_and_refusals_are_not() -> None:
    door = await Door.open()
    ticket = door.tickets[0]

    await door.scan(ticket)
    await door.scan(ticket, device="door-2")  # already inside: refused
    await door.scan("not a ticket")
    await door.scan(ticket, type_=ScanType.EXIT)

    messages = _checked_in(door)
    assert [(m.ticket_id, m.direction, m.double_admission) for m in messages] == [
        (ticket.id, "entry", False),
        (ticket.id, "exit", False),
    ]
    assert {m.order_id for m in messages} == {ticket.order_id}
    assert {(m.event_id, m.session_id, m.zone_id) for m in messages} == {
        (door.shop.event.id, door.session_id, ticket.zone_id)
    }
    assert messages[0].device_id == "door-1"


async def test_an_offline_double_admission_is_announced_as_one() -> None:
    door = await Door.open()
    ticket = door.tickets[0]

    await door.upload("door-b", door.offline(ticket, device="door-b", minutes=2))
    await door.upload("door-a", door.offline(ticket, device="door-a", minutes=1))

    assert [(m.device_id, m.double_admission) for m in _checked_in(door)] == [
        ("door-b", False),
        ("door-a", True),
    ]
