"""gRPC servicer of taquilla.identity.v1.IdentityService: translates protobuf and back."""

from __future__ import annotations

from taquilla.identity.v1 import identity_service_pb2, identity_service_pb2_grpc

SERVICE_NAME = identity_service_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name


class IdentityServicer(identity_service_pb2_grpc.IdentityServiceServicer):
    """RPCs are added here as the use cases land."""
