"""The organizers' reports and exports, over REST: routes translate, ticketing_svc decides.

* A report (of an event, or of an organization's events) is read from ticketing_svc's report
  counters, a read model that follows taquilla.ticketing.v1 within seconds: the dashboard, polled
  every few seconds, never queries the sales tables.
* Exports of an event's orders and attendees are streamed, CSV or XLSX: the rows come from
  ticketing_svc a keyset page at a time and leave as they come (CSV) or go into a write-only
  workbook on disk (XLSX, which is a zip: its bytes are sent once the last row is in), so a large
  event is never held in memory. ``X-Total-Rows`` says how many rows will come (counted with the
  first page), for the web app's progress bar.
* Text cells that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are
  prefixed with ``'`` (CSV injection).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from openpyxl import Workbook  # type: ignore[import-untyped]

from edge.api.deps import Ticketing, TicketReader
from edge.api.problems import UNAUTHENTICATED, problem
from edge.api.schemas.base import IsoDatetime
from edge.api.schemas.reports import BUCKET_TO_PB, ReportBucket, ReportPublic
from edge.api.schemas.reservations import UUID_PATTERN
from edge.clients.ticketing import PB_TO_ORDER_STATUS, TicketingClient
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla_runtime.principal import Principal

router = APIRouter(tags=["reports"])

EventId = Annotated[str, Path(max_length=64, description="Event id (UUID)")]
OrganizationId = Annotated[
    str, Path(pattern=UUID_PATTERN, max_length=36, description="Organization id (UUID)")
]
Since = Annotated[
    IsoDatetime | None,
    Query(
        alias="from",
        description="The span's start (ISO 8601; a date or a time without an offset is UTC). Whole UTC "
        "hours count: 10:30 counts from 10:00.",
    ),
]
Until = Annotated[
    IsoDatetime | None,
    Query(alias="to", description="The span's end, excluded (default: now). At most 400 days after `from`."),
]
Bucket = Annotated[
    ReportBucket,
    Query(description="The time series' buckets; `hour` needs `from` and at most 31 days"),
]
ORDERS_PAGE = 100
ATTENDEES_PAGE = 500
CHUNK = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **UNAUTHENTICATED,
    422: problem("Invalid `from`, `to` or `bucket` (`to` before `from`, a span too long for its bucket)"),
}


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _span(since: dt.datetime | None, until: dt.datetime | None, bucket: ReportBucket) -> pb.ReportSpan:
    span = pb.ReportSpan(bucket=BUCKET_TO_PB[bucket])
    if (start := _utc(since)) is not None:
        span.since.FromDatetime(start.astimezone(dt.UTC).replace(tzinfo=None))
    if (end := _utc(until)) is not None:
        span.until.FromDatetime(end.astimezone(dt.UTC).replace(tzinfo=None))
    return span


@router.get(
    "/api/v1/events/{event_id}/report",
    response_model=ReportPublic,
    summary="An event's report: sales, refunds, sell-through, waiting lists, check-in progress",
    description="For the event's organizers and admins. Totals, a time series (by hour or day) and one line "
    "per session x zone. Read from counters that follow the sales within seconds; poll it (every few "
    "seconds) for a live dashboard.",
    responses={**REPORT_RESPONSES, 404: problem("No such event, or another organization's")},
)
async def event_report(
    event_id: EventId,
    principal: TicketReader,
    ticketing: Ticketing,
    since: Since = None,
    until: Until = None,
    bucket: Bucket = "day",
) -> ReportPublic:
    return ReportPublic.from_pb(
        await ticketing.event_report(principal, event_id, _span(since, until, bucket))
    )


@router.get(
    "/api/v1/organizations/{organization_id}/report",
    response_model=ReportPublic,
    summary="An organization's report: its events (the newest 500) together",
    description="For the organization's organizers and admins; as an event's report, with a line per "
    "session x zone of every event.",
    responses={
        **REPORT_RESPONSES,
        403: problem("Not an organizer of this organization, nor an admin"),
    },
)
async def organization_report(
    organization_id: OrganizationId,
    principal: TicketReader,
    ticketing: Ticketing,
    since: Since = None,
    until: Until = None,
    bucket: Bucket = "day",
) -> ReportPublic:
    return ReportPublic.from_pb(
        await ticketing.organization_report(principal, organization_id, _span(since, until, bucket))
    )


# ---------------------------------------------------------------- exports


def cell(value: object) -> object:
    """A value as a spreadsheet cell that is never read as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _when(stamp: Any, present: bool = True) -> str:
    if not present:
        return ""
    value: dt.datetime = stamp.ToDatetime(tzinfo=dt.UTC)
    return value.isoformat().replace("+00:00", "Z")


ORDER_COLUMNS = (
    "order_id",
    "status",
    "created_at",
    "paid_at",
    "buyer_name",
    "buyer_email",
    "session_id",
    "items",
    "tickets",
    "total",
    "refunded",
    "currency",
)
ATTENDEE_COLUMNS = (
    "ticket_id",
    "order_id",
    "session_id",
    "zone_id",
    "zone_name",
    "holder_name",
    "buyer_name",
    "buyer_email",
    "price",
    "currency",
    "status",
    "issued_at",
    "first_entry_at",
)


