"""The caller's own organization: its events, drafts included."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from edge.api.deps import Events, OrganizationReader
from edge.api.problems import UNAUTHENTICATED, problem
from edge.api.schemas.events import EventPage, EventPublic, EventStatusName, event_status_value

router = APIRouter(tags=["events"])


@router.get(
    "/api/v1/organizations/me/events",
    response_model=EventPage,
    summary="My organization's events, drafts included",
    description="The events of the organization you belong to, by start date then id (keyset pagination). "
    "Without `status`, drafts and published events; repeat `status` to choose, e.g. "
    "`?status=cancelled&status=completed`.",
    responses={**UNAUTHENTICATED, 403: problem("You do not belong to an organization")},
)
async def list_my_organization_events(
    principal: OrganizationReader,
    events: Events,
    status: Annotated[list[EventStatusName] | None, Query(description="Statuses to include")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str, Query(max_length=512, description="`next_cursor` of the previous page")] = "",
) -> EventPage:
    reply = await events.list_organization_events(
        principal,
        statuses=[event_status_value(name) for name in status or ()],
        limit=limit,
        cursor=cursor,
    )
    return EventPage(
        items=[EventPublic.from_pb(event) for event in reply.events],
        next_cursor=reply.next_page_token or None,
    )
