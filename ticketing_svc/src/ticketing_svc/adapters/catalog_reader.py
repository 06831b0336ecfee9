"""The catalog read through over gRPC (event_svc), for sessions ticketing has not yet heard of."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import grpc

from taquilla.events.v1 import event_service_pb2 as pb
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime.service_client import ServiceClient
from taquilla_runtime.timestamps import from_timestamp
from ticketing_svc.application.ports import CatalogReader
from ticketing_svc.domain.model import (
    DEFAULT_ADMISSION_PER_MINUTE,
    DEFAULT_HOLD_MINUTES,
    DEFAULT_MAX_PER_ORDER,
    DEFAULT_PAYMENT_MINUTES,
    CatalogEvent,
    CatalogSession,
    CatalogZone,
    Money,
    SaleSettings,
)

_EVENT_STATUS = {
    pb.EVENT_STATUS_DRAFT: "draft",
    pb.EVENT_STATUS_PUBLISHED: "published",
    pb.EVENT_STATUS_CANCELLED: "cancelled",
    pb.EVENT_STATUS_COMPLETED: "completed",
}


def _session_status(value: int) -> str:
    # SESSION_STATUS_ON_SALE -> "on_sale": the catalog's messages use the same words.
    return pb.SessionStatus.Name(pb.SessionStatus.ValueType(value)).removeprefix("SESSION_STATUS_").lower()


def event_from_pb(event: pb.Event) -> CatalogEvent:
    return CatalogEvent(
        id=uuid.UUID(event.id),
        organization_id=uuid.UUID(event.organization_id),
        name=event.name,
        status=_EVENT_STATUS.get(event.status, "draft"),
        version=int(event.version),
        zones=tuple(
            CatalogZone(
                id=uuid.UUID(zone.id),
                name=zone.name,
                price=Money(Decimal(zone.price.amount), zone.price.currency),
                capacity=zone.capacity,
                max_per_order=zone.max_per_order or DEFAULT_MAX_PER_ORDER,
            )
            for zone in event.zones
        ),
        sessions=tuple(
            CatalogSession(
                uuid.UUID(session.id),
                _session_status(session.status),
                starts_at=from_timestamp(session.starts_at) if session.HasField("starts_at") else None,
                ends_at=from_timestamp(session.ends_at) if session.HasField("ends_at") else None,
            )
            for session in event.sessions
        ),
        settings=SaleSettings(
            on_sale_at=from_timestamp(event.sales.on_sale_at) if event.sales.HasField("on_sale_at") else None,
            hold_minutes=event.sales.hold_minutes or DEFAULT_HOLD_MINUTES,
            max_per_customer=event.sales.max_per_customer or None,
            waiting_room=event.sales.waiting_room,
            admission_per_minute=event.sales.admission_per_minute or DEFAULT_ADMISSION_PER_MINUTE,
            payment_minutes=event.sales.payment_minutes or DEFAULT_PAYMENT_MINUTES,
            reentry_allowed=event.sales.reentry_allowed,
            transfers_allowed=event.sales.transfers_allowed,
        ),
    )


class GrpcCatalogReader(CatalogReader):
    def __init__(self, address: str, *, deadline: float = 2.0) -> None:
        self._events = ServiceClient(
            address, event_service_pb2_grpc.EventServiceStub, caller="ticketing_svc", deadline=deadline
        )

    async def event_for_session(self, session_id: uuid.UUID) -> CatalogEvent | None:
        return await self._event_or_none(
            self._events.stub.FindEventBySession(
                pb.FindEventBySessionRequest(session_id=str(session_id)),
                metadata=self._events.metadata(),
                timeout=self._events.deadline,
            )
        )

    async def event(self, event_id: uuid.UUID) -> CatalogEvent | None:
        return await self._event_or_none(
            self._events.stub.GetEvent(
                pb.GetEventRequest(event_id=str(event_id)),
                metadata=self._events.metadata(),
                timeout=self._events.deadline,
            )
        )

    @staticmethod
    async def _event_or_none(call: Awaitable[Any]) -> CatalogEvent | None:
        """The event a reply carries; None when the catalog has no such (published) event."""
        try:
            reply = await call
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return event_from_pb(reply.event)

    async def close(self) -> None:
        await self._events.close()