def order_row(order: pb.Order) -> list[object]:
    items = "; ".join(f"{item.zone_name} x{item.quantity} @ {item.unit_price.amount}" for item in order.items)
    return [
        order.id,
        PB_TO_ORDER_STATUS[order.status],
        _when(order.created_at),
        _when(order.paid_at, order.HasField("paid_at")),
        order.buyer.name,
        order.buyer.email,
        order.session_id,
        items,
        len(order.ticket_ids),
        order.total.amount,
        order.refunded.amount or "0.00",
        order.total.currency,
    ]


def attendee_row(attendee: pb.Attendee) -> list[object]:
    return [
        attendee.ticket_id,
        attendee.order_id,
        attendee.session_id,
        attendee.zone_id,
        attendee.zone_name,
        attendee.holder_name,
        attendee.buyer_name,
        attendee.buyer_email,
        attendee.price.amount,
        attendee.price.currency,
        attendee.status,
        _when(attendee.issued_at),
        _when(attendee.first_entry_at, attendee.HasField("first_entry_at")),
    ]


Pages = AsyncIterator[list[list[object]]]


async def _order_pages(ticketing: TicketingClient, principal: Principal, event_id: str) -> tuple[int, Pages]:
    """The number of orders, and their rows a page at a time (the first page is read now, so a
    refusal is answered as a problem before anything is sent)."""
    first = await ticketing.list_event_orders(
        principal, event_id, query="", statuses=[], limit=ORDERS_PAGE, cursor="", count=True
    )

    async def pages() -> Pages:
        reply = first
        while True:
            yield [order_row(order) for order in reply.orders]
            if not reply.next_cursor:
                return
            reply = await ticketing.list_event_orders(
                principal, event_id, query="", statuses=[], limit=ORDERS_PAGE, cursor=reply.next_cursor
            )

    return first.total, pages()


async def _attendee_pages(
    ticketing: TicketingClient, principal: Principal, event_id: str
) -> tuple[int, Pages]:
    first = await ticketing.list_event_attendees(principal, event_id, limit=ATTENDEES_PAGE, cursor="")

    async def pages() -> Pages:
        reply = first
        while True:
            yield [attendee_row(attendee) for attendee in reply.attendees]
            if not reply.next_cursor:
                return
            reply = await ticketing.list_event_attendees(
                principal, event_id, limit=ATTENDEES_PAGE, cursor=reply.next_cursor
            )

    return first.total, pages()


async def csv_bytes(columns: Sequence[str], pages: Pages) -> AsyncIterator[bytes]:
    """UTF-8 with a byte-order mark (spreadsheets then read accents right), a page per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for rows in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([[cell(value) for value in row] for row in rows])
        yield buffer.getvalue().encode()


async def xlsx_bytes(columns: Sequence[str], pages: Pages, title: str) -> AsyncIterator[bytes]:
    """A write-only workbook (rows go to a temporary file as they are appended, not kept), then its
    bytes from disk in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append(list(columns))
    async for rows in pages:
        for row in rows:
            sheet.append([cell(value) for value in row])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(workbook.save, path)
        with open(path, "rb") as document:  # noqa: ASYNC230 - a local temporary file, read in chunks
            while chunk := document.read(CHUNK):
                yield chunk
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)


def _download(body: AsyncIterator[bytes], *, media_type: str, filename: str, total: int) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Total-Rows": str(total),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The file, as an attachment, streamed",
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Content-Disposition": {
                    "description": "attachment; filename=…",
                    "schema": {"type": "string"},
                },
                "X-Total-Rows": {
                    "description": "How many rows will come (besides the header row), for a progress bar",
                    "schema": {"type": "integer"},
                },
            },
        },
        **UNAUTHENTICATED,
        404: problem("No such event, or another organization's"),
    }


def _export_route(
    kind: str,
    extension: str,
    pages_of: Callable[[TicketingClient, Principal, str], Any],
    columns: Sequence[str],
) -> None:
    media_type = CSV if extension == "csv" else XLSX

    async def export(event_id: EventId, principal: TicketReader, ticketing: Ticketing) -> StreamingResponse:
        total, pages = await pages_of(ticketing, principal, event_id)
        body = csv_bytes(columns, pages) if extension == "csv" else xlsx_bytes(columns, pages, kind)
        short = "".join(c for c in event_id if c.isalnum())[:8]
        return _download(body, media_type=media_type, filename=f"{kind}-{short}.{extension}", total=total)

    export.__name__ = f"export_{kind}_{extension}"
    router.add_api_route(
        f"/api/v1/events/{{event_id}}/exports/{kind}.{extension}",
        export,
        methods=["GET"],
        response_class=StreamingResponse,
        summary=f"Export an event's {kind} ({extension.upper()}, streamed)",
        description=f"For the event's organizers and admins: every {kind[:-1]} of the event, one per row "
        f"(columns: {', '.join(f'`{c}`' for c in columns)}). Times are UTC (ISO 8601), amounts decimal "
        "strings. Streamed as it is read, a page at a time; `X-Total-Rows` says how many rows will come.",
        responses=_export_responses(media_type),
    )


for _extension in ("csv", "xlsx"):
    _export_route("orders", _extension, _order_pages, ORDER_COLUMNS)
    _export_route("attendees", _extension, _attendee_pages, ATTENDEE_COLUMNS)
