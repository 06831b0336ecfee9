"""Every route that acts for a caller names the OAuth scope it needs in the OpenAPI (`security`)."""

from __future__ import annotations

from typing import Any

import pytest

from taquilla_runtime.scopes import ALL_SCOPES

pytestmark = pytest.mark.asyncio(loop_scope="session")
# Routes a signed-in caller may use whatever the token's scope: one's own account, signing out.
ANY_SCOPE = {
    ("get", "/api/v1/users/me"),
    ("patch", "/api/v1/users/me"),
    ("post", "/api/v1/users/me/password"),
    ("post", "/api/v1/auth/logout"),
}


async def operations(edge_client: Any) -> dict[tuple[str, str], dict[str, Any]]:
    async with edge_client() as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    return {(method, path): op for path, ops in paths.items() for method, op in ops.items()}


async def test_each_route_for_a_caller_requires_one_known_scope(edge_client) -> None:  # type: ignore[no-untyped-def]
    for (method, path), operation in (await operations(edge_client)).items():
        requirements = operation.get("security")
        if not requirements or (method, path) in ANY_SCOPE:
            continue
        scopes = [scope for requirement in requirements for scope in next(iter(requirement.values()))]
        assert len(scopes) == 1, (method, path, scopes)
        assert scopes[0] in ALL_SCOPES, (method, path)


async def test_writes_and_reads_name_their_scopes(edge_client) -> None:  # type: ignore[no-untyped-def]
    found = await operations(edge_client)

    def scope(method: str, path: str) -> str:
        return str(next(iter(found[(method, path)]["security"][0].values()))[0])

    assert scope("post", "/api/v1/events") == "events:write"
    assert scope("get", "/api/v1/events/{event_id}") == "events:read"
    assert scope("post", "/api/v1/reservations") == "tickets:write"
    assert scope("get", "/api/v1/me/orders") == "tickets:read"
    assert scope("post", "/api/v1/checkins") == "checkin"
    assert scope("get", "/api/v1/admin/users") == "admin"
