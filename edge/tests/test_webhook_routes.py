"""The webhook routes as the edge alone answers them: documented in the OpenAPI with their refusals,
bounded bodies, and closed to callers without a token.

What notification_svc answers is tested through the running platform
(tests/integration/test_webhooks_http.py)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM_JSON = "application/problem+json"
ENDPOINT = "/api/v1/webhooks/0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77"
DELIVERY = f"{ENDPOINT}/deliveries/3f2d5b1c-9e77-4a5e-9a61-0b7c1f0e8f3e"


async def test_the_openapi_documents_every_webhook_route_with_bounded_bodies(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{endpoint_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/webhooks/{endpoint_id}/rotate-secret"]) == {"post"}
    assert set(paths["/api/v1/webhooks/{endpoint_id}/deliveries"]) == {"get"}
    assert set(paths["/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"]) == {"post"}
    assert set(paths["/api/v1/webhooks/{endpoint_id}/redeliver"]) == {"post"}
    create = paths["/api/v1/webhooks"]["post"]
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    assert PROBLEM_JSON in create["responses"]["422"]["content"]
    schemas = document["components"]["schemas"]
    body = schemas["WebhookEndpointCreate"]
    assert body["additionalProperties"] is False
    assert body["properties"]["url"]["maxLength"] == 2048
    assert body["properties"]["types"]["maxItems"] == 6
    assert body["properties"]["description"]["maxLength"] == 500
    assert "secret" in schemas["WebhookEndpointWithSecret"]["properties"]
    assert "secret" not in schemas["WebhookEndpointPublic"]["properties"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/webhooks", None),
        ("POST", "/api/v1/webhooks", {"url": "https://hooks.example.com/x", "types": ["order.paid"]}),
        ("PATCH", ENDPOINT, {"enabled": False}),
        ("DELETE", ENDPOINT, None),
        ("POST", f"{ENDPOINT}/rotate-secret", None),
        ("GET", f"{ENDPOINT}/deliveries", None),
        ("POST", f"{DELIVERY}/redeliver", None),
    ],
)
async def test_webhooks_need_a_token(edge_client, method: str, path: str, body: Any) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.request(method, path, json=body)
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"] == PROBLEM_JSON
