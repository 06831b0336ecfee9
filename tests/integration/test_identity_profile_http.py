"""One's own profile and password, and an organization's public name, through the running edge."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import bearer, login_as, new_customer, password_grant

pytestmark = pytest.mark.asyncio(loop_scope="session")
ME = "/api/v1/users/me"
NEW_PASSWORD = "Niebla-Granate-Muelle-2026"


async def refreshed(edge: httpx.AsyncClient, token: str) -> httpx.Response:
    return await edge.post("/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": token})


async def test_a_user_renames_themselves(edge: httpx.AsyncClient) -> None:
    _, _, tokens = await new_customer(edge)
    reply = await edge.patch(
        ME, headers=bearer(tokens["access_token"]), json={"full_name": "Rita María Prueba"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["full_name"] == "Rita María Prueba"
    assert (await edge.get(ME, headers=bearer(tokens["access_token"]))).json()[
        "full_name"
    ] == "Rita María Prueba"
    blank = await edge.patch(ME, headers=bearer(tokens["access_token"]), json={"full_name": "  "})
    assert blank.status_code == 422, blank.text
    assert [e["field"] for e in blank.json()["errors"]] == ["full_name"]


async def test_changing_the_password_keeps_this_session_and_ends_the_others(edge: httpx.AsyncClient) -> None:
    email, password, here = await new_customer(edge)
    elsewhere = await password_grant(edge, email, password)
    wrong = await edge.post(
        f"{ME}/password",
        headers=bearer(here["access_token"]),
        json={"current_password": "not-my-password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422, wrong.text
    assert [(e["field"], e["code"]) for e in wrong.json()["errors"]] == [("current_password", "incorrect")]

    changed = await edge.post(
        f"{ME}/password",
        headers=bearer(here["access_token"]),
        json={
            "current_password": password,
            "new_password": NEW_PASSWORD,
            "refresh_token": here["refresh_token"],
        },
    )
    assert changed.status_code == 204, changed.text
    assert (await refreshed(edge, here["refresh_token"])).status_code == 200
    assert (await refreshed(edge, elsewhere["refresh_token"])).status_code == 400
    old = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    assert old.status_code in (400, 401), old.text
    await password_grant(edge, email, NEW_PASSWORD)


async def test_anyone_reads_an_organizations_name(edge: httpx.AsyncClient) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    name = f"Producciones {uuid.uuid4().hex[:8]}"
    created = await edge.post("/api/v1/admin/organizations", headers=admin, json={"name": name})
    assert created.status_code == 201, created.text
    reply = await edge.get(f"/api/v1/organizations/{created.json()['id']}")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"id": created.json()["id"], "name": name}
    assert (await edge.get(f"/api/v1/organizations/{uuid.uuid4()}")).status_code == 404
