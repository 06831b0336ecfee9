"""Check-in through the running edge: a ticket of an order paid through the payment simulator's page,
scanned by the demo organization's door staff; who may keep the door; the answers' shape; an
offline upload's double admission, listed for the organizer; the offline pack."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from devstack.testing import eventually
from tests.conftest import bearer, login_as, new_customer, password_grant
from tests.integration.test_orders_http import checkout, customer, held, pay_at_the_hosted_page
from tests.integration.test_reservations_http import published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM = "application/problem+json"


async def demo(edge: httpx.AsyncClient, role: str) -> dict[str, str]:
    return bearer((await login_as(edge, role))["access_token"])


async def staff_of_another_organization(edge: httpx.AsyncClient) -> dict[str, str]:
    admin = await demo(edge, "admin")
    email, password, tokens = await new_customer(edge)
    me = (await edge.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))).json()
    organization = await edge.post(
        "/api/v1/admin/organizations", headers=admin, json={"name": f"Puertas {uuid.uuid4().hex[:8]}"}
    )
    assert organization.status_code == 201, organization.text
    promoted = await edge.patch(
        f"/api/v1/admin/users/{me['id']}",
        headers=admin,
        json={"role": "staff", "organization_id": organization.json()["id"]},
    )
    assert promoted.status_code == 200, promoted.text
    return bearer((await password_grant(edge, email, password))["access_token"])


async def paid_tickets(
    edge: httpx.AsyncClient, event: dict[str, Any]
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    email, me = await customer(edge)
    reservation = await held(edge, me, event, (0, 2))
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    paying = await pay_at_the_hosted_page(order["payment"]["checkout_url"], "4242424242424242")
    assert paying.status_code < 400, paying.text

    async def paid() -> dict[str, Any] | None:
        current: dict[str, Any] = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        return current if current["status"] == "paid" else None

    order = await eventually(paid, within=30, what="the order paid through the simulator's webhook")
    mine = (await edge.get("/api/v1/me/tickets", headers=me)).json()["items"]
    tickets = sorted((t for t in mine if t["order_id"] == order["id"]), key=lambda t: t["id"])
    assert len(tickets) == 2
    return me, tickets


def scan(ticket: dict[str, Any] | str, session_id: str, **fields: Any) -> dict[str, Any]:
    secret = ticket if isinstance(ticket, str) else ticket["secret"]
    return {
        "secret": secret,
        "session_id": session_id,
        "device_id": "door-north-1",
        "nonce": uuid.uuid4().hex,
        **fields,
    }


async def test_door_staff_check_a_paid_ticket_in_once_and_strangers_find_no_session(
    edge: httpx.AsyncClient,
) -> None:
    organizer, staff = await demo(edge, "organizer"), await demo(edge, "staff")
    event = await published_event(edge, organizer=organizer)
    session_id = event["sessions"][0]["id"]
    buyer, (ticket, other) = await paid_tickets(edge, event)
    body = scan(ticket, session_id)

    stranger = await staff_of_another_organization(edge)
    refused = await edge.post("/api/v1/checkins", headers=stranger, json=body)
    assert refused.status_code == 404, refused.text
    assert refused.headers["content-type"] == PROBLEM
    pack = await edge.get(f"/api/v1/sessions/{session_id}/checkin-pack", headers=stranger)
    assert pack.status_code == 404, pack.text
    # A buyer's token has no `checkin` scope: refused before any session is looked up.
    for path in ("/api/v1/checkins", f"/api/v1/sessions/{session_id}/checkin-pack"):
        not_a_door = await edge.request(
            "POST" if path.endswith("checkins") else "GET", path, headers=buyer, json=body
        )
        assert not_a_door.status_code == 403, not_a_door.text
        assert not_a_door.json()["type"] == "https://taquilla.dev/problems/insufficient-scope"

    admitted = await edge.post("/api/v1/checkins", headers=staff, json=body)
    assert admitted.status_code == 200, admitted.text
    answer = admitted.json()
    assert answer["result"] == "ok"
    assert answer["ticket"] == {
        "id": ticket["id"],
        "zone": "General",
        "zone_id": event["zones"][0]["id"],
        "holder_name": ticket["holder_name"],
        "status": "used",
    }
    assert answer["first_scan"]["device_id"] == "door-north-1"
    assert (answer["admitted"], answer["capacity"]) == (1, 7)
    assert dt.datetime.fromisoformat(answer["scanned_at"]).tzinfo is not None
    # A retry of the same scan gets the same answer; another scan of the ticket is refused.
    retried = await edge.post("/api/v1/checkins", headers=staff, json=body)
    assert retried.json() == answer
    again = (await edge.post("/api/v1/checkins", headers=organizer, json=scan(ticket, session_id))).json()
    assert again["result"] == "already_redeemed"
    assert again["first_scan"] == answer["first_scan"]

    forged = (await edge.post("/api/v1/checkins", headers=staff, json=scan("NOTATICKET", session_id))).json()
    assert (forged["result"], forged["ticket"], forged["first_scan"]) == ("invalid", None, None)

    # Offline: two doors admitted the other ticket; the later scan is the double admission.
    at = dt.datetime.now(dt.UTC)
    uploads = []
    for device, minutes in (("door-south-2", 2), ("door-east-3", 1)):
        offline = {
            "secret": other["secret"],
            "nonce": uuid.uuid4().hex,
            "scanned_at": (at + dt.timedelta(minutes=minutes)).isoformat(),
        }
        reply = await edge.post(
            "/api/v1/checkins:batch",
            headers=staff,
            json={"session_id": session_id, "device_id": device, "scans": [offline]},
        )
        assert reply.status_code == 200, reply.text
        uploads.append(reply.json()["results"][0])
    assert [(u["result"], u["conflict"]) for u in uploads] == [("ok", False), ("already_redeemed", True)]
    assert uploads[1]["first_scan"]["device_id"] == "door-south-2"

    conflicts = await edge.get(f"/api/v1/events/{event['id']}/checkin-conflicts", headers=organizer)
    assert conflicts.status_code == 200, conflicts.text
    [item] = conflicts.json()["items"]
    assert item["ticket"]["id"] == other["id"]
    # Oldest scan first: the east door scanned it first but uploaded last, after the south door's
    # admission was recorded, so its scan is the one flagged.
    assert [(s["device_id"], s["conflict"]) for s in item["scans"]] == [
        ("door-east-3", True),
        ("door-south-2", False),
    ]
    hidden = await edge.get(f"/api/v1/events/{event['id']}/checkin-conflicts", headers=buyer)
    assert hidden.status_code == 404


async def test_the_checkin_pack_lists_the_sessions_tickets_then_only_changes(edge: httpx.AsyncClient) -> None:
    organizer, staff = await demo(edge, "organizer"), await demo(edge, "staff")
    event = await published_event(edge, organizer=organizer)
    session_id = event["sessions"][0]["id"]
    _, tickets = await paid_tickets(edge, event)
    url = f"/api/v1/sessions/{session_id}/checkin-pack"

    async def everything() -> dict[str, Any] | None:
        pack: dict[str, Any] = (await edge.get(url, headers=staff)).json()
        return pack if len(pack["tickets"]) == 2 else None

    pack = await eventually(everything, within=10, what="the pack with both tickets")
    assert (pack["session_id"], pack["event_id"], pack["event_name"]) == (
        session_id,
        event["id"],
        event["name"],
    )
    assert pack["keys"]
    assert all(set(k) == {"kid", "x"} for k in pack["keys"])
    assert {t["id"] for t in pack["tickets"]} == {t["id"] for t in tickets}
    assert pack["revoked"] == []
    assert pack["complete"] is True
    assert (pack["admitted"], pack["capacity"]) == (0, 7)

    used = await edge.post("/api/v1/checkins", headers=staff, json=scan(tickets[0], session_id))
    assert used.json()["result"] == "ok"

    async def changed() -> dict[str, Any] | None:
        later: dict[str, Any] = (await edge.get(url, headers=staff, params={"cursor": pack["cursor"]})).json()
        return later if later["tickets"] else None

    later = await eventually(changed, within=10, what="the used ticket in the next pack")
    assert [(t["id"], t["status"]) for t in later["tickets"]] == [(tickets[0]["id"], "used")]
    assert later["admitted"] == 1
    bad = await edge.get(url, headers=staff, params={"cursor": "forged"})
    assert bad.status_code == 422, bad.text


async def test_a_batch_with_hundreds_of_invalid_scans_is_refused_field_by_field_not_as_busy(
    edge: httpx.AsyncClient,
) -> None:
    # Every scan repeats one nonce: hundreds of field errors, more than gRPC's 8 KiB of trailers hold.
    scans = [{"nonce": "0", "scanned_at": "2030-01-01T00:00:00Z", "secret": "0"} for _ in range(500)]
    reply = await edge.post(
        "/api/v1/checkins:batch",
        headers=await demo(edge, "staff"),
        json={"session_id": str(uuid.uuid4()), "device_id": "door-1", "scans": scans},
    )
    assert reply.status_code == 422, reply.text
    errors = reply.json()["errors"]
    assert 1 < len(errors) < 500
    assert errors[-1]["code"] == "too_many_errors"
    left_out = int(errors[-1]["message"].split()[1])
    assert left_out >= 1
    assert errors[-1]["message"] == f"and {left_out} more invalid fields"
