"""Administration of notifications: find failed deliveries and retry them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from edge.api.deps import Administrator, State
from edge.api.problems import NOT_AN_ADMINISTRATOR, UNAUTHENTICATED, problem
from edge.clients.notifications import PB_TO_STATUS
from taquilla.notifications.v1 import notification_service_pb2 as pb

router = APIRouter(
    prefix="/api/v1/admin/notifications",
    tags=["admin"],
    responses={**UNAUTHENTICATED, **NOT_AN_ADMINISTRATOR},
)

StatusName = Literal["pending", "sent", "failed", "skipped"]
RETRY_DEADLINE_SECONDS = 120.0


class NotificationPublic(BaseModel):
    id: uuid.UUID
    message_id: uuid.UUID
    event_id: uuid.UUID
    name: str
    type: str = Field(examples=["EventPublished"])
    occurred_at: dt.datetime
    correlation_id: uuid.UUID
    payload_sha256: str
    recipient: str = Field(description="Who it was for: `organizer` or `operations` (never the address)")
    channel: str = Field(examples=["email"])
    status: StatusName
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_pb(cls, n: pb.Notification) -> NotificationPublic:
        return cls(
            id=uuid.UUID(n.id),
            message_id=uuid.UUID(n.message_id),
            event_id=uuid.UUID(n.event_id),
            name=n.name,
            type=n.type,
            occurred_at=n.occurred_at.ToDatetime(tzinfo=dt.UTC),
            correlation_id=uuid.UUID(n.correlation_id),
            payload_sha256=n.payload_sha256,
            recipient=n.recipient_role,
            channel=n.channel,
            status=PB_TO_STATUS[n.status],
            attempts=n.attempts,
            last_error=n.last_error or None,
            created_at=n.created_at.ToDatetime(tzinfo=dt.UTC),
            updated_at=n.updated_at.ToDatetime(tzinfo=dt.UTC),
        )


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None


@router.get("", response_model=NotificationPage, summary="List notifications, newest first")
async def list_notifications(
    principal: Administrator,
    state: State,
    status: StatusName | None = None,
    event_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> NotificationPage:
    reply = await state.notifications.list(
        principal, status=status, event_id=str(event_id) if event_id else None, limit=limit, cursor=cursor
    )
    return NotificationPage(
        items=[NotificationPublic.from_pb(n) for n in reply.notifications],
        next_cursor=reply.next_page_token or None,
    )


@router.post(
    "/{notification_id}/retry",
    response_model=NotificationPublic,
    summary="Retry a failed notification",
    description="Delivers it again now. Answers with the notification afterwards: `sent`, or `failed` "
    "again with more attempts. 409 when it is not failed.",
    responses={404: problem("No such notification"), 409: problem("Not failed")},
)
async def retry_notification(
    notification_id: uuid.UUID, principal: Administrator, state: State
) -> NotificationPublic:
    notification = await state.notifications.retry(principal, str(notification_id), RETRY_DEADLINE_SECONDS)
    return NotificationPublic.from_pb(notification)
