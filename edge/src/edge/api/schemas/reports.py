"""The organizers' report bodies, and their translation from taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from edge.api.schemas.events import Money
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb

ReportBucket = Literal["hour", "day"]
BUCKET_TO_PB = {"hour": pb.REPORT_BUCKET_HOUR, "day": pb.REPORT_BUCKET_DAY}
PB_TO_BUCKET: dict[int, ReportBucket] = {
    pb.REPORT_BUCKET_HOUR: "hour",
    pb.REPORT_BUCKET_DAY: "day",
    pb.REPORT_BUCKET_UNSPECIFIED: "day",
}


def _when(stamp: object) -> dt.datetime:
    value: dt.datetime = stamp.ToDatetime(tzinfo=dt.UTC)  # type: ignore[attr-defined]
    return value


def _moneys(values: object) -> list[Money]:
    return [Money.from_pb(value) for value in values]  # type: ignore[attr-defined]


class ReportFiguresOut(BaseModel):
    tickets_sold: int = Field(description="Tickets sold (paid) in the span")
    tickets_refunded: int = Field(description="Tickets refunded (revoked) in the span")
    orders_paid: int
    refunds: int = Field(description="Refunds the payment provider confirmed")
    gross: list[Money] = Field(description="What the paid orders came to, one entry per currency")
    refunded: list[Money] = Field(description="What was refunded, one entry per currency")
    net: list[Money] = Field(description="gross - refunded, per currency")
    admitted: int = Field(description="Distinct tickets admitted at the doors at least once")
    entries: int
    exits: int
    double_admissions: int = Field(description="Tickets admitted again by doors that were offline")

    @classmethod
    def from_pb(cls, figures: pb.ReportFigures) -> ReportFiguresOut:
        return cls(
            tickets_sold=figures.tickets_sold,
            tickets_refunded=figures.tickets_refunded,
            orders_paid=figures.orders_paid,
            refunds=figures.refunds,
            gross=_moneys(figures.gross),
            refunded=_moneys(figures.refunded),
            net=_moneys(figures.net),
            admitted=figures.admitted,
            entries=figures.entries,
            exits=figures.exits,
            double_admissions=figures.double_admissions,
        )


class ReportLineOut(BaseModel):
    event_id: str
    event_name: str
    session_id: str
    session_starts_at: dt.datetime | None
    zone_id: str
    zone_name: str
    capacity: int
    figures: ReportFiguresOut
    sell_through: str = Field(description="(tickets sold - refunded) / capacity, `0.0000`..`1.0000`")
    waitlist_entries: int = Field(description="Entries waiting now (whatever the span)")
    waitlist_places: int = Field(description="Places those entries ask for")


class ReportBucketOut(BaseModel):
    start: dt.datetime = Field(description="The bucket's start (UTC hour or day)")
    figures: ReportFiguresOut


class ReportPublic(BaseModel):
    since: dt.datetime | None = Field(description="The span's start (`from`), if any")
    until: dt.datetime | None = Field(description="The span's end (`to`), if any (else now)")
    bucket: ReportBucket
    totals: ReportFiguresOut
    capacity: int
    sell_through: str = Field(description="Over every session x zone: (sold - refunded) / capacity")
    waitlist_entries: int
    waitlist_places: int
    lines: list[ReportLineOut] = Field(description="One per session x zone, by session start then zone")
    series: list[ReportBucketOut] = Field(description="Oldest first; empty buckets are left out")
    as_of: dt.datetime = Field(
        description="When it was read; the counters follow the sales within seconds (a read model)"
    )

    @classmethod
    def from_pb(cls, report: pb.Report) -> ReportPublic:
        return cls(
            since=_when(report.span.since) if report.span.HasField("since") else None,
            until=_when(report.span.until) if report.span.HasField("until") else None,
            bucket=PB_TO_BUCKET.get(report.span.bucket, "day"),
            totals=ReportFiguresOut.from_pb(report.totals),
            capacity=report.capacity,
            sell_through=report.sell_through,
            waitlist_entries=report.waitlist_entries,
            waitlist_places=report.waitlist_places,
            lines=[
                ReportLineOut(
                    event_id=line.event_id,
                    event_name=line.event_name,
                    session_id=line.session_id,
                    session_starts_at=_when(line.session_starts_at)
                    if line.HasField("session_starts_at")
                    else None,
                    zone_id=line.zone_id,
                    zone_name=line.zone_name,
                    capacity=line.capacity,
                    figures=ReportFiguresOut.from_pb(line.figures),
                    sell_through=line.sell_through,
                    waitlist_entries=line.waitlist_entries,
                    waitlist_places=line.waitlist_places,
                )
                for line in report.lines
            ],
            series=[
                ReportBucketOut(start=_when(bucket.start), figures=ReportFiguresOut.from_pb(bucket.figures))
                for bucket in report.series
            ],
            as_of=_when(report.as_of),
        )
