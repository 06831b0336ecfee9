"""All SQL of ticketing: the catalog copy, inventory, customers' places, reservations and the inbox.

Every method runs on the unit of work's connection and never commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, and_, bindparam, func, literal, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketing_svc.adapters.orm import (
    catalog_events,
    catalog_sessions,
    customer_places,
    inbox,
    inventory,
    reservations,
)
from ticketing_svc.application.ports import CatalogCopy, CustomerPlaces, Inbox, Inventory, Reservations
from ticketing_svc.domain.errors import IdempotencyConflict, LimitReached, SoldOut, ZoneNotSoldOut
from ticketing_svc.domain.model import (
    DEFAULT_ADMISSION_PER_MINUTE,
    DEFAULT_PAYMENT_MINUTES,
    CatalogEvent,
    CatalogSession,
    CatalogZone,
    InventoryLine,
    ItemRequest,
    Money,
    Offer,
    Reservation,
    ReservationItem,
    ReservationStatus,
    SaleSettings,
)

# ---------------------------------------------------------------- the catalog copy


def event_document(event: CatalogEvent) -> dict[str, Any]:
    settings = event.settings
    return {
        "id": str(event.id),
        "organizationId": str(event.organization_id),
        "name": event.name,
        "status": event.status,
        "version": event.version,
        "zones": [
            {
                "id": str(zone.id),
                "name": zone.name,
                "price": {"amount": str(zone.price.amount), "currency": zone.price.currency},
                "capacity": zone.capacity,
                "maxPerOrder": zone.max_per_order,
            }
            for zone in event.zones
        ],
        "sessions": [
            {
                "id": str(session.id),
                "status": session.status,
                "removed": session.removed,
                "startsAt": session.starts_at.isoformat() if session.starts_at else None,
                "endsAt": session.ends_at.isoformat() if session.ends_at else None,
            }
            for session in event.sessions
        ],
        "sales": {
            "onSaleAt": settings.on_sale_at.isoformat() if settings.on_sale_at else None,
            "holdMinutes": settings.hold_minutes,
            "maxPerCustomer": settings.max_per_customer,
            "waitingRoom": settings.waiting_room,
            "admissionPerMinute": settings.admission_per_minute,
            "paymentMinutes": settings.payment_minutes,
            "reentryAllowed": settings.reentry_allowed,
            "transfersAllowed": settings.transfers_allowed,
        },
    }


def _instant(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def event_from_document(document: dict[str, Any]) -> CatalogEvent:
    sales = document["sales"]
    return CatalogEvent(
        id=uuid.UUID(document["id"]),
        organization_id=uuid.UUID(document["organizationId"]),
        name=document["name"],
        status=document["status"],
        version=document["version"],
        zones=tuple(
            CatalogZone(
                id=uuid.UUID(zone["id"]),
                name=zone["name"],
                price=Money(Decimal(zone["price"]["amount"]), zone["price"]["currency"]),
                capacity=zone["capacity"],
                max_per_order=zone["maxPerOrder"],
            )
            for zone in document["zones"]
        ),
        sessions=tuple(
            CatalogSession(
                uuid.UUID(s["id"]),
                s["status"],
                s["removed"],
                starts_at=_instant(s.get("startsAt")),
                ends_at=_instant(s.get("endsAt")),
            )
            for s in document["sessions"]
        ),
        settings=SaleSettings(
            on_sale_at=dt.datetime.fromisoformat(sales["onSaleAt"]) if sales["onSaleAt"] else None,
            hold_minutes=sales["holdMinutes"],
            max_per_customer=sales["maxPerCustomer"],
            waiting_room=sales.get("waitingRoom", False),
            admission_per_minute=sales.get("admissionPerMinute", DEFAULT_ADMISSION_PER_MINUTE),
            payment_minutes=sales.get("paymentMinutes", DEFAULT_PAYMENT_MINUTES),
            reentry_allowed=sales.get("reentryAllowed", False),
            transfers_allowed=sales.get("transfersAllowed", True),
        ),
    )


# The event and the session's places left per zone in one round trip (none in a zone whose
# waiting list has entries waiting: its free places are theirs).
_OFFER = text(
    "SELECT e.document, (SELECT json_object_agg(i.zone_id, CASE WHEN i.waiting > 0 THEN 0 "
    "ELSE i.capacity - i.held - i.sold END) FROM inventory i "
    "WHERE i.session_id = s.id) AS left FROM catalog_sessions s JOIN catalog_events e ON e.id = s.event_id "
    "WHERE s.id = :session_id"
).columns(document=JSONB, left=JSON)


class SqlCatalogCopy(CatalogCopy):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def offer(self, session_id: uuid.UUID) -> Offer | None:
        row = (await self._connection.execute(_OFFER, {"session_id": session_id})).one_or_none()
        if row is None:
            return None
        return Offer(
            event_from_document(row.document), {uuid.UUID(z): n for z, n in (row.left or {}).items()}
        )

    async def get(self, event_id: uuid.UUID) -> CatalogEvent | None:
        document = await self._connection.scalar(
            select(catalog_events.c.document).where(catalog_events.c.id == event_id)
        )
        return event_from_document(document) if document is not None else None

    async def get_many(self, event_ids: Sequence[uuid.UUID]) -> list[CatalogEvent]:
        if not event_ids:
            return []
        documents = await self._connection.scalars(
            select(catalog_events.c.document).where(catalog_events.c.id.in_(list(event_ids)))
        )
        return [event_from_document(document) for document in documents]

    async def store(self, event: CatalogEvent, *, read_through: bool = False) -> bool:
        document = event_document(event)
        statement = insert(catalog_events).values(
            id=event.id,
            version=event.version,
            status=event.status,
            document=document,
            read_through=read_through,
        )
        # A read-through copy is the last state of its version: it replaces any copy of that version.
        newer = catalog_events.c.version <= statement.excluded.version
        if not read_through:
            newer = catalog_events.c.version < statement.excluded.version
            newer = or_(
                newer,
                and_(
                    catalog_events.c.version == statement.excluded.version,
                    catalog_events.c.read_through.is_(False),
                ),
            )
        stored = await self._connection.scalar(
            statement.on_conflict_do_update(
                index_elements=[catalog_events.c.id],
                set_={
                    "version": statement.excluded.version,
                    "status": statement.excluded.status,
                    "document": statement.excluded.document,
                    "read_through": statement.excluded.read_through,
                    "updated_at": func.now(),
                },
                where=newer,
            ).returning(catalog_events.c.id)
        )
        if stored is None:
            return False
        sessions = [{"id": session.id, "event_id": event.id} for session in event.sessions]
        if sessions:
            await self._connection.execute(insert(catalog_sessions).values(sessions).on_conflict_do_nothing())
        lines = [
            {"session_id": s, "zone_id": z, "event_id": event.id, "capacity": capacity}
            for s, z, capacity in event.inventory_lines()
        ]
        if lines:
            new = insert(inventory).values(lines)
            # Capacity follows the catalog, but never drops below what is already held and sold
            # (the catalog refuses such a change; this keeps a late or reordered message harmless).
            await self._connection.execute(
                new.on_conflict_do_update(
                    index_elements=[inventory.c.session_id, inventory.c.zone_id],
                    set_={
                        "capacity": func.greatest(new.excluded.capacity, inventory.c.held + inventory.c.sold)
                    },
                    where=inventory.c.capacity != new.excluded.capacity,
                )
            )
        return True


# ---------------------------------------------------------------- inventory


def _line(row: Any) -> InventoryLine:
    return InventoryLine(row.session_id, row.zone_id, row.capacity, row.held, row.sold, row.waiting)


_LINE_COLUMNS = (
    inventory.c.session_id,
    inventory.c.zone_id,
    inventory.c.capacity,
    inventory.c.held,
    inventory.c.sold,
    inventory.c.waiting,
)

_TAKE = (
    update(inventory)
    .where(
        inventory.c.session_id == bindparam("s"),
        inventory.c.zone_id == bindparam("z"),
        inventory.c.capacity - inventory.c.held - inventory.c.sold >= bindparam("q"),
        # Free places of a zone with a waiting list are the list's (domain/waitlist.py).
        inventory.c.waiting == 0,
    )
    .values(held=inventory.c.held + bindparam("q"))
    .returning(*_LINE_COLUMNS)
)

# The head of the waiting list gets its places (checked by the caller under the line's lock).
_OFFER_PLACES = (
    update(inventory)
    .where(
        inventory.c.session_id == bindparam("s"),
        inventory.c.zone_id == bindparam("z"),
        inventory.c.capacity - inventory.c.held - inventory.c.sold >= bindparam("q"),
        inventory.c.waiting > 0,
    )
    .values(held=inventory.c.held + bindparam("q"), waiting=inventory.c.waiting - 1)
    .returning(*_LINE_COLUMNS)
)

# A buyer joins only a sold-out zone: fewer places free than asked, or a list already waiting.
_JOIN_WAITLIST = (
    update(inventory)
    .where(
        inventory.c.session_id == bindparam("s"),
        inventory.c.zone_id == bindparam("z"),
        or_(
            inventory.c.waiting > 0,
            inventory.c.capacity - inventory.c.held - inventory.c.sold < bindparam("q"),
        ),
    )
    .values(waiting=inventory.c.waiting + 1)
    .returning(*_LINE_COLUMNS)
)

_LEAVE_WAITLIST = (
    update(inventory)
    .where(inventory.c.session_id == bindparam("s"), inventory.c.zone_id == bindparam("z"))
    .values(waiting=inventory.c.waiting - 1)
    .returning(*_LINE_COLUMNS)
)

_GIVE_BACK = (
    update(inventory)
    .where(inventory.c.session_id == bindparam("s"), inventory.c.zone_id == bindparam("z"))
    .values(held=inventory.c.held - bindparam("q"))
    .returning(*_LINE_COLUMNS)
)

_SELL = (
    update(inventory)
    .where(inventory.c.session_id == bindparam("s"), inventory.c.zone_id == bindparam("z"))
    .values(held=inventory.c.held - bindparam("q"), sold=inventory.c.sold + bindparam("q"))
)

_UNSELL = (
    update(inventory)
    .where(inventory.c.session_id == bindparam("s"), inventory.c.zone_id == bindparam("z"))
    .values(sold=inventory.c.sold - bindparam("q"))
    .returning(*_LINE_COLUMNS)
)


class SqlInventory(Inventory):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def take(
        self, session_id: uuid.UUID, items: Sequence[ItemRequest]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        # One conditional update per zone, in zone order so that two reservations of the same
        # zones never wait on each other in a cycle. The row lock lasts until the commit.
        after: list[InventoryLine] = []
        quantities = {item.zone_id: item.quantity for item in items}
        for item in sorted(items, key=lambda i: i.zone_id):
            row = (
                await self._connection.execute(
                    _TAKE, {"s": session_id, "z": item.zone_id, "q": item.quantity}
                )
            ).one_or_none()
            if row is None:
                left = await self._left(session_id, items)
                for taken in after:  # taken by this request a moment ago: still left for others
                    left[taken.zone_id] += quantities[taken.zone_id]
                raise SoldOut(left)
            after.append(_line(row))
        before = [
            InventoryLine(a.session_id, a.zone_id, a.capacity, a.held - quantities[a.zone_id], a.sold)
            for a in after
        ]
        return before, after

    async def _left(self, session_id: uuid.UUID, items: Sequence[ItemRequest]) -> dict[uuid.UUID, int]:
        rows = await self._connection.execute(
            select(*_LINE_COLUMNS).where(
                inventory.c.session_id == session_id,
                inventory.c.zone_id.in_([item.zone_id for item in items]),
            )
        )
        left = {item.zone_id: 0 for item in items}
        for row in rows:
            left[row.zone_id] = _line(row).available
        return left

    async def give_back(
        self, holds: Sequence[tuple[uuid.UUID, uuid.UUID, int]]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        before: list[InventoryLine] = []
        after: list[InventoryLine] = []
        for session_id, zone_id, quantity in sorted(holds):
            row = (
                await self._connection.execute(_GIVE_BACK, {"s": session_id, "z": zone_id, "q": quantity})
            ).one_or_none()
            if row is None:
                continue
            line = _line(row)
            after.append(line)
            before.append(
                InventoryLine(
                    session_id, zone_id, line.capacity, line.held + quantity, line.sold, line.waiting
                )
            )
        return before, after

    async def sell(self, session_id: uuid.UUID, items: Sequence[ItemRequest]) -> None:
        # Held places become sold ones: capacity is not touched, so the CHECK constraint holds.
        for item in sorted(items, key=lambda i: i.zone_id):
            await self._connection.execute(_SELL, {"s": session_id, "z": item.zone_id, "q": item.quantity})

    async def unsell(
        self, session_id: uuid.UUID, items: Sequence[ItemRequest]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        before: list[InventoryLine] = []
        after: list[InventoryLine] = []
        for item in sorted(items, key=lambda i: i.zone_id):
            row = (
                await self._connection.execute(
                    _UNSELL, {"s": session_id, "z": item.zone_id, "q": item.quantity}
                )
            ).one_or_none()
            if row is None:
                continue
            line = _line(row)
            after.append(line)
            before.append(
                InventoryLine(
                    session_id,
                    item.zone_id,
                    line.capacity,
                    line.held,
                    line.sold + item.quantity,
                    line.waiting,
                )
            )
        return before, after

    async def for_event(self, event_id: uuid.UUID) -> list[InventoryLine]:
        rows = await self._connection.execute(
            select(*_LINE_COLUMNS)
            .where(inventory.c.event_id == event_id)
            .order_by(inventory.c.session_id, inventory.c.zone_id)
        )
        return [_line(row) for row in rows]

    async def for_events(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[InventoryLine]]:
        if not event_ids:
            return {}
        rows = await self._connection.execute(
            select(inventory.c.event_id, *_LINE_COLUMNS)
            .where(inventory.c.event_id.in_(list(event_ids)))
            .order_by(inventory.c.session_id, inventory.c.zone_id)
        )
        lines: dict[uuid.UUID, list[InventoryLine]] = {}
        for row in rows:
            lines.setdefault(row.event_id, []).append(_line(row))
        return lines

    async def line(self, session_id: uuid.UUID, zone_id: uuid.UUID) -> InventoryLine | None:
        row = (
            await self._connection.execute(
                select(*_LINE_COLUMNS)
                .where(inventory.c.session_id == session_id, inventory.c.zone_id == zone_id)
                .with_for_update()
            )
        ).one_or_none()
        return _line(row) if row is not None else None

    async def join_waitlist(self, session_id: uuid.UUID, zone_id: uuid.UUID, quantity: int) -> InventoryLine:
        row = (
            await self._connection.execute(_JOIN_WAITLIST, {"s": session_id, "z": zone_id, "q": quantity})
        ).one_or_none()
        if row is None:
            left = await self._left(session_id, [ItemRequest(zone_id, quantity)])
            raise ZoneNotSoldOut(left[zone_id])
        return _line(row)

    async def leave_waitlist(self, session_id: uuid.UUID, zone_id: uuid.UUID) -> InventoryLine:
        row = (await self._connection.execute(_LEAVE_WAITLIST, {"s": session_id, "z": zone_id})).one()
        return _line(row)

    async def offer(self, session_id: uuid.UUID, zone_id: uuid.UUID, quantity: int) -> InventoryLine:
        row = (
            await self._connection.execute(_OFFER_PLACES, {"s": session_id, "z": zone_id, "q": quantity})
        ).one_or_none()
        if row is None:
            raise SoldOut({zone_id: 0})
        return _line(row)


# ---------------------------------------------------------------- customers' places


class SqlCustomerPlaces(CustomerPlaces):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self, event_id: uuid.UUID, customer_id: uuid.UUID, places: int, *, limit: int | None
    ) -> int:
        if limit is not None and places > limit:
            raise LimitReached(limit, await self._places(event_id, customer_id))
        new = insert(customer_places).values(event_id=event_id, customer_id=customer_id, places=places)
        upsert = new.on_conflict_do_update(
            index_elements=[customer_places.c.event_id, customer_places.c.customer_id],
            set_={"places": customer_places.c.places + new.excluded.places},
            # The row lock taken by the conflicting row serialises one account's requests, so two
            # parallel reservations cannot both pass the limit.
            where=(customer_places.c.places + new.excluded.places <= limit) if limit is not None else None,
        ).returning(customer_places.c.places)
        total = await self._connection.scalar(upsert)
        if total is None:
            assert limit is not None
            raise LimitReached(limit, await self._places(event_id, customer_id))
        return int(total) - places

    async def _places(self, event_id: uuid.UUID, customer_id: uuid.UUID) -> int:
        found = await self._connection.scalar(
            select(customer_places.c.places).where(
                customer_places.c.event_id == event_id, customer_places.c.customer_id == customer_id
            )
        )
        return int(found or 0)

    async def subtract(self, tallies: Sequence[tuple[uuid.UUID, uuid.UUID, int]]) -> None:
        for event_id, customer_id, places in sorted(tallies):
            await self._connection.execute(
                update(customer_places)
                .where(customer_places.c.event_id == event_id, customer_places.c.customer_id == customer_id)
                .values(places=func.greatest(0, customer_places.c.places - places))
            )


# ---------------------------------------------------------------- reservations


def items_from_document(document: Sequence[dict[str, Any]]) -> tuple[ReservationItem, ...]:
    return tuple(
        ReservationItem(
            zone_id=uuid.UUID(item["zoneId"]),
            zone_name=item["zoneName"],
            quantity=item["quantity"],
            unit_price=Money(Decimal(item["unitPrice"]["amount"]), item["unitPrice"]["currency"]),
        )
        for item in document
    )


def items_document(items: Sequence[ReservationItem]) -> list[dict[str, Any]]:
    return [
        {
            "zoneId": str(item.zone_id),
            "zoneName": item.zone_name,
            "quantity": item.quantity,
            "unitPrice": {"amount": str(item.unit_price.amount), "currency": item.unit_price.currency},
        }
        for item in items
    ]


def _reservation(row: Any) -> Reservation:
    return Reservation(
        id=row.id,
        customer_id=row.customer_id,
        event_id=row.event_id,
        event_name=row.event_name,
        session_id=row.session_id,
        items=items_from_document(row.items),
        status=ReservationStatus(row.status),
        created_at=row.created_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
    )


_RESERVATION_COLUMNS = (
    reservations.c.id,
    reservations.c.customer_id,
    reservations.c.event_id,
    reservations.c.event_name,
    reservations.c.session_id,
    reservations.c.status,
    reservations.c["items"],
    reservations.c.created_at,
    reservations.c.expires_at,
    reservations.c.ended_at,
)


# Built once: compiled once and cached, where building them per call compiles them per call.
_INSERT_RESERVATION = reservations.insert()
_INSERT_KEYED_RESERVATION = (
    insert(reservations)
    .on_conflict_do_nothing(
        index_elements=[reservations.c.customer_id, reservations.c.idempotency_key],
        index_where=reservations.c.idempotency_key.is_not(None),
    )
    .returning(reservations.c.id)
)


class SqlReservations(Reservations):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self, reservation: Reservation, *, idempotency_key: str | None, fingerprint: str | None
    ) -> None:
        total = reservation.total
        values = {
            "id": reservation.id,
            "customer_id": reservation.customer_id,
            "event_id": reservation.event_id,
            "event_name": reservation.event_name,
            "session_id": reservation.session_id,
            "status": reservation.status.value,
            "items": items_document(reservation.items),
            "quantity": reservation.quantity,
            "total_amount": total.amount,
            "currency": total.currency,
            "created_at": reservation.created_at,
            "expires_at": reservation.expires_at,
            "idempotency_key": idempotency_key,
            "request_fingerprint": fingerprint,
        }
        if idempotency_key is None:
            await self._connection.execute(_INSERT_RESERVATION, values)
            return
        # A twin request with the same key waits here for the first one's outcome; when that one
        # committed, this insert stores nothing and the caller answers with the first reservation.
        stored = await self._connection.scalar(_INSERT_KEYED_RESERVATION, values)
        if stored is None:
            raise IdempotencyConflict

    async def by_idempotency_key(self, customer_id: uuid.UUID, key: str) -> tuple[Reservation, str] | None:
        row = (
            await self._connection.execute(
                select(*_RESERVATION_COLUMNS, reservations.c.request_fingerprint).where(
                    reservations.c.customer_id == customer_id, reservations.c.idempotency_key == key
                )
            )
        ).one_or_none()
        return (_reservation(row), row.request_fingerprint or "") if row is not None else None

    async def get(self, reservation_id: uuid.UUID, *, for_update: bool = False) -> Reservation | None:
        query = select(*_RESERVATION_COLUMNS).where(reservations.c.id == reservation_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).one_or_none()
        return _reservation(row) if row is not None else None

    async def save(self, reservation: Reservation) -> None:
        await self._connection.execute(
            update(reservations)
            .where(reservations.c.id == reservation.id)
            .values(
                status=reservation.status.value,
                ended_at=reservation.ended_at,
                expires_at=reservation.expires_at,
            )
        )

    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[ReservationStatus],
    ) -> list[Reservation]:
        query = select(*_RESERVATION_COLUMNS).where(reservations.c.customer_id == customer_id)
        if statuses:
            query = query.where(reservations.c.status.in_([s.value for s in statuses]))
        if after is not None:
            query = query.where(
                tuple_(reservations.c.created_at, reservations.c.id)
                < tuple_(literal(after[0]), literal(after[1]))
            )
        query = query.order_by(reservations.c.created_at.desc(), reservations.c.id.desc()).limit(limit)
        return [_reservation(row) for row in await self._connection.execute(query)]

    async def due(self, now: dt.datetime, *, limit: int) -> list[Reservation]:
        query = (
            select(*_RESERVATION_COLUMNS)
            .where(reservations.c.status == ReservationStatus.HELD.value, reservations.c.expires_at <= now)
            .order_by(reservations.c.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_reservation(row) for row in await self._connection.execute(query)]


# ---------------------------------------------------------------- the inbox


class SqlInbox(Inbox):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def first_time(self, message_id: uuid.UUID, *, message_type: str) -> bool:
        stored = await self._connection.scalar(
            insert(inbox)
            .values(message_id=message_id, message_type=message_type)
            .on_conflict_do_nothing(index_elements=[inbox.c.message_id])
            .returning(inbox.c.message_id)
        )
        return stored is not None
