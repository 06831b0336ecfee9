"""Typed client of taquilla.notifications.v1.NotificationService, with deadlines."""

from __future__ import annotations

import grpc

from taquilla.notifications.v1 import notification_service_pb2 as pb
from taquilla.notifications.v1 import notification_service_pb2_grpc
from taquilla_runtime.principal import Principal

STATUS_TO_PB = {
    "pending": pb.NOTIFICATION_STATUS_PENDING,
    "sent": pb.NOTIFICATION_STATUS_SENT,
    "failed": pb.NOTIFICATION_STATUS_FAILED,
    "skipped": pb.NOTIFICATION_STATUS_SKIPPED,
}
PB_TO_STATUS = {value: key for key, value in STATUS_TO_PB.items()}


class NotificationsClient:
    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self._stub = notification_service_pb2_grpc.NotificationServiceStub(channel)
        self._deadline = deadline

    async def list(
        self, principal: Principal, *, status: str | None, event_id: str | None, limit: int, cursor: str
    ) -> pb.ListNotificationsResponse:
        request = pb.ListNotificationsRequest(
            status=STATUS_TO_PB[status] if status else pb.NOTIFICATION_STATUS_UNSPECIFIED,
            event_id=event_id or "",
            page_size=limit,
            page_token=cursor,
        )
        reply: pb.ListNotificationsResponse = await self._stub.ListNotifications(
            request, metadata=(principal.to_metadata(),), timeout=self._deadline
        )
        return reply

    async def retry(self, principal: Principal, notification_id: str, deadline: float) -> pb.Notification:
        # A retry delivers synchronously (with its own backoff), so it gets a longer deadline.
        reply: pb.RetryNotificationResponse = await self._stub.RetryNotification(
            pb.RetryNotificationRequest(notification_id=notification_id),
            metadata=(principal.to_metadata(),),
            timeout=deadline,
        )
        return reply.notification
