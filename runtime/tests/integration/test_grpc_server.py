"""The gRPC bootstrap every service uses: health, reflection, correlation ids, graceful drain."""

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from devstack.testing import eventually
from taquilla_runtime.correlation import GRPC_METADATA_KEY, get_correlation_id
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.settings import ServiceSettings

SERVICE = "taquilla.test.v1.Probe"


class Dependency:
    def __init__(self) -> None:
        self.healthy = True

    async def check(self) -> None:
        if not self.healthy:
            raise ConnectionError("database away")


def register_probe(server: grpc.aio.Server, release: asyncio.Event, seen: list[str | None]) -> None:
    async def slow(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        seen.append(get_correlation_id())
        await release.wait()
        return b"done"

    async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        seen.append(get_correlation_id())
        return request

    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "Slow": grpc.unary_unary_rpc_method_handler(slow),
                    "Echo": grpc.unary_unary_rpc_method_handler(echo),
                },
            ),
        )
    )


class Harness:
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen: list[str | None] = []
        self.dependency = Dependency()
        self.service = GrpcService(
            address="127.0.0.1:0",
            service_names=[SERVICE],
            register=[lambda server: register_probe(server, self.release, self.seen)],
            readiness_checks=[self.dependency.check],
            readiness_interval=0.1,
            grace_seconds=5,
            reflection=True,
        )

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.service.port}"


@pytest_asyncio.fixture(loop_scope="session")
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    runner = asyncio.create_task(h.service.run())
    await listening(h.service)
    yield h
    h.release.set()
    h.service.request_stop()
    await runner


async def listening(service: GrpcService) -> None:
    await eventually(lambda: service.port != 0, within=5, what="the server listening")


async def health_status(target: str, service: str = "") -> int:
    async with grpc.aio.insecure_channel(target) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=2
        )
    return int(reply.status)


async def reports(target: str, status: int) -> None:
    """The readiness watch has caught up: the server reports ``status`` (within a few intervals)."""

    async def reported() -> bool:
        return await health_status(target) == status

    name = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
    await eventually(reported, within=5, what=f"health reporting {name}")


async def refuses_new_calls(target: str) -> bool:
    try:
        async with grpc.aio.insecure_channel(target) as fresh:
            await fresh.unary_unary(f"/{SERVICE}/Echo")(b"late", timeout=1)
    except grpc.aio.AioRpcError:
        return True
    return False


@pytest.mark.asyncio(loop_scope="session")
async def test_reports_serving_for_the_server_and_each_service(harness: Harness) -> None:
    assert await health_status(harness.target) == health_pb2.HealthCheckResponse.SERVING
    assert await health_status(harness.target, SERVICE) == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.asyncio(loop_scope="session")
async def test_reports_not_serving_while_a_dependency_is_down_and_recovers(harness: Harness) -> None:
    harness.dependency.healthy = False
    await reports(harness.target, health_pb2.HealthCheckResponse.NOT_SERVING)
    harness.dependency.healthy = True
    await reports(harness.target, health_pb2.HealthCheckResponse.SERVING)


