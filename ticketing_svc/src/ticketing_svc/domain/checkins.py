"""Check-in at the door: what a scan of a ticket's QR code means.

A scan is decided from what is known at that moment: the claims the QR secret proves (or that it
proves nothing), the ticket as issued, and its admission (inside or not, first entry). The decision
says the answer and, when the scan lets someone in or out, the admission after it; the store writes
that admission only if nobody changed it meanwhile (a compare-and-set on ``version``), and the
handler decides again from the fresh state when somebody did. So the rules live here, and the
database makes two simultaneous entries of one ticket admit once.

Rules, in this order: a secret that proves no ticket of ours is ``invalid``; a ticket of another
session is ``wrong_session``; a revoked (refunded) ticket is ``revoked``; a scan outside the
ticket's validity window is ``invalid_time``. Then an entry is ``ok`` for a ticket not inside that
never entered, or that left when the event allows re-entry; ``already_redeemed`` otherwise. An exit
is ``ok`` for a ticket inside, ``already_redeemed`` for one that is not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import uuid
from dataclasses import dataclass

from ticketing_svc.domain.errors import FieldProblem, InvalidInput
from ticketing_svc.domain.events import TicketCheckedIn
from ticketing_svc.domain.orders import TicketClaims, TicketStatus

DEVICE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NONCE = DEVICE_ID
SECRET_MAX = 256
BATCH_MAX = 500
# A device's clock may run ahead of the server's by this much; a scan further in the future is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)
_SECOND = dt.timedelta(seconds=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NO_TICKET = uuid.UUID(int=0)


class ScanType(enum.StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class ScanResult(enum.StrEnum):
    OK = "ok"
    ALREADY_REDEEMED = "already_redeemed"
    INVALID = "invalid"
    REVOKED = "revoked"
    WRONG_SESSION = "wrong_session"
    INVALID_TIME = "invalid_time"


@dataclass(frozen=True, slots=True)
class Scan:
    """One read of a QR code at a door: on which device, with which nonce, when, entering or leaving."""

    secret: str
    session_id: uuid.UUID
    device_id: str
    nonce: str
    scanned_at: dt.datetime
    type: ScanType = ScanType.ENTRY
    # Made while the device was offline and uploaded later (CheckInBatch).
    offline: bool = False


def check_scan(scan: Scan, *, now: dt.datetime, field: str = "") -> list[FieldProblem]:
    """What is wrong with a scan's fields (``field`` prefixes their names, e.g. ``scans.3.``)."""
    problems: list[FieldProblem] = []
    if not scan.secret or len(scan.secret) > SECRET_MAX:
        problems.append(FieldProblem(f"{field}secret", f"must be 1 to {SECRET_MAX} characters"))
    if DEVICE_ID.fullmatch(scan.device_id) is None:
        problems.append(FieldProblem("device_id", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -"))
    if NONCE.fullmatch(scan.nonce) is None:
        problems.append(FieldProblem(f"{field}nonce", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -"))
    if scan.scanned_at.tzinfo is None:
        problems.append(FieldProblem(f"{field}scanned_at", "must carry a UTC offset"))
    elif scan.scanned_at > now + CLOCK_SKEW:
        problems.append(FieldProblem(f"{field}scanned_at", "is in the future"))
    return problems


def checked(scans: list[Scan], *, now: dt.datetime, batch: bool) -> list[Scan]:
    """The scans, or InvalidInput listing every problem; a batch holds 1..500 scans, nonces unique."""
    problems: list[FieldProblem] = []
    if batch and not 1 <= len(scans) <= BATCH_MAX:
        raise InvalidInput.single("scans", f"must hold 1 to {BATCH_MAX} scans")
    seen: set[str] = set()
    for index, scan in enumerate(scans):
        prefix = f"scans.{index}." if batch else ""
        problems.extend(p for p in check_scan(scan, now=now, field=prefix) if p not in problems)
        if scan.nonce in seen:
            problems.append(FieldProblem(f"{prefix}nonce", "appears twice in the batch"))
        seen.add(scan.nonce)
    if problems:
        raise InvalidInput(problems)
    return scans


@dataclass(frozen=True, slots=True)
class DoorTicket:
    """A ticket as the door needs it."""

    id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    zone_name: str
    holder_name: str
    status: TicketStatus
    # The order it was issued with (what the door's own answers leave out).
    order_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Admission:
    """A ticket's comings and goings: inside or not, how often it entered, and its first entry."""

    ticket_id: uuid.UUID
    session_id: uuid.UUID
    inside: bool
    entries: int
    first_entry_at: dt.datetime
    first_entry_device: str
    changed_at: dt.datetime
    # 0 for a ticket never admitted (no row yet); each change adds one.
    version: int


@dataclass(frozen=True, slots=True)
class Proof:
    """What a QR secret proved: the claims it carries, or ``None`` for a secret that proves nothing
    (malformed, forged, altered, or signed by a key we do not know)."""

    claims: TicketClaims | None


@dataclass(frozen=True, slots=True)
class Decision:
    result: ScanResult
    # The admission to store, when the scan lets someone in or out; None when it changes nothing.
    admission: Admission | None = None
    # A double admission: an entry made offline while the ticket was already inside.
    conflict: bool = False

    @property
    def first_entry(self) -> bool:
        return self.admission is not None and self.admission.entries == 1 and self.admission.version == 1


def _within(claims: TicketClaims, at: dt.datetime) -> bool:
    # The secret holds whole seconds; the window is checked at that precision, both ends included.
    seconds = (at - _EPOCH) // _SECOND
    return (claims.valid_from - _EPOCH) // _SECOND <= seconds <= (claims.valid_until - _EPOCH) // _SECOND


def decide(  # noqa: PLR0911 - one return per rule, in the order the module lists them
    scan: Scan,
    proof: Proof,
    ticket: DoorTicket | None,
    admission: Admission | None,
    *,
    reentry_allowed: bool,
) -> Decision:
    """The answer to one scan, and the admission after it (see the module's rules)."""
    claims = proof.claims
    if claims is None or ticket is None or ticket.id != claims.ticket_id:
        return Decision(ScanResult.INVALID)
    if claims.session_id != scan.session_id or ticket.session_id != scan.session_id:
        return Decision(ScanResult.WRONG_SESSION)
    if ticket.status is TicketStatus.REVOKED:
        return Decision(ScanResult.REVOKED)
    if not _within(claims, scan.scanned_at):
        return Decision(ScanResult.INVALID_TIME)
    if scan.type is ScanType.EXIT:
        if admission is None or not admission.inside:
            return Decision(ScanResult.ALREADY_REDEEMED)
        return Decision(
            ScanResult.OK,
            dataclasses.replace(
                admission, inside=False, changed_at=scan.scanned_at, version=admission.version + 1
            ),
        )
    if admission is None:
        return Decision(
            ScanResult.OK,
            Admission(
                ticket_id=ticket.id,
                session_id=ticket.session_id,
                inside=True,
                entries=1,
                first_entry_at=scan.scanned_at,
                first_entry_device=scan.device_id,
                changed_at=scan.scanned_at,
                version=1,
            ),
        )
    if admission.inside or not reentry_allowed:
        # Offline, the device could not know: it let the holder in, so the ticket was used twice.
        return Decision(ScanResult.ALREADY_REDEEMED, conflict=scan.offline)
    return Decision(
        ScanResult.OK,
        dataclasses.replace(
            admission,
            inside=True,
            entries=admission.entries + 1,
            changed_at=scan.scanned_at,
            version=admission.version + 1,
        ),
    )


def announced(
    decision: Decision,
    scan: Scan,
    ticket: DoorTicket | None,
    *,
    event_id: uuid.UUID,
    event_name: str,
    now: dt.datetime,
) -> TicketCheckedIn | None:
    """The message a decided scan makes: one for a scan that let the holder in or out, and one for
    an offline double admission (the holder went in twice); none for a refusal."""
    if ticket is None or ticket.order_id is None or (decision.admission is None and not decision.conflict):
        return None
    return TicketCheckedIn(
        event_id=event_id,
        event_name=event_name,
        ticket_id=ticket.id,
        order_id=ticket.order_id,
        session_id=ticket.session_id,
        zone_id=ticket.zone_id,
        direction=scan.type.value,
        scanned_at=scan.scanned_at,
        device_id=scan.device_id,
        double_admission=decision.conflict,
        occurred_at=now,
    )


@dataclass(frozen=True, slots=True)
class FirstScan:
    at: dt.datetime
    device_id: str


@dataclass(frozen=True, slots=True)
class CheckInAnswer:
    """What the door is told about one scan."""

    nonce: str
    result: ScanResult
    ticket: DoorTicket | None
    first_scan: FirstScan | None
    scanned_at: dt.datetime
    conflict: bool = False
    # The answer of an earlier request with the same device_id and nonce for the session: nothing
    # was recorded now.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Occupancy:
    """People inside a session now, and its capacity (the sum of its zones')."""

    admitted: int
    capacity: int


@dataclass(frozen=True, slots=True)
class CheckInRecord:
    """A scan as recorded."""

    id: uuid.UUID
    ticket_id: uuid.UUID | None
    session_id: uuid.UUID
    device_id: str
    nonce: str
    type: ScanType
    result: ScanResult | None  # None while the scan's own transaction decides it
    scanned_at: dt.datetime
    conflict: bool = False
    offline: bool = False


@dataclass(frozen=True, slots=True)
class ChangePosition:
    """Where a door's pack stands in the session's ticket changes: it knows every change made by a
    transaction before ``xid``, and of those made by ``xid`` itself, the tickets up to ``ticket_id``."""

    xid: int
    ticket_id: uuid.UUID = NO_TICKET

    def cursor(self) -> str:
        """The opaque text a door hands back to fetch what changed since."""
        return f"c1.{self.xid}.{self.ticket_id.hex}"

    @classmethod
    def from_cursor(cls, cursor: str) -> ChangePosition:
        """Raises InvalidInput for a text no pack handed out."""
        version, _, rest = cursor.partition(".")
        xid, _, ticket = rest.partition(".")
        try:
            if version != "c1" or not xid.isdigit() or len(xid) > 19:
                raise ValueError(cursor)
            return cls(int(xid), uuid.UUID(hex=ticket))
        except ValueError:
            raise InvalidInput.single("cursor", "is not a cursor of a check-in pack") from None


@dataclass(frozen=True, slots=True)
class TicketChanges:
    tickets: list[DoorTicket]
    position: ChangePosition
    complete: bool


@dataclass(frozen=True, slots=True)
class ConflictScan:
    at: dt.datetime
    device_id: str
    result: ScanResult
    type: ScanType
    conflict: bool


@dataclass(frozen=True, slots=True)
class CheckInConflict:
    ticket: DoorTicket
    scans: list[ConflictScan]
