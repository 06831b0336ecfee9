"""One audit trail across the services, against the running platform: actions and refusals of the
catalog, ticketing, notifications and identity recorded with their actor, target, organization,
correlation id and outcome; read by administrators whole and by organizers for their organization;
never holding a secret."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.testing import eventually
from tests.conftest import Platform, bearer, login_as, new_customer, new_organizer
from tests.integration.test_checkin_http import paid_tickets, scan
from tests.integration.test_reservations_http import published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).replace(minute=0, second=0, microsecond=0)


def event_body() -> dict[str, Any]:
    return {
        "name": f"Auditoría {uuid.uuid4().hex[:8]}",
        "description": "Una noche de música.",
        "category": "concert",
        "venue": {"name": f"Foro {uuid.uuid4().hex[:8]}", "city": "Puebla", "address": "5 de Mayo 10"},
        "starts_at": START.isoformat(),
        "ends_at": (START + dt.timedelta(hours=4)).isoformat(),
        "timezone": "America/Mexico_City",
        "zones": [{"name": "General", "price": {"amount": "350.00", "currency": "MXN"}, "capacity": 10}],
    }


async def trail(
    edge: httpx.AsyncClient, headers: dict[str, str], path: str = "/api/v1/admin/audit", **params: Any
) -> list[dict[str, Any]]:
    reply = await edge.get(path, headers=headers, params=params)
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


async def written(
    edge: httpx.AsyncClient, headers: dict[str, str], count: int, **params: Any
) -> list[dict[str, Any]]:
    """The trail once it holds ``count`` entries: a refusal's entry is written just after its answer."""

    async def enough() -> list[dict[str, Any]] | None:
        items = await trail(edge, headers, **params)
        return items if len(items) >= count else None

    return await eventually(enough, within=15, what=f"{count} audit entries for {params}")


async def test_actions_and_refusals_of_every_service_land_in_one_trail(edge: httpx.AsyncClient) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    organizer = await new_organizer(edge, admin)
    organization = (await edge.get("/api/v1/users/me", headers=organizer)).json()["organization_id"]
    customer = bearer((await login_as(edge, "customer"))["access_token"])
    correlation = str(uuid.uuid4())

    created = await edge.post(
        "/api/v1/events", headers={**organizer, "X-Correlation-ID": correlation}, json=event_body()
    )
    assert created.status_code == 201, created.text
    event = created.json()["id"]
    published = await edge.post(f"/api/v1/events/{event}/publish", headers=organizer)
    assert published.status_code == 200, published.text
    hold = {
        "session_id": published.json()["sessions"][0]["id"],
        "items": [{"zone_id": published.json()["zones"][0]["id"], "quantity": 1}],
    }
    buyer_email, _, buyer_tokens = await new_customer(edge)
    buyer = bearer(buyer_tokens["access_token"])
    held = await edge.post("/api/v1/reservations", headers=buyer, json=hold)
    assert held.status_code == 201, held.text
    reservation = held.json()["id"]
    assert (await edge.delete(f"/api/v1/reservations/{reservation}", headers=buyer)).status_code == 204
    bought = await edge.post("/api/v1/reservations", headers=buyer, json=hold)
    assert bought.status_code == 201, bought.text
    order = await edge.post(
        "/api/v1/orders",
        headers=buyer,
        json={"reservation_id": bought.json()["id"], "buyer": {"name": "Rita Prueba", "email": buyer_email}},
    )
    assert order.status_code == 201, order.text
    featured = await edge.put(f"/api/v1/events/{event}/featured", headers=admin, json={"featured": True})
    assert featured.status_code == 200, featured.text
    # A customer's token lacks events:write: the edge refuses it before event_svc (not in the trail).
    # An organizer of another organization reaches event_svc, which refuses: that is audited.
    assert (
        await edge.post(f"/api/v1/events/{event}/cancel", headers=customer, json={"reason": "no"})
    ).status_code == 403
    intruder = await new_organizer(edge, admin)
    intruder_organization = (await edge.get("/api/v1/users/me", headers=intruder)).json()["organization_id"]
    refused = await edge.post(f"/api/v1/events/{event}/cancel", headers=intruder, json={"reason": "no"})
    assert refused.status_code in (403, 404), refused.text
    missing_order = str(uuid.uuid4())
    refund = await edge.post(
        f"/api/v1/orders/{missing_order}/refunds",
        headers=admin,
        json={"amount": {"amount": "1.00", "currency": "MXN"}},
    )
    assert refund.status_code == 404, refund.text
    released = await trail(edge, admin, target=f"reservation:{reservation}")
    assert [(e["service"], e["action"], e["outcome"], e["actor_role"]) for e in released] == [
        ("ticketing_svc", "reservation.release", "success", "customer")
    ]
    missing_notification = str(uuid.uuid4())
    assert (
        await edge.post(f"/api/v1/admin/notifications/{missing_notification}/retry", headers=admin)
    ).status_code == 404

    on_event = await written(edge, admin, 3, target=f"event:{event}")
    assert [(e["service"], e["action"], e["outcome"] == "success") for e in on_event] == [
        ("event_svc", "event.cancel", False),
        ("event_svc", "event.feature", True),
        ("event_svc", "event.publish", True),
    ]
    cancel, feature, publish = on_event
    # An administrator's change to the organization's event belongs to the organization.
    assert (feature["actor_role"], feature["organization_id"]) == ("admin", organization)
    assert (publish["actor_role"], publish["organization_id"]) == ("organizer", organization)
    assert cancel["actor_role"] == "organizer"
    assert cancel["organization_id"] == intruder_organization
    creation = await trail(edge, admin, action="event.create", target=f"organization:{organization}")
    assert [(e["outcome"], e["correlation_id"]) for e in creation] == [("success", correlation)]
    refunds = await written(edge, admin, 1, target=f"order:{missing_order}")
    assert [(e["service"], e["action"], e["outcome"]) for e in refunds] == [
        ("ticketing_svc", "order.refund", "not_found")
    ]
    retry = await written(edge, admin, 1, target=f"notification:{missing_notification}")
    assert [(e["service"], e["action"], e["outcome"]) for e in retry] == [
        ("notification_svc", "notification.retry", "not_found")
    ]

    # The organization's part: its members' actions, not the intruder's refusal.
    own = await trail(edge, organizer, f"/api/v1/organizations/{organization}/audit", action="event.")
    assert {e["action"] for e in own} == {"event.create", "event.publish", "event.feature"}
    # A buyer's order belongs to the event's organization; the buyer's email is nowhere in the trail.
    sales = await trail(edge, organizer, f"/api/v1/organizations/{organization}/audit", action="order.")
    assert [(e["action"], e["target"], e["actor_role"]) for e in sales] == [
        ("order.create", f"reservation:{bought.json()['id']}", "customer")
    ]
    assert buyer_email not in str(await trail(edge, admin, limit=200))
    assert (await trail(edge, admin, f"/api/v1/organizations/{organization}/audit", action="event.")) == own
    stranger = await new_organizer(edge, admin)
    assert (
        await edge.get(f"/api/v1/organizations/{organization}/audit", headers=stranger)
    ).status_code == 403
    assert (await edge.get("/api/v1/admin/audit", headers=organizer)).status_code == 403


