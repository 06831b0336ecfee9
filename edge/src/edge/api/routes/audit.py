"""The audit trail of every service, read as one: administrators all of it, organizers their organization's.

The services authorize (taquilla.audit.v1.AuditService); the edge asks them all at once and merges
their logs newest first (edge.clients.audit).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from edge.api.deps import Administrator, OrganizationReader, State
from edge.api.problems import NOT_AN_ADMINISTRATOR, UNAUTHENTICATED, Responses, problem
from edge.api.schemas.audit import AuditEntryPublic, AuditPage
from edge.api.schemas.base import IsoDatetime
from edge.clients.audit import AuditFilters
from edge.errors import Problem
from taquilla_runtime.cursors import InvalidCursor
from taquilla_runtime.principal import Principal

router = APIRouter(tags=["audit"])

INVALID: Responses = {422: problem("Invalid filters or cursor (`errors` names them)")}
Action = Annotated[str, Query(max_length=100, description="Only actions starting with this, e.g. `order.`")]
Actor = Annotated[str, Query(max_length=64, description='Only this actor: a UUID or "anonymous"')]
Target = Annotated[str, Query(max_length=200, description="Only this target, e.g. `event:<uuid>`")]
Outcome = Annotated[str, Query(max_length=64, description="Only this outcome, e.g. `success`")]
From = Annotated[IsoDatetime | None, Query(alias="from", description="Only entries at or after this time")]
Until = Annotated[IsoDatetime | None, Query(description="Only entries before this time")]
Organization = Annotated[uuid.UUID | None, Query(description="Only this organization's entries")]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str, Query(max_length=1024, description="`next_cursor` of the previous page")]


async def _page(
    state: State, principal: Principal, limit: int, cursor: str, filters: AuditFilters
) -> AuditPage:
    for moment, name in ((filters.occurred_from, "from"), (filters.occurred_until, "until")):
        if moment is not None and moment.tzinfo is None:
            raise RequestValidationError(
                [{"loc": ("query", name), "msg": "needs a time zone, e.g. Z", "type": "timezone_aware"}]
            )
    try:
        page = await state.audit.page(principal, limit=limit, cursor=cursor, filters=filters)
    except InvalidCursor:
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": "not a cursor of this listing", "type": "value_error"}]
        ) from None
    return AuditPage(
        items=[AuditEntryPublic.from_entry(e) for e in page.entries], next_cursor=page.next_cursor
    )


@router.get(
    "/api/v1/admin/audit",
    response_model=AuditPage,
    summary="Read the audit trail of every service, newest first",
    description="Every state-changing action on the platform, refused ones too, from every service's "
    "append-only log, merged newest first (keyset pagination: pass `next_cursor` back as `cursor`, "
    "with the same filters). Administrators only.",
    responses={**UNAUTHENTICATED, **NOT_AN_ADMINISTRATOR, **INVALID},
)
async def admin_audit(
    principal: Administrator,
    state: State,
    action: Action = "",
    actor: Actor = "",
    target: Target = "",
    outcome: Outcome = "",
    organization_id: Annotated[
        uuid.UUID | None, Query(description="Only this organization's entries")
    ] = None,
    occurred_from: From = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = "",
) -> AuditPage:
    filters = AuditFilters(
        action_prefix=action,
        actor=actor,
        target=target,
        organization_id=str(organization_id) if organization_id else "",
        outcome=outcome,
        occurred_from=occurred_from,
        occurred_until=until,
    )
    if not principal.is_admin:
        # Each service would refuse too (an organizer names no organization here): one answer, no calls.
        raise Problem(403, "Administrators only.")
    return await _page(state, principal, limit, cursor, filters)


@router.get(
    "/api/v1/organizations/{organization_id}/audit",
    response_model=AuditPage,
    summary="Read an organization's part of the audit trail, newest first",
    description="The actions recorded for this organization (its members' actions, and others' where the "
    "organization is known), from every service, newest first. Organizers of the organization and "
    "administrators.",
    responses={**UNAUTHENTICATED, 403: problem("Not an organizer of this organization"), **INVALID},
)
async def organization_audit(
    organization_id: uuid.UUID,
    principal: OrganizationReader,
    state: State,
    action: Action = "",
    actor: Actor = "",
    target: Target = "",
    outcome: Outcome = "",
    occurred_from: From = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = "",
) -> AuditPage:
    filters = AuditFilters(
        action_prefix=action,
        actor=actor,
        target=target,
        organization_id=str(organization_id),
        outcome=outcome,
        occurred_from=occurred_from,
        occurred_until=until,
    )
    return await _page(state, principal, limit, cursor, filters)
