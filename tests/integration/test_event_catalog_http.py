"""The event catalog through the running edge: HTTP semantics on top of event_svc.

Location and ETag headers, If-Match (412 stale, 428 missing), Idempotency-Key replays, problem+json
with field errors, another organization's resources as 404, the batch's all-or-nothing rule, and
the request's correlation id carried into the message on taquilla.events.v1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from tests.conftest import Platform, bearer, new_customer, new_organizer

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM = "application/problem+json"
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).replace(minute=0, second=0, microsecond=0)


def at(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).isoformat()


def event_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": f"Concierto {uuid.uuid4().hex[:8]}",
        "description": "Una noche de música.",
        "category": "concert",
        "venue": {"name": f"Foro {uuid.uuid4().hex[:8]}", "city": "Puebla", "address": "5 de Mayo 10"},
        "starts_at": at(0),
        "ends_at": at(6),
        "timezone": "America/Mexico_City",
        "zones": [
            {"name": "General", "price": {"amount": "350.00", "currency": "MXN"}, "capacity": 100},
            {"name": "VIP", "price": {"amount": "1200.50", "currency": "MXN"}, "capacity": 10},
        ],
        **fields,
    }


async def create(edge: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> httpx.Response:
    reply = await edge.post("/api/v1/events", headers=headers, json=event_body(**fields))
    assert reply.status_code == 201, reply.text
    return reply


async def test_creating_answers_201_with_location_and_etag_and_drafts_stay_private(
    edge: httpx.AsyncClient,
) -> None:
    organizer = await new_organizer(edge)
    created = await create(edge, organizer)
    event = created.json()
    assert created.headers["location"] == f"/api/v1/events/{event['id']}"
    assert created.headers["etag"] == '"1"'
    assert (event["status"], event["version"], event["capacity"]) == ("draft", 1, 110)
    assert event["zones"][1]["price"] == {"amount": "1200.50", "currency": "MXN"}
    assert [z["capacity"] for z in event["zones"]] == [100, 10]
    assert all("available" not in z for z in event["zones"])  # places left: the availability route
    assert event["starts_at"].endswith("Z")

    mine = await edge.get(created.headers["location"], headers=organizer)
    assert (mine.status_code, mine.headers["etag"]) == (200, '"1"')
    assert (
        await edge.get(created.headers["location"], headers={**organizer, "If-None-Match": '"1"'})
    ).status_code == 304
    anonymous = await edge.get(created.headers["location"])
    assert anonymous.status_code == 404
    assert anonymous.headers["content-type"] == PROBLEM


async def test_patch_needs_if_match_and_refuses_a_stale_version(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    location = (await create(edge, organizer)).headers["location"]

    missing = await edge.patch(location, headers=organizer, json={"name": "Nombre nuevo"})
    assert missing.status_code == 428
    assert missing.headers["content-type"] == PROBLEM
    assert (
        await edge.patch(location, headers={**organizer, "If-Match": "*"}, json={"name": "X y Z"})
    ).status_code == 428

    changed = await edge.patch(
        location, headers={**organizer, "If-Match": '"1"'}, json={"name": "Nombre nuevo"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.headers["etag"], changed.json()["name"]) == ('"2"', "Nombre nuevo")

    stale = await edge.patch(location, headers={**organizer, "If-Match": '"1"'}, json={"name": "Otro nombre"})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == PROBLEM
    assert "version 2" in stale.json()["detail"]
    weak = await edge.patch(
        location, headers={**organizer, "If-Match": 'W/"2"'}, json={"name": "Otro nombre"}
    )
    assert weak.status_code == 412
    assert (await edge.get(location, headers=organizer)).json()["name"] == "Nombre nuevo"


async def test_an_idempotency_key_replays_the_first_response_and_refuses_another_body(
    edge: httpx.AsyncClient,
) -> None:
    organizer = await new_organizer(edge)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = event_body()
    first = await edge.post("/api/v1/events", headers={**organizer, **key}, json=body)
    again = await edge.post("/api/v1/events", headers={**organizer, **key}, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]

    other = await edge.post("/api/v1/events", headers={**organizer, **key}, json=event_body())
    assert other.status_code == 422
    assert other.headers["content-type"] == PROBLEM
    assert other.json()["errors"][0]["field"] == "idempotency_key"
    listed = await edge.get("/api/v1/organizations/me/events", headers=organizer)
    assert [e["id"] for e in listed.json()["items"]] == [first.json()["id"]]


async def test_invalid_fields_answer_422_with_the_services_field_errors(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    reply = await edge.post(
        "/api/v1/events",
        headers=organizer,
        json=event_body(
            image_url="javascript:alert(1)",
            timezone="Mars/Olympus",
            zones=[
                {"name": "General", "price": {"amount": "10.00", "currency": "MXN"}, "capacity": 5},
                {"name": "general", "price": {"amount": "10.00", "currency": "XXX"}, "capacity": 5},
            ],
        ),
    )
    assert reply.status_code == 422
    assert reply.headers["content-type"] == PROBLEM
    problem = reply.json()
    assert problem["correlation_id"] == reply.headers["x-correlation-id"]
    assert {e["field"] for e in problem["errors"]} == {
        "image_url",
        "timezone",
        "zones.1.name",
        "zones.1.price.currency",
    }
    floats = await edge.post(
        "/api/v1/events",
        headers=organizer,
        json=event_body(zones=[{"name": "G", "price": {"amount": 10.5, "currency": "MXN"}, "capacity": 5}]),
    )
    assert floats.status_code == 422
    assert floats.json()["errors"][0]["field"] == "zones.0.price.amount"


async def test_an_organizer_sets_payment_time_reentry_and_transfers_and_reads_them_back(
    edge: httpx.AsyncClient,
) -> None:
    organizer = await new_organizer(edge)
    created = await create(
        edge, organizer, sales={"payment_minutes": 25, "reentry_allowed": True, "transfers_allowed": False}
    )
    sales = created.json()["sales"]
    assert (sales["payment_minutes"], sales["reentry_allowed"], sales["transfers_allowed"]) == (
        25,
        True,
        False,
    )
    location = created.headers["location"]

    changed = await edge.patch(
        location, headers={**organizer, "If-Match": '"1"'}, json={"sales": {"transfers_allowed": True}}
    )
    assert changed.status_code == 200, changed.text
    sales = (await edge.get(location, headers=organizer)).json()["sales"]
    assert (sales["payment_minutes"], sales["reentry_allowed"], sales["transfers_allowed"]) == (
        25,
        True,
        True,
    )
    defaults = (await create(edge, organizer)).json()["sales"]
    assert (defaults["payment_minutes"], defaults["reentry_allowed"], defaults["transfers_allowed"]) == (
        10,
        False,
        True,
    )

    for minutes in (0, 61):
        refused = await edge.patch(
            location, headers={**organizer, "If-Match": '"2"'}, json={"sales": {"payment_minutes": minutes}}
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"] == PROBLEM
        assert [e["field"] for e in refused.json()["errors"]] == ["sales.payment_minutes"]
    nulled = await edge.post(
        "/api/v1/events", headers=organizer, json=event_body(sales={"reentry_allowed": None})
    )
    assert nulled.status_code == 422
    assert (await edge.get(location, headers=organizer)).json()["sales"]["payment_minutes"] == 25


async def test_only_organizers_and_admins_create_events(edge: httpx.AsyncClient) -> None:
    assert (await edge.post("/api/v1/events", json=event_body())).status_code == 401
    _, _, customer = await new_customer(edge)
    refused = await edge.post("/api/v1/events", headers=bearer(customer["access_token"]), json=event_body())
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    organizer = await new_organizer(edge)
    sneaky = await edge.post(
        "/api/v1/events", headers=organizer, json=event_body(organization_id=str(uuid.uuid4()))
    )
    assert sneaky.status_code == 422
    assert sneaky.json()["errors"][0]["field"] == "organization_id"


async def test_another_organizations_events_answer_404_to_an_organizer(edge: httpx.AsyncClient) -> None:
    owner, stranger = await new_organizer(edge), await new_organizer(edge)
    draft = (await create(edge, owner)).json()["id"]
    published = (await create(edge, owner, publish=True)).json()
    session_id = published["sessions"][0]["id"]
    match = {"If-Match": '"1"'}
    attempts = [
        edge.get(f"/api/v1/events/{draft}", headers=stranger),
        edge.get(f"/api/v1/events/{draft}/sessions", headers=stranger),
        edge.patch(
            f"/api/v1/events/{published['id']}", headers={**stranger, **match}, json={"name": "Mío ahora"}
        ),
        edge.post(f"/api/v1/events/{draft}/publish", headers=stranger),
        edge.post(f"/api/v1/events/{published['id']}/cancel", headers=stranger, json={"reason": "no"}),
        edge.delete(f"/api/v1/events/{draft}", headers=stranger),
        edge.post(
            f"/api/v1/events/{published['id']}/sessions",
            headers=stranger,
            json={"starts_at": at(1), "ends_at": at(2), "place": "Sala 9"},
        ),
        edge.patch(
            f"/api/v1/events/{published['id']}/sessions/{session_id}",
            headers={**stranger, **match},
            json={"status": "suspended"},
        ),
        edge.delete(f"/api/v1/events/{published['id']}/sessions/{session_id}", headers=stranger),
    ]
    for reply in await asyncio.gather(*attempts):
        assert reply.status_code == 404, (reply.request.method, reply.request.url.path, reply.text)
        assert reply.headers["content-type"] == PROBLEM
    assert (await edge.get(f"/api/v1/events/{published['id']}", headers=stranger)).status_code == 200
    assert (await edge.get(f"/api/v1/events/{published['id']}", headers=owner)).json()["version"] == 1


async def test_publishing_into_another_organizations_slot_answers_409_naming_nothing_of_theirs(
    edge: httpx.AsyncClient,
) -> None:
    venue = event_body()["venue"]
    theirs, mine = await new_organizer(edge), await new_organizer(edge)
    first = (
        await create(edge, theirs, venue=venue, sessions=[{"starts_at": at(1), "ends_at": at(3)}])
    ).json()
    # Drafts of two organizations may share a slot: a draft holds it only within its organization.
    second = await create(edge, mine, venue=venue, sessions=[{"starts_at": at(2), "ends_at": at(4)}])
    assert (await edge.post(f"/api/v1/events/{first['id']}/publish", headers=theirs)).status_code == 200

    clash = await edge.post(f"{second.headers['location']}/publish", headers=mine)
    assert clash.status_code == 409
    assert clash.headers["content-type"] == PROBLEM
    problem = clash.json()
    assert "already taken" in problem["detail"]
    assert problem["errors"][0]["field"] == "sessions.0"
    said = json.dumps(problem)
    moments = [START + dt.timedelta(hours=h) for h in (1, 3)]
    traces = [first["id"], first["sessions"][0]["id"], first["name"], first["organization_id"]]
    traces += [moment.strftime("%Y-%m-%dT%H:%M") for moment in moments]
    assert [trace for trace in traces if trace in said] == []

    # Within one organization, drafts still conflict, and the conflict names the organization's own session.
    own = await edge.post(
        "/api/v1/events",
        headers=theirs,
        json=event_body(venue=venue, sessions=[{"starts_at": at(2), "ends_at": at(4)}]),
    )
    assert own.status_code == 409
    assert first["sessions"][0]["id"] in own.json()["detail"]
    assert own.json()["errors"][0]["field"] == "sessions.0"


async def test_sessions_are_added_read_changed_and_removed(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    event = (
        await create(edge, organizer, publish=True, sessions=[{"starts_at": at(0), "ends_at": at(2)}])
    ).json()
    base = f"/api/v1/events/{event['id']}/sessions"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Matiné", "starts_at": at(3), "ends_at": at(5), "place": "Sala 2"}
    added = await edge.post(base, headers={**organizer, **key}, json=body)
    assert added.status_code == 201, added.text
    assert added.headers["location"] == f"{base}/{added.json()['id']}"
    assert (added.headers["etag"], added.json()["status"]) == ('"2"', "on_sale")
    assert (await edge.post(base, headers={**organizer, **key}, json=body)).json() == added.json()

    session = await edge.get(added.headers["location"])
    assert (session.status_code, session.json()["title"], session.headers["etag"]) == (200, "Matiné", '"2"')
    assert (
        await edge.patch(added.headers["location"], headers=organizer, json={"status": "suspended"})
    ).status_code == 428
    suspended = await edge.patch(
        added.headers["location"], headers={**organizer, "If-Match": '"2"'}, json={"status": "suspended"}
    )
    assert (suspended.status_code, suspended.json()["status"], suspended.headers["etag"]) == (
        200,
        "suspended",
        '"3"',
    )
    removed = await edge.delete(added.headers["location"], headers={**organizer, "If-Match": '"3"'})
    assert (removed.status_code, removed.headers["etag"]) == (204, '"4"')
    gone = await edge.get(added.headers["location"])
    assert (gone.status_code, gone.headers["content-type"]) == (404, PROBLEM)
    assert gone.json()["detail"] == f"Session {added.json()['id']} not found."
    listed = await edge.get(base)
    assert [s["id"] for s in listed.json()["items"]] == [event["sessions"][0]["id"]]
    assert listed.headers["etag"] == '"4"'


async def test_a_batch_is_created_all_or_nothing(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    good, bad = event_body(), event_body(timezone="Nowhere/Land")
    rejected = await edge.post("/api/v1/events:batch", headers=organizer, json={"events": [good, bad]})
    assert rejected.status_code == 422
    assert rejected.headers["content-type"] == PROBLEM
    document = rejected.json()
    assert [r["status"] for r in document["results"]] == ["not_created", "invalid"]
    assert document["errors"] == [
        {
            "field": "events.1.timezone",
            "code": "invalid",
            "message": document["results"][1]["errors"][0]["message"],
        }
    ]
    assert (await edge.get("/api/v1/organizations/me/events", headers=organizer)).json()["items"] == []

    created = await edge.post(
        "/api/v1/events:batch", headers=organizer, json={"events": [good, event_body(publish=True)]}
    )
    assert created.status_code == 201, created.text
    results = created.json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert results[1]["event"]["status"] == "published"
    for result in results:
        assert (await edge.get(result["location"], headers=organizer)).status_code == 200


async def test_publish_cancel_and_delete_follow_the_lifecycle(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    location = (await create(edge, organizer)).headers["location"]
    assert (await edge.post(f"{location}/cancel", headers=organizer)).status_code == 409
    assert (
        await edge.post(f"{location}/publish", headers={**organizer, "If-Match": '"7"'})
    ).status_code == 412
    published = await edge.post(f"{location}/publish", headers={**organizer, "If-Match": '"1"'})
    assert (published.status_code, published.json()["status"], published.headers["etag"]) == (
        200,
        "published",
        '"2"',
    )
    assert {s["status"] for s in published.json()["sessions"]} == {"on_sale"}
    assert (await edge.get(location)).status_code == 200
    assert (await edge.delete(location, headers=organizer)).status_code == 409
    cancelled = await edge.post(f"{location}/cancel", headers=organizer, json={"reason": "Lluvia"})
    assert (cancelled.json()["status"], cancelled.json()["cancellation_reason"]) == ("cancelled", "Lluvia")
    assert (await edge.delete(location, headers=organizer)).status_code == 204
    assert (await edge.get(location, headers=organizer)).status_code == 404


async def test_my_organization_lists_its_drafts_and_published_events_only(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    ids = [(await create(edge, organizer, publish=publish)).json()["id"] for publish in (False, True)]
    await create(edge, await new_organizer(edge))
    page = await edge.get("/api/v1/organizations/me/events", headers=organizer, params={"limit": 1})
    rest = await edge.get(
        "/api/v1/organizations/me/events",
        headers=organizer,
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
    )
    assert sorted(e["id"] for e in page.json()["items"] + rest.json()["items"]) == sorted(ids)
    assert rest.json()["next_cursor"] is None
    assert (await edge.get("/api/v1/organizations/me/events")).status_code == 401


async def test_the_message_carries_the_requests_correlation_id(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    correlation_id = str(uuid.uuid4())
    reply = await edge.post(
        "/api/v1/events",
        headers={**await new_organizer(edge), "X-Correlation-ID": correlation_id},
        json=event_body(publish=True),
    )
    assert reply.headers["x-correlation-id"] == correlation_id
    event_id = reply.json()["id"]
    consumer = AIOKafkaConsumer(
        "taquilla.events.v1",
        bootstrap_servers=f"127.0.0.1:{platform.stack.ports.kafka}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    messages: list[dict[str, Any]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while len(messages) < 2 and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            messages += [
                json.loads(r.value)
                for records in batch.values()
                for r in records
                if r.key == event_id.encode()
            ]
    finally:
        await consumer.stop()
    assert [m["type"] for m in messages] == ["EventCreated", "EventPublished"]
    assert {m["correlationId"] for m in messages} == {correlation_id}
    assert messages[1]["payload"]["event"]["status"] == "published"
