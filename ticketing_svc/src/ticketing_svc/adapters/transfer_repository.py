"""All SQL of ticket transfers. Every method runs on the unit of work's connection and never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ticketing_svc.adapters.orm import ticket_transfers
from ticketing_svc.application.ports import Transfers
from ticketing_svc.domain.errors import TicketNotTransferable
from ticketing_svc.domain.transfers import Party, TicketTransfer, TransferStatus


def _transfer(row: Any) -> TicketTransfer:
    return TicketTransfer(
        id=row.id,
        ticket_id=row.ticket_id,
        order_id=row.order_id,
        event_id=row.event_id,
        event_name=row.event_name,
        session_id=row.session_id,
        from_customer=row.from_customer,
        sender=Party(row.from_name, row.from_email, row.from_locale),
        recipient_email=row.recipient_email,
        token_hash=row.token_hash,
        status=TransferStatus(row.status),
        created_at=row.created_at,
        expires_at=row.expires_at,
        new_ticket_id=row.new_ticket_id,
        accepted_at=row.accepted_at,
        accepted_by=row.accepted_by,
        ended_at=row.ended_at,
    )


class SqlTransfers(Transfers):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, transfer: TicketTransfer) -> None:
        values = {
            "id": transfer.id,
            "ticket_id": transfer.ticket_id,
            "order_id": transfer.order_id,
            "event_id": transfer.event_id,
            "event_name": transfer.event_name,
            "session_id": transfer.session_id,
            "from_customer": transfer.from_customer,
            "from_name": transfer.sender.name,
            "from_email": transfer.sender.email,
            "from_locale": transfer.sender.locale,
            "recipient_email": transfer.recipient_email,
            "token_hash": transfer.token_hash,
            "status": transfer.status.value,
            "created_at": transfer.created_at,
            "expires_at": transfer.expires_at,
        }
        try:
            async with self._connection.begin_nested():
                await self._connection.execute(insert(ticket_transfers).values(values))
        except IntegrityError as exc:
            if "ux_ticket_transfers_pending" not in str(exc.orig):
                raise
            raise TicketNotTransferable(
                "transfer-pending", "The ticket is already on its way to someone: cancel that transfer first."
            ) from None

    async def get(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> TicketTransfer | None:
        query = select(ticket_transfers).where(ticket_transfers.c.id == transfer_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).one_or_none()
        return _transfer(row) if row is not None else None

    async def pending_for(self, ticket_id: uuid.UUID) -> TicketTransfer | None:
        query = (
            select(ticket_transfers)
            .where(
                ticket_transfers.c.ticket_id == ticket_id,
                ticket_transfers.c.status == TransferStatus.PENDING.value,
            )
            .with_for_update()
        )
        row = (await self._connection.execute(query)).one_or_none()
        return _transfer(row) if row is not None else None

    async def save(self, transfer: TicketTransfer) -> None:
        await self._connection.execute(
            update(ticket_transfers)
            .where(ticket_transfers.c.id == transfer.id)
            .values(
                status=transfer.status.value,
                new_ticket_id=transfer.new_ticket_id,
                accepted_at=transfer.accepted_at,
                accepted_by=transfer.accepted_by,
                ended_at=transfer.ended_at,
            )
        )
