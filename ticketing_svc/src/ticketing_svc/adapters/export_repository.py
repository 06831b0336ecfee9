"""What the organizer's exports read: the sales tables, a keyset page at a time (never every row at
once), with counts for the progress the web app shows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketing_svc.adapters.orm import admissions, orders, tickets
from ticketing_svc.application.ports import Exports
from ticketing_svc.domain.orders import OrderStatus
from ticketing_svc.domain.reports import Attendee


def _matching(
    event_id: uuid.UUID, query: str | None, statuses: Sequence[OrderStatus]
) -> list[ColumnElement[Any]]:
    """ListEventOrders' filters (adapters/order_repository.py), for counting."""
    conditions: list[ColumnElement[Any]] = [orders.c.event_id == event_id]
    if statuses:
        conditions.append(orders.c.status.in_([s.value for s in statuses]))
    if query:
        try:
            conditions.append(orders.c.id == uuid.UUID(query))
        except ValueError:
            pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(
                or_(
                    orders.c.buyer_name.ilike(pattern, escape="\\"),
                    orders.c.buyer_email.ilike(pattern, escape="\\"),
                )
            )
    return conditions


class SqlExports(Exports):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def count_orders(
        self, event_id: uuid.UUID, *, query: str | None, statuses: Sequence[OrderStatus]
    ) -> int:
        found = await self._connection.scalar(
            select(func.count()).select_from(orders).where(*_matching(event_id, query, statuses))
        )
        return int(found or 0)

    async def attendees(self, event_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> list[Attendee]:
        query = (
            select(
                tickets.c.id,
                tickets.c.order_id,
                tickets.c.session_id,
                tickets.c.zone_id,
                tickets.c.zone_name,
                tickets.c.holder_name,
                tickets.c.price_amount,
                tickets.c.currency,
                tickets.c.status,
                tickets.c.issued_at,
                orders.c.buyer_name,
                orders.c.buyer_email,
                admissions.c.first_entry_at,
            )
            .select_from(
                tickets.join(orders, orders.c.id == tickets.c.order_id).outerjoin(
                    admissions, admissions.c.ticket_id == tickets.c.id
                )
            )
            .where(tickets.c.event_id == event_id)
            .order_by(tickets.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(tickets.c.id > after)
        return [
            Attendee(
                ticket_id=row.id,
                order_id=row.order_id,
                session_id=row.session_id,
                zone_id=row.zone_id,
                zone_name=row.zone_name,
                holder_name=row.holder_name,
                buyer_name=row.buyer_name,
                buyer_email=row.buyer_email,
                price=row.price_amount,
                currency=row.currency,
                status=row.status,
                issued_at=row.issued_at,
                first_entry_at=row.first_entry_at,
            )
            for row in await self._connection.execute(query)
        ]

    async def count_attendees(self, event_id: uuid.UUID) -> int:
        found = await self._connection.scalar(
            select(func.count()).select_from(tickets).where(tickets.c.event_id == event_id)
        )
        return int(found or 0)
