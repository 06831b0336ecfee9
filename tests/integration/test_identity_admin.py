"""Roles, mass assignment, the admin API and the audit log, against the running edge."""

from __future__ import annotations

import email
import email.policy
import uuid
from email.message import EmailMessage

import httpx
import pytest

from devstack.testing import eventually
from tests.conftest import Platform, bearer, login_as, new_customer, password_grant

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM = "application/problem+json"


async def admin_headers(edge: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await login_as(edge, "admin"))["access_token"])


async def user_id(edge: httpx.AsyncClient, token: str) -> str:
    return str((await edge.get("/api/v1/users/me", headers=bearer(token))).json()["id"])


async def test_registration_cannot_choose_a_role(edge: httpx.AsyncClient) -> None:
    email = f"sneaky-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "Bosque-Rio-Piedra-Azul", "full_name": "Eve", "role": "admin"}
    reply = await edge.post("/api/v1/auth/register", json=body)
    assert reply.status_code == 422
    assert reply.headers["content-type"] == PROBLEM
    assert {
        "field": "role",
        "code": "unknown_field",
        "message": "Extra inputs are not permitted",
    } in reply.json()["errors"]
    # Nothing was created: the same email registers cleanly without the forbidden field.
    del body["role"]
    assert (await edge.post("/api/v1/auth/register", json=body)).status_code == 202


@pytest.mark.parametrize(
    ("password", "message", "code"),
    [
        ("short-Pw1", "at least 12", "too_short"),
        ("password1234", "too common", "weak_password"),
        ("aaaaaaaaaaaaaaaa", "too common", "weak_password"),
    ],
)
async def test_registration_refuses_weak_passwords_with_a_field_error(
    edge: httpx.AsyncClient, password: str, message: str, code: str
) -> None:
    reply = await edge.post(
        "/api/v1/auth/register",
        json={
            "email": f"weak-{uuid.uuid4().hex[:8]}@example.com",
            "password": password,
            "full_name": "Weak Pass",
        },
    )
    assert reply.status_code == 422
    errors = reply.json()["errors"]
    assert any(e["field"] == "password" and e["code"] == code and message in e["message"] for e in errors), (
        errors
    )


def mails_to(platform: Platform, address: str) -> list[EmailMessage]:
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in platform.stack.maildir.glob("*.eml")
    ]
    return [m for m in mails if isinstance(m, EmailMessage) and m["To"] and address in m["To"]]


async def test_registration_answers_a_taken_email_like_a_new_one_and_tells_its_owner(
    platform: Platform, edge: httpx.AsyncClient
) -> None:
    taken, password, _ = await new_customer(edge)
    fresh = f"fresh-{uuid.uuid4().hex[:8]}@example.com"
    body = {"password": "Otra-Clave-Larga-Segura", "full_name": "Twin"}
    new = await edge.post("/api/v1/auth/register", json={**body, "email": fresh})
    twin = await edge.post("/api/v1/auth/register", json={**body, "email": taken.upper()})
    assert (twin.status_code, twin.json()) == (new.status_code, new.json())
    assert twin.status_code == 202
    assert set(twin.headers) == set(new.headers)  # the same headers (by name), Location on neither

    # The new address has its account; the taken one still has its owner's password, and its owner
    # is told in an e-mail (identity's outbox, then notification_svc).
    await password_grant(edge, fresh, body["password"])
    await password_grant(edge, taken, password)
    refused = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": taken, "password": body["password"]}
    )
    assert refused.status_code == 400
    [mail] = await eventually(
        lambda: mails_to(platform, taken), within=30, what="the e-mail to the taken address's owner"
    )
    assert mail["Subject"] == "Alguien intentó registrarse con tu dirección"
    assert mails_to(platform, fresh) == []


async def test_non_admins_cannot_use_the_admin_api(edge: httpx.AsyncClient) -> None:
    for role in ("customer", "organizer", "staff"):
        headers = bearer((await login_as(edge, role))["access_token"])
        listing = await edge.get("/api/v1/admin/users", headers=headers)
        assert listing.status_code == 403, role
        assert listing.headers["content-type"] == PROBLEM
        assert (
            await edge.post("/api/v1/admin/organizations", headers=headers, json={"name": "Mine"})
        ).status_code == 403
        assert (await edge.post("/api/v1/admin/signing-keys/rotate", headers=headers)).status_code == 403


