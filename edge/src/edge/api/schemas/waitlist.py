"""Waiting-list bodies, and their translation from taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from edge.api.schemas.base import Strict
from edge.api.schemas.reservations import UUID_PATTERN
from edge.clients.ticketing import PB_TO_WAITLIST_STATUS
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb

WaitlistStatus = Literal["waiting", "offered", "fulfilled", "expired", "left"]


def _when(stamp: object) -> dt.datetime:
    value: dt.datetime = stamp.ToDatetime(tzinfo=dt.UTC)  # type: ignore[attr-defined]
    return value


class WaitlistJoin(Strict):
    session_id: str = Field(
        pattern=UUID_PATTERN, max_length=36, examples=["5a1e6f0c-2b7d-4c1a-8e3f-9d0b2c4e6a81"]
    )
    zone_id: str = Field(
        pattern=UUID_PATTERN, max_length=36, examples=["0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77"]
    )
    quantity: int = Field(
        strict=True, ge=1, le=100, description="Places wanted together; at most the zone's limit per order"
    )


WAITLIST_EXAMPLES = {
    "a group of four": {
        "summary": "Four places together in a sold-out zone",
        "value": {
            "session_id": "5a1e6f0c-2b7d-4c1a-8e3f-9d0b2c4e6a81",
            "zone_id": "0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77",
            "quantity": 4,
        },
    }
}


class WaitlistEntryPublic(BaseModel):
    id: str
    event_id: str
    event_name: str
    session_id: str
    zone_id: str
    zone_name: str
    quantity: int
    status: WaitlistStatus = Field(
        description="`waiting` in line; `offered`: places are held for you (`offer_reservation_id`) until "
        "`offer_expires_at`; `fulfilled` (bought), `expired` (the offer lapsed) or `left`"
    )
    position: int | None = Field(
        description="Your place in line (1 is next), counted among the entries still waiting; null once "
        "not waiting"
    )
    created_at: dt.datetime
    offered_at: dt.datetime | None = None
    offer_reservation_id: str | None = Field(
        default=None, description="The reservation held for you: check it out like any reservation"
    )
    offer_expires_at: dt.datetime | None = None

    @classmethod
    def from_pb(cls, entry: pb.WaitlistEntry) -> WaitlistEntryPublic:
        return cls(
            id=entry.id,
            event_id=entry.event_id,
            event_name=entry.event_name,
            session_id=entry.session_id,
            zone_id=entry.zone_id,
            zone_name=entry.zone_name,
            quantity=entry.quantity,
            status=PB_TO_WAITLIST_STATUS[entry.status],
            position=entry.position if entry.HasField("position") else None,
            created_at=_when(entry.created_at),
            offered_at=_when(entry.offered_at) if entry.HasField("offered_at") else None,
            offer_reservation_id=entry.offer_reservation_id or None,
            offer_expires_at=_when(entry.offer_expires_at) if entry.HasField("offer_expires_at") else None,
        )


class WaitlistEntryList(BaseModel):
    items: list[WaitlistEntryPublic] = Field(description="Newest first")


class WaitlistLengthOut(BaseModel):
    session_id: str
    zone_id: str
    entries: int = Field(description="Entries waiting")
    places: int = Field(description="Places those entries ask for in all")
    offered: int = Field(description="Offers out: places held for buyers of the list, not yet bought")


class WaitlistLengthsPublic(BaseModel):
    event_id: str
    lengths: list[WaitlistLengthOut] = Field(description="One per session x zone")

    @classmethod
    def from_pb(cls, reply: pb.WaitlistLengths) -> WaitlistLengthsPublic:
        return cls(
            event_id=reply.event_id,
            lengths=[
                WaitlistLengthOut(
                    session_id=line.session_id,
                    zone_id=line.zone_id,
                    entries=line.entries,
                    places=line.places,
                    offered=line.offered,
                )
                for line in reply.lengths
            ],
        )
