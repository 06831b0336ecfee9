"""gRPC servicer of taquilla.notifications.v1.NotificationService: translates protobuf and back."""

from __future__ import annotations

from taquilla.notifications.v1 import notification_service_pb2, notification_service_pb2_grpc

SERVICE_NAME = notification_service_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name


class NotificationServicer(notification_service_pb2_grpc.NotificationServiceServicer):
    """RPCs are added here as the use cases land."""
