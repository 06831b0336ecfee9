"""All SQL of check-in: scans, admissions, and the door's view of a session's tickets.

Every method runs on the unit of work's connection and never commits. Transactions are READ
COMMITTED: each statement sees what was committed before it began, which the compare-and-set on an
admission's version relies on (a loser re-reads and sees the winner's row).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import and_, bindparam, func, literal, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taquilla_runtime.audit import SUCCESS, note_outcome
from ticketing_svc.adapters.orm import admissions, checkins, inventory, tickets
from ticketing_svc.application.ports import CheckIns
from ticketing_svc.domain.checkins import (
    Admission,
    ChangePosition,
    CheckInConflict,
    CheckInRecord,
    ConflictScan,
    DoorTicket,
    Occupancy,
    ScanResult,
    ScanType,
    TicketChanges,
)
from ticketing_svc.domain.orders import TicketStatus

PENDING = "pending"
_DOOR_COLUMNS = (
    tickets.c.id,
    tickets.c.session_id,
    tickets.c.zone_id,
    tickets.c.zone_name,
    tickets.c.holder_name,
    tickets.c.status,
    tickets.c.order_id,
)
# Transactions older than every one still running (cluster-wide) have all ended: changes they made
# are final, and no transaction can any more stamp a ticket with an xid below this one.
_HORIZON = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


# The online scan's statements, built once (compiled once and cached). A scan makes three round
# trips: the claim with the ticket and its admission, the decision, the occupancy.
#
# The claim, and the ticket and its admission as committed when the statement began. A twin with the
# same nonce in flight makes the insert wait for its transaction's end; claimed is NULL then (the
# handler replays the first answer and reads afresh). A stale admission is caught by the decision's
# compare-and-set, as with a separate read.
_CLAIM_AND_READ = (
    text(
        "WITH claimed AS ("
        " INSERT INTO checkins (id, ticket_id, session_id, device_id, nonce, type, result, scanned_at,"
        " recorded_at, offline, conflict)"
        " VALUES (:id, NULL, :session_id, :device_id, :nonce, :type, :pending, :scanned_at, :recorded_at,"
        " :offline, false)"
        " ON CONFLICT (session_id, device_id, nonce) DO NOTHING RETURNING id)"
        " SELECT (SELECT c.id FROM claimed c) AS claimed,"
        " t.id, t.session_id, t.zone_id, t.zone_name, t.holder_name, t.status, t.order_id,"
        " a.ticket_id AS a_ticket_id, a.inside, a.entries, a.first_entry_at, a.first_entry_device,"
        " a.changed_at, a.version"
        " FROM (SELECT 1) AS one"
        " LEFT JOIN tickets t ON t.id = :ticket_id"
        " LEFT JOIN admissions a ON a.ticket_id = t.id"
    )
    .bindparams(
        bindparam("id", type_=UUID(as_uuid=True)),
        bindparam("session_id", type_=UUID(as_uuid=True)),
        bindparam("ticket_id", type_=UUID(as_uuid=True)),
    )
    .columns(
        claimed=UUID(as_uuid=True),
        id=UUID(as_uuid=True),
        session_id=UUID(as_uuid=True),
        zone_id=UUID(as_uuid=True),
        order_id=UUID(as_uuid=True),
        a_ticket_id=UUID(as_uuid=True),
    )
)
# The decision of a scan that changes an admission: the admission written if nobody changed it
# since it was read (a first entry's insert waits for a simultaneous one's transaction, then inserts
# nothing; a later change checks the version on the committed row), and only then the ticket marked
# used (a first entry) and the scan settled. Returns the number of admissions written (0 or 1).
_UUID_PARAMS = (
    bindparam("ticket_id", type_=UUID(as_uuid=True)),
    bindparam("session_id", type_=UUID(as_uuid=True)),
    bindparam("shown", type_=UUID(as_uuid=True)),
    bindparam("checkin_id", type_=UUID(as_uuid=True)),
    bindparam("occupancy_of", type_=UUID(as_uuid=True)),
)
# What follows writing an admission (CTE `saved`, empty when another scan changed it first): the
# ticket marked used on its first entry, the scan's result saved, and the people inside counted.
_AFTER_SAVING = (
    " used AS (UPDATE tickets SET status = 'used'"
    " WHERE id IN (SELECT ticket_id FROM saved) AND status = 'valid' AND CAST(:first_entry AS boolean)),"
    " settled AS (UPDATE checkins SET result = :result, ticket_id = :shown, conflict = :conflict"
    " WHERE id = :checkin_id AND EXISTS (SELECT 1 FROM saved))"
    " SELECT count(*) AS saved,"
    " CASE WHEN CAST(:counted AS boolean) THEN (SELECT count(*) FROM admissions"
    " WHERE session_id = :occupancy_of AND inside AND ticket_id <> :ticket_id)"
    " + (SELECT count(*) FROM saved WHERE CAST(:inside AS boolean)) END AS admitted,"
    " CASE WHEN CAST(:counted AS boolean) THEN (SELECT coalesce(sum(capacity), 0) FROM inventory"
    " WHERE session_id = :occupancy_of) END AS capacity"
    " FROM saved"
)
# The admission written: its first entry, or the next change if nobody changed it meanwhile.
_SAVE_FIRST = (
    "WITH saved AS (INSERT INTO admissions (ticket_id, session_id, inside, entries, first_entry_at,"
    " first_entry_device, changed_at, version) VALUES (:ticket_id, :session_id, :inside, :entries,"
    " :first_entry_at, :first_entry_device, :changed_at, :version)"
    " ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id),"
)
_SAVE_NEXT = (
    "WITH saved AS (UPDATE admissions SET (session_id, inside, entries, first_entry_at,"
    " first_entry_device, changed_at, version) = (:session_id, :inside, :entries, :first_entry_at,"
    " :first_entry_device, :changed_at, :version)"
    " WHERE ticket_id = :ticket_id AND version = :version - 1 RETURNING ticket_id),"
)
_FIRST_ENTRY = text(_SAVE_FIRST + _AFTER_SAVING).bindparams(*_UUID_PARAMS)
_NEXT_ADMISSION = text(_SAVE_NEXT + _AFTER_SAVING).bindparams(*_UUID_PARAMS)
_SETTLE = (
    update(checkins)
    .where(checkins.c.id == bindparam("checkin_id"))
    .values(result=bindparam("result"), ticket_id=bindparam("shown"), conflict=bindparam("conflict"))
)
# A decision that changes no admission, and the occupancy after it (of the statement's snapshot,
# which holds this transaction's own writes).
_SETTLE_COUNTED = text(
    "WITH settled AS (UPDATE checkins SET result = :result, ticket_id = :shown, conflict = :conflict"
    " WHERE id = :checkin_id)"
    " SELECT 1 AS saved,"
    " (SELECT count(*) FROM admissions WHERE session_id = :occupancy_of AND inside) AS admitted,"
    " (SELECT coalesce(sum(capacity), 0) FROM inventory WHERE session_id = :occupancy_of) AS capacity"
).bindparams(
    bindparam("shown", type_=UUID(as_uuid=True)),
    bindparam("checkin_id", type_=UUID(as_uuid=True)),
    bindparam("occupancy_of", type_=UUID(as_uuid=True)),
)
_OCCUPANCY = select(
    select(func.count())
    .where(admissions.c.session_id == bindparam("session_id"), admissions.c.inside)
    .scalar_subquery()
    .label("admitted"),
    select(func.coalesce(func.sum(inventory.c.capacity), 0))
    .where(inventory.c.session_id == bindparam("session_id"))
    .scalar_subquery()
    .label("capacity"),
)


def _door_ticket(row: Any) -> DoorTicket:
    return DoorTicket(
        id=row.id,
        session_id=row.session_id,
        zone_id=row.zone_id,
        zone_name=row.zone_name,
        holder_name=row.holder_name,
        status=TicketStatus(row.status),
        order_id=row.order_id,
    )


def _admission(row: Any) -> Admission:
    return Admission(
        ticket_id=row.ticket_id,
        session_id=row.session_id,
        inside=row.inside,
        entries=row.entries,
        first_entry_at=row.first_entry_at,
        first_entry_device=row.first_entry_device,
        changed_at=row.changed_at,
        version=row.version,
    )


def _record(row: Any) -> CheckInRecord:
    return CheckInRecord(
        id=row.id,
        ticket_id=row.ticket_id,
        session_id=row.session_id,
        device_id=row.device_id,
        nonce=row.nonce,
        type=ScanType(row.type),
        result=ScanResult(row.result) if row.result != PENDING else None,
        scanned_at=row.scanned_at,
        conflict=row.conflict,
        offline=row.offline,
    )


class SqlCheckIns(CheckIns):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(self, record: CheckInRecord, *, recorded_at: dt.datetime) -> CheckInRecord | None:
        # A twin with the same nonce in flight makes this insert wait for its transaction's end.
        stored = await self._connection.scalar(
            insert(checkins)
            .values(
                id=record.id,
                ticket_id=None,
                session_id=record.session_id,
                device_id=record.device_id,
                nonce=record.nonce,
                type=record.type.value,
                result=PENDING,
                scanned_at=record.scanned_at,
                recorded_at=recorded_at,
                offline=record.offline,
                conflict=False,
            )
            .on_conflict_do_nothing(
                index_elements=[checkins.c.session_id, checkins.c.device_id, checkins.c.nonce]
            )
            .returning(checkins.c.id)
        )
        if stored is not None:
            return None
        row = (
            await self._connection.execute(
                select(checkins).where(
                    checkins.c.session_id == record.session_id,
                    checkins.c.device_id == record.device_id,
                    checkins.c.nonce == record.nonce,
                )
            )
        ).one()
        return _record(row)

    async def claim_and_read(
        self, record: CheckInRecord, *, recorded_at: dt.datetime, ticket_id: uuid.UUID | None
    ) -> tuple[CheckInRecord | None, DoorTicket | None, Admission | None]:
        row = (
            await self._connection.execute(
                _CLAIM_AND_READ,
                {
                    "id": record.id,
                    "session_id": record.session_id,
                    "device_id": record.device_id,
                    "nonce": record.nonce,
                    "type": record.type.value,
                    "pending": PENDING,
                    "scanned_at": record.scanned_at,
                    "recorded_at": recorded_at,
                    "offline": record.offline,
                    "ticket_id": ticket_id,
                },
            )
        ).one()
        if row.claimed is None:
            earlier = (
                await self._connection.execute(
                    select(checkins).where(
                        checkins.c.session_id == record.session_id,
                        checkins.c.device_id == record.device_id,
                        checkins.c.nonce == record.nonce,
                    )
                )
            ).one()
            return _record(earlier), None, None
        if row.id is None:
            return None, None, None
        ticket = _door_ticket(row)
        if row.a_ticket_id is None:
            return None, ticket, None
        admission = Admission(
            ticket_id=row.a_ticket_id,
            session_id=row.session_id,
            inside=row.inside,
            entries=row.entries,
            first_entry_at=row.first_entry_at,
            first_entry_device=row.first_entry_device,
            changed_at=row.changed_at,
            version=row.version,
        )
        return None, ticket, admission

    async def decided(
        self,
        checkin_id: uuid.UUID,
        admission: Admission | None,
        *,
        result: ScanResult,
        ticket_id: uuid.UUID | None,
        conflict: bool,
        first_entry: bool,
    ) -> bool:
        settle = {"checkin_id": checkin_id, "result": result.value, "shown": ticket_id, "conflict": conflict}
        if admission is None:
            await self._connection.execute(_SETTLE, settle)
            return True
        return await self._decide(settle, admission, first_entry=first_entry, occupancy_of=None) is not None

    async def decided_counted(
        self,
        checkin_id: uuid.UUID,
        admission: Admission | None,
        *,
        result: ScanResult,
        ticket_id: uuid.UUID | None,
        conflict: bool,
        first_entry: bool,
        session_id: uuid.UUID,
    ) -> Occupancy | None:
        # The online scan's audit entry says how the door answered (a refusal is an answer there).
        note_outcome(SUCCESS if result is ScanResult.OK else result.value)
        settle = {"checkin_id": checkin_id, "result": result.value, "shown": ticket_id, "conflict": conflict}
        if admission is None:
            counted = {**settle, "occupancy_of": session_id}
            row = (await self._connection.execute(_SETTLE_COUNTED, counted)).one()
            return Occupancy(admitted=int(row.admitted or 0), capacity=int(row.capacity or 0))
        return await self._decide(settle, admission, first_entry=first_entry, occupancy_of=session_id)

    async def _decide(
        self,
        settle: dict[str, Any],
        admission: Admission,
        *,
        first_entry: bool,
        occupancy_of: uuid.UUID | None,
    ) -> Occupancy | None:
        """The admission written and the scan settled in one statement; None when the admission
        changed meanwhile. The occupancy after it when ``occupancy_of``, else Occupancy(0, 0)."""
        row = (
            await self._connection.execute(
                _FIRST_ENTRY if admission.version == 1 else _NEXT_ADMISSION,
                {
                    **settle,
                    "first_entry": first_entry,
                    "ticket_id": admission.ticket_id,
                    "session_id": admission.session_id,
                    "inside": admission.inside,
                    "entries": admission.entries,
                    "first_entry_at": admission.first_entry_at,
                    "first_entry_device": admission.first_entry_device,
                    "changed_at": admission.changed_at,
                    "version": admission.version,
                    "counted": occupancy_of is not None,
                    "occupancy_of": occupancy_of,
                },
            )
        ).one()
        if row.saved != 1:
            return None
        return Occupancy(admitted=int(row.admitted or 0), capacity=int(row.capacity or 0))

    async def settle(
        self, checkin_id: uuid.UUID, *, result: ScanResult, ticket_id: uuid.UUID | None, conflict: bool
    ) -> None:
        settled = {"checkin_id": checkin_id, "result": result.value, "shown": ticket_id, "conflict": conflict}
        await self._connection.execute(_SETTLE, settled)

    async def door_ticket(self, ticket_id: uuid.UUID) -> DoorTicket | None:
        row = (
            await self._connection.execute(select(*_DOOR_COLUMNS).where(tickets.c.id == ticket_id))
        ).one_or_none()
        return _door_ticket(row) if row is not None else None

    async def admission(self, ticket_id: uuid.UUID) -> Admission | None:
        row = (
            await self._connection.execute(select(admissions).where(admissions.c.ticket_id == ticket_id))
        ).one_or_none()
        return _admission(row) if row is not None else None

    async def save_admission(self, admission: Admission) -> bool:
        values = {
            "session_id": admission.session_id,
            "inside": admission.inside,
            "entries": admission.entries,
            "first_entry_at": admission.first_entry_at,
            "first_entry_device": admission.first_entry_device,
            "changed_at": admission.changed_at,
            "version": admission.version,
        }
        if admission.version == 1:
            # The first entry: of simultaneous ones, the first insert wins and the others wait for
            # its transaction, then find the row and insert nothing.
            stored = await self._connection.scalar(
                insert(admissions)
                .values(ticket_id=admission.ticket_id, **values)
                .on_conflict_do_nothing(index_elements=[admissions.c.ticket_id])
                .returning(admissions.c.ticket_id)
            )
            return stored is not None
        # Waits for a concurrent writer of the row, then checks the version on its committed row.
        changed = await self._connection.execute(
            update(admissions)
            .where(
                admissions.c.ticket_id == admission.ticket_id,
                admissions.c.version == admission.version - 1,
            )
            .values(**values)
        )
        return changed.rowcount == 1

    async def mark_used(self, ticket_id: uuid.UUID) -> None:
        await self._connection.execute(
            update(tickets)
            .where(tickets.c.id == ticket_id, tickets.c.status == TicketStatus.VALID.value)
            .values(status=TicketStatus.USED.value)
        )

    async def occupancy(self, session_id: uuid.UUID) -> Occupancy:
        # One round trip: it is part of every scan's answer.
        row = (await self._connection.execute(_OCCUPANCY, {"session_id": session_id})).one()
        return Occupancy(admitted=int(row.admitted or 0), capacity=int(row.capacity or 0))

    async def changes(
        self, session_id: uuid.UUID, *, after: ChangePosition | None, limit: int
    ) -> TicketChanges:
        horizon = int(await self._connection.scalar(_HORIZON) or 0)
        query = select(*_DOOR_COLUMNS, tickets.c.change_xid).where(
            tickets.c.session_id == session_id, tickets.c.change_xid < horizon
        )
        if after is not None:
            query = query.where(
                tuple_(tickets.c.change_xid, tickets.c.id)
                > tuple_(literal(after.xid), literal(after.ticket_id))
            )
        rows = (
            await self._connection.execute(
                query.order_by(tickets.c.change_xid, tickets.c.id).limit(limit + 1)
            )
        ).all()
        if len(rows) > limit:
            last = rows[limit - 1]
            return TicketChanges(
                [_door_ticket(row) for row in rows[:limit]],
                ChangePosition(int(last.change_xid), last.id),
                complete=False,
            )
        # Every change below the horizon is handed out: the next pack starts there.
        position = ChangePosition(horizon)
        if after is not None and (after.xid, after.ticket_id) > (horizon, position.ticket_id):
            position = after
        return TicketChanges([_door_ticket(row) for row in rows], position, complete=True)

    async def conflicts(self, event_id: uuid.UUID, *, limit: int) -> list[CheckInConflict]:
        latest = func.max(checkins.c.recorded_at).label("latest")
        flagged = (
            select(checkins.c.ticket_id, latest)
            .select_from(checkins.join(tickets, tickets.c.id == checkins.c.ticket_id))
            .where(checkins.c.conflict, tickets.c.event_id == event_id)
            .group_by(checkins.c.ticket_id)
            .order_by(latest.desc(), checkins.c.ticket_id)
            .limit(limit)
        )
        ids = [row.ticket_id for row in await self._connection.execute(flagged)]
        if not ids:
            return []
        door = {
            row.id: _door_ticket(row)
            for row in await self._connection.execute(select(*_DOOR_COLUMNS).where(tickets.c.id.in_(ids)))
        }
        scans: dict[uuid.UUID, list[ConflictScan]] = {ticket_id: [] for ticket_id in ids}
        rows = await self._connection.execute(
            select(checkins)
            .where(and_(checkins.c.ticket_id.in_(ids), checkins.c.result != PENDING))
            .order_by(checkins.c.ticket_id, checkins.c.scanned_at, checkins.c.recorded_at)
        )
        for row in rows:
            scans[row.ticket_id].append(
                ConflictScan(
                    at=row.scanned_at,
                    device_id=row.device_id,
                    result=ScanResult(row.result),
                    type=ScanType(row.type),
                    conflict=row.conflict,
                )
            )
        return [CheckInConflict(door[ticket_id], scans[ticket_id]) for ticket_id in ids]
