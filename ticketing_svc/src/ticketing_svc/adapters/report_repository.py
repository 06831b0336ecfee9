"""The organizers' read model: report_* tables (migration 0007). Counters only ever move by
upserts that add, each in the transaction that records the message in ``report_inbox``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketing_svc.adapters.orm import (
    catalog_events,
    report_admitted,
    report_checkins,
    report_inbox,
    report_sales,
    report_tickets,
    report_waitlist,
)
from ticketing_svc.adapters.repository import event_from_document
from ticketing_svc.application.ports import Reports
from ticketing_svc.domain.model import CatalogEvent
from ticketing_svc.domain.reports import (
    CheckInMove,
    Figures,
    ReportQuery,
    SalesMove,
    SoldTicket,
    WaitlistMove,
    hour_of,
)

_SALES_COUNTERS = ("tickets_sold", "gross", "tickets_refunded", "refunded", "orders_paid", "refunds")


def _within(query: Select[Any], hour: Any, report: ReportQuery) -> Select[Any]:
    # Rows are whole hours: an hour counts when it starts within the span.
    if report.since is not None:
        query = query.where(hour >= hour_of(report.since))
    if report.until is not None:
        query = query.where(hour < report.until)
    return query


class SqlReports(Reports):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def first_time(self, message_id: uuid.UUID, *, message_type: str) -> bool:
        stored = await self._connection.scalar(
            insert(report_inbox)
            .values(message_id=message_id, message_type=message_type)
            .on_conflict_do_nothing(index_elements=[report_inbox.c.message_id])
            .returning(report_inbox.c.message_id)
        )
        return stored is not None

    async def record_tickets(self, tickets: Sequence[SoldTicket]) -> None:
        if not tickets:
            return
        await self._connection.execute(
            insert(report_tickets)
            .values(
                [
                    {
                        "ticket_id": t.ticket_id,
                        "session_id": t.session_id,
                        "zone_id": t.zone_id,
                        "price": t.price,
                        "currency": t.currency,
                    }
                    for t in tickets
                ]
            )
            .on_conflict_do_nothing(index_elements=[report_tickets.c.ticket_id])
        )

    async def sold_tickets(self, ticket_ids: Sequence[uuid.UUID]) -> list[SoldTicket]:
        if not ticket_ids:
            return []
        rows = await self._connection.execute(
            select(report_tickets).where(report_tickets.c.ticket_id.in_(list(ticket_ids)))
        )
        found = {
            row.ticket_id: SoldTicket(row.ticket_id, row.session_id, row.zone_id, row.price, row.currency)
            for row in rows
        }
        return [found[ticket_id] for ticket_id in ticket_ids if ticket_id in found]

    async def add_sales(self, moves: Sequence[SalesMove]) -> None:
        for move in moves:
            statement = insert(report_sales).values(
                session_id=move.session_id,
                zone_id=move.zone_id,
                hour=move.hour,
                currency=move.currency,
                event_id=move.event_id,
                **{name: getattr(move, name) for name in _SALES_COUNTERS},
            )
            await self._connection.execute(
                statement.on_conflict_do_update(
                    constraint="pk_report_sales",
                    set_={name: report_sales.c[name] + statement.excluded[name] for name in _SALES_COUNTERS},
                )
            )

    async def add_checkin(self, move: CheckInMove) -> None:
        first = 0
        if move.direction == "entry" and not move.double_admission:
            admitted = await self._connection.scalar(
                insert(report_admitted)
                .values(ticket_id=move.ticket_id, session_id=move.session_id, first_entry_at=move.scanned_at)
                .on_conflict_do_nothing(index_elements=[report_admitted.c.ticket_id])
                .returning(report_admitted.c.ticket_id)
            )
            first = 1 if admitted is not None else 0
        counts = {
            "admitted": first,
            "entries": int(move.direction == "entry" and not move.double_admission),
            "exits": int(move.direction == "exit"),
            "double_admissions": int(move.double_admission),
        }
        statement = insert(report_checkins).values(
            session_id=move.session_id,
            zone_id=move.zone_id,
            hour=hour_of(move.scanned_at),
            event_id=move.event_id,
            **counts,
        )
        await self._connection.execute(
            statement.on_conflict_do_update(
                constraint="pk_report_checkins",
                set_={name: report_checkins.c[name] + statement.excluded[name] for name in counts},
            )
        )

    async def add_waitlist(self, move: WaitlistMove) -> None:
        statement = insert(report_waitlist).values(
            session_id=move.session_id,
            zone_id=move.zone_id,
            event_id=move.event_id,
            entries=move.entries,
            places=move.places,
        )
        await self._connection.execute(
            statement.on_conflict_do_update(
                constraint="pk_report_waitlist",
                set_={
                    # Never below zero: a leave folded in before its join (another partition's
                    # order cannot happen: one session's messages share a key) would be a bug.
                    "entries": func.greatest(report_waitlist.c.entries + statement.excluded.entries, 0),
                    "places": func.greatest(report_waitlist.c.places + statement.excluded.places, 0),
                },
            )
        )

    async def organization_events(self, organization_id: uuid.UUID, *, limit: int) -> list[CatalogEvent]:
        rows = await self._connection.execute(
            select(catalog_events.c.document)
            .where(catalog_events.c.document["organizationId"].astext == str(organization_id))
            .order_by(catalog_events.c.updated_at.desc(), catalog_events.c.id)
            .limit(limit)
        )
        return [event_from_document(row.document) for row in rows]

    async def sales(
        self, event_ids: Sequence[uuid.UUID], query: ReportQuery
    ) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime, Figures]]:
        if not event_ids:
            return []
        statement = _within(
            select(report_sales).where(report_sales.c.event_id.in_(list(event_ids))),
            report_sales.c.hour,
            query,
        )
        found = []
        for row in await self._connection.execute(statement):
            figures = Figures()
            figures.add_sales(
                row.currency,
                tickets_sold=row.tickets_sold,
                gross=row.gross,
                tickets_refunded=row.tickets_refunded,
                refunded=row.refunded,
                orders_paid=row.orders_paid,
                refunds=row.refunds,
            )
            found.append((row.session_id, row.zone_id, row.hour, figures))
        return found

    async def checkins(
        self, event_ids: Sequence[uuid.UUID], query: ReportQuery
    ) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime, Figures]]:
        if not event_ids:
            return []
        statement = _within(
            select(report_checkins).where(report_checkins.c.event_id.in_(list(event_ids))),
            report_checkins.c.hour,
            query,
        )
        found = []
        for row in await self._connection.execute(statement):
            figures = Figures()
            figures.add_checkins(
                admitted=row.admitted,
                entries=row.entries,
                exits=row.exits,
                double_admissions=row.double_admissions,
            )
            found.append((row.session_id, row.zone_id, row.hour, figures))
        return found

    async def waitlists(self, event_ids: Sequence[uuid.UUID]) -> list[WaitlistMove]:
        if not event_ids:
            return []
        rows = await self._connection.execute(
            select(report_waitlist).where(report_waitlist.c.event_id.in_(list(event_ids)))
        )
        return [
            WaitlistMove(row.event_id, row.session_id, row.zone_id, row.entries, row.places) for row in rows
        ]
