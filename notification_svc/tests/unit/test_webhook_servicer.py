"""WebhookService over in-memory fakes, on an in-process server: who may call it, and translation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import grpc
import pytest
import pytest_asyncio
from webhook_fakes import WebhookUnitOfWork

from devstack.testing import in_process_service
from notification_svc.adapters.webhook_http import parse_target
from notification_svc.entrypoints.webhook_grpc import SERVICE_NAME, WebhookServicer
from taquilla.notifications.v1 import webhook_service_pb2 as pb
from taquilla.notifications.v1 import webhook_service_pb2_grpc
from taquilla_runtime.grpc_errors import field_errors_from_trailers
from taquilla_runtime.principal import Principal, PrincipalKind, Role

pytestmark = pytest.mark.asyncio(loop_scope="session")
ORG = uuid.uuid4()


def caller(
    kind: PrincipalKind = PrincipalKind.USER, role: Role | None = Role.ORGANIZER, org: Any = ORG
) -> Any:
    return (Principal(subject=uuid.uuid4(), kind=kind, role=role, organization_id=org).to_metadata(),)


@pytest_asyncio.fixture(loop_scope="session")
async def stub() -> AsyncIterator[Any]:
    uow = WebhookUnitOfWork()
    servicer = WebhookServicer(
        lambda: uow, check_url=partial(parse_target, require_https=True, allow_private=False)
    )
    register = partial(webhook_service_pb2_grpc.add_WebhookServiceServicer_to_server, servicer)
    async with (
        in_process_service(SERVICE_NAME, register) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        yield webhook_service_pb2_grpc.WebhookServiceStub(channel)


async def test_an_api_client_creates_lists_rotates_and_deletes_its_endpoint(stub: Any) -> None:
    client = caller(PrincipalKind.CLIENT, None)
    created = await stub.CreateWebhookEndpoint(
        pb.CreateWebhookEndpointRequest(url="https://hooks.example.com/t", types=["order.paid"]),
        metadata=client,
    )
    assert created.secret.startswith("whsec_")
    assert created.endpoint.status == pb.WEBHOOK_ENDPOINT_STATUS_ENABLED
    listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=caller())
    assert created.endpoint.id in [e.id for e in listed.endpoints]
    rotated = await stub.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(endpoint_id=created.endpoint.id), metadata=client
    )
    assert rotated.secret != created.secret
    assert rotated.endpoint.HasField("previous_secret_expires_at")
    updated = await stub.UpdateWebhookEndpoint(
        pb.UpdateWebhookEndpointRequest(endpoint_id=created.endpoint.id, enabled=False), metadata=client
    )
    assert updated.endpoint.disabled_reason == "manual"
    await stub.DeleteWebhookEndpoint(
        pb.DeleteWebhookEndpointRequest(endpoint_id=created.endpoint.id), metadata=client
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetWebhookEndpoint(
            pb.GetWebhookEndpointRequest(endpoint_id=created.endpoint.id), metadata=client
        )
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND


async def test_a_private_url_is_a_field_error(stub: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateWebhookEndpoint(
            pb.CreateWebhookEndpointRequest(url="https://169.254.169.254/x", types=["order.paid"]),
            metadata=caller(),
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [e["field"] for e in field_errors_from_trailers(raised.value.trailing_metadata())] == ["url"]


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        caller(role=Role.STAFF),
        caller(role=Role.CUSTOMER, org=None),
    ],
)
async def test_only_organizers_clients_and_admins_may_call(stub: Any, metadata: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=metadata)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_a_time_range_is_redelivered_and_needs_both_ends(stub: Any) -> None:
    created = await stub.CreateWebhookEndpoint(
        pb.CreateWebhookEndpointRequest(url="https://hooks.example.com/r", types=["order.paid"]),
        metadata=caller(),
    )
    request = pb.RedeliverWebhooksRequest(endpoint_id=created.endpoint.id)
    request.since.FromSeconds(1_700_000_000)
    request.until.FromSeconds(1_800_000_000)
    reply = await stub.RedeliverWebhooks(request, metadata=caller())
    assert reply.redelivered == 0
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.RedeliverWebhooks(
            pb.RedeliverWebhooksRequest(endpoint_id=created.endpoint.id), metadata=caller()
        )
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    listed = await stub.ListWebhookDeliveries(
        pb.ListWebhookDeliveriesRequest(endpoint_id=created.endpoint.id), metadata=caller()
    )
    assert list(listed.deliveries) == []
