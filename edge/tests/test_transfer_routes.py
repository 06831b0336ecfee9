"""The ticket transfer routes as the edge alone answers them: documented in the OpenAPI with their
refusals, bounded bodies, and closed to callers without a token.

What ticketing_svc answers is tested through the running platform
(tests/integration/test_ticket_transfer_http.py)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM_JSON = "application/problem+json"
TICKET = "/api/v1/tickets/0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77"
TRANSFER = "/api/v1/transfers/3f2d5b1c-9e77-4a5e-9a61-0b7c1f0e8f3e"


async def spec(edge_client: Any) -> dict[str, Any]:
    async with edge_client() as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


async def test_the_openapi_documents_every_transfer_route_and_its_refusals(edge_client) -> None:  # type: ignore[no-untyped-def]
    document = await spec(edge_client)
    paths = document["paths"]
    assert set(paths["/api/v1/tickets/{ticket_id}/transfer"]) == {"post"}
    assert set(paths["/api/v1/transfers/{transfer_id}"]) == {"get", "delete"}
    assert set(paths["/api/v1/transfers/{transfer_id}/accept"]) == {"post"}
    offer = paths["/api/v1/tickets/{ticket_id}/transfer"]["post"]
    assert {"202", "401", "404", "409", "422"} <= set(offer["responses"])
    for problem in ("ticket-used", "ticket-revoked", "transfers-disabled", "transfer-pending"):
        assert problem in offer["responses"]["409"]["description"]
    assert PROBLEM_JSON in offer["responses"]["409"]["content"]
    accept = paths["/api/v1/transfers/{transfer_id}/accept"]["post"]
    assert "transfer-closed" in accept["responses"]["409"]["description"]
    assert "not-the-recipient" in accept["responses"]["403"]["description"]
    schemas = document["components"]["schemas"]
    assert schemas["TransferCreate"]["properties"]["email"]["maxLength"] == 254
    assert schemas["TransferAccept"]["properties"]["token"]["maxLength"] == 128
    assert schemas["TransferCreate"]["additionalProperties"] is False
    assert schemas["TicketPublic"]["properties"]["revoked_reason"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", f"{TICKET}/transfer", {"email": "bruno@example.com"}),
        ("GET", TRANSFER, None),
        ("POST", f"{TRANSFER}/accept", {"token": "q0Vx3n8bH4kR1sT9uW2yZ5aC7eG0iK3mO6pQ8rS1tU4"}),
        ("DELETE", TRANSFER, None),
    ],
)
async def test_transfers_need_a_token(edge_client, method: str, path: str, body: Any) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.request(method, path, json=body)
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"] == PROBLEM_JSON
