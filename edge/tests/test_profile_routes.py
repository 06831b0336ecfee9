"""The profile routes (one's own name and password) and an organization's public name, as the edge
alone answers them: documented with their refusals, bounded bodies, and the profile closed to callers
without a token. What identity answers is tested in identity_svc's handler and servicer tests."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM_JSON = "application/problem+json"


async def test_the_openapi_documents_the_profile_routes_and_their_bounds(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    assert set(paths["/api/v1/users/me"]) == {"get", "patch"}
    assert set(paths["/api/v1/users/me/password"]) == {"post"}
    assert {"204", "401", "422"} <= set(paths["/api/v1/users/me/password"]["post"]["responses"])
    assert {"200", "404"} <= set(paths["/api/v1/organizations/{organization_id}"]["get"]["responses"])
    schemas = document["components"]["schemas"]
    assert schemas["ProfileUpdate"]["additionalProperties"] is False
    assert schemas["PasswordChange"]["properties"]["new_password"]["maxLength"] == 128
    assert schemas["PasswordChange"]["properties"]["refresh_token"]["anyOf"][0]["maxLength"] == 512


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/v1/users/me", {"full_name": "Ana"}),
        ("POST", "/api/v1/users/me/password", {"current_password": "a", "new_password": "b"}),
    ],
)
async def test_the_profile_needs_a_token(edge_client, method: str, path: str, body: Any) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.request(method, path, json=body)
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"] == PROBLEM_JSON


async def test_an_organization_id_must_be_a_uuid(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.get("/api/v1/organizations/not-a-uuid")
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == PROBLEM_JSON
