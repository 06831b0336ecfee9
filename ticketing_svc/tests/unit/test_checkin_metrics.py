"""The door's metrics: every recorded scan counted by result, double admissions counted apart,
retries not counted at all."""

from __future__ import annotations

import datetime as dt
import uuid

from prometheus_client import REGISTRY

from ticketing_svc.domain.checkins import CheckInAnswer, ScanResult
from ticketing_svc.entrypoints.grpc_server import count_scans

NOW = dt.datetime(2027, 3, 1, 18, 0, tzinfo=dt.UTC)


def answer(result: ScanResult, *, conflict: bool = False, replayed: bool = False) -> CheckInAnswer:
    return CheckInAnswer(uuid.uuid4().hex, result, None, None, NOW, conflict=conflict, replayed=replayed)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_scans_are_counted_by_result_and_double_admissions_apart_but_retries_never() -> None:
    ok = sample("taquilla_ticketing_checkins_total", result="ok")
    redeemed = sample("taquilla_ticketing_checkins_total", result="already_redeemed")
    conflicts = sample("taquilla_ticketing_checkin_conflicts_total")

    count_scans(
        [
            answer(ScanResult.OK),
            answer(ScanResult.ALREADY_REDEEMED, conflict=True),
            answer(ScanResult.ALREADY_REDEEMED, conflict=True, replayed=True),
            answer(ScanResult.OK, replayed=True),
        ]
    )

    assert sample("taquilla_ticketing_checkins_total", result="ok") == ok + 1
    assert sample("taquilla_ticketing_checkins_total", result="already_redeemed") == redeemed + 1
    assert sample("taquilla_ticketing_checkin_conflicts_total") == conflicts + 1
