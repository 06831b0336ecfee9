"""gRPC servicer of taquilla.notifications.v1.NotificationService: translates protobuf and back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import grpc

from notification_svc.application import handlers
from notification_svc.application.handlers import Clock, system_clock
from notification_svc.application.ports import UnitOfWork
from notification_svc.domain import commands, errors
from notification_svc.domain.model import Notification, NotificationStatus
from notification_svc.entrypoints.delivery import Courier
from taquilla.notifications.v1 import notification_service_pb2 as pb
from taquilla.notifications.v1 import notification_service_pb2_grpc
from taquilla_runtime import scopes
from taquilla_runtime.grpc_errors import FieldError, abort_with_field_errors
from taquilla_runtime.principal import InvalidPrincipal, Principal
from taquilla_runtime.scopes import ScopePolicy
from taquilla_runtime.timestamps import to_timestamp

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NotificationService"].full_name
# The scope each RPC needs of a user's or API client's token (taquilla_runtime.scopes).
SCOPES: ScopePolicy = {"ListNotifications": scopes.ADMIN, "RetryNotification": scopes.ADMIN}

STATUS_TO_PB = {
    NotificationStatus.PENDING: pb.NOTIFICATION_STATUS_PENDING,
    NotificationStatus.SENT: pb.NOTIFICATION_STATUS_SENT,
    NotificationStatus.FAILED: pb.NOTIFICATION_STATUS_FAILED,
    NotificationStatus.SKIPPED: pb.NOTIFICATION_STATUS_SKIPPED,
}
PB_TO_STATUS: dict[int, NotificationStatus] = {int(v): k for k, v in STATUS_TO_PB.items()}


def notification_to_pb(n: Notification) -> pb.Notification:
    return pb.Notification(
        id=str(n.id),
        message_id=str(n.message_id),
        event_id=str(n.event_id),
        name=n.name,
        type=n.type,
        occurred_at=to_timestamp(n.occurred_at),
        correlation_id=str(n.correlation_id),
        payload_sha256=n.payload_sha256,
        recipient_role=n.recipient_role.value,
        channel=n.channel.value,
        status=STATUS_TO_PB[n.status],
        attempts=n.attempts,
        last_error=n.last_error or "",
        created_at=to_timestamp(n.created_at),
        updated_at=to_timestamp(n.updated_at),
    )


def _actor(context: grpc.aio.ServicerContext) -> commands.Actor | None:
    """The caller the edge verified; a malformed principal counts as anonymous."""
    try:
        principal = Principal.from_metadata(context.invocation_metadata())
    except InvalidPrincipal:
        return None
    return commands.Actor(principal.subject, principal.is_admin) if principal else None


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _Invalid(field, "must be a UUID", "invalid_uuid") from None


class _Invalid(Exception):
    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


@asynccontextmanager
async def translated(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    try:
        yield
    except _Invalid as exc:
        await abort_with_field_errors(context, [FieldError(exc.field, exc.message, exc.code)])
    except errors.NotAllowed:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "Administrators only.")
    except errors.NotificationNotFound:
        await context.abort(grpc.StatusCode.NOT_FOUND, "Notification not found.")
    except errors.NotRetryable as exc:
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
    except errors.DependencyUnavailable as exc:
        await context.abort(grpc.StatusCode.UNAVAILABLE, f"{exc.dependency} does not answer; try again.")


class NotificationServicer(notification_service_pb2_grpc.NotificationServiceServicer):
    def __init__(
        self, unit_of_work: Callable[[], UnitOfWork], courier: Courier, clock: Clock = system_clock
    ) -> None:
        self._uow = unit_of_work
        self._courier = courier
        self._clock = clock

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListNotificationsResponse:
        async with translated(context):
            if not 0 <= request.page_size <= 200:
                raise _Invalid("limit", "must be between 1 and 200")
            command = commands.ListNotifications(
                actor=_actor(context),
                status=PB_TO_STATUS.get(request.status) if request.status else None,
                event_id=_uuid(request.event_id, "event_id") if request.event_id else None,
                page_size=request.page_size,
                page_token=request.page_token,
            )
            try:
                page = await handlers.list_notifications(command, self._uow())
            except ValueError:  # errors.InvalidCursor
                raise _Invalid("cursor", "is not a cursor this API issued") from None
            return pb.ListNotificationsResponse(
                notifications=[notification_to_pb(n) for n in page.notifications],
                next_page_token=page.next_page_token,
            )
        raise AssertionError("unreachable")

    async def RetryNotification(
        self, request: pb.RetryNotificationRequest, context: grpc.aio.ServicerContext
    ) -> pb.RetryNotificationResponse:
        async with translated(context):
            command = commands.RetryNotification(
                actor=_actor(context),
                notification_id=_uuid(request.notification_id, "notification_id"),
            )
            reopened = await handlers.retry_notification(command, self._uow(), self._clock)
            # Delivered now, with the same backoff as the consumer's: the caller sees how it ended.
            notification = await self._courier.deliver(reopened.notification, reopened.envelope)
            return pb.RetryNotificationResponse(notification=notification_to_pb(notification))
        raise AssertionError("unreachable")