async def test_an_admin_changes_a_role_and_the_user_sees_it_after_signing_in_again(
    edge: httpx.AsyncClient,
) -> None:
    admin = await admin_headers(edge)
    email, password, tokens = await new_customer(edge)
    target = await user_id(edge, tokens["access_token"])
    organization = await edge.post(
        "/api/v1/admin/organizations", headers=admin, json={"name": f"Teatro {uuid.uuid4().hex[:6]}"}
    )
    assert organization.status_code == 201
    assert organization.headers["location"].endswith(organization.json()["id"])
    changed = await edge.patch(
        f"/api/v1/admin/users/{target}",
        headers=admin,
        json={"role": "organizer", "organization_id": organization.json()["id"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "organizer"
    relogged = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    me = await edge.get("/api/v1/users/me", headers=bearer(relogged.json()["access_token"]))
    assert me.json()["organization_id"] == organization.json()["id"]


async def test_role_and_organization_must_stay_consistent(edge: httpx.AsyncClient) -> None:
    admin = await admin_headers(edge)
    _, _, tokens = await new_customer(edge)
    target = await user_id(edge, tokens["access_token"])
    reply = await edge.patch(f"/api/v1/admin/users/{target}", headers=admin, json={"role": "staff"})
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "organization_id"


async def test_admin_update_rejects_fields_it_does_not_own(edge: httpx.AsyncClient) -> None:
    admin = await admin_headers(edge)
    _, _, tokens = await new_customer(edge)
    target = await user_id(edge, tokens["access_token"])
    for body in (
        {"password": "Nueva-Clave-Secreta-1"},
        {"email": "x@example.com"},
        {"id": str(uuid.uuid4())},
    ):
        reply = await edge.patch(f"/api/v1/admin/users/{target}", headers=admin, json=body)
        assert reply.status_code == 422, body
    assert (
        await edge.patch(f"/api/v1/admin/users/{uuid.uuid4()}", headers=admin, json={"active": False})
    ).status_code == 404
    assert (
        await edge.patch("/api/v1/admin/users/not-a-uuid", headers=admin, json={"active": False})
    ).status_code == 422


async def test_an_admin_cannot_demote_or_deactivate_their_own_account(edge: httpx.AsyncClient) -> None:
    tokens = await login_as(edge, "admin")
    admin = bearer(tokens["access_token"])
    myself = await user_id(edge, tokens["access_token"])
    for body in ({"role": "customer"}, {"active": False}, {"role": "admin", "active": False}):
        reply = await edge.patch(f"/api/v1/admin/users/{myself}", headers=admin, json=body)
        assert reply.status_code == 409, body
        assert reply.headers["content-type"] == PROBLEM
        assert reply.json()["type"] == "https://taquilla.dev/problems/cannot-change-own-account"
    me = (await edge.get("/api/v1/users/me", headers=admin)).json()
    assert (me["role"], me["active"]) == ("admin", True)


async def test_admins_find_organizations_by_part_of_their_name(edge: httpx.AsyncClient) -> None:
    admin = await admin_headers(edge)
    tag = uuid.uuid4().hex[:8]
    created = []
    for name in (f"Teatro {tag} Sur", f"Auditorio {tag} Norte", f"Otra Sala {uuid.uuid4().hex[:8]}"):
        reply = await edge.post("/api/v1/admin/organizations", headers=admin, json={"name": name})
        assert reply.status_code == 201
        created.append(reply.json())
    found = await edge.get("/api/v1/admin/organizations", headers=admin, params={"name": tag.upper()})
    assert found.status_code == 200
    assert [(o["id"], o["name"]) for o in found.json()["items"]] == [
        (created[1]["id"], created[1]["name"]),
        (created[0]["id"], created[0]["name"]),
    ]
    # Wildcards are searched for as text.
    assert (await edge.get("/api/v1/admin/organizations", headers=admin, params={"name": "%"})).json()[
        "items"
    ] == []
    customer = bearer((await login_as(edge, "customer"))["access_token"])
    assert (await edge.get("/api/v1/admin/organizations", headers=customer)).status_code == 403
    too_many = await edge.get("/api/v1/admin/organizations", headers=admin, params={"limit": 51})
    assert [(e["field"], e["code"]) for e in too_many.json()["errors"]] == [("query.limit", "out_of_range")]


async def test_a_deactivated_user_cannot_sign_in_or_refresh(edge: httpx.AsyncClient) -> None:
    admin = await admin_headers(edge)
    email, password, tokens = await new_customer(edge)
    target = await user_id(edge, tokens["access_token"])
    assert (
        await edge.patch(f"/api/v1/admin/users/{target}", headers=admin, json={"active": False})
    ).status_code == 200
    login = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    assert login.json()["error"] == "invalid_grant"
    refresh = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.json()["error"] == "invalid_grant"
    assert (await edge.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))).status_code == 404


async def test_users_me_never_answers_for_someone_else(edge: httpx.AsyncClient) -> None:
    first_email, _, first = await new_customer(edge)
    _, _, second = await new_customer(edge)
    assert (await edge.get("/api/v1/users/me", headers=bearer(first["access_token"]))).json()[
        "email"
    ] == first_email
    assert (await edge.get("/api/v1/users/me", headers=bearer(second["access_token"]))).json()[
        "email"
    ] != first_email


async def test_lists_users_with_filters_and_keyset_pagination(edge: httpx.AsyncClient) -> None:
    admin = await admin_headers(edge)
    marker = uuid.uuid4().hex[:8]
    for n in range(5):
        await edge.post(
            "/api/v1/auth/register",
            json={
                "email": f"page-{marker}-{n}@example.com",
                "password": "Pagina-Larga-Segura-9",
                "full_name": f"Page {n}",
            },
        )
    seen: list[str] = []
    cursor = ""
    while True:
        page = await edge.get(
            "/api/v1/admin/users",
            headers=admin,
            params={"email": f"page-{marker}", "limit": 2, "cursor": cursor},
        )
        assert page.status_code == 200
        seen += [u["email"] for u in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen == [f"page-{marker}-{n}@example.com" for n in range(5)]
    organizers = (await edge.get("/api/v1/admin/users", headers=admin, params={"role": "organizer"})).json()[
        "items"
    ]
    assert organizers
    assert all(u["role"] == "organizer" for u in organizers)
    assert (
        await edge.get("/api/v1/admin/users", headers=admin, params={"cursor": "garbage!"})
    ).status_code == 422
    assert (await edge.get("/api/v1/admin/users", headers=admin, params={"limit": 1000})).status_code == 422


async def test_api_client_secrets_are_shown_once(edge: httpx.AsyncClient) -> None:
    admin = await admin_headers(edge)
    reply = await edge.post(
        "/api/v1/admin/api-clients",
        headers=admin,
        json={"name": "Partner", "scopes": ["events:read", "tickets:read"]},
    )
    assert reply.status_code == 201
    assert reply.headers["cache-control"] == "no-store"
    assert reply.json()["rate_limit_tier"] == "standard"
    bad = await edge.post("/api/v1/admin/api-clients", headers=admin, json={"name": "P", "scopes": ["root"]})
    assert bad.status_code == 422


async def test_every_state_change_is_audited_with_the_correlation_id(edge: httpx.AsyncClient) -> None:
    admin = await admin_headers(edge)
    _, _, tokens = await new_customer(edge)
    target = await user_id(edge, tokens["access_token"])
    correlation_id = str(uuid.uuid4())
    await edge.patch(
        f"/api/v1/admin/users/{target}",
        headers={**admin, "X-Correlation-ID": correlation_id},
        json={"active": False},
    )
    customer = bearer((await login_as(edge, "customer"))["access_token"])
    await edge.patch(f"/api/v1/admin/users/{target}", headers=customer, json={"active": True})
    entries = (await edge.get("/api/v1/admin/audit", headers=admin, params={"action": "user.update"})).json()[
        "items"
    ]
    updates = [e for e in entries if e["target"] == f"user:{target}"]
    assert [(e["outcome"], e["correlation_id"] == correlation_id) for e in updates][-1] == ("success", True)
    assert any(e["outcome"] == "denied" for e in updates)
    assert all(
        set(e)
        == {
            "service",
            "id",
            "occurred_at",
            "actor",
            "actor_kind",
            "actor_role",
            "organization_id",
            "action",
            "target",
            "correlation_id",
            "outcome",
        }
        for e in entries
    )


async def test_problem_json_has_the_same_shape_for_every_error_class(edge: httpx.AsyncClient) -> None:
    customer = bearer((await login_as(edge, "customer"))["access_token"])
    admin = await admin_headers(edge)
    cases = [
        await edge.get("/api/v1/users/me"),  # 401
        await edge.get("/api/v1/admin/users", headers=customer),  # 403
        await edge.get("/api/v1/nothing-here"),  # 404
        await edge.delete("/api/v1/users/me", headers=customer),  # 405
        await edge.post(
            "/api/v1/admin/organizations", headers=admin, json={"name": "Producciones Demo"}
        ),  # 409
        await edge.post("/api/v1/auth/register", json={"email": "x"}),  # 422
    ]
    assert [r.status_code for r in cases] == [401, 403, 404, 405, 409, 422]
    for reply in cases:
        body = reply.json()
        assert reply.headers["content-type"] == PROBLEM
        assert {"type", "title", "status", "instance", "correlation_id"} <= set(body)
        assert body["status"] == reply.status_code
        assert body["correlation_id"] == reply.headers["x-correlation-id"]
        for leak in ("Traceback", "grpc", "127.0.0.1", "SELECT", "Error:"):
            assert leak not in reply.text
