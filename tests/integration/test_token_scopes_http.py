"""OAuth scopes are enforced: a token asked for with a narrow scope reads but cannot write, at the edge
and again in the services, and a refresh keeps the narrow scope."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
import httpx
import pytest

from taquilla.identity.v1 import identity_service_pb2 as identity_pb
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.grpc_errors import problem_from_trailers
from taquilla_runtime.principal import METADATA_KEY, Principal, PrincipalKind, Role
from tests.conftest import Platform, bearer, new_customer
from tests.integration.test_reservations_http import hold, published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKEN = "/api/v1/auth/token"
INSUFFICIENT_SCOPE = "https://taquilla.dev/problems/insufficient-scope"


async def narrow_sign_in(edge: httpx.AsyncClient, email: str, password: str, scope: str) -> dict[str, Any]:
    reply = await edge.post(
        TOKEN, data={"grant_type": "password", "username": email, "password": password, "scope": scope}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["scope"] == scope
    body: dict[str, Any] = reply.json()
    return body


def assert_insufficient_scope(reply: httpx.Response, scope: str) -> None:
    assert reply.status_code == 403, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["type"] == INSUFFICIENT_SCOPE
    assert reply.json()["required_scope"] == scope
    assert 'error="insufficient_scope"' in reply.headers["www-authenticate"]


async def test_a_token_asked_for_with_events_read_reads_but_cannot_write(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, password, _ = await new_customer(edge)
    reader = bearer((await narrow_sign_in(edge, email, password, "events:read"))["access_token"])

    assert (await edge.get(f"/api/v1/events/{event['id']}", headers=reader)).status_code == 200
    assert (await edge.get(f"/api/v1/events/{event['id']}/sessions", headers=reader)).status_code == 200
    assert (await edge.get("/api/v1/users/me", headers=reader)).status_code == 200
    assert_insufficient_scope(
        await edge.post("/api/v1/reservations", headers=reader, json=hold(event, (0, 1))), "tickets:write"
    )
    assert_insufficient_scope(await edge.get("/api/v1/me/orders", headers=reader), "tickets:read")
    assert_insufficient_scope(await edge.post("/api/v1/events", headers=reader, json={}), "events:write")


async def test_a_refresh_keeps_the_narrowed_scope(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, password, _ = await new_customer(edge)
    first = await narrow_sign_in(edge, email, password, "events:read")
    refreshed = await edge.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["scope"] == "events:read"
    reader = bearer(refreshed.json()["access_token"])
    assert_insufficient_scope(
        await edge.post("/api/v1/reservations", headers=reader, json=hold(event, (0, 1))), "tickets:write"
    )
    # A sign-in that asks for nothing gets the role's scopes, and a refresh keeps them.
    _, _, wide = await new_customer(edge)
    again = await edge.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": wide["refresh_token"]}
    )
    assert set(again.json()["scope"].split()) == {"events:read", "tickets:read", "tickets:write"}


async def test_the_services_refuse_a_principal_without_the_scope(platform: Platform) -> None:
    customer = Principal(
        subject=uuid.uuid4(), kind=PrincipalKind.USER, role=Role.CUSTOMER, scopes=frozenset()
    )
    async with grpc.aio.insecure_channel(platform.env("EDGE_TICKETING_SVC_ADDRESS")) as channel:
        stub = ticketing_service_pb2_grpc.TicketingServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListMyOrders(pb.ListMyOrdersRequest(), metadata=(customer.to_metadata(),), timeout=10)
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    problem = problem_from_trailers(refused.value.trailing_metadata())
    assert problem is not None
    assert (problem.type, problem.extensions) == ("insufficient-scope", {"required_scope": "tickets:read"})


async def test_only_a_verified_service_gets_a_users_contact(platform: Platform) -> None:
    """GetUserContact (any user's e-mail address) is for services only: a peer writing itself an
    unsigned principal of kind service, or none, is refused; a service's signed one is served."""
    forged = json.dumps(
        {"sub": str(uuid.uuid4()), "kind": "service", "role": None, "org": None, "scopes": []}
    )
    request = identity_pb.GetUserContactRequest(user_id=str(uuid.uuid4()))
    async with grpc.aio.insecure_channel(platform.env("EDGE_IDENTITY_SVC_ADDRESS")) as channel:
        stub = identity_service_pb2_grpc.IdentityServiceStub(channel)
        for metadata in (((METADATA_KEY, forged),), ()):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetUserContact(request, metadata=metadata, timeout=10)
            assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
        service = Principal.for_service("notification_svc").to_metadata()
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await stub.GetUserContact(request, metadata=(service,), timeout=10)
        assert unknown.value.code() is grpc.StatusCode.NOT_FOUND  # let through: no such account
