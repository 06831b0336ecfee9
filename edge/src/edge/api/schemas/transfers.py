"""Ticket transfer bodies, and their translation from taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from edge.api.schemas.base import Strict
from edge.api.schemas.orders import EMAIL_PATTERN
from edge.clients.ticketing import PB_TO_TRANSFER_STATUS
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb

TransferStatus = Literal["pending", "accepted", "cancelled", "expired"]
# The link's token: URL-safe base64 (256 bits make 43 characters).
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,128}$"  # noqa: S105 - a pattern, not a secret


class TransferCreate(Strict):
    email: str = Field(
        max_length=254,
        pattern=EMAIL_PATTERN,
        description="Where the ticket goes: the recipient takes it signed in with an account of this address",
        examples=["bruno.diaz@example.com"],
    )


class TransferAccept(Strict):
    token: str = Field(
        min_length=20,
        max_length=128,
        pattern=TOKEN_PATTERN,
        description="The `token` of the link in the recipient's e-mail",
        examples=["q0Vx3n8bH4kR1sT9uW2yZ5aC7eG0iK3mO6pQ8rS1tU4"],
    )


class TransferPublic(BaseModel):
    id: str
    ticket_id: str = Field(description="The ticket sent (revoked once taken)")
    new_ticket_id: str | None = Field(description="The recipient's new ticket, once taken")
    status: TransferStatus = Field(
        description="`pending` until the recipient takes it, the sender cancels it, or it `expired`"
    )
    recipient_email: str
    sender_name: str
    event_id: str
    event_name: str
    session_id: str
    zone_name: str
    created_at: dt.datetime
    expires_at: dt.datetime = Field(description="A pending transfer not taken by then expires")
    accepted_at: dt.datetime | None

    @classmethod
    def from_pb(cls, transfer: pb.TicketTransfer) -> TransferPublic:
        return cls(
            id=transfer.id,
            ticket_id=transfer.ticket_id,
            new_ticket_id=transfer.new_ticket_id or None,
            status=PB_TO_TRANSFER_STATUS[transfer.status],
            recipient_email=transfer.recipient_email,
            sender_name=transfer.sender_name,
            event_id=transfer.event_id,
            event_name=transfer.event_name,
            session_id=transfer.session_id,
            zone_name=transfer.zone_name,
            created_at=transfer.created_at.ToDatetime(tzinfo=dt.UTC),
            expires_at=transfer.expires_at.ToDatetime(tzinfo=dt.UTC),
            accepted_at=transfer.accepted_at.ToDatetime(tzinfo=dt.UTC)
            if transfer.HasField("accepted_at")
            else None,
        )


TRANSFER_EXAMPLES: dict[str, Any] = {
    "friend": {"summary": "Send a ticket to a friend", "value": {"email": "bruno.diaz@example.com"}}
}
