"""Organizations: the caller's own one with its events (drafts included), and any one's public name."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from edge.api.deps import Events, OrganizationReader, State
from edge.api.problems import UNAUTHENTICATED, problem
from edge.api.schemas.events import EventPage, EventPublic, EventStatusName, event_status_value
from edge.api.schemas.identity import OrganizationName

router = APIRouter(tags=["events"])


@router.get(
    "/api/v1/organizations/{organization_id}",
    response_model=OrganizationName,
    summary="An organization's name",
    description="Public: who organizes an event (`organization_id` of an event).",
    responses={404: problem("No such organization")},
)
async def get_organization(organization_id: uuid.UUID, state: State) -> OrganizationName:
    organization = await state.identity.get_organization(str(organization_id))
    return OrganizationName(id=uuid.UUID(organization.id), name=organization.name)


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
    status: Annotated[
        list[EventStatusName] | None, Query(max_length=4, description="Statuses to include")
    ] = None,
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
