"""gRPC servicer of taquilla.events.v1.EventService: translates protobuf and back."""

from __future__ import annotations

from taquilla.events.v1 import event_service_pb2, event_service_pb2_grpc

SERVICE_NAME = event_service_pb2.DESCRIPTOR.services_by_name["EventService"].full_name


class EventServicer(event_service_pb2_grpc.EventServiceServicer):
    """RPCs are added here as the catalog's use cases land."""
