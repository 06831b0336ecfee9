"""Typed client of taquilla.notifications.v1.WebhookService, with deadlines."""

from __future__ import annotations

import datetime as dt

import grpc

from taquilla.notifications.v1 import webhook_service_pb2 as pb
from taquilla.notifications.v1 import webhook_service_pb2_grpc
from taquilla_runtime.principal import Principal
from taquilla_runtime.timestamps import to_timestamp

ENDPOINT_STATUS = {
    pb.WEBHOOK_ENDPOINT_STATUS_ENABLED: "enabled",
    pb.WEBHOOK_ENDPOINT_STATUS_DISABLED: "disabled",
}
DELIVERY_STATUS = {
    pb.WEBHOOK_DELIVERY_STATUS_PENDING: "pending",
    pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED: "succeeded",
    pb.WEBHOOK_DELIVERY_STATUS_FAILED: "failed",
}


class WebhooksClient:
    def __init__(self, channel: grpc.aio.Channel, deadline: float) -> None:
        self._stub = webhook_service_pb2_grpc.WebhookServiceStub(channel)
        self._deadline = deadline

    def _call(self, principal: Principal) -> dict[str, object]:
        return {"metadata": (principal.to_metadata(),), "timeout": self._deadline}

    async def create(
        self, principal: Principal, *, url: str, types: list[str], description: str, organization_id: str
    ) -> pb.CreateWebhookEndpointResponse:
        request = pb.CreateWebhookEndpointRequest(
            url=url, types=types, description=description, organization_id=organization_id
        )
        reply: pb.CreateWebhookEndpointResponse = await self._stub.CreateWebhookEndpoint(
            request, **self._call(principal)
        )
        return reply

    async def list(
        self, principal: Principal, *, organization_id: str, limit: int, cursor: str
    ) -> pb.ListWebhookEndpointsResponse:
        request = pb.ListWebhookEndpointsRequest(
            organization_id=organization_id, page_size=limit, page_token=cursor
        )
        reply: pb.ListWebhookEndpointsResponse = await self._stub.ListWebhookEndpoints(
            request, **self._call(principal)
        )
        return reply

    async def get(self, principal: Principal, endpoint_id: str) -> pb.WebhookEndpoint:
        reply: pb.GetWebhookEndpointResponse = await self._stub.GetWebhookEndpoint(
            pb.GetWebhookEndpointRequest(endpoint_id=endpoint_id), **self._call(principal)
        )
        return reply.endpoint

    async def update(
        self, principal: Principal, request: pb.UpdateWebhookEndpointRequest
    ) -> pb.WebhookEndpoint:
        reply: pb.UpdateWebhookEndpointResponse = await self._stub.UpdateWebhookEndpoint(
            request, **self._call(principal)
        )
        return reply.endpoint

    async def delete(self, principal: Principal, endpoint_id: str) -> None:
        await self._stub.DeleteWebhookEndpoint(
            pb.DeleteWebhookEndpointRequest(endpoint_id=endpoint_id), **self._call(principal)
        )

    async def rotate(self, principal: Principal, endpoint_id: str) -> pb.RotateWebhookSecretResponse:
        reply: pb.RotateWebhookSecretResponse = await self._stub.RotateWebhookSecret(
            pb.RotateWebhookSecretRequest(endpoint_id=endpoint_id), **self._call(principal)
        )
        return reply

    async def deliveries(
        self, principal: Principal, endpoint_id: str, *, limit: int, cursor: str
    ) -> pb.ListWebhookDeliveriesResponse:
        request = pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id, page_size=limit, page_token=cursor)
        reply: pb.ListWebhookDeliveriesResponse = await self._stub.ListWebhookDeliveries(
            request, **self._call(principal)
        )
        return reply

    async def redeliver(self, principal: Principal, endpoint_id: str, delivery_id: str) -> pb.WebhookDelivery:
        reply: pb.RedeliverWebhookResponse = await self._stub.RedeliverWebhook(
            pb.RedeliverWebhookRequest(endpoint_id=endpoint_id, delivery_id=delivery_id),
            **self._call(principal),
        )
        return reply.delivery

    async def redeliver_range(
        self, principal: Principal, endpoint_id: str, since: dt.datetime, until: dt.datetime
    ) -> int:
        reply: pb.RedeliverWebhooksResponse = await self._stub.RedeliverWebhooks(
            pb.RedeliverWebhooksRequest(
                endpoint_id=endpoint_id, since=to_timestamp(since), until=to_timestamp(until)
            ),
            **self._call(principal),
        )
        return reply.redelivered
