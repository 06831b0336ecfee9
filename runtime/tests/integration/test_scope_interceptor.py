"""Services require a scope per RPC of the caller's token, whatever route (or none) checked it first."""

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from taquilla_runtime.grpc_errors import problem_from_trailers
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.principal import METADATA_KEY, Principal, PrincipalKind, Role
from taquilla_runtime.scopes import EVENTS_READ, EVENTS_WRITE, PUBLIC, ScopeInterceptor

pytestmark = pytest.mark.asyncio(loop_scope="session")
SERVICE = "taquilla.test.v1.Catalog"
POLICY = {"Read": EVENTS_READ, "Write": EVENTS_WRITE, "Anyone": PUBLIC}  # "Internal" is not listed


def register(server: grpc.aio.Server) -> None:
    async def answer(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return b"ok"

    handlers = {name: grpc.unary_unary_rpc_method_handler(answer) for name in (*POLICY, "Internal")}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


@pytest_asyncio.fixture(loop_scope="session")
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    service = GrpcService(
        address="127.0.0.1:0",
        service_names=[SERVICE],
        register=[register],
        interceptors=[ScopeInterceptor(SERVICE, POLICY)],
    )
    await service.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            yield channel
    finally:
        await service.stop()


def user(*scopes: str) -> Principal:
    return Principal(uuid.uuid4(), PrincipalKind.USER, Role.ORGANIZER, uuid.uuid4(), frozenset(scopes))


async def call(channel: grpc.aio.Channel, method: str, principal: Principal | None) -> bytes:
    metadata = (principal.to_metadata(),) if principal else ()
    reply: bytes = await channel.unary_unary(f"/{SERVICE}/{method}")(b"", metadata=metadata, timeout=5)
    return reply


async def test_a_token_with_the_scope_may_call(channel: grpc.aio.Channel) -> None:
    assert await call(channel, "Read", user(EVENTS_READ)) == b"ok"
    assert await call(channel, "Write", user(EVENTS_READ, EVENTS_WRITE)) == b"ok"


async def test_a_token_without_the_scope_is_refused(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(channel, "Write", user(EVENTS_READ))
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    problem = problem_from_trailers(refused.value.trailing_metadata())
    assert problem is not None
    assert (problem.type, problem.extensions) == ("insufficient-scope", {"required_scope": EVENTS_WRITE})


async def test_services_and_anonymous_callers_are_left_to_the_service(channel: grpc.aio.Channel) -> None:
    assert await call(channel, "Write", Principal.for_service("ticketing")) == b"ok"
    assert await call(channel, "Read", None) == b"ok"
    assert await call(channel, "Anyone", user()) == b"ok"


async def test_an_rpc_missing_from_the_policy_is_for_services_only(channel: grpc.aio.Channel) -> None:
    assert await call(channel, "Internal", Principal.for_service("notification")) == b"ok"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(channel, "Internal", user(EVENTS_READ, EVENTS_WRITE))
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def refusal(
    channel: grpc.aio.Channel, method: str, metadata: tuple[tuple[str, str], ...]
) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await channel.unary_unary(f"/{SERVICE}/{method}")(b"", metadata=metadata, timeout=5)
    code: grpc.StatusCode = refused.value.code()
    return code


async def test_a_forged_service_principal_is_refused_a_service_only_rpc(channel: grpc.aio.Channel) -> None:
    """What GetUserContact and the other RPCs for services only were open to: any peer writing
    itself a principal of kind service."""
    claim: dict[str, object] = {"sub": str(uuid.uuid4()), "kind": "service", "role": None, "org": None}
    unsigned = json.dumps(claim, separators=(",", ":"))
    now = int(time.time())
    timed = json.dumps({**claim, "iat": now, "exp": now + 60}, separators=(",", ":"))
    wrong_key = hmac.new(b"a-secret-the-platform-does-not-know", timed.encode(), hashlib.sha256).hexdigest()
    for forged in (unsigned, f"{unsigned}.{'0' * 64}", f"{timed}.{wrong_key}"):
        assert (
            await refusal(channel, "Internal", ((METADATA_KEY, forged),)) is grpc.StatusCode.UNAUTHENTICATED
        )


async def test_an_expired_service_principal_is_refused(channel: grpc.aio.Channel) -> None:
    stale = Principal.for_service("notification").to_metadata(now=time.time() - 600)
    assert await refusal(channel, "Internal", (stale,)) is grpc.StatusCode.UNAUTHENTICATED


async def test_an_anonymous_call_is_refused_a_service_only_rpc(channel: grpc.aio.Channel) -> None:
    assert await refusal(channel, "Internal", ()) is grpc.StatusCode.UNAUTHENTICATED
    assert await call(channel, "Anyone", None) == b"ok"  # mapped RPCs stay the service's to decide
