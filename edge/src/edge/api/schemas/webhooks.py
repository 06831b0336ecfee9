"""Webhook endpoint and delivery bodies, and their translation from taquilla.notifications.v1."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from edge.api.schemas.base import Strict
from edge.clients.webhooks import DELIVERY_STATUS, ENDPOINT_STATUS
from taquilla.notifications.v1 import webhook_service_pb2 as pb

# The webhook types partners subscribe to (notification_svc.domain.webhooks.KNOWN_TYPES; a test
# checks they agree).
WebhookType = Literal[
    "event.published", "event.updated", "event.cancelled", "order.paid", "order.refunded", "ticket.checked_in"
]
EndpointStatus = Literal["enabled", "disabled"]
DeliveryStatus = Literal["pending", "succeeded", "failed"]
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+\S*$"  # absolute http(s); https outside development
URL_FIELD = Field(
    min_length=8,
    max_length=2048,
    pattern=URL_PATTERN,
    description="Where webhooks are POSTed: https, at a public address (checked again at every call)",
    examples=["https://hooks.example.com/taquilla"],
)
TYPES_DESCRIPTION = "The webhook types to receive (docs/webhooks.md describes each body)"


def _when(stamp: object, present: bool) -> dt.datetime | None:
    return stamp.ToDatetime(tzinfo=dt.UTC) if present else None  # type: ignore[attr-defined]


class WebhookEndpointCreate(Strict):
    url: str = URL_FIELD
    types: list[WebhookType] = Field(min_length=1, max_length=6, description=TYPES_DESCRIPTION)
    description: str = Field(default="", max_length=500, description="Your note about it")
    organization_id: uuid.UUID | None = Field(
        default=None, description="Administrators only: whose endpoint it is (others': their own)"
    )


class WebhookEndpointUpdate(Strict):
    url: str | None = Field(default=None, min_length=8, max_length=2048, pattern=URL_PATTERN)
    types: list[WebhookType] | None = Field(
        default=None, min_length=1, max_length=6, description=TYPES_DESCRIPTION
    )
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(strict=True, default=None, description="Turn deliveries on or off")


class RedeliverRange(Strict):
    since: AwareDatetime = Field(description="Deliveries created at or after this instant…")
    until: AwareDatetime = Field(description="…and before this one (at most 1000 deliveries)")


class WebhookEndpointPublic(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    url: str
    types: list[str]
    description: str
    status: EndpointStatus
    disabled_reason: Literal["manual", "gone", "failing"] | None = Field(
        description="`manual` (turned off), `gone` (it answered 410) or `failing` (a day without a success)"
    )
    previous_secret_expires_at: dt.datetime | None = Field(
        description="During a rotation: until when the previous secret also signs"
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_pb(cls, e: pb.WebhookEndpoint) -> WebhookEndpointPublic:
        return cls(
            id=uuid.UUID(e.id),
            organization_id=uuid.UUID(e.organization_id),
            url=e.url,
            types=list(e.types),
            description=e.description,
            status=ENDPOINT_STATUS[e.status],
            disabled_reason=e.disabled_reason or None,
            previous_secret_expires_at=_when(
                e.previous_secret_expires_at, e.HasField("previous_secret_expires_at")
            ),
            created_at=e.created_at.ToDatetime(tzinfo=dt.UTC),
            updated_at=e.updated_at.ToDatetime(tzinfo=dt.UTC),
        )


class WebhookEndpointWithSecret(WebhookEndpointPublic):
    secret: str = Field(
        description="The signing secret (`whsec_…`): shown only now; keep it to verify signatures",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookEndpointPage(BaseModel):
    items: list[WebhookEndpointPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class WebhookDeliveryPublic(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    type: str = Field(examples=["order.paid"])
    status: DeliveryStatus
    attempts: int
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None = Field(description="When a pending delivery is tried next")
    response_status: int | None = Field(description="HTTP status of the last answer; null when none came")
    latency_ms: int | None
    response_body: str = Field(description="The first KiB of the last answer's body")
    last_error: str | None

    @classmethod
    def from_pb(cls, d: pb.WebhookDelivery) -> WebhookDeliveryPublic:
        attempted = d.HasField("last_attempt_at")
        return cls(
            id=uuid.UUID(d.id),
            endpoint_id=uuid.UUID(d.endpoint_id),
            webhook_id=d.webhook_id,
            type=d.type,
            status=DELIVERY_STATUS[d.status],
            attempts=d.attempts,
            created_at=d.created_at.ToDatetime(tzinfo=dt.UTC),
            last_attempt_at=_when(d.last_attempt_at, attempted),
            next_attempt_at=_when(d.next_attempt_at, d.HasField("next_attempt_at")),
            response_status=d.response_status or None,
            latency_ms=d.latency_ms if attempted else None,
            response_body=d.response_body,
            last_error=d.last_error or None,
        )


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class Redelivered(BaseModel):
    redelivered: int = Field(description="How many deliveries are pending again")
