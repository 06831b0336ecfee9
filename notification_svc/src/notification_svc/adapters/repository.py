"""Notifications over one connection; the unit of work commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notification_svc.adapters.orm import inbox, notifications
from notification_svc.application.ports import Notifications
from notification_svc.domain.model import Channel, Message, Notification, NotificationStatus, RecipientRole
from taquilla_runtime.messaging.envelope import Envelope

_COLUMNS = (
    "id",
    "message_id",
    "event_id",
    "name",
    "type",
    "occurred_at",
    "correlation_id",
    "payload_sha256",
    "attempts",
    "last_error",
    "created_at",
    "updated_at",
    "sending_since",
)


def _row(n: Notification) -> dict[str, Any]:
    values = {name: getattr(n, name) for name in _COLUMNS}
    values.update(recipient_role=n.recipient_role.value, channel=n.channel.value, status=n.status.value)
    return values


def _notification(row: Any) -> Notification:
    return Notification(
        id=row.id,
        message_id=row.message_id,
        event_id=row.event_id,
        name=row.name,
        type=row.type,
        occurred_at=row.occurred_at,
        correlation_id=row.correlation_id,
        payload_sha256=row.payload_sha256,
        recipient_role=RecipientRole(row.recipient_role),
        channel=Channel(row.channel),
        status=NotificationStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sending_since=row.sending_since,
    )


class SqlNotifications(Notifications):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    async def for_message(self, message_id: uuid.UUID, *, for_update: bool = False) -> Sequence[Notification]:
        query = (
            select(notifications).where(notifications.c.message_id == message_id).order_by(notifications.c.id)
        )
        if for_update:
            query = query.with_for_update()
        return [_notification(row) for row in (await self._c.execute(query)).all()]

    async def add_all(self, envelope: Message, planned: Sequence[Notification]) -> bool:
        inserted = await self._c.scalar(
            pg_insert(inbox)
            .values(message_id=envelope.message_id, envelope=_as_envelope(envelope).to_dict())
            .on_conflict_do_nothing(index_elements=[inbox.c.message_id])
            .returning(inbox.c.message_id)
        )
        if inserted is None:
            return False
        await self._c.execute(insert(notifications), [_row(n) for n in planned])
        return True

    async def envelope(self, message_id: uuid.UUID) -> Envelope | None:
        raw = await self._c.scalar(select(inbox.c.envelope).where(inbox.c.message_id == message_id))
        return Envelope.from_dict(raw) if raw is not None else None

    async def get(self, notification_id: uuid.UUID, *, for_update: bool = False) -> Notification | None:
        query = select(notifications).where(notifications.c.id == notification_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._c.execute(query)).first()
        return _notification(row) if row else None

    async def save(self, n: Notification) -> None:
        await self._c.execute(
            update(notifications)
            .where(notifications.c.id == n.id)
            .values(
                status=n.status.value,
                attempts=n.attempts,
                last_error=n.last_error,
                updated_at=n.updated_at,
                sending_since=n.sending_since,
            )
        )

    async def page(
        self,
        *,
        status: NotificationStatus | None,
        event_id: uuid.UUID | None,
        before: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Notification]:
        query = select(notifications)
        if status is not None:
            query = query.where(notifications.c.status == status.value)
        if event_id is not None:
            query = query.where(notifications.c.event_id == event_id)
        if before is not None:
            query = query.where(
                tuple_(notifications.c.created_at, notifications.c.id)
                < tuple_(literal(before[0]), literal(before[1]))
            )
        query = query.order_by(notifications.c.created_at.desc(), notifications.c.id.desc()).limit(limit)
        return [_notification(row) for row in (await self._c.execute(query)).all()]


def _as_envelope(message: Message) -> Envelope:
    """The platform's envelope of a message, kept in the inbox exactly as it arrived."""
    if isinstance(message, Envelope):
        return message
    return Envelope(
        message_id=message.message_id,
        event_id=message.event_id,
        name=message.name,
        occurred_at=message.occurred_at,
        correlation_id=message.correlation_id,
        type=message.type,
        payload=message.payload,
        version=message.version,
    )
