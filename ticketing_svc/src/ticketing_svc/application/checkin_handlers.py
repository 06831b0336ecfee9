"""Check-in at the door: online scans, offline uploads, the offline pack and double admissions.

Door staff and organizers of the organization that owns the event, and admins, may check in; for
anyone else the session (or event) does not exist. Every scan is claimed first by its device's
nonce, in the transaction that decides it: a retry finds the first answer (waiting for it when the
two race) and records nothing. The decision is the domain's (:func:`decide`); the store only writes
an admission nobody changed since it was read, and a scan that lost that race is decided again.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ticketing_svc.application.handlers import Clock, person, system_clock
from ticketing_svc.application.ports import TicketSigner, UnitOfWork
from ticketing_svc.domain.checkins import (
    Admission,
    ChangePosition,
    CheckInAnswer,
    CheckInConflict,
    CheckInRecord,
    DoorTicket,
    FirstScan,
    Occupancy,
    Proof,
    Scan,
    ScanResult,
    announced,
    checked,
    decide,
)
from ticketing_svc.domain.commands import Actor, CheckIn, CheckInBatch, GetCheckInPack, ListCheckInConflicts
from ticketing_svc.domain.errors import EventNotFound, InvalidInput, SessionNotFound
from ticketing_svc.domain.model import CatalogEvent, CatalogSession
from ticketing_svc.domain.orders import TicketStatus

PACK_PAGE = 1000
CONFLICTS_MAX = 500
# Each retry follows a scan of the same ticket that committed meanwhile; a handful is plenty.
_DECISION_ATTEMPTS = 20


class CheckInContention(Exception):
    """A ticket's admission kept changing under a scan (never seen in practice)."""


@dataclass(frozen=True, slots=True)
class CheckInOutcome:
    answer: CheckInAnswer
    occupancy: Occupancy


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """One answer per scan, in the order they were sent."""

    answers: list[CheckInAnswer]
    occupancy: Occupancy


@dataclass(frozen=True, slots=True)
class CheckInPack:
    event: CatalogEvent
    session: CatalogSession
    keys: list[dict[str, str]]
    tickets: list[DoorTicket]
    occupancy: Occupancy
    cursor: str
    complete: bool

    @property
    def revoked(self) -> list[uuid.UUID]:
        return [ticket.id for ticket in self.tickets if ticket.status is TicketStatus.REVOKED]


def _door_staff(actor: Actor | None) -> Actor:
    return person(actor, "check tickets in")


