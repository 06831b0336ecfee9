"""Events, zones, sessions, inventory and idempotency keys in PostgreSQL (SQLAlchemy Core).

The repository remembers the rows it loaded, so :meth:`SqlEventRepository.save` writes only what
changed. Each session write runs in a savepoint: when a slot constraint rejects it, the
conflicting session is looked up (it is committed by then, or ours). One of the event's own
organization is reported by id and times; one of another organization only as a taken slot.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from event_svc.adapters.orm import (
    SLOT_CONSTRAINTS,
    events,
    idempotency_keys,
    session_zones,
    sessions,
    zones,
)
from event_svc.application.ports import EventRepository, IdempotencyStore, StoredResponse
from event_svc.domain.errors import SessionOverlap, StaleVersion, VenueConflict, VenueSlotTaken
from event_svc.domain.model import Category, Event, EventStatus, SaleSettings, Session, SessionStatus, Zone
from event_svc.domain.values import Money, Venue, utc_iso
from taquilla_runtime.audit import note_organization

IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)


@dataclass
class _Loaded:
    version: int
    zones: dict[uuid.UUID, dict[str, Any]]
    sessions: dict[uuid.UUID, dict[str, Any]]


class SqlEventRepository(EventRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._loaded: dict[uuid.UUID, _Loaded] = {}

    # ------------------------------------------------------------ reads

    async def get(self, event_id: uuid.UUID, *, for_update: bool = False) -> Event | None:
        statement = select(events).where(events.c.id == event_id, events.c.deleted_at.is_(None))
        if for_update:
            statement = statement.with_for_update()
        row = (await self._connection.execute(statement)).one_or_none()
        if row is None:
            return None
        return (await self._assemble([row]))[0]

    async def get_many(self, event_ids: Sequence[uuid.UUID]) -> list[Event]:
        if not event_ids:
            return []
        statement = select(events).where(events.c.id.in_(list(event_ids)), events.c.deleted_at.is_(None))
        return await self._assemble((await self._connection.execute(statement)).all())

    async def event_id_for_session(self, session_id: uuid.UUID) -> uuid.UUID | None:
        found: uuid.UUID | None = await self._connection.scalar(
            select(sessions.c.event_id).where(sessions.c.id == session_id)
        )
        return found

    async def mark_sold_out(self, session_id: uuid.UUID, zone_id: uuid.UUID, sold_out: bool) -> bool:
        changed = await self._connection.execute(
            update(session_zones)
            .where(
                session_zones.c.session_id == session_id,
                session_zones.c.zone_id == zone_id,
                session_zones.c.sold_out.is_distinct_from(sold_out),
            )
            .values(sold_out=sold_out)
        )
        return bool(changed.rowcount)

    async def exists(self, event_id: uuid.UUID) -> bool:
        found = await self._connection.scalar(select(events.c.id).where(events.c.id == event_id))
        return found is not None

    async def list_for_organization(
        self,
        organization_id: uuid.UUID,
        *,
        statuses: Sequence[EventStatus],
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
    ) -> list[Event]:
        statement = (
            select(events)
            .where(
                events.c.organization_id == organization_id,
                events.c.deleted_at.is_(None),
                events.c.status.in_([status.value for status in statuses]),
            )
            .order_by(events.c.starts_at, events.c.id)
            .limit(limit)
        )
        if after is not None:
            starts_at, event_id = after
            statement = statement.where(
                or_(
                    events.c.starts_at > starts_at,
                    and_(events.c.starts_at == starts_at, events.c.id > event_id),
                )
            )
        rows = (await self._connection.execute(statement)).all()
        return await self._assemble(rows)

    async def _assemble(self, rows: Sequence[Row[Any]]) -> list[Event]:
        if not rows:
            return []
        ids = [row.id for row in rows]
        zone_rows = (
            await self._connection.execute(
                select(zones).where(zones.c.event_id.in_(ids)).order_by(zones.c.event_id, zones.c.position)
            )
        ).all()
        session_rows = (
            await self._connection.execute(
                select(sessions)
                .where(sessions.c.event_id.in_(ids), sessions.c.deleted_at.is_(None))
                .order_by(sessions.c.starts_at, sessions.c.id)
            )
        ).all()
        loaded = []
        for row in rows:
            event = _event_from(
                row,
                [_zone_from(z) for z in zone_rows if z.event_id == row.id],
                [_session_from(s) for s in session_rows if s.event_id == row.id],
            )
            self._remember(event)
            loaded.append(event)
        return loaded

    # ------------------------------------------------------------ writes

    async def add(self, event: Event) -> None:
        note_organization(event.organization_id)
        await self._connection.execute(insert(events).values(**_event_row(event)))
        if event.zones:
            await self._connection.execute(
                insert(zones), [_zone_row(event, position, zone) for position, zone in enumerate(event.zones)]
            )
        for session in event.sessions:
            await self._write_session(event, session, insert(sessions).values(**_session_row(event, session)))
        await self._write_session_zones(event)
        self._remember(event)

    async def save(self, event: Event) -> None:
        note_organization(event.organization_id)
        loaded = self._loaded[event.id]
        row = _event_row(event)
        del row["id"], row["created_at"]
        result = await self._connection.execute(
            update(events).where(events.c.id == event.id, events.c.version == loaded.version).values(**row)
        )
        if result.rowcount != 1:
            raise StaleVersion(loaded.version, event.version)

        reshaped = False
        current_zones = {
            zone.id: _zone_row(event, position, zone) for position, zone in enumerate(event.zones)
        }
        removed_zones = loaded.zones.keys() - current_zones.keys()
        if removed_zones:
            await self._connection.execute(delete(zones).where(zones.c.id.in_(removed_zones)))
            reshaped = True
        for zone_id, zone_row in current_zones.items():
            if zone_id not in loaded.zones:
                await self._connection.execute(insert(zones).values(**zone_row))
                reshaped = True
            elif zone_row != loaded.zones[zone_id]:
                await self._connection.execute(update(zones).where(zones.c.id == zone_id).values(**zone_row))
                reshaped = reshaped or zone_row["capacity"] != loaded.zones[zone_id]["capacity"]

        for session in event.sessions:
            session_row = _session_row(event, session)
            previous = loaded.sessions.get(session.id)
            if previous is None:
                await self._write_session(event, session, insert(sessions).values(**session_row))
                reshaped = True
            elif session_row != previous:
                await self._write_session(
                    event, session, update(sessions).where(sessions.c.id == session.id).values(**session_row)
                )
        if reshaped:
            await self._write_session_zones(event)
        self._remember(event)

    async def _write_session(self, event: Event, session: Session, statement: Executable) -> None:
        for _ in range(2):
            try:
                async with self._connection.begin_nested():
                    await self._connection.execute(statement)
                return
            except IntegrityError as error:
                if _constraint_of(error) not in SLOT_CONSTRAINTS:
                    raise
                overlap = await self._overlap(event, session)
                if overlap is not None:
                    raise overlap from None
                # The conflicting session went away between the two statements: try once more.
        raise VenueSlotTaken(session_id=session.id)

    async def _overlap(self, event: Event, session: Session) -> VenueConflict | None:
        """The session ``session`` collides with, as the slot constraints see it: any active one of
        its organization, or (when both are public) one of another organization, ours first."""
        ours = sessions.c.organization_id == event.organization_id
        rivals = or_(ours, sessions.c.status != SessionStatus.DRAFT.value) if session.public else ours
        clash = (
            await self._connection.execute(
                select(sessions.c.id, sessions.c.starts_at, sessions.c.ends_at, sessions.c.organization_id)
                .where(
                    sessions.c.venue_key == event.venue.key,
                    sessions.c.place_key == session.place_key,
                    sessions.c.id != session.id,
                    sessions.c.deleted_at.is_(None),
                    sessions.c.status != SessionStatus.CANCELLED.value,
                    func.tstzrange(sessions.c.starts_at, sessions.c.ends_at).op("&&")(
                        func.tstzrange(session.starts_at, session.ends_at)
                    ),
                    rivals,
                )
                .order_by(sessions.c.organization_id != event.organization_id, sessions.c.starts_at)
                .limit(1)
            )
        ).one_or_none()
        if clash is None:
            return None
        if clash.organization_id != event.organization_id:
            # Another organization's session: its id, event and times are not ours to tell.
            return VenueSlotTaken(session_id=session.id)
        return SessionOverlap(
            session_id=session.id,
            conflicting_session_id=clash.id,
            conflicting_starts_at=utc_iso(clash.starts_at),
            conflicting_ends_at=utc_iso(clash.ends_at),
        )

    async def _write_session_zones(self, event: Event) -> None:
        lines = event.session_zones()
        if not lines:
            return
        statement = pg_insert(session_zones).values(
            [
                {"session_id": line.session_id, "zone_id": line.zone_id, "capacity": line.capacity}
                for line in lines
            ]
        )
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=[session_zones.c.session_id, session_zones.c.zone_id],
                set_={"capacity": statement.excluded.capacity},
                where=session_zones.c.capacity != statement.excluded.capacity,
            )
        )

    def _remember(self, event: Event) -> None:
        self._loaded[event.id] = _Loaded(
            version=event.version,
            zones={zone.id: _zone_row(event, position, zone) for position, zone in enumerate(event.zones)},
            sessions={session.id: _session_row(event, session) for session in event.sessions},
        )


class SqlIdempotencyStore(IdempotencyStore):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(
        self, subject: uuid.UUID, key: str, *, operation: str, fingerprint: str, now: dt.datetime
    ) -> StoredResponse | None:
        t = idempotency_keys
        mine = and_(t.c.subject == subject, t.c.key == key)
        await self._connection.execute(delete(t).where(mine, t.c.created_at < now - IDEMPOTENCY_WINDOW))
        for _ in range(2):
            claimed = await self._connection.execute(
                pg_insert(t)
                .values(
                    subject=subject, key=key, operation=operation, fingerprint=fingerprint, created_at=now
                )
                .on_conflict_do_nothing()
                .returning(t.c.key)
            )
            if claimed.first() is not None:
                return None
            stored = (
                await self._connection.execute(
                    select(t.c.operation, t.c.fingerprint, t.c.response).where(mine)
                )
            ).one_or_none()
            if stored is not None and stored.response is not None:
                return StoredResponse(stored.operation, stored.fingerprint, bytes(stored.response))
        raise RuntimeError("idempotency key neither claimable nor stored")

    async def complete(self, subject: uuid.UUID, key: str, response: bytes) -> None:
        t = idempotency_keys
        await self._connection.execute(
            update(t).where(t.c.subject == subject, t.c.key == key).values(response=response)
        )


async def purge_idempotency_keys(connection: AsyncConnection, now: dt.datetime) -> int:
    """Deletes keys older than the replay window; returns how many."""
    result = await connection.execute(
        delete(idempotency_keys).where(idempotency_keys.c.created_at < now - IDEMPOTENCY_WINDOW)
    )
    return int(result.rowcount or 0)


# ---------------------------------------------------------------- rows <-> domain


def _constraint_of(error: IntegrityError) -> str | None:
    cause = getattr(error.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)


def _event_row(event: Event) -> dict[str, Any]:
    price_from = event.price_from
    return {
        "id": event.id,
        "organization_id": event.organization_id,
        "created_by": event.created_by,
        "name": event.name,
        "description": event.description,
        "category": event.category.value,
        "venue_name": event.venue.name,
        "venue_city": event.venue.city,
        "venue_address": event.venue.address,
        "venue_latitude": event.venue.latitude,
        "venue_longitude": event.venue.longitude,
        "image_url": event.image_url,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "status": event.status.value,
        "version": event.version,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
        "published_at": event.published_at,
        "cancelled_at": event.cancelled_at,
        "cancellation_reason": event.cancellation_reason,
        "deleted_at": event.deleted_at,
        "featured": event.featured,
        # Denormalised for listings, which sort and filter by it (written with the zones it comes from).
        "price_from": price_from.amount if price_from is not None else None,
        "price_currency": price_from.currency if price_from is not None else None,
        "on_sale_at": event.sales.on_sale_at,
        "hold_minutes": event.sales.hold_minutes,
        "max_per_customer": event.sales.max_per_customer,
        "waiting_room": event.sales.waiting_room,
        "admission_per_minute": event.sales.admission_per_minute,
        "payment_minutes": event.sales.payment_minutes,
        "reentry_allowed": event.sales.reentry_allowed,
        "transfers_allowed": event.sales.transfers_allowed,
    }


def _zone_row(event: Event, position: int, zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.id,
        "event_id": event.id,
        "position": position,
        "name": zone.name,
        "price": zone.price.amount,
        "currency": zone.price.currency,
        "capacity": zone.capacity,
        "max_per_order": zone.max_per_order,
    }


def _session_row(event: Event, session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "event_id": event.id,
        "title": session.title,
        "presenter": session.presenter,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "place": session.place,
        "venue_key": event.venue.key,
        "place_key": session.place_key,
        "organization_id": event.organization_id,
        "capacity_override": session.capacity_override,
        "resources": list(session.resources),
        "status": session.status.value,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "deleted_at": session.deleted_at,
    }


def _event_from(row: Row[Any], event_zones: list[Zone], event_sessions: list[Session]) -> Event:
    return Event(
        id=row.id,
        organization_id=row.organization_id,
        created_by=row.created_by,
        name=row.name,
        description=row.description,
        category=Category(row.category),
        venue=Venue(
            row.venue_name, row.venue_city, row.venue_address, row.venue_latitude, row.venue_longitude
        ),
        image_url=row.image_url,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        status=EventStatus(row.status),
        version=row.version,
        zones=event_zones,
        sessions=event_sessions,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
        cancelled_at=row.cancelled_at,
        cancellation_reason=row.cancellation_reason,
        deleted_at=row.deleted_at,
        featured=row.featured,
        sales=SaleSettings(
            on_sale_at=row.on_sale_at,
            hold_minutes=row.hold_minutes,
            max_per_customer=row.max_per_customer,
            waiting_room=row.waiting_room,
            admission_per_minute=row.admission_per_minute,
            payment_minutes=row.payment_minutes,
            reentry_allowed=row.reentry_allowed,
            transfers_allowed=row.transfers_allowed,
        ),
    )


def _zone_from(row: Row[Any]) -> Zone:
    return Zone(
        id=row.id,
        name=row.name,
        price=Money(row.price, row.currency),
        capacity=row.capacity,
        max_per_order=row.max_per_order,
    )


def _session_from(row: Row[Any]) -> Session:
    return Session(
        id=row.id,
        title=row.title,
        presenter=row.presenter,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        place=row.place,
        capacity_override=row.capacity_override,
        resources=tuple(row.resources),
        status=SessionStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )
