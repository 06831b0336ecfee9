"""The waiting list through the running edge: a sold-out zone's list, the offer made when a place
comes back, its e-mail at the SMTP sink, and the checkout of the offered reservation."""

from __future__ import annotations

import email
import email.policy
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from devstack.testing import eventually
from tests.conftest import Platform, bearer, new_customer, new_organizer
from tests.integration.test_reservations_http import hold, published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM = "application/problem+json"
PROBLEMS = "https://taquilla.dev/problems/"


async def customer(edge: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    address, _, tokens = await new_customer(edge)
    return address, bearer(tokens["access_token"])


def joining(event: dict[str, Any], zone: int, quantity: int) -> dict[str, Any]:
    return {
        "session_id": event["sessions"][0]["id"],
        "zone_id": event["zones"][zone]["id"],
        "quantity": quantity,
    }


def mails_to(platform: Platform, address: str) -> list[EmailMessage]:
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in platform.stack.maildir.glob("*.eml")
    ]
    return [m for m in mails if address in str(m["To"])]  # type: ignore[misc]


async def test_the_waiting_list_needs_a_token_and_bounded_fields(edge: httpx.AsyncClient) -> None:
    some = str(uuid.uuid4())
    for method, path in [
        ("POST", "/api/v1/waitlist"),
        ("GET", "/api/v1/me/waitlist"),
        ("DELETE", f"/api/v1/waitlist/{some}"),
        ("GET", f"/api/v1/events/{some}/waitlist"),
    ]:
        reply = await edge.request(method, path, json={} if method == "POST" else None)
        assert reply.status_code == 401, (method, path, reply.text)
    _, me = await customer(edge)
    body = {"session_id": some, "zone_id": some, "quantity": 1}
    for change, field in [
        ({"session_id": "x"}, "session_id"),
        ({"zone_id": "z" * 37}, "zone_id"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 101}, "quantity"),
        ({"vip": True}, "vip"),
    ]:
        reply = await edge.post("/api/v1/waitlist", headers=me, json={**body, **change})
        assert reply.status_code == 422, reply.text
        assert {e["field"] for e in reply.json()["errors"]} == {field}
    assert (await edge.delete(f"/api/v1/waitlist/{some}", headers=me)).status_code == 404


async def test_a_released_place_is_offered_to_the_list_by_email_and_checked_out(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    organizer = await new_organizer(edge)
    event = await published_event(edge, general=5, vip=2, organizer=organizer)
    _, first = await customer(edge)
    second_address, second = await customer(edge)

    # A zone with places left is reserved, not waited for.
    early = await edge.post("/api/v1/waitlist", headers=second, json=joining(event, 1, 1))
    assert early.status_code == 409, early.text
    assert early.headers["content-type"] == PROBLEM
    assert early.json()["type"] == PROBLEMS + "zone-not-sold-out"
    assert early.json()["available"] == 2

    taken = await edge.post("/api/v1/reservations", headers=first, json=hold(event, (1, 2)))
    assert taken.status_code == 201, taken.text
    joined = await edge.post("/api/v1/waitlist", headers=second, json=joining(event, 1, 1))
    assert joined.status_code == 201, joined.text
    entry = joined.json()
    assert (entry["status"], entry["position"], entry["quantity"], entry["zone_name"]) == (
        "waiting",
        1,
        1,
        "VIP",
    )
    again = await edge.post("/api/v1/waitlist", headers=second, json=joining(event, 1, 1))
    assert again.json()["id"] == entry["id"]

    lengths = await edge.get(f"/api/v1/events/{event['id']}/waitlist", headers=organizer)
    assert lengths.status_code == 200, lengths.text
    vip = next(line for line in lengths.json()["lengths"] if line["zone_id"] == event["zones"][1]["id"])
    assert (vip["entries"], vip["places"], vip["offered"]) == (1, 1, 0)
    assert (await edge.get(f"/api/v1/events/{event['id']}/waitlist", headers=first)).status_code == 403

    released = await edge.delete(f"/api/v1/reservations/{taken.json()['id']}", headers=first)
    assert released.status_code == 204

    [mine] = (await edge.get("/api/v1/me/waitlist", headers=second)).json()["items"]
    assert (mine["id"], mine["status"], mine["position"]) == (entry["id"], "offered", None)
    offer_id = mine["offer_reservation_id"]
    offered = await edge.get(f"/api/v1/reservations/{offer_id}", headers=second)
    assert offered.status_code == 200, offered.text
    assert (offered.json()["status"], offered.json()["items"][0]["quantity"]) == ("held", 1)

    mail = (
        await eventually(lambda: mails_to(platform, second_address), within=30, what="the offer's e-mail")
    )[0]
    assert event["name"] in str(mail["Subject"])
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert f"/checkout/{offer_id}" in body.get_content()

    order = await edge.post(
        "/api/v1/orders",
        headers=second,
        json={"reservation_id": offer_id, "buyer": {"name": "Rita Prueba", "email": second_address}},
    )
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "pending_payment"

    left = await edge.delete(f"/api/v1/waitlist/{entry['id']}", headers=first)
    assert left.status_code == 404  # someone else's
