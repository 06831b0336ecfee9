"""Reservations through the running edge: holds, refusals as typed problems, availability polling.

The event is published a moment before the first reservation, so ticketing_svc may not have heard
of it from Kafka yet: it reads the catalog through from event_svc.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import bearer, new_customer, new_organizer

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM = "application/problem+json"
PROBLEMS = "https://taquilla.dev/problems/"
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=120)).replace(minute=0, second=0, microsecond=0)


def at(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).isoformat()


async def published_event(
    edge: httpx.AsyncClient,
    *,
    general: int = 5,
    vip: int = 2,
    sales: dict[str, Any] | None = None,
    organizer: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Gira {uuid.uuid4().hex[:8]}",
        "description": "Una noche de música.",
        "category": "concert",
        "venue": {"name": f"Arena {uuid.uuid4().hex[:8]}", "city": "Sevilla", "address": "Calle Feria 2"},
        "starts_at": at(0),
        "ends_at": at(5),
        "timezone": "Europe/Madrid",
        "zones": [
            {"name": "General", "price": {"amount": "30.00", "currency": "EUR"}, "capacity": general},
            {"name": "VIP", "price": {"amount": "95.50", "currency": "EUR"}, "capacity": vip},
        ],
        "publish": True,
        **({"sales": sales} if sales is not None else {}),
    }
    reply = await edge.post("/api/v1/events", headers=organizer or await new_organizer(edge), json=body)
    assert reply.status_code == 201, reply.text
    event: dict[str, Any] = reply.json()
    return event


async def buyer(edge: httpx.AsyncClient) -> dict[str, str]:
    _, _, tokens = await new_customer(edge)
    return bearer(tokens["access_token"])


def hold(event: dict[str, Any], *items: tuple[int, int]) -> dict[str, Any]:
    return {
        "session_id": event["sessions"][0]["id"],
        "items": [{"zone_id": event["zones"][zone]["id"], "quantity": quantity} for zone, quantity in items],
    }


async def test_a_buyer_holds_reads_lists_and_releases_a_reservation(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    me = await buyer(edge)
    created = await edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 2), (1, 1)))
    assert created.status_code == 201, created.text
    reservation = created.json()
    assert created.headers["location"] == f"/api/v1/reservations/{reservation['id']}"
    assert reservation["status"] == "held"
    assert reservation["total"] == {"amount": "155.50", "currency": "EUR"}
    assert [item["zone_name"] for item in reservation["items"]] == ["General", "VIP"]
    expires = dt.datetime.fromisoformat(reservation["expires_at"])
    created_at = dt.datetime.fromisoformat(reservation["created_at"])
    assert expires - created_at == dt.timedelta(minutes=10)

    again = await edge.get(created.headers["location"], headers=me)
    assert again.status_code == 200
    assert again.json()["id"] == reservation["id"]
    mine = await edge.get("/api/v1/me/reservations", headers=me, params={"status": "held"})
    assert [r["id"] for r in mine.json()["items"]] == [reservation["id"]]

    released = await edge.delete(created.headers["location"], headers=me)
    assert released.status_code == 204
    assert (await edge.get(created.headers["location"], headers=me)).json()["status"] == "released"
    assert (await edge.delete(created.headers["location"], headers=me)).status_code == 204


async def test_refusals_are_typed_problems_and_change_nothing(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge, general=3)
    me = await buyer(edge)
    assert (await edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 2)))).status_code == 201

    sold_out = await edge.post("/api/v1/reservations", headers=await buyer(edge), json=hold(event, (0, 2)))
    assert sold_out.status_code == 409
    assert sold_out.headers["content-type"].startswith(PROBLEM)
    problem = sold_out.json()
    assert problem["type"] == PROBLEMS + "sold-out"
    assert problem["zones"] == [{"zone_id": event["zones"][0]["id"], "available": 1}]

    too_many = await edge.post("/api/v1/reservations", headers=me, json=hold(event, (1, 11)))
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "items.0.quantity"

    unknown = await edge.post(
        "/api/v1/reservations",
        headers=me,
        json={"session_id": str(uuid.uuid4()), "items": [{"zone_id": str(uuid.uuid4()), "quantity": 1}]},
    )
    assert unknown.status_code == 404
    malformed = await edge.post("/api/v1/reservations", headers=me, json={"session_id": "x", "items": []})
    assert malformed.status_code == 422
    anonymous = await edge.post("/api/v1/reservations", json=hold(event, (0, 1)))
    assert anonymous.status_code == 401

    availability = (await edge.get(f"/api/v1/events/{event['id']}/availability")).json()
    general = next(z for z in availability["zones"] if z["zone_id"] == event["zones"][0]["id"])
    assert general["available"] == 1  # nothing above took a place


async def test_another_accounts_reservation_answers_404(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    created = await edge.post("/api/v1/reservations", headers=await buyer(edge), json=hold(event, (0, 1)))
    location = created.headers["location"]
    stranger = await buyer(edge)
    assert (await edge.get(location, headers=stranger)).status_code == 404
    assert (await edge.delete(location, headers=stranger)).status_code == 404
    assert (await edge.get("/api/v1/reservations/not-a-uuid", headers=stranger)).status_code == 404


async def test_an_idempotency_key_returns_the_first_reservation(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    me = {**(await buyer(edge)), "Idempotency-Key": str(uuid.uuid4())}
    first, second = await asyncio.gather(
        edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 2))),
        edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 2))),
    )
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["id"] == second.json()["id"]
    other_body = await edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 1)))
    assert other_body.status_code == 422


async def test_availability_is_public_and_cheap_to_poll(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge, general=10, vip=2)
    await edge.post("/api/v1/reservations", headers=await buyer(edge), json=hold(event, (1, 2)))
    deadline = asyncio.get_running_loop().time() + 10
    while True:  # at most 2 s stale: wait for the hold to show, with a deadline
        reply = await edge.get(f"/api/v1/events/{event['id']}/availability")
        assert reply.status_code == 200, reply.text
        statuses = {z["zone_id"]: (z["available"], z["status"]) for z in reply.json()["zones"]}
        if statuses[event["zones"][1]["id"]] == (0, "sold_out"):
            break
        assert asyncio.get_running_loop().time() < deadline, statuses
        await asyncio.sleep(0.2)
    assert statuses[event["zones"][0]["id"]] == (10, "on_sale")
    unchanged = await edge.get(
        f"/api/v1/events/{event['id']}/availability", headers={"If-None-Match": reply.headers["etag"]}
    )
    assert unchanged.status_code == 304
    assert unchanged.headers["etag"] == reply.headers["etag"]
    assert (await edge.get(f"/api/v1/events/{uuid.uuid4()}/availability")).status_code == 404


async def test_a_sold_out_event_leaves_the_available_listing_and_returns_when_released(
    edge: httpx.AsyncClient,
) -> None:
    event = await published_event(edge, general=2, vip=1)
    me = await buyer(edge)
    polls = iter(range(1, 100))

    async def listed_as_available() -> bool:
        # A new `limit` each time: a key the catalog cache has not seen, so the answer is fresh.
        reply = await edge.get(
            "/api/v1/events", params={"q": event["name"], "available": "true", "limit": next(polls)}
        )
        assert reply.status_code == 200, reply.text
        return event["id"] in {item["id"] for item in reply.json()["items"]}

    async def wait_until_listed(expected: bool) -> None:
        deadline = asyncio.get_running_loop().time() + 20
        while await listed_as_available() != expected:
            assert asyncio.get_running_loop().time() < deadline, f"still listed={not expected}"
            await asyncio.sleep(0.2)

    await wait_until_listed(True)
    held = await edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 2), (1, 1)))
    assert held.status_code == 201, held.text
    await wait_until_listed(False)  # ticketing_svc announced ZoneSoldOut; event_svc followed
    assert (await edge.delete(held.headers["location"], headers=me)).status_code == 204
    await wait_until_listed(True)  # ZoneBackOnSale


async def test_the_organizers_sale_settings_bound_every_reservation(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    event = await published_event(
        edge, general=50, organizer=organizer, sales={"hold_minutes": 4, "max_per_customer": 3}
    )
    assert event["sales"] == {
        "on_sale_at": None,
        "hold_minutes": 4,
        "max_per_customer": 3,
        "waiting_room": False,
        "admission_per_minute": 300,
        "payment_minutes": 10,
        "reentry_allowed": False,
        "transfers_allowed": True,
    }
    me = await buyer(edge)
    held = await edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 2)))
    assert held.status_code == 201, held.text
    times = held.json()
    delta = dt.datetime.fromisoformat(times["expires_at"]) - dt.datetime.fromisoformat(times["created_at"])
    assert delta == dt.timedelta(minutes=4)
    over = await edge.post("/api/v1/reservations", headers=me, json=hold(event, (1, 2)))
    assert over.status_code == 409
    assert (over.json()["type"], over.json()["limit"], over.json()["taken"]) == (
        PROBLEMS + "limit-reached",
        3,
        2,
    )

    # Not on sale before its on-sale time; the organizer brings it forward and it sells.
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    upcoming = await published_event(edge, organizer=organizer, sales={"on_sale_at": later})
    early = await edge.post("/api/v1/reservations", headers=me, json=hold(upcoming, (0, 1)))
    assert early.status_code == 409
    assert early.json()["type"] == PROBLEMS + "not-on-sale"
    availability = (await edge.get(f"/api/v1/events/{upcoming['id']}/availability")).json()
    assert {z["status"] for z in availability["zones"]} == {"not_on_sale"}
    assert availability["on_sale_at"] is not None
    changed = await edge.patch(
        f"/api/v1/events/{upcoming['id']}",
        headers={**organizer, "If-Match": f'"{upcoming["version"]}"'},
        json={"sales": {"on_sale_at": None}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["sales"]["on_sale_at"] is None
    deadline = asyncio.get_running_loop().time() + 20
    while True:  # ticketing_svc learns of the change from the catalog's EventUpdated message
        reply = await edge.post("/api/v1/reservations", headers=me, json=hold(upcoming, (0, 1)))
        if reply.status_code == 201:
            break
        assert reply.status_code == 409, reply.text
        assert asyncio.get_running_loop().time() < deadline, reply.text
        await asyncio.sleep(0.2)


async def test_a_waiting_room_admits_buyers_who_then_reserve_with_their_admission(
    edge: httpx.AsyncClient,
) -> None:
    organizer = await new_organizer(edge)
    opened = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)).isoformat()
    event = await published_event(
        edge,
        organizer=organizer,
        sales={"on_sale_at": opened, "waiting_room": True, "admission_per_minute": 600},
    )
    me = await buyer(edge)
    refused = await edge.post("/api/v1/reservations", headers=me, json=hold(event, (0, 1)))
    assert refused.status_code == 403
    assert refused.json()["type"] == PROBLEMS + "admission-required"

    joined = await edge.post(f"/api/v1/events/{event['id']}/queue", headers=me)
    assert joined.status_code == 200, joined.text
    again = await edge.post(f"/api/v1/events/{event['id']}/queue", headers=me)
    assert again.json()["queue_id"] == joined.json()["queue_id"]
    standing = await edge.get(f"/api/v1/queue/{joined.json()['queue_id']}", headers=me)
    assert standing.json()["status"] == "admitted", standing.text
    admission = standing.json()["admission"]

    stranger = await buyer(edge)
    assert (await edge.get(f"/api/v1/queue/{joined.json()['queue_id']}", headers=stranger)).status_code == 404
    borrowed = await edge.post(
        "/api/v1/reservations", headers={**stranger, "Admission": admission}, json=hold(event, (0, 1))
    )
    assert borrowed.status_code == 403
    held = await edge.post(
        "/api/v1/reservations", headers={**me, "Admission": admission}, json=hold(event, (0, 1))
    )
    assert held.status_code == 201, held.text

    ungated = await published_event(edge, organizer=organizer)
    no_room = await edge.post(f"/api/v1/events/{ungated['id']}/queue", headers=me)
    assert no_room.status_code == 409
    assert no_room.json()["type"] == PROBLEMS + "no-waiting-room"


async def test_a_waiting_room_needs_an_on_sale_time(edge: httpx.AsyncClient) -> None:
    reply = await edge.post(
        "/api/v1/events",
        headers=await new_organizer(edge),
        json={
            "name": f"Gira {uuid.uuid4().hex[:8]}",
            "category": "concert",
            "venue": {"name": f"Arena {uuid.uuid4().hex[:8]}", "city": "Sevilla", "address": "Calle Feria 2"},
            "starts_at": at(0),
            "ends_at": at(5),
            "timezone": "Europe/Madrid",
            "zones": [{"name": "General", "price": {"amount": "30.00", "currency": "EUR"}, "capacity": 5}],
            "sales": {"waiting_room": True},
        },
    )
    assert reply.status_code == 422
    assert [e["field"] for e in reply.json()["errors"]] == ["sales.waiting_room"]
