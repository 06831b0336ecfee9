"""The organizers' reports: folding taquilla.ticketing.v1 into the read model, and reading it.

A report reads the report_* counters and ticketing's copy of the catalog (names, sessions'
dates, zones' capacities), never the orders or the inventory: a dashboard polled every few seconds
by many organizers during an on-sale costs the sales path nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from ticketing_svc.application.handlers import Clock, person, system_clock
from ticketing_svc.application.ports import UnitOfWork
from ticketing_svc.domain import reports
from ticketing_svc.domain.commands import (
    GetEventReport,
    GetOrganizationReport,
    ListEventAttendees,
    ProjectReport,
)
from ticketing_svc.domain.errors import EventNotFound, FieldProblem, InvalidInput, NotAllowed
from ticketing_svc.domain.model import CatalogEvent
from ticketing_svc.domain.reports import AttendeePage, Bucket, Report, ReportLine, ReportQuery

# The most events an organization's report sums (its newest).
ORGANIZATION_EVENTS_MAX = 500
ATTENDEES_PAGE_MAX = 1000


async def project(cmd: ProjectReport, uow: UnitOfWork) -> bool:
    """Folds a message into the counters; False when it was folded in before (nothing changes)."""
    async with uow:
        if not await uow.reports.first_time(cmd.message_id, message_type=cmd.message_type):
            return False
        await uow.reports.record_tickets(cmd.tickets)
        if cmd.paid is not None:
            await uow.reports.record_tickets(cmd.paid.tickets)
            await uow.reports.add_sales(
                reports.paid(
                    event_id=cmd.event_id,
                    session_id=cmd.session_id,
                    currency=cmd.paid.currency,
                    lines=cmd.paid.lines,
                    at=cmd.paid.paid_at,
                )
            )
        if cmd.refund is not None:
            await uow.reports.add_sales(
                reports.refunded(
                    event_id=cmd.event_id,
                    session_id=cmd.session_id,
                    currency=cmd.refund.currency,
                    amount=cmd.refund.amount,
                    lines=cmd.refund.lines,
                    tickets=await uow.reports.sold_tickets(cmd.refund.ticket_ids),
                    at=cmd.refund.at,
                )
            )
        if cmd.checkin is not None:
            await uow.reports.add_checkin(cmd.checkin)
        if cmd.waitlist is not None:
            await uow.reports.add_waitlist(cmd.waitlist)
        await uow.commit()
    return True


def checked_query(query: ReportQuery, now: dt.datetime) -> ReportQuery:
    """The query, or InvalidInput: a span of at most 400 days (31 by the hour) ending after it starts."""
    problems = [
        FieldProblem(name, "must carry a UTC offset", "invalid_format")
        for name, value in (("from", query.since), ("to", query.until))
        if value is not None and value.tzinfo is None
    ]
    if problems:
        raise InvalidInput(problems)
    since, until = query.since, query.until or now
    if since is not None:
        if since >= until:
            raise InvalidInput.single("from", "must be before to")
        if until - since > reports.REPORT_SPAN_MAX:
            raise InvalidInput.single("from", "the span is at most 400 days", "out_of_range")
    if query.bucket is Bucket.HOUR and (since is None or until - since > reports.HOURLY_SPAN_MAX):
        raise InvalidInput.single(
            "bucket", "hourly buckets need a span (from) of at most 31 days", "out_of_range"
        )
    return query


def _lines(events: Sequence[CatalogEvent]) -> dict[tuple[uuid.UUID, uuid.UUID], ReportLine]:
    lines: dict[tuple[uuid.UUID, uuid.UUID], ReportLine] = {}
    for event in events:
        for session in event.sessions:
            if session.removed:
                continue
            for zone in event.zones:
                lines[(session.id, zone.id)] = ReportLine(
                    event_id=event.id,
                    event_name=event.name,
                    session_id=session.id,
                    session_starts_at=session.starts_at,
                    zone_id=zone.id,
                    zone_name=zone.name,
                    capacity=zone.capacity,
                )
    return lines


async def _report(
    uow: UnitOfWork, events: Sequence[CatalogEvent], query: ReportQuery, now: dt.datetime
) -> Report:
    event_ids = [event.id for event in events]
    names = {event.id: event.name for event in events}
    lines = _lines(events)
    sales = await uow.reports.sales(event_ids, query)
    checkins = await uow.reports.checkins(event_ids, query)
    waiting = await uow.reports.waitlists(event_ids)
    by_event = {session.id: event.id for event in events for session in event.sessions}
    for session_id, zone_id, _, figures in [*sales, *checkins]:
        line = lines.get((session_id, zone_id))
        if line is None:  # a session or zone removed since: still counted, under its ids
            event_id = by_event.get(session_id, uuid.UUID(int=0))
            line = lines[(session_id, zone_id)] = ReportLine(
                event_id, names.get(event_id, ""), session_id, None, zone_id, "", 0
            )
        line.figures.add(figures)
    for length in waiting:
        line = lines.get((length.session_id, length.zone_id))
        if line is not None:
            line.waitlist_entries, line.waitlist_places = length.entries, length.places
    ordered = sorted(
        lines.values(),
        key=lambda line: (
            line.session_starts_at or dt.datetime.max.replace(tzinfo=dt.UTC),
            str(line.session_id),
            line.zone_name,
        ),
    )
    timeline = reports.series(((hour, figures) for _, _, hour, figures in [*sales, *checkins]), query)
    return Report(query=query, lines=ordered, series=timeline, as_of=now)


async def event_report(cmd: GetEventReport, uow: UnitOfWork, clock: Clock = system_clock) -> Report:
    """An event's report; for anyone but its organization's organizers and admins there is no such event.

    Raises Unauthenticated, NotAllowed, EventNotFound, InvalidInput."""
    actor = person(cmd.actor, "see reports")
    now = clock()
    query = checked_query(cmd.query, now)
    async with uow:
        event = await uow.catalog.get(cmd.event_id)
        if event is None or not actor.manages(event.organization_id):
            raise EventNotFound(cmd.event_id)
        return await _report(uow, [event], query, now)


async def organization_report(
    cmd: GetOrganizationReport, uow: UnitOfWork, clock: Clock = system_clock
) -> Report:
    """The report of an organization's events (its newest 500) together.

    Raises Unauthenticated, NotAllowed (not an organizer of it, nor an admin), InvalidInput."""
    actor = person(cmd.actor, "see reports")
    if not actor.manages(cmd.organization_id):
        raise NotAllowed("Only the organization's organizers or an admin see its reports.")
    now = clock()
    query = checked_query(cmd.query, now)
    async with uow:
        events = await uow.reports.organization_events(cmd.organization_id, limit=ORGANIZATION_EVENTS_MAX)
        return await _report(uow, events, query, now)


async def list_event_attendees(cmd: ListEventAttendees, uow: UnitOfWork) -> AttendeePage:
    """A page of the event's tickets with their buyers, for its organization's organizers and admins
    (the attendee export); the first page also counts them all. Raises EventNotFound for anyone else."""
    actor = person(cmd.actor, "export an event's attendees")
    limit = max(1, min(ATTENDEES_PAGE_MAX, cmd.limit))
    async with uow:
        event = await uow.catalog.get(cmd.event_id)
        if event is None or not actor.manages(event.organization_id):
            raise EventNotFound(cmd.event_id)
        found = await uow.exports.attendees(cmd.event_id, after=cmd.after, limit=limit + 1)
        total = await uow.exports.count_attendees(cmd.event_id) if cmd.after is None else None
    return AttendeePage(found[:limit], has_more=len(found) > limit, total=total)
