"""The door's rules, as pure functions: what one scan means given the ticket and its admission."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest

from ticketing_svc.domain.checkins import (
    Admission,
    ChangePosition,
    DoorTicket,
    Proof,
    Scan,
    ScanResult,
    ScanType,
    checked,
    decide,
)
from ticketing_svc.domain.errors import InvalidInput
from ticketing_svc.domain.orders import TicketClaims, TicketStatus

NOW = dt.datetime(2027, 3, 1, 18, 0, tzinfo=dt.UTC)
SESSION = uuid.uuid4()
TICKET = uuid.uuid4()
ZONE = uuid.uuid4()
CLAIMS = TicketClaims(TICKET, SESSION, ZONE, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1))
DOOR_TICKET = DoorTicket(TICKET, SESSION, ZONE, "Pista", "Ana Núñez", TicketStatus.VALID)


def scan(
    type_: ScanType = ScanType.ENTRY,
    *,
    at: dt.datetime = NOW,
    device: str = "door-1",
    offline: bool = False,
    session: uuid.UUID = SESSION,
) -> Scan:
    return Scan("SECRET", session, device, uuid.uuid4().hex, at, type_, offline)


def inside(*, entries: int = 1, version: int = 1, is_inside: bool = True) -> Admission:
    return Admission(TICKET, SESSION, is_inside, entries, NOW, "door-1", NOW, version)


def test_a_first_entry_admits_and_records_who_let_the_holder_in() -> None:
    decision = decide(scan(device="door-7"), Proof(CLAIMS), DOOR_TICKET, None, reentry_allowed=False)

    assert decision.result is ScanResult.OK
    assert decision.first_entry
    assert decision.admission is not None
    assert (decision.admission.inside, decision.admission.first_entry_device) == (True, "door-7")
    assert decision.admission.version == 1


def test_a_second_entry_of_a_ticket_inside_is_already_redeemed_and_changes_nothing() -> None:
    decision = decide(scan(), Proof(CLAIMS), DOOR_TICKET, inside(), reentry_allowed=True)

    assert decision.result is ScanResult.ALREADY_REDEEMED
    assert decision.admission is None
    assert not decision.conflict


def test_an_exit_lets_a_ticket_inside_out() -> None:
    decision = decide(scan(ScanType.EXIT), Proof(CLAIMS), DOOR_TICKET, inside(), reentry_allowed=False)

    assert decision.result is ScanResult.OK
    assert decision.admission is not None
    assert not decision.admission.inside
    assert decision.admission.version == 2


@pytest.mark.parametrize("admission", [None, inside(is_inside=False, version=2)])
def test_an_exit_of_a_ticket_not_inside_is_refused(admission: Admission | None) -> None:
    decision = decide(scan(ScanType.EXIT), Proof(CLAIMS), DOOR_TICKET, admission, reentry_allowed=True)

    assert decision.result is ScanResult.ALREADY_REDEEMED
    assert decision.admission is None


def test_re_entry_after_an_exit_only_where_the_event_allows_it() -> None:
    left = inside(is_inside=False, version=2)

    refused = decide(scan(), Proof(CLAIMS), DOOR_TICKET, left, reentry_allowed=False)
    allowed = decide(scan(), Proof(CLAIMS), DOOR_TICKET, left, reentry_allowed=True)

    assert refused.result is ScanResult.ALREADY_REDEEMED
    assert allowed.result is ScanResult.OK
    assert allowed.admission is not None
    assert (allowed.admission.inside, allowed.admission.entries, allowed.admission.version) == (True, 2, 3)
    assert not allowed.first_entry


def test_an_offline_entry_of_a_ticket_already_admitted_is_a_conflict() -> None:
    decision = decide(scan(offline=True), Proof(CLAIMS), DOOR_TICKET, inside(), reentry_allowed=False)

    assert decision.result is ScanResult.ALREADY_REDEEMED
    assert decision.conflict


def test_a_secret_that_proves_nothing_is_invalid() -> None:
    assert decide(scan(), Proof(None), None, None, reentry_allowed=True).result is ScanResult.INVALID


def test_a_genuine_secret_of_a_ticket_we_never_issued_is_invalid() -> None:
    assert decide(scan(), Proof(CLAIMS), None, None, reentry_allowed=True).result is ScanResult.INVALID


def test_a_ticket_of_another_session_is_wrong_session() -> None:
    other = scan(session=uuid.uuid4())

    assert decide(other, Proof(CLAIMS), DOOR_TICKET, None, reentry_allowed=True).result is (
        ScanResult.WRONG_SESSION
    )


def test_a_revoked_ticket_is_refused_even_inside_its_window() -> None:
    revoked = dataclasses.replace(DOOR_TICKET, status=TicketStatus.REVOKED)

    assert decide(scan(), Proof(CLAIMS), revoked, None, reentry_allowed=True).result is ScanResult.REVOKED


@pytest.mark.parametrize(
    ("at", "result"),
    [
        (CLAIMS.valid_from - dt.timedelta(seconds=1), ScanResult.INVALID_TIME),
        (CLAIMS.valid_from, ScanResult.OK),
        (CLAIMS.valid_until + dt.timedelta(milliseconds=999), ScanResult.OK),
        (CLAIMS.valid_until + dt.timedelta(seconds=1), ScanResult.INVALID_TIME),
    ],
)
def test_the_validity_window_is_checked_at_the_scan_time_in_whole_seconds(
    at: dt.datetime, result: ScanResult
) -> None:
    assert decide(scan(at=at), Proof(CLAIMS), DOOR_TICKET, None, reentry_allowed=True).result is result


def test_a_batch_refuses_scans_from_the_future_bad_nonces_and_repeated_nonces() -> None:
    good = scan()
    future = dataclasses.replace(scan(), scanned_at=NOW + dt.timedelta(hours=1))
    bad_nonce = dataclasses.replace(scan(), nonce="no spaces")
    twin = dataclasses.replace(scan(), nonce=good.nonce)

    with pytest.raises(InvalidInput) as refused:
        checked([good, future, bad_nonce, twin], now=NOW, batch=True)

    fields = {problem.field for problem in refused.value.problems}
    assert fields == {"scans.1.scanned_at", "scans.2.nonce", "scans.3.nonce"}


def test_a_batch_holds_at_most_500_scans() -> None:
    with pytest.raises(InvalidInput):
        checked([scan() for _ in range(501)], now=NOW, batch=True)


def test_a_pack_cursor_reads_back_and_refuses_anything_else() -> None:
    position = ChangePosition(123456789, uuid.uuid4())

    assert ChangePosition.from_cursor(position.cursor()) == position
    for forged in ("", "c1", "c1.x.y", "c2.1." + uuid.uuid4().hex, "c1.-1." + uuid.uuid4().hex):
        with pytest.raises(InvalidInput):
            ChangePosition.from_cursor(forged)
