"""SQL of the waiting lists (waitlist_entries). Runs on the unit of work's connection; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketing_svc.adapters.orm import waitlist_entries
from ticketing_svc.application.ports import Waitlist
from ticketing_svc.domain.waitlist import WaitlistEntry, WaitlistLength, WaitlistStatus

_COLUMNS = (
    waitlist_entries.c.id,
    waitlist_entries.c.event_id,
    waitlist_entries.c.session_id,
    waitlist_entries.c.zone_id,
    waitlist_entries.c.customer_id,
    waitlist_entries.c.quantity,
    waitlist_entries.c.status,
    waitlist_entries.c.position,
    waitlist_entries.c.created_at,
    waitlist_entries.c.offered_at,
    waitlist_entries.c.offer_reservation_id,
    waitlist_entries.c.offer_expires_at,
    waitlist_entries.c.ended_at,
)
_ACTIVE = [WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value]


def _entry(row: Any) -> WaitlistEntry:
    return WaitlistEntry(
        id=row.id,
        event_id=row.event_id,
        session_id=row.session_id,
        zone_id=row.zone_id,
        customer_id=row.customer_id,
        quantity=row.quantity,
        status=WaitlistStatus(row.status),
        created_at=row.created_at,
        position=row.position,
        offered_at=row.offered_at,
        offer_reservation_id=row.offer_reservation_id,
        offer_expires_at=row.offer_expires_at,
        ended_at=row.ended_at,
    )


class SqlWaitlist(Waitlist):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, entry: WaitlistEntry) -> WaitlistEntry | None:
        # A concurrent join of the same account waits here on the unique index for the other's
        # outcome; when that one committed, this insert stores nothing.
        statement = (
            insert(waitlist_entries)
            .values(
                id=entry.id,
                event_id=entry.event_id,
                session_id=entry.session_id,
                zone_id=entry.zone_id,
                customer_id=entry.customer_id,
                quantity=entry.quantity,
                status=entry.status.value,
                created_at=entry.created_at,
            )
            .on_conflict_do_nothing(
                index_elements=[
                    waitlist_entries.c.customer_id,
                    waitlist_entries.c.session_id,
                    waitlist_entries.c.zone_id,
                ],
                # Literal, as the partial index's own predicate: PostgreSQL must see that it matches.
                index_where=text("status IN ('waiting', 'offered')"),
            )
            .returning(waitlist_entries.c.position)
        )
        position = await self._connection.scalar(statement)
        if position is None:
            return None
        entry.position = int(position)
        return entry

    async def active(
        self, customer_id: uuid.UUID, session_id: uuid.UUID, zone_id: uuid.UUID
    ) -> WaitlistEntry | None:
        row = (
            await self._connection.execute(
                select(*_COLUMNS).where(
                    waitlist_entries.c.customer_id == customer_id,
                    waitlist_entries.c.session_id == session_id,
                    waitlist_entries.c.zone_id == zone_id,
                    waitlist_entries.c.status.in_(_ACTIVE),
                )
            )
        ).one_or_none()
        return _entry(row) if row is not None else None

    async def get(self, entry_id: uuid.UUID, *, for_update: bool = False) -> WaitlistEntry | None:
        query = select(*_COLUMNS).where(waitlist_entries.c.id == entry_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).one_or_none()
        return _entry(row) if row is not None else None

    async def waiting(self, session_id: uuid.UUID, zone_id: uuid.UUID, *, limit: int) -> list[WaitlistEntry]:
        query = (
            select(*_COLUMNS)
            .where(
                waitlist_entries.c.session_id == session_id,
                waitlist_entries.c.zone_id == zone_id,
                waitlist_entries.c.status == WaitlistStatus.WAITING.value,
            )
            .order_by(waitlist_entries.c.position)
            .limit(limit)
            .with_for_update()
        )
        return [_entry(row) for row in await self._connection.execute(query)]

    async def by_offers(self, reservation_ids: Sequence[uuid.UUID]) -> list[WaitlistEntry]:
        if not reservation_ids:
            return []
        query = (
            select(*_COLUMNS)
            .where(
                waitlist_entries.c.offer_reservation_id.in_(list(reservation_ids)),
                waitlist_entries.c.status == WaitlistStatus.OFFERED.value,
            )
            .order_by(waitlist_entries.c.id)
            .with_for_update()
        )
        return [_entry(row) for row in await self._connection.execute(query)]

    async def save(self, entry: WaitlistEntry) -> None:
        await self._connection.execute(
            update(waitlist_entries)
            .where(waitlist_entries.c.id == entry.id)
            .values(
                status=entry.status.value,
                offered_at=entry.offered_at,
                offer_reservation_id=entry.offer_reservation_id,
                offer_expires_at=entry.offer_expires_at,
                ended_at=entry.ended_at,
            )
        )

    async def place(self, entry: WaitlistEntry) -> int:
        ahead = await self._connection.scalar(
            select(func.count()).where(
                waitlist_entries.c.session_id == entry.session_id,
                waitlist_entries.c.zone_id == entry.zone_id,
                waitlist_entries.c.status == WaitlistStatus.WAITING.value,
                waitlist_entries.c.position < entry.position,
            )
        )
        return int(ahead or 0) + 1

    async def for_customer(self, customer_id: uuid.UUID, *, limit: int) -> list[WaitlistEntry]:
        query = (
            select(*_COLUMNS)
            .where(waitlist_entries.c.customer_id == customer_id)
            .order_by(waitlist_entries.c.created_at.desc(), waitlist_entries.c.id.desc())
            .limit(limit)
        )
        return [_entry(row) for row in await self._connection.execute(query)]

    async def lengths(self, event_id: uuid.UUID) -> list[WaitlistLength]:
        waiting = waitlist_entries.c.status == WaitlistStatus.WAITING.value
        query = (
            select(
                waitlist_entries.c.session_id,
                waitlist_entries.c.zone_id,
                func.count().filter(waiting).label("entries"),
                func.coalesce(func.sum(case((waiting, waitlist_entries.c.quantity), else_=0)), 0).label(
                    "places"
                ),
                func.count()
                .filter(waitlist_entries.c.status == WaitlistStatus.OFFERED.value)
                .label("offered"),
            )
            .where(waitlist_entries.c.event_id == event_id, waitlist_entries.c.status.in_(_ACTIVE))
            .group_by(waitlist_entries.c.session_id, waitlist_entries.c.zone_id)
            .order_by(waitlist_entries.c.session_id, waitlist_entries.c.zone_id)
        )
        return [
            WaitlistLength(row.session_id, row.zone_id, int(row.entries), int(row.places), int(row.offered))
            for row in await self._connection.execute(query)
        ]
