"""gRPC servicer of taquilla.notifications.v1.WebhookService: translates protobuf and back."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import grpc

from notification_svc.application import webhooks as handlers
from notification_svc.application.ports import UnitOfWork
from notification_svc.application.webhooks import Clock, UrlCheck, system_clock
from notification_svc.domain import commands
from notification_svc.domain.errors import NotAllowed
from notification_svc.domain.webhooks import (
    Delivery,
    DeliveryNotFound,
    DeliveryStatus,
    Endpoint,
    EndpointNotFound,
    EndpointStatus,
    InvalidEndpoint,
)
from taquilla.notifications.v1 import webhook_service_pb2 as pb
from taquilla.notifications.v1 import webhook_service_pb2_grpc
from taquilla_runtime import scopes
from taquilla_runtime.grpc_errors import FieldError, abort_with_field_errors
from taquilla_runtime.principal import InvalidPrincipal, Principal, PrincipalKind, Role
from taquilla_runtime.scopes import ScopePolicy
from taquilla_runtime.timestamps import from_timestamp, to_optional_timestamp, to_timestamp

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["WebhookService"].full_name
# Partners' endpoints are part of an organization's events set-up: reading them needs events:read,
# changing them (or asking for redeliveries) events:write (taquilla_runtime.scopes).
WEBHOOK_SCOPES: ScopePolicy = {
    "CreateWebhookEndpoint": scopes.EVENTS_WRITE,
    "ListWebhookEndpoints": scopes.EVENTS_READ,
    "GetWebhookEndpoint": scopes.EVENTS_READ,
    "UpdateWebhookEndpoint": scopes.EVENTS_WRITE,
    "DeleteWebhookEndpoint": scopes.EVENTS_WRITE,
    "RotateWebhookSecret": scopes.EVENTS_WRITE,
    "ListWebhookDeliveries": scopes.EVENTS_READ,
    "RedeliverWebhook": scopes.EVENTS_WRITE,
    "RedeliverWebhooks": scopes.EVENTS_WRITE,
}

ENDPOINT_STATUS = {
    EndpointStatus.ENABLED: pb.WEBHOOK_ENDPOINT_STATUS_ENABLED,
    EndpointStatus.DISABLED: pb.WEBHOOK_ENDPOINT_STATUS_DISABLED,
}
DELIVERY_STATUS = {
    DeliveryStatus.PENDING: pb.WEBHOOK_DELIVERY_STATUS_PENDING,
    DeliveryStatus.SUCCEEDED: pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED,
    DeliveryStatus.FAILED: pb.WEBHOOK_DELIVERY_STATUS_FAILED,
}
MAX_TYPES = 20


def endpoint_to_pb(e: Endpoint, now: dt.datetime) -> pb.WebhookEndpoint:
    rotating = e.previous_secret_until if e.previous_secret_until and e.previous_secret_until > now else None
    return pb.WebhookEndpoint(
        id=str(e.id),
        organization_id=str(e.organization_id),
        url=e.url,
        types=sorted(e.types),
        description=e.description,
        status=ENDPOINT_STATUS[e.status],
        disabled_reason=e.disabled_reason.value if e.disabled_reason else "",
        previous_secret_expires_at=to_optional_timestamp(rotating),
        created_at=to_timestamp(e.created_at),
        updated_at=to_timestamp(e.updated_at),
    )


def delivery_to_pb(d: Delivery) -> pb.WebhookDelivery:
    return pb.WebhookDelivery(
        id=str(d.id),
        endpoint_id=str(d.endpoint_id),
        webhook_id=d.webhook_id,
        type=d.webhook_type,
        status=DELIVERY_STATUS[d.status],
        attempts=d.attempts,
        created_at=to_timestamp(d.created_at),
        last_attempt_at=to_optional_timestamp(d.last_attempt_at),
        next_attempt_at=to_optional_timestamp(
            d.next_attempt_at if d.status is DeliveryStatus.PENDING else None
        ),
        response_status=d.last_status_code or 0,
        latency_ms=d.last_latency_ms or 0,
        response_body=d.last_response or "",
        last_error=d.last_error or "",
    )


def _actor(context: grpc.aio.ServicerContext) -> commands.WebhookActor:
    """Organizers and API clients of an organization, and administrators; nobody else."""
    try:
        principal = Principal.from_metadata(context.invocation_metadata())
    except InvalidPrincipal:
        principal = None
    if principal is None:
        raise NotAllowed("sign in")
    if principal.is_admin:
        return commands.WebhookActor(principal.subject, principal.organization_id, is_admin=True)
    if principal.kind is PrincipalKind.CLIENT or principal.role is Role.ORGANIZER:
        return commands.WebhookActor(
            principal.subject, principal.organization_id, is_person=principal.kind is PrincipalKind.USER
        )
    raise NotAllowed("organizers, their organization's API clients and administrators only")


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidEndpoint(field, "must be a UUID") from None


def _types(values: list[str]) -> tuple[str, ...]:
    if len(values) > MAX_TYPES:
        raise InvalidEndpoint("types", f"at most {MAX_TYPES}")
    return tuple(values)


@asynccontextmanager
async def translated(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    try:
        yield
    except InvalidEndpoint as exc:
        await abort_with_field_errors(context, [FieldError(exc.field, exc.message)])
    except NotAllowed as exc:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
    except EndpointNotFound:
        await context.abort(grpc.StatusCode.NOT_FOUND, "Webhook endpoint not found.")
    except DeliveryNotFound:
        await context.abort(grpc.StatusCode.NOT_FOUND, "Webhook delivery not found.")
    except ValueError:  # InvalidCursor
        await abort_with_field_errors(context, [FieldError("cursor", "is not a cursor this API issued")])


class WebhookServicer(webhook_service_pb2_grpc.WebhookServiceServicer):
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        check_url: UrlCheck,
        rotation_overlap: dt.timedelta = handlers.ROTATION_OVERLAP,
        clock: Clock = system_clock,
    ) -> None:
        self._uow = unit_of_work
        self._check_url = check_url
        self._overlap = rotation_overlap
        self._clock = clock

    async def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateWebhookEndpointResponse:
        async with translated(context):
            command = commands.CreateEndpoint(
                actor=_actor(context),
                url=request.url,
                types=_types(list(request.types)),
                description=request.description,
                organization_id=_uuid(request.organization_id, "organization_id")
                if request.organization_id
                else None,
            )
            created = await handlers.create_endpoint(
                command, self._uow(), self._clock, check_url=self._check_url
            )
            return pb.CreateWebhookEndpointResponse(
                endpoint=endpoint_to_pb(created.endpoint, self._clock()), secret=created.secret
            )
        raise AssertionError("unreachable")

    async def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWebhookEndpointsResponse:
        async with translated(context):
            command = commands.ListEndpoints(
                actor=_actor(context),
                organization_id=_uuid(request.organization_id, "organization_id")
                if request.organization_id
                else None,
                page_size=request.page_size,
                page_token=request.page_token,
            )
            page = await handlers.list_endpoints(command, self._uow())
            now = self._clock()
            return pb.ListWebhookEndpointsResponse(
                endpoints=[endpoint_to_pb(e, now) for e in page.endpoints],
                next_page_token=page.next_page_token,
            )
        raise AssertionError("unreachable")

    async def GetWebhookEndpoint(
        self, request: pb.GetWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWebhookEndpointResponse:
        async with translated(context):
            command = commands.EndpointCommand(_actor(context), _uuid(request.endpoint_id, "endpoint_id"))
            endpoint = await handlers.get_endpoint(command, self._uow())
            return pb.GetWebhookEndpointResponse(endpoint=endpoint_to_pb(endpoint, self._clock()))
        raise AssertionError("unreachable")

    async def UpdateWebhookEndpoint(
        self, request: pb.UpdateWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateWebhookEndpointResponse:
        async with translated(context):
            command = commands.UpdateEndpoint(
                actor=_actor(context),
                endpoint_id=_uuid(request.endpoint_id, "endpoint_id"),
                url=request.url if request.HasField("url") else None,
                types=_types(list(request.types)) if request.update_types else None,
                description=request.description if request.HasField("description") else None,
                enabled=request.enabled if request.HasField("enabled") else None,
            )
            endpoint = await handlers.update_endpoint(
                command, self._uow(), self._clock, check_url=self._check_url
            )
            return pb.UpdateWebhookEndpointResponse(endpoint=endpoint_to_pb(endpoint, self._clock()))
        raise AssertionError("unreachable")

    async def DeleteWebhookEndpoint(
        self, request: pb.DeleteWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteWebhookEndpointResponse:
        async with translated(context):
            command = commands.EndpointCommand(_actor(context), _uuid(request.endpoint_id, "endpoint_id"))
            await handlers.delete_endpoint(command, self._uow())
            return pb.DeleteWebhookEndpointResponse()
        raise AssertionError("unreachable")

    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: grpc.aio.ServicerContext
    ) -> pb.RotateWebhookSecretResponse:
        async with translated(context):
            command = commands.EndpointCommand(_actor(context), _uuid(request.endpoint_id, "endpoint_id"))
            rotated = await handlers.rotate_secret(command, self._uow(), self._clock, overlap=self._overlap)
            return pb.RotateWebhookSecretResponse(
                endpoint=endpoint_to_pb(rotated.endpoint, self._clock()), secret=rotated.secret
            )
        raise AssertionError("unreachable")

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWebhookDeliveriesResponse:
        async with translated(context):
            command = commands.ListDeliveries(
                actor=_actor(context),
                endpoint_id=_uuid(request.endpoint_id, "endpoint_id"),
                page_size=request.page_size,
                page_token=request.page_token,
            )
            page = await handlers.list_deliveries(command, self._uow())
            return pb.ListWebhookDeliveriesResponse(
                deliveries=[delivery_to_pb(d) for d in page.deliveries], next_page_token=page.next_page_token
            )
        raise AssertionError("unreachable")

    async def RedeliverWebhook(
        self, request: pb.RedeliverWebhookRequest, context: grpc.aio.ServicerContext
    ) -> pb.RedeliverWebhookResponse:
        async with translated(context):
            command = commands.Redeliver(
                actor=_actor(context),
                endpoint_id=_uuid(request.endpoint_id, "endpoint_id"),
                delivery_id=_uuid(request.delivery_id, "delivery_id"),
            )
            delivery = await handlers.redeliver(command, self._uow(), self._clock)
            return pb.RedeliverWebhookResponse(delivery=delivery_to_pb(delivery))
        raise AssertionError("unreachable")

    async def RedeliverWebhooks(
        self, request: pb.RedeliverWebhooksRequest, context: grpc.aio.ServicerContext
    ) -> pb.RedeliverWebhooksResponse:
        async with translated(context):
            if not request.HasField("since") or not request.HasField("until"):
                raise InvalidEndpoint("since", "since and until are required")
            command = commands.RedeliverRange(
                actor=_actor(context),
                endpoint_id=_uuid(request.endpoint_id, "endpoint_id"),
                since=from_timestamp(request.since),
                until=from_timestamp(request.until),
            )
            count = await handlers.redeliver_range(command, self._uow(), self._clock)
            return pb.RedeliverWebhooksResponse(redelivered=count)
        raise AssertionError("unreachable")
