"""Webhook endpoints, kept messages, deliveries and the event -> organization map, in SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notification_svc.adapters.orm import (
    event_owners,
    webhook_deliveries,
    webhook_endpoints,
    webhook_messages,
)
from notification_svc.application.webhook_ports import RoutableMessage, Webhooks
from notification_svc.domain.model import Message
from notification_svc.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    DisabledReason,
    Endpoint,
    EndpointStatus,
)
from taquilla_runtime.messaging.envelope import Envelope


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id,
        organization_id=row.organization_id,
        url=row.url,
        types=frozenset(row.types),
        description=row.description,
        secret=row.secret,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
        status=EndpointStatus(row.status),
        disabled_reason=DisabledReason(row.disabled_reason) if row.disabled_reason else None,
        previous_secret=row.previous_secret,
        previous_secret_until=row.previous_secret_until,
        failing_since=row.failing_since,
    )


def _endpoint_row(e: Endpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "organization_id": e.organization_id,
        "url": e.url,
        "types": sorted(e.types),
        "description": e.description,
        "secret": e.secret,
        "previous_secret": e.previous_secret,
        "previous_secret_until": e.previous_secret_until,
        "status": e.status.value,
        "disabled_reason": e.disabled_reason.value if e.disabled_reason else None,
        "failing_since": e.failing_since,
        "created_by": e.created_by,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


_DELIVERY_STATE = (
    "attempts", "next_attempt_at", "window_start", "last_attempt_at", "last_status_code",
    "last_latency_ms", "last_response", "last_error",
)  # fmt: skip


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        message_id=row.message_id,
        webhook_type=row.webhook_type,
        body=bytes(row.body),
        created_at=row.created_at,
        status=DeliveryStatus(row.status),
        **{name: getattr(row, name) for name in _DELIVERY_STATE},
    )


def _delivery_state(d: Delivery) -> dict[str, Any]:
    return {"status": d.status.value, **{name: getattr(d, name) for name in _DELIVERY_STATE}}


def _as_envelope(message: Message) -> Envelope:
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


class SqlWebhooks(Webhooks):
    def __init__(self, connection: AsyncConnection) -> None:
        self._c = connection

    # ---- endpoints
    async def add_endpoint(self, endpoint: Endpoint) -> None:
        await self._c.execute(webhook_endpoints.insert().values(**_endpoint_row(endpoint)))

    async def endpoint(self, endpoint_id: uuid.UUID, *, for_update: bool = False) -> Endpoint | None:
        query = select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._c.execute(query)).first()
        return _endpoint(row) if row else None

    async def endpoints_page(
        self, organization_id: uuid.UUID | None, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[Endpoint]:
        query = select(webhook_endpoints)
        if organization_id is not None:
            query = query.where(webhook_endpoints.c.organization_id == organization_id)
        if after is not None:
            query = query.where(webhook_endpoints.c.id > after)
        query = query.order_by(webhook_endpoints.c.id).limit(limit)
        return [_endpoint(row) for row in (await self._c.execute(query)).all()]

    async def endpoints_wanting(self, organization_id: uuid.UUID, webhook_type: str) -> Sequence[Endpoint]:
        query = select(webhook_endpoints).where(
            webhook_endpoints.c.organization_id == organization_id,
            webhook_endpoints.c.status == EndpointStatus.ENABLED.value,
            webhook_endpoints.c.types.any_() == webhook_type,
        )
        return [
            _endpoint(row) for row in (await self._c.execute(query.order_by(webhook_endpoints.c.id))).all()
        ]

    async def save_endpoint(self, endpoint: Endpoint) -> None:
        values = _endpoint_row(endpoint)
        del values["id"]
        await self._c.execute(
            update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint.id).values(**values)
        )

    async def remove_endpoint(self, endpoint_id: uuid.UUID) -> None:
        await self._c.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))

    # ---- owners and messages
    async def record_owner(self, event_id: uuid.UUID, organization_id: uuid.UUID) -> None:
        await self._c.execute(
            pg_insert(event_owners)
            .values(event_id=event_id, organization_id=organization_id)
            .on_conflict_do_nothing(index_elements=[event_owners.c.event_id])
        )

    async def add_message(self, message: Message, organization_id: uuid.UUID | None) -> bool:
        inserted = await self._c.scalar(
            pg_insert(webhook_messages)
            .values(
                message_id=message.message_id,
                event_id=message.event_id,
                type=message.type,
                organization_id=organization_id,
                envelope=_as_envelope(message).to_dict(),
            )
            .on_conflict_do_nothing(index_elements=[webhook_messages.c.message_id])
            .returning(webhook_messages.c.message_id)
        )
        return inserted is not None

    async def routable(self, limit: int) -> Sequence[RoutableMessage]:
        owner = func.coalesce(webhook_messages.c.organization_id, event_owners.c.organization_id)
        query = (
            select(webhook_messages.c.envelope, owner.label("owner"))
            .select_from(
                webhook_messages.outerjoin(
                    event_owners, event_owners.c.event_id == webhook_messages.c.event_id
                )
            )
            .where(webhook_messages.c.routed_at.is_(None), owner.is_not(None))
            .order_by(webhook_messages.c.received_at, webhook_messages.c.message_id)
            .limit(limit)
            .with_for_update(of=webhook_messages, skip_locked=True)
        )
        return [
            RoutableMessage(Envelope.from_dict(row.envelope), row.owner)
            for row in (await self._c.execute(query)).all()
        ]

    async def mark_routed(self, message_id: uuid.UUID, at: dt.datetime) -> None:
        await self._c.execute(
            update(webhook_messages).where(webhook_messages.c.message_id == message_id).values(routed_at=at)
        )

    # ---- deliveries
    async def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        rows = [
            {
                "id": d.id,
                "endpoint_id": d.endpoint_id,
                "message_id": d.message_id,
                "webhook_type": d.webhook_type,
                "body": d.body,
                "created_at": d.created_at,
                **_delivery_state(d),
            }
            for d in deliveries
        ]
        await self._c.execute(
            pg_insert(webhook_deliveries)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_webhook_deliveries_message")
        )

    async def due(self, now: dt.datetime, limit: int) -> Sequence[Delivery]:
        query = (
            select(webhook_deliveries)
            .where(
                webhook_deliveries.c.status == DeliveryStatus.PENDING.value,
                webhook_deliveries.c.next_attempt_at <= now,
            )
            .order_by(webhook_deliveries.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_delivery(row) for row in (await self._c.execute(query)).all()]

    async def delivery(self, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery | None:
        query = select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._c.execute(query)).first()
        return _delivery(row) if row else None

    async def save_delivery(self, delivery: Delivery) -> None:
        await self._c.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery.id)
            .values(**_delivery_state(delivery))
        )

    async def deliveries_page(
        self, endpoint_id: uuid.UUID, *, before: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[Delivery]:
        query = select(webhook_deliveries).where(webhook_deliveries.c.endpoint_id == endpoint_id)
        if before is not None:
            query = query.where(
                tuple_(webhook_deliveries.c.created_at, webhook_deliveries.c.id)
                < tuple_(literal(before[0]), literal(before[1]))
            )
        query = query.order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.id.desc()).limit(
            limit
        )
        return [_delivery(row) for row in (await self._c.execute(query)).all()]

    async def deliveries_between(
        self, endpoint_id: uuid.UUID, since: dt.datetime, until: dt.datetime, limit: int
    ) -> Sequence[Delivery]:
        query = (
            select(webhook_deliveries)
            .where(
                webhook_deliveries.c.endpoint_id == endpoint_id,
                webhook_deliveries.c.created_at >= since,
                webhook_deliveries.c.created_at < until,
            )
            .order_by(webhook_deliveries.c.created_at)
            .limit(limit)
            .with_for_update()
        )
        return [_delivery(row) for row in (await self._c.execute(query)).all()]

    async def give_up_pending(self, endpoint_id: uuid.UUID, reason: str) -> None:
        await self._c.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.endpoint_id == endpoint_id,
                webhook_deliveries.c.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.FAILED.value, last_error=reason)
        )