class DoorEvents:
    """The event of each session scanned at lately, kept ``ttl`` seconds by a process (at most
    ``size`` sessions): a door scans one session for hours, and reading and parsing the catalog's
    copy of its event for every scan cost more than the scan's own statements. Who owns an event
    never changes; a change of its door settings (re-entry) reaches the doors within ``ttl``. A
    session not found is not kept. The scan's decision still reads the ticket and its admission."""

    def __init__(
        self, *, ttl: float = 5.0, size: int = 1024, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._size = size
        self._monotonic = monotonic
        self._events: OrderedDict[uuid.UUID, tuple[float, CatalogEvent]] = OrderedDict()

    async def get(self, uow: UnitOfWork, session_id: uuid.UUID) -> CatalogEvent | None:
        now = self._monotonic()
        kept = self._events.get(session_id)
        if kept is not None and now < kept[0]:
            self._events.move_to_end(session_id)
            return kept[1]
        offer = await uow.catalog.offer(session_id)
        if offer is None:
            self._events.pop(session_id, None)
            return None
        self._events[session_id] = (now + self._ttl, offer.event)
        self._events.move_to_end(session_id)
        while len(self._events) > self._size:
            self._events.popitem(last=False)
        return offer.event


async def _door_event(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, events: DoorEvents | None = None
) -> CatalogEvent:
    """The event of a session whose door the caller may keep; SessionNotFound otherwise."""
    if events is not None:
        event = await events.get(uow, session_id)
    else:
        offer = await uow.catalog.offer(session_id)
        event = offer.event if offer is not None else None
    if event is None or not actor.admits_at(event.organization_id):
        raise SessionNotFound(session_id)
    return event


def _first_scan(admission: Admission | None) -> FirstScan | None:
    if admission is None:
        return None
    return FirstScan(admission.first_entry_at, admission.first_entry_device)


async def _replay(record: CheckInRecord, uow: UnitOfWork) -> CheckInAnswer:
    """The answer given to the scan recorded first with this nonce."""
    ticket = await uow.checkins.door_ticket(record.ticket_id) if record.ticket_id else None
    admission = await uow.checkins.admission(ticket.id) if ticket is not None else None
    result = record.result or ScanResult.INVALID
    return CheckInAnswer(
        nonce=record.nonce,
        result=result,
        ticket=ticket if result is not ScanResult.INVALID else None,
        first_scan=_first_scan(admission),
        scanned_at=record.scanned_at,
        conflict=record.conflict,
        replayed=True,
    )


async def _scan(
    scan: Scan, event: CatalogEvent, uow: UnitOfWork, signer: TicketSigner, clock: Clock
) -> CheckInAnswer:
    answer, _ = await _decide_scan(scan, event, uow, signer, clock, counted=False)
    return answer


async def _decide_scan(
    scan: Scan, event: CatalogEvent, uow: UnitOfWork, signer: TicketSigner, clock: Clock, *, counted: bool
) -> tuple[CheckInAnswer, Occupancy | None]:
    """The scan's answer; with ``counted``, the session's occupancy after it, read with the decision
    (None for a replayed scan)."""
    record = CheckInRecord(
        id=uuid.uuid4(),
        ticket_id=None,
        session_id=scan.session_id,
        device_id=scan.device_id,
        nonce=scan.nonce,
        type=scan.type,
        result=None,
        scanned_at=scan.scanned_at,
        offline=scan.offline,
    )
    # Verifying the signature first lets the claim read the ticket and its admission with it.
    proof = Proof(signer.verify(scan.secret))
    earlier, ticket, admission = await uow.checkins.claim_and_read(
        record, recorded_at=clock(), ticket_id=proof.claims.ticket_id if proof.claims is not None else None
    )
    if earlier is not None:
        return await _replay(earlier, uow), None
    occupancy: Occupancy | None = None
    for attempt in range(_DECISION_ATTEMPTS):
        if attempt and ticket is not None:
            admission = await uow.checkins.admission(ticket.id)
        decision = decide(scan, proof, ticket, admission, reentry_allowed=event.settings.reentry_allowed)
        shown = ticket if decision.result is not ScanResult.INVALID else None
        shown_id = shown.id if shown is not None else None
        first_entry = ticket is not None and decision.first_entry
        if counted:
            occupancy = await uow.checkins.decided_counted(
                record.id,
                decision.admission,
                result=decision.result,
                ticket_id=shown_id,
                conflict=decision.conflict,
                first_entry=first_entry,
                session_id=scan.session_id,
            )
            if occupancy is not None:
                break
        elif await uow.checkins.decided(
            record.id,
            decision.admission,
            result=decision.result,
            ticket_id=shown_id,
            conflict=decision.conflict,
            first_entry=first_entry,
        ):
            break
    else:
        raise CheckInContention(f"ticket {ticket.id if ticket else None} kept changing")
    message = announced(decision, scan, ticket, event_id=event.id, event_name=event.name, now=clock())
    if message is not None:
        await uow.outbox.add([message], correlation_id=None)
    if shown is not None and decision.first_entry and shown.status is TicketStatus.VALID:
        shown = dataclasses.replace(shown, status=TicketStatus.USED)
    answer = CheckInAnswer(
        nonce=scan.nonce,
        result=decision.result,
        ticket=shown,
        first_scan=_first_scan(decision.admission or admission),
        scanned_at=scan.scanned_at,
        conflict=decision.conflict,
    )
    return answer, occupancy


async def check_in(
    cmd: CheckIn,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    signer: TicketSigner,
    events: DoorEvents | None = None,
) -> CheckInOutcome:
    """One scan at the door, answered at once (a refused ticket is an answer, not an error).

    Raises Unauthenticated, NotAllowed, SessionNotFound (also for a session the caller may not
    keep), InvalidInput.
    """
    actor = _door_staff(cmd.actor)
    now = clock()
    scan = Scan(
        secret=cmd.secret,
        session_id=cmd.session_id,
        device_id=cmd.device_id,
        nonce=cmd.nonce,
        scanned_at=cmd.scanned_at or now,
        type=cmd.type,
    )
    checked([scan], now=now, batch=False)
    async with uow:
        event = await _door_event(uow, actor, scan.session_id, events)
        answer, occupancy = await _decide_scan(scan, event, uow, signer, clock, counted=True)
        if occupancy is None:
            occupancy = await uow.checkins.occupancy(scan.session_id)
        await uow.commit()
    return CheckInOutcome(answer, occupancy)


async def check_in_batch(
    cmd: CheckInBatch,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    signer: TicketSigner,
    events: DoorEvents | None = None,
) -> BatchOutcome:
    """Scans a device made offline, applied in the order they were made (first scan wins) in one
    transaction. A retried upload answers every scan as the first time and records nothing."""
    actor = _door_staff(cmd.actor)
    for index, scan in enumerate(cmd.scans):
        if scan.session_id != cmd.session_id or scan.device_id != cmd.device_id:
            raise InvalidInput.single(f"scans.{index}", "must be of the batch's session and device")
    scans = checked(list(cmd.scans), now=clock(), batch=True)
    answers: dict[str, CheckInAnswer] = {}
    async with uow:
        event = await _door_event(uow, actor, cmd.session_id, events)
        for scan in sorted(scans, key=lambda s: s.scanned_at):
            answers[scan.nonce] = await _scan(scan, event, uow, signer, clock)
        occupancy = await uow.checkins.occupancy(cmd.session_id)
        await uow.commit()
    return BatchOutcome([answers[scan.nonce] for scan in scans], occupancy)


async def checkin_pack(cmd: GetCheckInPack, uow: UnitOfWork, *, signer: TicketSigner) -> CheckInPack:
    """What a door needs to check the session's tickets offline; with a cursor, only what changed."""
    actor = _door_staff(cmd.actor)
    after = ChangePosition.from_cursor(cmd.cursor) if cmd.cursor else None
    async with uow:
        event = await _door_event(uow, actor, cmd.session_id)
        changes = await uow.checkins.changes(cmd.session_id, after=after, limit=PACK_PAGE)
        occupancy = await uow.checkins.occupancy(cmd.session_id)
    session = event.session(cmd.session_id)
    if session is None:  # the session was removed from the event after its places were set up
        raise SessionNotFound(cmd.session_id)
    return CheckInPack(
        event=event,
        session=session,
        keys=signer.public_keys(),
        tickets=changes.tickets,
        occupancy=occupancy,
        cursor=changes.position.cursor(),
        complete=changes.complete,
    )


async def checkin_conflicts(cmd: ListCheckInConflicts, uow: UnitOfWork) -> list[CheckInConflict]:
    """The event's tickets admitted twice while doors were offline, most recent first."""
    actor = _door_staff(cmd.actor)
    async with uow:
        event = await uow.catalog.get(cmd.event_id)
        if event is None or not actor.admits_at(event.organization_id):
            raise EventNotFound(cmd.event_id)
        return await uow.checkins.conflicts(cmd.event_id, limit=CONFLICTS_MAX)