async def test_pages_of_the_merged_trail_never_repeat_or_skip(edge: httpx.AsyncClient) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    everything = await trail(edge, admin, limit=12)
    walked: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(3):
        reply = await edge.get("/api/v1/admin/audit", headers=admin, params={"limit": 4, "cursor": cursor})
        walked += reply.json()["items"]
        cursor = reply.json()["next_cursor"]
        assert cursor
    assert [(e["service"], e["id"]) for e in walked] == [(e["service"], e["id"]) for e in everything]
    assert {e["service"] for e in everything} >= {"identity_svc", "event_svc"}
    times = [dt.datetime.fromisoformat(e["occurred_at"]) for e in everything]
    assert times == sorted(times, reverse=True)
    bad = await edge.get("/api/v1/admin/audit", headers=admin, params={"cursor": "garbage"})
    assert [(e["field"], bad.status_code) for e in bad.json()["errors"]] == [("query.cursor", 422)]


async def test_the_trail_holds_no_password_token_or_email(edge: httpx.AsyncClient) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    email, password, tokens = await new_customer(edge)
    await edge.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": "Wrong-Password-123"},
    )
    signed_out = await edge.post(
        "/api/v1/auth/logout",
        headers=bearer(tokens["access_token"]),
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert signed_out.status_code == 204, signed_out.text
    reply = await edge.get("/api/v1/admin/audit", headers=admin, params={"limit": 200})
    assert reply.status_code == 200
    assert {"auth.password_grant", "auth.logout"} <= {e["action"] for e in reply.json()["items"]}
    for secret in (email, password, "Wrong-Password-123", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in reply.text


@pytest.mark.parametrize(
    ("service", "schema"),
    [
        ("IDENTITY_SVC", "identity"),
        ("EVENT_SVC", "catalog"),
        ("NOTIFICATION_SVC", "notifications"),
        ("TICKETING_SVC", "ticketing"),
    ],
)
async def test_each_services_log_refuses_to_be_rewritten(
    platform: Platform, service: str, schema: str
) -> None:
    url = platform.env(f"{service}_DATABASE_URL").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(url)
    try:
        for statement in (
            "UPDATE {}.audit_log SET outcome = 'success'",
            "DELETE FROM {}.audit_log",
            "TRUNCATE {}.audit_log",
        ):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await connection.execute(statement.format(schema))
    finally:
        await connection.close()


async def test_door_scans_are_recorded_with_how_the_door_answered(edge: httpx.AsyncClient) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    organizer = bearer((await login_as(edge, "organizer"))["access_token"])
    staff = bearer((await login_as(edge, "staff"))["access_token"])
    event = await published_event(edge, organizer=organizer)
    session_id = event["sessions"][0]["id"]
    buyer, (ticket, _) = await paid_tickets(edge, event)
    # A buyer's token has no checkin scope: the edge refuses it (403) before any service. Door staff
    # of another organization reach ticketing_svc, which finds no such door for them: audited.
    assert (
        await edge.post("/api/v1/checkins", headers=buyer, json=scan(ticket, session_id))
    ).status_code == 403
    stranger = await new_organizer(edge, admin)
    assert (
        await edge.post("/api/v1/checkins", headers=stranger, json=scan(ticket, session_id))
    ).status_code == 404
    for _ in range(2):
        assert (
            await edge.post("/api/v1/checkins", headers=staff, json=scan(ticket, session_id))
        ).status_code == 200

    scans = await written(edge, admin, 3, target=f"session:{session_id}", action="checkin.")
    assert [(e["action"], e["actor_role"], e["outcome"]) for e in scans] == [
        ("checkin.scan", "staff", "already_redeemed"),
        ("checkin.scan", "staff", "success"),
        ("checkin.scan", "organizer", "not_found"),
    ]
    assert ticket["secret"] not in str(scans)
    organization = (await edge.get("/api/v1/users/me", headers=organizer)).json()["organization_id"]
    door = await trail(
        edge, organizer, f"/api/v1/organizations/{organization}/audit", target=f"session:{session_id}"
    )
    assert [e["outcome"] for e in door] == ["already_redeemed", "success"]
