"""Listing and searching events through the running edge: the cache, its invalidation, ETags, errors.

Each test names its events with a word of its own and searches for it, so the other tests' events
never get in the way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.infra import Redis
from devstack.processes import free_port
from edge.app import create_app
from edge.config import EdgeSettings
from tests.conftest import Platform, bearer, login_as, new_customer, new_organizer

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM = "application/problem+json"
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=120)).replace(minute=0, second=0, microsecond=0)


def a_word() -> str:
    """A word no other event has: what a test searches for."""
    return "zq" + uuid.uuid4().hex[:10]


def event_body(name: str, hours: float = 0, **fields: Any) -> dict[str, Any]:
    starts = START + dt.timedelta(hours=hours)
    return {
        "name": name,
        "description": "Una noche de música en vivo.",
        "category": "concert",
        "venue": {"name": f"Foro {uuid.uuid4().hex[:8]}", "city": "Bogotá", "address": "Carrera 7 # 10-20"},
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
        "timezone": "America/Bogota",
        "zones": [{"name": "General", "price": {"amount": "80000.00", "currency": "COP"}, "capacity": 100}],
        **fields,
    }


async def create(edge: httpx.AsyncClient, organizer: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    reply = await edge.post("/api/v1/events", headers=organizer, json=body)
    assert reply.status_code == 201, reply.text
    created: dict[str, Any] = reply.json()
    return created


def names(reply: httpx.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [item["name"] for item in reply.json()["items"]]


async def test_lists_and_searches_alike_with_an_etag_that_answers_304(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    word = a_word()
    for hours, name in ((48, f"Festival de Música {word}"), (0, f"Concierto de Jazz {word}")):
        await create(edge, organizer, event_body(name, hours, publish=True))

    listed = await edge.get("/api/v1/events", params={"q": word})
    assert names(listed) == [f"Concierto de Jazz {word}", f"Festival de Música {word}"], "soonest first"
    item = listed.json()["items"][0]
    assert item["price_from"] == {"amount": "80000.00", "currency": "COP"}
    assert (item["venue"]["city"], item["available"], item["category"]) == ("Bogotá", True, "concert")
    assert listed.json()["next_cursor"] is None
    assert listed.json()["total"] is None
    searched = await edge.get("/api/v1/events/search", params={"q": word})
    assert searched.content == listed.content
    assert searched.headers["etag"] == listed.headers["etag"]

    again = await edge.get(
        "/api/v1/events", params={"q": word}, headers={"If-None-Match": listed.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["etag"] == listed.headers["etag"]
    assert again.content == b""
    counted = await edge.get("/api/v1/events", params={"q": f"musica {word}", "count": "true", "limit": 1})
    assert (names(counted), counted.json()["total"]) == ([f"Concierto de Jazz {word}"], 2)
    second = await edge.get(
        "/api/v1/events", params={"q": f"musica {word}", "limit": 1, "cursor": counted.json()["next_cursor"]}
    )
    assert names(second) == [f"Festival de Música {word}"]


async def test_the_detail_of_a_published_event_is_cached_with_its_version_as_etag(
    edge: httpx.AsyncClient,
) -> None:
    organizer = await new_organizer(edge)
    event = await create(edge, organizer, event_body(f"Recital {a_word()}", publish=True))
    first = await edge.get(f"/api/v1/events/{event['id']}")
    second = await edge.get(f"/api/v1/events/{event['id']}")
    assert (first.status_code, first.headers["x-cache"], second.headers["x-cache"]) == (200, "miss", "hit")
    assert first.headers["etag"] == second.headers["etag"] == f'"{event["version"]}"'
    assert second.json() == first.json() == event
    not_modified = await edge.get(
        f"/api/v1/events/{event['id']}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304
    # The organization sees its own view, never a cached one.
    own = await edge.get(f"/api/v1/events/{event['id']}", headers=organizer)
    assert (own.headers["x-cache"], own.headers["cache-control"]) == ("bypass", "private, no-cache")


async def test_publish_edit_and_cancel_are_visible_on_the_very_next_request(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    word = a_word()
    event = await create(edge, organizer, event_body(f"Obra de Teatro {word}"))
    location = f"/api/v1/events/{event['id']}"

    async def listed() -> list[str]:
        return names(await edge.get("/api/v1/events", params={"q": word}))

    assert await listed() == [], "a draft is not listed"
    assert await listed() == []  # now cached
    assert (await edge.get(location)).status_code == 404

    published = await edge.post(f"{location}/publish", headers=organizer)
    assert published.status_code == 200, published.text
    assert await listed() == [f"Obra de Teatro {word}"]
    detail = await edge.get(location)
    assert (detail.status_code, detail.json()["status"]) == (200, "published")
    assert (await edge.get(location)).headers["x-cache"] == "hit"

    renamed = await edge.patch(
        location,
        headers={**organizer, "If-Match": published.headers["etag"]},
        json={"name": f"Función {word}"},
    )
    assert renamed.status_code == 200, renamed.text
    assert await listed() == [f"Función {word}"]
    detail = await edge.get(location)
    assert (detail.json()["name"], detail.headers["etag"]) == (f"Función {word}", renamed.headers["etag"])

    cancelled = await edge.post(f"{location}/cancel", headers=organizer, json={"reason": "Lluvia"})
    assert cancelled.status_code == 200, cancelled.text
    assert await listed() == []
    assert (await edge.get(location)).json()["status"] == "cancelled"


async def test_administrators_feature_events_and_the_front_page_lists_them_at_once(
    edge: httpx.AsyncClient,
) -> None:
    organizer = await new_organizer(edge)
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    _, _, customer = await new_customer(edge)
    word = a_word()
    event = await create(edge, organizer, event_body(f"Gala {word}", publish=True))
    featured = {"q": word, "featured": "true"}
    assert names(await edge.get("/api/v1/events", params=featured)) == []
    assert names(await edge.get("/api/v1/events", params=featured)) == []  # cached

    location = f"/api/v1/events/{event['id']}/featured"
    for caller in (organizer, bearer(customer["access_token"])):
        refused = await edge.put(location, headers=caller, json={"featured": True})
        assert (refused.status_code, refused.headers["content-type"]) == (403, PROBLEM)
    assert (await edge.put(location, json={"featured": True})).status_code == 401
    invalid = await edge.put(location, headers=admin, json={"featured": "maybe"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "featured"

    chosen = await edge.put(location, headers=admin, json={"featured": True})
    assert (chosen.status_code, chosen.json()["featured"]) == (200, True), chosen.text
    assert chosen.headers["etag"] == f'"{event["version"] + 1}"'
    listed = await edge.get("/api/v1/events", params=featured)
    assert names(listed) == [f"Gala {word}"], "visible on the very next request"
    assert listed.json()["items"][0]["featured"] is True
    assert (await edge.get(f"/api/v1/events/{event['id']}")).json()["featured"] is True

    draft = await create(edge, organizer, event_body(f"Ensayo {word}"))
    too_soon = await edge.put(
        f"/api/v1/events/{draft['id']}/featured", headers=admin, json={"featured": True}
    )
    assert too_soon.status_code == 409
    await edge.put(location, headers=admin, json={"featured": False})
    assert names(await edge.get("/api/v1/events", params=featured)) == []


async def test_a_burst_of_identical_requests_rebuilds_the_answer_once(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    word = a_word()
    await create(edge, organizer, event_body(f"Gira {word}", publish=True))
    replies = await asyncio.gather(*(edge.get("/api/v1/events", params={"q": word}) for _ in range(40)))
    assert {r.status_code for r in replies} == {200}
    assert sorted(r.headers["x-cache"] for r in replies) == ["hit"] * 39 + ["miss"]
    assert len({r.content for r in replies}) == 1


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"limit": "500"}, {"query.limit"}),
        ({"sort": "popularity", "category": "opera"}, {"query.sort", "query.category"}),
        ({"price_min": "12,50", "date_from": "mañana"}, {"query.price_min", "query.date_from"}),
        ({"date_from": "2030-03-14T10:00:00"}, {"query.date_from"}),
        ({"sort": "relevance"}, {"sort"}),
        ({"price_min": "500", "price_max": "100"}, {"price_max"}),
        ({"cursor": "otra-pagina"}, {"cursor"}),
        ({"currency": "euro", "price_max": "50"}, {"query.currency"}),
        ({"currency": "XYZ", "price_max": "50"}, {"currency"}),
    ],
    ids=[
        "limit",
        "choices",
        "formats",
        "no offset",
        "relevance without q",
        "price range",
        "cursor",
        "currency format",
        "unknown currency",
    ],
)
async def test_invalid_parameters_answer_422_problem_json_naming_each(
    edge: httpx.AsyncClient, params: dict[str, str], fields: set[str]
) -> None:
    reply = await edge.get("/api/v1/events", params=params)
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == PROBLEM
    assert {error["field"] for error in reply.json()["errors"]} == fields


async def test_prices_are_filtered_and_sorted_within_the_currency_asked_for(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    word = a_word()
    prices = {"diez pesos": ("10.00", "COP"), "euros": ("25.50", "EUR"), "caro": ("80.00", "EUR")}
    for hours, (name, (amount, currency)) in enumerate(prices.items()):
        zone = {"name": "General", "price": {"amount": amount, "currency": currency}, "capacity": 100}
        await create(edge, organizer, event_body(f"{name} {word}", hours, zones=[zone], publish=True))

    mixed = await edge.get("/api/v1/events", params={"q": word, "sort": "price"})
    assert names(mixed)[0] == f"diez pesos {word}", "10 COP sorts before 25.50 EUR when currencies mix"
    in_eur = await edge.get("/api/v1/events", params={"q": word, "sort": "price", "currency": "EUR"})
    assert names(in_eur) == [f"euros {word}", f"caro {word}"]
    assert [item["price_from"] for item in in_eur.json()["items"]] == [
        {"amount": "25.50", "currency": "EUR"},
        {"amount": "80.00", "currency": "EUR"},
    ]
    ranged = await edge.get(
        "/api/v1/events", params={"q": word, "price_min": "20", "price_max": "100", "currency": "COP"}
    )
    assert names(ranged) == []
    cheap = await edge.get("/api/v1/events", params={"q": word, "price_max": "20", "currency": "COP"})
    assert names(cheap) == [f"diez pesos {word}"]
    # A currency without a price filter or order changes nothing.
    listed = await edge.get("/api/v1/events", params={"q": word, "currency": "EUR"})
    assert len(names(listed)) == 3


async def test_the_listing_is_documented_with_examples(edge: httpx.AsyncClient) -> None:
    document = (await edge.get("/openapi.json")).json()
    for path in ("/api/v1/events", "/api/v1/events/search"):
        operation = document["paths"][path]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert {"q", "category", "city", "date_from", "date_to", "price_min", "price_max"} <= set(parameters)
        assert {"available", "sort", "limit", "cursor", "count"} <= set(parameters)
        assert parameters["q"]["example"] == "jazz bogota"
        assert "Every word" in parameters["q"]["description"]
        assert {"200", "304", "422"} <= set(operation["responses"])
        assert operation["responses"]["200"]["content"]["application/json"]["example"]["items"]


@asynccontextmanager
async def edge_with_own_redis(
    platform: Platform, redis_url: str, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        EdgeSettings(
            identity_svc_address=platform.env("EDGE_IDENTITY_SVC_ADDRESS"),
            event_svc_address=platform.env("EDGE_EVENT_SVC_ADDRESS"),
            notification_svc_address=platform.env("EDGE_NOTIFICATION_SVC_ADDRESS"),
            public_url=platform.env("EDGE_PUBLIC_URL"),
            redis_url=redis_url,
            **settings,
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge.test") as client:
            yield client


async def test_keeps_answering_from_the_service_when_redis_stops_and_caches_again_when_it_returns(
    platform: Platform, edge: httpx.AsyncClient, tmp_path: Path
) -> None:
    organizer = await new_organizer(edge)
    word = a_word()
    await create(edge, organizer, event_body(f"Encuentro {word}", publish=True))
    draft = await create(edge, organizer, event_body(f"Encuentro {word} bis", hours=30))
    redis = Redis(free_port(), tmp_path / "redis")
    redis.start()
    try:
        async with edge_with_own_redis(
            platform, f"redis://127.0.0.1:{redis.port}/0", cache_ttl_seconds=1.5
        ) as client:
            query = {"q": word}
            cached = [await client.get("/api/v1/events", params=query) for _ in range(2)]
            assert [r.headers["x-cache"] for r in cached] == ["miss", "hit"]

            redis.stop()
            down = await client.get("/api/v1/events", params=query)
            assert (down.status_code, down.headers["x-cache"]) == (200, "error")
            assert down.content == cached[0].content
            # A write while Redis is down still succeeds, and its change is visible at once.
            published = await client.post(f"/api/v1/events/{draft['id']}/publish", headers=organizer)
            assert published.status_code == 200, published.text
            assert names(await client.get("/api/v1/events", params=query)) == [
                f"Encuentro {word}",
                f"Encuentro {word} bis",
            ]
            assert (await client.get(f"/api/v1/events/{draft['id']}")).json()["status"] == "published"
            metrics = (await client.get("/metrics")).text
            assert 'taquilla_edge_cache_requests_total{result="error"}' in metrics

            redis.start()
            # After a failed bump the instance trusts the cache again after a TTL, and stale pooled
            # connections fail once each: within a few seconds it caches again.
            results = []
            for _ in range(50):
                reply = await client.get("/api/v1/events", params=query)
                assert names(reply) == [f"Encuentro {word}", f"Encuentro {word} bis"]
                results.append(reply.headers["x-cache"])
                if results[-2:] == ["miss", "hit"]:
                    break
                await asyncio.sleep(0.2)
            assert results[-2:] == ["miss", "hit"], results
    finally:
        redis.stop()
