"""A service's channel to another service spreads its calls over every address the target resolves
to (round_robin), as with a headless Kubernetes Service in front of several replicas; gRPC's default
would send them all to one."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from devstack.processes import free_port
from taquilla_runtime.service_client import ServiceClient

pytestmark = pytest.mark.asyncio(loop_scope="session")


class CountingHealth(health.aio.HealthServicer):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def Check(self, request, context):  # type: ignore[no-untyped-def]
        self.calls += 1
        return await super().Check(request, context)


async def test_calls_are_spread_over_every_replica_of_the_target() -> None:
    replicas: list[tuple[grpc.aio.Server, CountingHealth]] = []
    ports = [free_port(), free_port(), free_port()]
    for port in ports:
        server = grpc.aio.server()
        servicer = CountingHealth()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        replicas.append((server, servicer))
    # One name, three addresses: what DNS answers for a headless Service with three ready pods.
    client = ServiceClient(
        "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports),
        health_pb2_grpc.HealthStub,
        caller="test",
        deadline=5,
    )
    try:
        for _ in range(60):
            reply = await client.stub.Check(health_pb2.HealthCheckRequest(), timeout=5, wait_for_ready=True)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        calls = [servicer.calls for _, servicer in replicas]
        assert sum(calls) == 60
        assert all(n >= 10 for n in calls), f"every replica got its share: {calls}"
    finally:
        await client.close()
        for server, _ in replicas:
            await server.stop(None)
