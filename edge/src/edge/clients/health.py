"""Readiness of the services behind the edge, through the gRPC health checking protocol."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


@dataclass(frozen=True)
class DependencyState:
    name: str
    up: bool
    detail: str | None = None


class HealthClient:
    def __init__(self, name: str, channel: grpc.aio.Channel, deadline: float) -> None:
        self._name = name
        self._stub = health_pb2_grpc.HealthStub(channel)
        self._deadline = deadline

    async def check(self) -> DependencyState:
        try:
            reply = await self._stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=self._deadline)
        except grpc.aio.AioRpcError as exc:
            detail = "timeout" if exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED else "unreachable"
            return DependencyState(self._name, up=False, detail=detail)
        if reply.status == health_pb2.HealthCheckResponse.SERVING:
            return DependencyState(self._name, up=True)
        return DependencyState(
            self._name, up=False, detail=health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        )
