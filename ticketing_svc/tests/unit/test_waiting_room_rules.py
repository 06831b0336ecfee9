"""The waiting room's rules: admission by the clock, positions, estimates and signed admissions."""

import datetime as dt
import uuid

import pytest

from ticketing_svc.domain.errors import AdmissionRequired
from ticketing_svc.domain.model import SaleSettings
from ticketing_svc.domain.waiting_room import (
    QueueEntry,
    QueueStatus,
    admission_token,
    admitted_count,
    can_join,
    check_admission,
    standing,
)

ON_SALE = dt.datetime(2027, 5, 1, 10, 0, tzinfo=dt.UTC)
SETTINGS = SaleSettings(on_sale_at=ON_SALE, waiting_room=True, admission_per_minute=120)
SECRET = b"s" * 32


def entry(rank: int | None, **fields: object) -> QueueEntry:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "event_id": uuid.uuid4(),
        "customer_id": uuid.uuid4(),
        "joined_at": ON_SALE - dt.timedelta(minutes=5),
        "rank": rank,
    }
    values.update(fields)
    return QueueEntry(**values)  # type: ignore[arg-type]


def at(seconds: float) -> dt.datetime:
    return ON_SALE + dt.timedelta(seconds=seconds)


def test_admission_follows_the_clock_at_the_organizers_rate() -> None:
    assert [admitted_count(SETTINGS, at(s)) for s in (-60, 0, 0.4, 0.5, 30, 60)] == [0, 0, 0, 1, 60, 120]


def test_the_room_opens_thirty_minutes_before_the_on_sale() -> None:
    assert not can_join(SETTINGS, at(-30 * 60 - 1))
    assert can_join(SETTINGS, at(-30 * 60))


def test_before_the_on_sale_nobody_knows_their_place_only_when_the_line_moves() -> None:
    early = standing(entry(0), SETTINGS, at(-90), sold_out=False, secret=SECRET)
    assert (early.status, early.position, early.estimated_wait_seconds, early.opens_at) == (
        QueueStatus.WAITING,
        None,
        90,
        ON_SALE,
    )
    assert early.admission is None


def test_a_buyer_waits_with_a_position_and_an_estimate_then_is_admitted() -> None:
    buyer = entry(130)
    waiting = standing(buyer, SETTINGS, at(30), sold_out=False, secret=SECRET)  # 60 admitted so far
    assert (waiting.status, waiting.position, waiting.estimated_wait_seconds) == (QueueStatus.WAITING, 71, 36)
    admitted = standing(buyer, SETTINGS, at(66), sold_out=False, secret=SECRET)
    assert admitted.status is QueueStatus.ADMITTED
    assert admitted.admission is not None
    assert admitted.admission_expires_at == at(66) + dt.timedelta(minutes=10)
    check_admission(
        SECRET, admitted.admission, event_id=buyer.event_id, customer_id=buyer.customer_id, now=at(67)
    )


def test_everyone_waiting_is_told_when_the_event_sells_out() -> None:
    told = standing(entry(5000), SETTINGS, at(30), sold_out=True, secret=SECRET)
    assert (told.status, told.admission) == (QueueStatus.SOLD_OUT, None)


@pytest.mark.parametrize(
    "case", ["missing", "garbage", "tampered", "other account", "other event", "expired", "other secret"]
)
def test_an_admission_is_bound_to_the_account_the_event_and_a_deadline(case: str) -> None:
    event_id, customer_id = uuid.uuid4(), uuid.uuid4()
    good = admission_token(SECRET, event_id, customer_id, at(600))
    token: str | None = {
        "missing": None,
        "garbage": "not.a-token",
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "other account": admission_token(SECRET, event_id, uuid.uuid4(), at(600)),
        "other event": admission_token(SECRET, uuid.uuid4(), customer_id, at(600)),
        "expired": admission_token(SECRET, event_id, customer_id, at(10)),
        "other secret": admission_token(b"x" * 32, event_id, customer_id, at(600)),
    }[case]
    with pytest.raises(AdmissionRequired):
        check_admission(SECRET, token, event_id=event_id, customer_id=customer_id, now=at(60))
    check_admission(SECRET, good, event_id=event_id, customer_id=customer_id, now=at(60))
