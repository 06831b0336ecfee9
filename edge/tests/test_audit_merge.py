"""The audit trail read as one: every service's log merged newest first, a page at a time, with one
cursor that carries each service's position; and the routes as the edge alone answers them.

What the services record and answer is tested through the running platform
(tests/integration/test_audit_trail_http.py)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest

from edge.clients.audit import AuditClient, AuditFilters
from taquilla.audit.v1 import audit_service_pb2 as pb
from taquilla_runtime.audit import entry_cursor
from taquilla_runtime.cursors import InvalidCursor, decode_cursor
from taquilla_runtime.principal import Principal, PrincipalKind, Role
from taquilla_runtime.timestamps import to_timestamp

pytestmark = pytest.mark.asyncio(loop_scope="session")
ADMIN = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ADMIN)
START = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


class FakeLog:
    """One service's AuditService: its entries newest first (time, then id), paged as the runtime pages."""

    def __init__(self, times: list[dt.datetime]) -> None:
        self.entries = [
            pb.AuditEntry(id=n, occurred_at=to_timestamp(t), action="x.y", cursor=entry_cursor(t, n))
            for n, t in enumerate(times, start=1)
        ]
        self.entries.sort(key=lambda e: (e.occurred_at.ToDatetime(), e.id), reverse=True)
        self.calls = 0

    async def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, metadata: Any, timeout: float
    ) -> pb.ListAuditEntriesResponse:
        self.calls += 1
        start = 0
        if request.page_token:
            start = next(i for i, e in enumerate(self.entries) if e.cursor == request.page_token) + 1
        page = self.entries[start : start + request.page_size]
        more = start + request.page_size < len(self.entries)
        return pb.ListAuditEntriesResponse(entries=page, next_page_token=page[-1].cursor if more else "")


def client_over(logs: dict[str, FakeLog]) -> AuditClient:
    client = AuditClient({}, deadline=1)
    client._stubs = logs  # type: ignore[assignment]
    return client


def some_times(rng: random.Random, count: int) -> list[dt.datetime]:
    # Few distinct seconds: many entries share a time, across and within services.
    return [START + dt.timedelta(seconds=rng.randrange(8)) for _ in range(count)]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
async def test_pages_walk_every_services_entries_once_newest_first(limit: int) -> None:
    rng = random.Random(limit)
    logs = {name: FakeLog(some_times(rng, n)) for name, n in (("a_svc", 9), ("b_svc", 0), ("c_svc", 14))}
    client = client_over(logs)
    seen: list[tuple[dt.datetime, str, int]] = []
    cursor = ""
    for _ in range(100):
        page = await client.page(ADMIN, limit=limit, cursor=cursor, filters=AuditFilters())
        assert len(page.entries) <= limit
        seen += [(e.occurred_at, e.service, e.entry.id) for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        assert len(cursor) <= 1024  # the route's bound
    expected = sorted(
        (
            (e.occurred_at.ToDatetime(tzinfo=dt.UTC), name, e.id)
            for name, log in logs.items()
            for e in log.entries
        ),
        key=lambda k: (-k[0].timestamp(), k[1], -k[2]),
    )
    assert seen == expected


async def test_a_service_with_nothing_left_is_not_asked_again() -> None:
    logs = {"a_svc": FakeLog([START]), "b_svc": FakeLog([START - dt.timedelta(seconds=s) for s in range(5)])}
    client = client_over(logs)
    first = await client.page(ADMIN, limit=2, cursor="", filters=AuditFilters())
    assert first.next_cursor is not None
    assert decode_cursor(first.next_cursor)[0] is None  # a_svc's one entry was taken
    await client.page(ADMIN, limit=2, cursor=first.next_cursor, filters=AuditFilters())
    assert (logs["a_svc"].calls, logs["b_svc"].calls) == (1, 2)


async def test_refuses_a_cursor_it_did_not_make() -> None:
    client = client_over({"a_svc": FakeLog([])})
    for cursor in ("garbage", "W251bGwsbnVsbF0"):  # not base64 JSON; a list of the wrong length
        with pytest.raises(InvalidCursor):
            await client.page(ADMIN, limit=2, cursor=cursor, filters=AuditFilters())


async def test_filters_reach_every_service() -> None:
    request = AuditClient._request(
        5, "", AuditFilters(action_prefix="order.", organization_id="o", occurred_from=START)
    )
    assert (request.action_prefix, request.organization_id, request.page_size) == ("order.", "o", 5)
    assert request.occurred_from.ToDatetime(tzinfo=dt.UTC) == START
    assert not request.HasField("occurred_until")


async def test_the_openapi_documents_both_audit_routes_and_their_bounds(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    admin = document["paths"]["/api/v1/admin/audit"]["get"]
    organization = document["paths"]["/api/v1/organizations/{organization_id}/audit"]["get"]
    assert {"401", "403", "422"} <= set(admin["responses"]) & set(organization["responses"])
    bounds = {p["name"]: p["schema"] for p in admin["parameters"]}
    assert bounds["limit"]["maximum"] == 200
    assert bounds["cursor"]["maxLength"] == 1024
    assert {"action", "actor", "target", "outcome", "organization_id", "from", "until"} <= set(bounds)
    entry = document["components"]["schemas"]["AuditEntryPublic"]["properties"]
    assert {"service", "id", "actor", "action", "target", "correlation_id", "outcome"} <= set(entry)


async def test_the_audit_needs_a_token(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        for path in ("/api/v1/admin/audit", f"/api/v1/organizations/{uuid.uuid4()}/audit"):
            reply = await client.get(path)
            assert reply.status_code == 401, reply.text
