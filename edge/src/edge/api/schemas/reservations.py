"""Reservation and availability bodies, and their translation from taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, Field

from edge.api.schemas.base import Strict
from edge.api.schemas.events import Money
from edge.clients.ticketing import PB_TO_QUEUE_STATUS, PB_TO_RESERVATION_STATUS, PB_TO_SALE_STATUS
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb

ReservationStatus = Literal["held", "released", "expired", "purchased"]
SaleStatus = Literal["on_sale", "few_left", "sold_out", "not_on_sale"]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"


def _when(stamp: object) -> dt.datetime:
    value: dt.datetime = stamp.ToDatetime(tzinfo=dt.UTC)  # type: ignore[attr-defined]
    return value


# ---------------------------------------------------------------- requests


class ItemIn(Strict):
    zone_id: str = Field(
        pattern=UUID_PATTERN, max_length=36, examples=["0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77"]
    )
    quantity: int = Field(
        strict=True, ge=1, le=100, description="Places of this zone; at most the zone's limit per order"
    )


class ReservationCreate(Strict):
    session_id: str = Field(
        pattern=UUID_PATTERN, max_length=36, examples=["5a1e6f0c-2b7d-4c1a-8e3f-9d0b2c4e6a81"]
    )
    items: list[ItemIn] = Field(min_length=1, max_length=20, description="One entry per zone, all or none")

    def fingerprint(self) -> str:
        """Identifies the request, so an Idempotency-Key reused with another body is caught."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


RESERVATION_EXAMPLES = {
    "two places": {
        "summary": "Two places in one zone",
        "value": {
            "session_id": "5a1e6f0c-2b7d-4c1a-8e3f-9d0b2c4e6a81",
            "items": [{"zone_id": "0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77", "quantity": 2}],
        },
    }
}


# ---------------------------------------------------------------- responses


class ReservationItemOut(BaseModel):
    zone_id: str
    zone_name: str
    quantity: int
    unit_price: Money


class ReservationPublic(BaseModel):
    id: str
    status: ReservationStatus
    event_id: str
    event_name: str
    session_id: str
    items: list[ReservationItemOut]
    total: Money
    expires_at: dt.datetime = Field(description="When the hold ends unless paid (UTC)")
    created_at: dt.datetime
    ended_at: dt.datetime | None = Field(default=None, description="When it was released or expired")

    @classmethod
    def from_pb(cls, reservation: pb.Reservation) -> ReservationPublic:
        return cls(
            id=reservation.id,
            status=PB_TO_RESERVATION_STATUS[reservation.status],
            event_id=reservation.event_id,
            event_name=reservation.event_name,
            session_id=reservation.session_id,
            items=[
                ReservationItemOut(
                    zone_id=item.zone_id,
                    zone_name=item.zone_name,
                    quantity=item.quantity,
                    unit_price=Money(amount=item.unit_price.amount, currency=item.unit_price.currency),
                )
                for item in reservation.items
            ],
            total=Money(amount=reservation.total.amount, currency=reservation.total.currency),
            expires_at=_when(reservation.expires_at),
            created_at=_when(reservation.created_at),
            ended_at=_when(reservation.ended_at) if reservation.HasField("ended_at") else None,
        )


class ReservationPage(BaseModel):
    items: list[ReservationPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class ZoneAvailabilityOut(BaseModel):
    session_id: str
    zone_id: str
    capacity: int
    available: int = Field(
        description="Places you may reserve: 0 when not on sale, and while the zone's waiting list has "
        "entries waiting (freed places are theirs first)"
    )
    status: SaleStatus = Field(description="`few_left` when at most 10 % of the places are left")


class AvailabilityPublic(BaseModel):
    event_id: str
    zones: list[ZoneAvailabilityOut]
    as_of: dt.datetime = Field(description="When these figures were read (at most 2 s old)")
    on_sale_at: dt.datetime | None = Field(description="When the event goes on sale, if the organizer set it")

    @classmethod
    def from_pb(cls, reply: pb.GetAvailabilityResponse) -> AvailabilityPublic:
        return cls(
            event_id=reply.event_id,
            zones=[
                ZoneAvailabilityOut(
                    session_id=zone.session_id,
                    zone_id=zone.zone_id,
                    capacity=zone.capacity,
                    available=zone.available,
                    status=PB_TO_SALE_STATUS[zone.status],
                )
                for zone in reply.zones
            ],
            as_of=_when(reply.as_of),
            on_sale_at=_when(reply.on_sale_at) if reply.HasField("on_sale_at") else None,
        )


QueueStatus = Literal["waiting", "admitted", "sold_out"]


class QueueStandingPublic(BaseModel):
    queue_id: str
    event_id: str
    status: QueueStatus = Field(
        description="`admitted`: reserve now with `admission`; `sold_out`: nothing left"
    )
    position: int | None = Field(
        description="Your place among those waiting (0 once admitted; null before the on-sale)"
    )
    estimated_wait_seconds: int | None = Field(description="At the organizer's admission rate")
    admission: str | None = Field(
        description="Send it as the `Admission` header of `POST /api/v1/reservations`"
    )
    expires_at: dt.datetime | None = Field(description="When the admission ends")
    opens_at: dt.datetime | None = Field(
        description="When the line starts moving (the on-sale), while it has not"
    )

    @classmethod
    def from_pb(cls, standing: pb.QueueStanding) -> QueueStandingPublic:
        return cls(
            queue_id=standing.queue_id,
            event_id=standing.event_id,
            status=PB_TO_QUEUE_STATUS[standing.status],
            position=standing.position if standing.HasField("position") else None,
            estimated_wait_seconds=standing.estimated_wait_seconds
            if standing.HasField("estimated_wait_seconds")
            else None,
            admission=standing.admission or None,
            expires_at=_when(standing.admission_expires_at)
            if standing.HasField("admission_expires_at")
            else None,
            opens_at=_when(standing.opens_at) if standing.HasField("opens_at") else None,
        )
