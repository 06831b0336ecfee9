"""Protobuf request builders and a small client for servicer tests over real gRPC."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from taquilla.events.v1 import event_service_pb2 as pb
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime.correlation import GRPC_METADATA_KEY
from taquilla_runtime.grpc_errors import FIELD_ERRORS_KEY
from taquilla_runtime.principal import Principal, PrincipalKind, Role

BASE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).replace(minute=0, second=0, microsecond=0)


def at(hours: float) -> dt.datetime:
    return BASE + dt.timedelta(hours=hours)


def stamp(value: dt.datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


def organizer(organization_id: uuid.UUID | None = None) -> Principal:
    return Principal(
        subject=uuid.uuid4(),
        kind=PrincipalKind.USER,
        role=Role.ORGANIZER,
        organization_id=organization_id or uuid.uuid4(),
    )


def admin() -> Principal:
    return Principal(subject=uuid.uuid4(), kind=PrincipalKind.USER, role=Role.ADMIN)


def unique_name(prefix: str = "Evento") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def venue(name: str | None = None) -> pb.Venue:
    return pb.Venue(name=name or unique_name("Foro"), city="Guadalajara", address="Av. Juárez 10")


def session(starts: float = 0, ends: float = 2, place: str = "", **fields: Any) -> pb.SessionInput:
    return pb.SessionInput(starts_at=stamp(at(starts)), ends_at=stamp(at(ends)), place=place, **fields)


def event_input(**fields: Any) -> pb.EventInput:
    values: dict[str, Any] = {
        "name": unique_name(),
        "description": "Una noche de música.",
        "category": pb.CATEGORY_CONCERT,
        "venue": venue(),
        "starts_at": stamp(at(0)),
        "ends_at": stamp(at(6)),
        "timezone": "America/Mexico_City",
        "zones": [
            pb.ZoneInput(name="General", price=pb.Money(amount="250.00", currency="MXN"), capacity=100),
            pb.ZoneInput(name="VIP", price=pb.Money(amount="900.50", currency="MXN"), capacity=20),
        ],
        **fields,
    }
    return pb.EventInput(**values)


@dataclass
class Catalog:
    """The event service over a real channel, called as a given principal."""

    stub: event_service_pb2_grpc.EventServiceStub

    async def call(
        self,
        method: str,
        request: Any,
        principal: Principal | None = None,
        correlation_id: str | None = None,
    ) -> Any:
        metadata = []
        if principal is not None:
            metadata.append(principal.to_metadata())
        if correlation_id is not None:
            metadata.append((GRPC_METADATA_KEY, correlation_id))
        return await getattr(self.stub, method)(request, metadata=metadata, timeout=30)

    async def create(
        self, principal: Principal, event: pb.EventInput | None = None, **fields: Any
    ) -> pb.Event:
        request = pb.CreateEventRequest(event=event or event_input(), **fields)
        reply: pb.CreateEventResponse = await self.call("CreateEvent", request, principal)
        return reply.event


def field_errors(error: grpc.aio.AioRpcError) -> list[dict[str, str]]:
    for key, value in error.trailing_metadata() or ():
        if key == FIELD_ERRORS_KEY:
            loaded: list[dict[str, str]] = json.loads(value)
            return loaded
    return []
