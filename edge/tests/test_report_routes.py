"""The report and export routes as the edge alone answers them: documented, closed to callers
without a token, and the exports' writers (CSV and XLSX, formula-safe cells) on pages of rows.

What ticketing_svc answers is tested through the running platform (tests/integration/test_reports_http.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from edge.api.routes.reports import ATTENDEE_COLUMNS, cell, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.asyncio(loop_scope="session")
EVENT = "5a1e6f0c-2b7d-4c1a-8e3f-9d0b2c4e6a81"
EXPORTS = [
    f"/api/v1/events/{{event_id}}/exports/{kind}.{extension}"
    for kind in ("orders", "attendees")
    for extension in ("csv", "xlsx")
]


async def test_the_openapi_documents_the_reports_and_exports(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    for path in [
        "/api/v1/events/{event_id}/report",
        "/api/v1/organizations/{organization_id}/report",
        *EXPORTS,
    ]:
        operation = paths[path]["get"]
        assert operation["summary"], path
        assert {"200", "401"} <= set(operation["responses"]), path
    report = paths["/api/v1/events/{event_id}/report"]["get"]
    names = {p["name"]: p for p in report["parameters"]}
    assert {"from", "to", "bucket"} <= set(names)
    assert names["bucket"]["schema"]["enum"] == ["hour", "day"]
    export = paths[EXPORTS[0]]["get"]["responses"]["200"]
    assert {"Content-Disposition", "X-Total-Rows"} <= set(export["headers"])


@pytest.mark.parametrize("path", ["/api/v1/events/{e}/report", "/api/v1/organizations/{e}/report", *EXPORTS])
async def test_reports_and_exports_need_a_token(edge_client, path: str) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.get(path.replace("{event_id}", EVENT).replace("{e}", EVENT))
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"] == "application/problem+json"


async def _pages(*pages: list[list[object]]) -> AsyncIterator[list[list[object]]]:
    for page in pages:
        yield page


async def test_cells_a_spreadsheet_would_run_are_made_text() -> None:
    assert [cell(v) for v in ("=1+1", "+34 600", "-2", "@SUM(A1)", "Ana", 3)] == [
        "'=1+1",
        "'+34 600",
        "'-2",
        "'@SUM(A1)",
        "Ana",
        3,
    ]


async def test_csv_is_written_page_by_page_with_a_header_and_safe_cells() -> None:
    chunks = [
        chunk
        async for chunk in csv_bytes(("a", "b"), _pages([["=cmd()", "Núñez"]], [["x", "y"], ["1", "2"]]))
    ]

    assert len(chunks) == 3  # the header, then a chunk per page
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert rows == [["a", "b"], ["'=cmd()", "Núñez"], ["x", "y"], ["1", "2"]]


async def test_xlsx_is_a_workbook_of_every_row() -> None:
    row: list[Any] = [
        "t1",
        "o1",
        "s1",
        "z1",
        "Pista",
        "=HYPERLINK()",
        "Ana",
        "ana@example.org",
        "30.00",
        "EUR",
        "valid",
        "2026-12-02T10:00:00Z",
        "",
    ]
    body = b"".join(
        [chunk async for chunk in xlsx_bytes(ATTENDEE_COLUMNS, _pages([row], [row]), "attendees")]
    )

    sheet = load_workbook(io.BytesIO(body), read_only=True)["attendees"]
    table = [list(values) for values in sheet.iter_rows(values_only=True)]
    assert table[0] == list(ATTENDEE_COLUMNS)
    assert len(table) == 3
    assert table[1][5] == "'=HYPERLINK()"