@pytest.mark.asyncio(loop_scope="session")
async def test_lists_services_through_reflection(harness: Harness) -> None:
    async with grpc.aio.insecure_channel(harness.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = [s.name async for reply in replies for s in reply.list_services_response.service]
    assert {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= set(names)


@pytest.mark.asyncio(loop_scope="session")
async def test_binds_the_callers_correlation_id_to_the_call(harness: Harness) -> None:
    correlation_id = "5f0c6c8e-8d4e-4d1b-9f59-2b8f8f1f7a10"
    async with grpc.aio.insecure_channel(harness.target) as channel:
        echo = channel.unary_unary(f"/{SERVICE}/Echo")
        assert await echo(b"hola", metadata=((GRPC_METADATA_KEY, correlation_id),), timeout=2) == b"hola"
        await echo(b"again", timeout=2)
    assert harness.seen[-2] == correlation_id
    assert harness.seen[-1] not in (None, correlation_id)


@pytest.mark.asyncio(loop_scope="session")
async def test_drains_in_flight_calls_on_shutdown_and_refuses_new_ones() -> None:
    h = Harness()
    runner = asyncio.create_task(h.service.run())
    await listening(h.service)
    async with grpc.aio.insecure_channel(h.target) as channel:
        in_flight = asyncio.ensure_future(channel.unary_unary(f"/{SERVICE}/Slow")(b"", timeout=10))
        await eventually(lambda: h.seen, within=5, what="the slow call reaching the servicer")
        h.service.request_stop()  # what SIGTERM does
        await eventually(lambda: refuses_new_calls(h.target), within=5, what="new calls refused")
        # The shutdown is under way. The drain is a span of time kept by gRPC's own timer (no clock
        # to inject): neither the call nor the server may end during a part of the grace period.
        ended, _ = await asyncio.wait({in_flight, runner}, timeout=0.3)
        assert not ended, "the server must wait for the in-flight call"
        h.release.set()
        assert await in_flight == b"done"
    await asyncio.wait_for(runner, timeout=5)


@pytest.mark.asyncio(loop_scope="session")
async def test_probe_cli_exits_zero_only_for_a_serving_server(harness: Harness) -> None:
    from devstack.processes import free_port
    from taquilla_runtime.probe import main as probe

    assert await asyncio.to_thread(probe, ["grpc", harness.target]) == 0
    assert await asyncio.to_thread(probe, ["grpc", f"127.0.0.1:{free_port()}", "--timeout", "0.5"]) == 1
    harness.dependency.healthy = False
    await reports(harness.target, health_pb2.HealthCheckResponse.NOT_SERVING)
    assert await asyncio.to_thread(probe, ["grpc", harness.target]) == 1
    harness.dependency.healthy = True
    await reports(harness.target, health_pb2.HealthCheckResponse.SERVING)
    assert (
        await asyncio.to_thread(
            probe, ["http", f"http://127.0.0.1:{free_port()}/healthz", "--timeout", "0.5"]
        )
        == 1
    )
    assert await asyncio.to_thread(probe, ["http", "file:///etc/passwd"]) == 1


@pytest.mark.asyncio(loop_scope="session")
async def test_reflection_is_off_with_production_settings() -> None:
    settings = ServiceSettings(
        database_url="postgresql+asyncpg://svc:k8Qz!long@db/x",
        environment="production",
        principal_secrets=["a-real-principal-secret-of-the-platform-0123"],
    )
    service = GrpcService(
        address="127.0.0.1:0",
        service_names=[SERVICE],
        register=[lambda server: register_probe(server, asyncio.Event(), [])],
        reflection=settings.grpc_reflection,
    )
    await service.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            replies = stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
            )
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                _ = [reply async for reply in replies]
            assert refused.value.code() is grpc.StatusCode.UNIMPLEMENTED
            assert await health_status(f"127.0.0.1:{service.port}") == health_pb2.HealthCheckResponse.SERVING
    finally:
        await service.stop()


@pytest.mark.asyncio(loop_scope="session")
async def test_unhandled_errors_reach_the_caller_as_a_generic_internal_status() -> None:
    async def broken(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    service = GrpcService(
        address="127.0.0.1:0",
        service_names=[SERVICE],
        register=[
            lambda server: server.add_generic_rpc_handlers(
                (
                    grpc.method_handlers_generic_handler(
                        SERVICE, {"Broken": grpc.unary_unary_rpc_method_handler(broken)}
                    ),
                )
            )
        ],
        readiness_interval=0.1,
    )
    runner = asyncio.create_task(service.run())
    await listening(service)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await channel.unary_unary(f"/{SERVICE}/Broken")(b"", timeout=2)
        assert error.value.code() is grpc.StatusCode.INTERNAL
        assert error.value.details() == "Internal error."
    finally:
        service.request_stop()
        await runner
