"""The check-in routes as the edge alone answers them: documented in the OpenAPI with bounded bodies,
and closed to callers without a token.

What ticketing_svc answers is tested through the running platform (tests/integration/test_checkin_http.py).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM_JSON = "application/problem+json"
SESSION = "2b6f0cf0-3b5e-4c8e-9d0a-6a1e5b7c9d21"
EVENT = "5a1e6f0c-2b7d-4c1a-8e3f-9d0b2c4e6a81"


async def spec(edge_client: Any) -> dict[str, Any]:
    async with edge_client() as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


async def test_the_openapi_documents_every_check_in_route(edge_client) -> None:  # type: ignore[no-untyped-def]
    paths = (await spec(edge_client))["paths"]
    expected = {
        "/api/v1/checkins": {"post"},
        "/api/v1/checkins:batch": {"post"},
        "/api/v1/sessions/{session_id}/checkin-pack": {"get"},
        "/api/v1/events/{event_id}/checkin-conflicts": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        operation = paths[path][next(iter(methods))]
        assert operation["summary"]
        assert operation["description"]
        assert {"200", "401", "404"} <= set(operation["responses"]), path
        assert operation["tags"] == ["check-in"]


async def test_check_in_bodies_bound_every_string_and_list(edge_client) -> None:  # type: ignore[no-untyped-def]
    schemas = (await spec(edge_client))["components"]["schemas"]
    scan = schemas["CheckInCreate"]["properties"]
    assert (scan["secret"]["minLength"], scan["secret"]["maxLength"]) == (1, 256)
    assert (scan["device_id"]["maxLength"], scan["nonce"]["maxLength"], scan["session_id"]["maxLength"]) == (
        64,
        64,
        36,
    )
    assert scan["type"]["enum"] == ["entry", "exit"]
    assert schemas["CheckInCreate"]["additionalProperties"] is False
    batch = schemas["CheckInBatchCreate"]["properties"]
    assert (batch["scans"]["minItems"], batch["scans"]["maxItems"]) == (1, 500)
    assert schemas["OfflineScanIn"]["required"] == ["secret", "nonce", "scanned_at"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/checkins"),
        ("POST", "/api/v1/checkins:batch"),
        ("GET", f"/api/v1/sessions/{SESSION}/checkin-pack"),
        ("GET", f"/api/v1/events/{EVENT}/checkin-conflicts"),
    ],
)
async def test_check_in_needs_a_token(edge_client, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.request(method, path, json={} if method == "POST" else None)
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"] == PROBLEM_JSON
