"""Partners' webhooks over REST: routes translate, notification_svc decides.

An organization's organizers and API clients (client-credentials tokens of the organization) manage
its endpoints; administrators any organization's. Another organization's endpoint answers 404.
Messages are signed as Standard Webhooks describes (docs/webhooks.md); the signing secret is shown
once, in the answer to ``POST /api/v1/webhooks`` and to ``…/rotate-secret``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from edge.api.deps import EventWriter, OrganizationReader, State
from edge.api.problems import UNAUTHENTICATED, Responses, problem
from edge.api.schemas.webhooks import (
    Redelivered,
    RedeliverRange,
    WebhookDeliveryPage,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPage,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from taquilla.notifications.v1 import webhook_service_pb2 as pb

router = APIRouter(
    prefix="/api/v1/webhooks",
    tags=["webhooks"],
    responses={
        **UNAUTHENTICATED,
        403: problem("Not an organizer, API client of an organization, or administrator"),
    },
)

EndpointId = Annotated[uuid.UUID, Path(description="Webhook endpoint id")]
DeliveryId = Annotated[uuid.UUID, Path(description="Delivery id")]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str, Query(max_length=512, description="`next_cursor` of the previous page (opaque)")]
NOT_FOUND: Responses = {404: problem("No such endpoint, or another organization's")}
INVALID: Responses = {
    422: problem(
        "Invalid fields: `url` (not https, a private or reserved address, credentials in it), `types`, "
        "`description`"
    )
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointWithSecret,
    summary="Register a webhook endpoint",
    description="The answer carries the endpoint's signing secret, shown only this once.",
    responses=INVALID,
)
async def create_webhook(
    body: WebhookEndpointCreate, principal: EventWriter, state: State, response: Response
) -> WebhookEndpointWithSecret:
    created = await state.webhooks.create(
        principal,
        url=body.url,
        types=list(body.types),
        description=body.description,
        organization_id=str(body.organization_id) if body.organization_id else "",
    )
    response.headers["Location"] = f"/api/v1/webhooks/{created.endpoint.id}"
    public = WebhookEndpointPublic.from_pb(created.endpoint)
    return WebhookEndpointWithSecret(**public.model_dump(), secret=created.secret)


@router.get("", response_model=WebhookEndpointPage, summary="List my organization's webhook endpoints")
async def list_webhooks(
    principal: OrganizationReader,
    state: State,
    organization_id: Annotated[
        uuid.UUID | None, Query(description="Administrators: one organization's (all when absent)")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = "",
) -> WebhookEndpointPage:
    reply = await state.webhooks.list(
        principal, organization_id=str(organization_id) if organization_id else "", limit=limit, cursor=cursor
    )
    return WebhookEndpointPage(
        items=[WebhookEndpointPublic.from_pb(e) for e in reply.endpoints],
        next_cursor=reply.next_page_token or None,
    )


@router.get(
    "/{endpoint_id}", response_model=WebhookEndpointPublic, summary="A webhook endpoint", responses=NOT_FOUND
)
async def get_webhook(
    endpoint_id: EndpointId, principal: OrganizationReader, state: State
) -> WebhookEndpointPublic:
    return WebhookEndpointPublic.from_pb(await state.webhooks.get(principal, str(endpoint_id)))


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookEndpointPublic,
    summary="Change a webhook endpoint, or enable or disable it",
    description="Only the fields sent change. Disabling fails the deliveries waiting for it; enabling "
    "starts afresh (redeliver what it missed from its delivery log).",
    responses={**NOT_FOUND, **INVALID},
)
async def update_webhook(
    endpoint_id: EndpointId, body: WebhookEndpointUpdate, principal: EventWriter, state: State
) -> WebhookEndpointPublic:
    request = pb.UpdateWebhookEndpointRequest(
        endpoint_id=str(endpoint_id),
        url=body.url,
        types=list(body.types or ()),
        update_types=body.types is not None,
        description=body.description,
        enabled=body.enabled,
    )
    return WebhookEndpointPublic.from_pb(await state.webhooks.update(principal, request))


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a webhook endpoint and its delivery log",
    responses=NOT_FOUND,
)
async def delete_webhook(endpoint_id: EndpointId, principal: EventWriter, state: State) -> Response:
    await state.webhooks.delete(principal, str(endpoint_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointWithSecret,
    summary="Rotate a webhook endpoint's signing secret",
    description="The new secret is shown only this once; the previous one keeps signing beside it "
    "(two signatures in `webhook-signature`) until `previous_secret_expires_at`.",
    responses=NOT_FOUND,
)
async def rotate_webhook_secret(
    endpoint_id: EndpointId, principal: EventWriter, state: State
) -> WebhookEndpointWithSecret:
    rotated = await state.webhooks.rotate(principal, str(endpoint_id))
    public = WebhookEndpointPublic.from_pb(rotated.endpoint)
    return WebhookEndpointWithSecret(**public.model_dump(), secret=rotated.secret)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryPage,
    summary="A webhook endpoint's delivery log, newest first",
    responses=NOT_FOUND,
)
async def list_webhook_deliveries(
    endpoint_id: EndpointId,
    principal: OrganizationReader,
    state: State,
    limit: Limit = 50,
    cursor: Cursor = "",
) -> WebhookDeliveryPage:
    reply = await state.webhooks.deliveries(principal, str(endpoint_id), limit=limit, cursor=cursor)
    return WebhookDeliveryPage(
        items=[WebhookDeliveryPublic.from_pb(d) for d in reply.deliveries],
        next_cursor=reply.next_page_token or None,
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=WebhookDeliveryPublic,
    summary="Deliver one message again",
    description="Attempted again now with the same `webhook-id` (receivers deduplicate on it), retried "
    "as a new delivery would be.",
    responses={404: problem("No such endpoint or delivery")},
)
async def redeliver_webhook(
    endpoint_id: EndpointId, delivery_id: DeliveryId, principal: EventWriter, state: State
) -> WebhookDeliveryPublic:
    delivery = await state.webhooks.redeliver(principal, str(endpoint_id), str(delivery_id))
    return WebhookDeliveryPublic.from_pb(delivery)


@router.post(
    "/{endpoint_id}/redeliver",
    response_model=Redelivered,
    summary="Deliver again every message of a time range",
    responses={**NOT_FOUND, 422: problem("`until` not after `since`")},
)
async def redeliver_webhooks(
    endpoint_id: EndpointId, body: RedeliverRange, principal: EventWriter, state: State
) -> Redelivered:
    count = await state.webhooks.redeliver_range(principal, str(endpoint_id), body.since, body.until)
    return Redelivered(redelivered=count)
