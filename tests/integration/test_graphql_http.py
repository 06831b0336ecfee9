"""GraphQL at /graphql through the running platform: the catalog for anyone in a constant number of
gRPC calls, the caller's own orders and tickets only, the limits, and the REST API's rate limits.

The schema alone (batching against counting fakes, masking, GraphiQL) is tested in process:
edge/tests/test_graphql_schema.py.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import httpx
import pytest

from devstack.testing import eventually
from edge.app import create_app
from edge.config import EdgeSettings
from tests.conftest import Platform, bearer, new_customer, new_organizer
from tests.integration.test_orders_http import checkout, held, pay_at_the_hosted_page
from tests.integration.test_reservations_http import at, published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
CLIENT, SERVER = 3, 2  # OTLP span kinds

LISTING = """
query Listing($q: String!, $first: Int!) {
  events(q: $q, first: $first) {
    nodes {
      id name description status priceFrom { amount currency }
      zones { id name price { amount currency } capacity }
      sessions { id startsAt status availability { zoneId available status } }
      availability { asOf zones { sessionId zoneId available } }
    }
    pageInfo { endCursor hasNextPage }
  }
}
"""
MINE = """
{
  myOrders { nodes { id status total { amount currency } event { id name } } pageInfo { hasNextPage } }
  myTickets { nodes { id orderId status zoneName event { name } } }
}
"""


async def graphql(
    edge: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> httpx.Response:
    return await edge.post("/graphql", json={"query": query, "variables": variables}, headers=headers or {})


async def publish_many(edge: httpx.AsyncClient, word: str, count: int) -> list[str]:
    """``count`` published events named with ``word``, in one batch, each at its own venue."""
    events = [
        {
            "name": f"Gira {word} {index}",
            "category": "concert",
            "venue": {"name": f"Sala {uuid.uuid4().hex[:8]}", "city": "Sevilla", "address": "Calle Feria 2"},
            "starts_at": at(index),
            "ends_at": at(index + 2),
            "timezone": "Europe/Madrid",
            "zones": [
                {"name": "General", "price": {"amount": "30.00", "currency": "EUR"}, "capacity": 5},
                {"name": "VIP", "price": {"amount": "95.50", "currency": "EUR"}, "capacity": 2},
            ],
            "publish": True,
        }
        for index in range(count)
    ]
    reply = await edge.post(
        "/api/v1/events:batch", headers=await new_organizer(edge), json={"events": events}
    )
    assert reply.status_code == 201, reply.text
    return [result["event"]["id"] for result in reply.json()["results"]]


async def test_anyone_lists_20_events_with_zones_sessions_and_availability_in_three_grpc_calls(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    word = f"grafo{uuid.uuid4().hex[:8]}"
    created = await publish_many(edge, word, 20)

    async def on_sale_everywhere() -> bool:
        # ticketing_svc follows the catalog through Kafka: a copy may still say draft for a moment.
        query = """
            query($q: String!) { events(q: $q, first: 20) { nodes { availability { zones { available } } } } }
        """
        nodes = (await graphql(edge, query, q=word)).json()["data"]["events"]["nodes"]
        places = [
            sum(zone["available"] for zone in (node["availability"] or {"zones": []})["zones"])
            for node in nodes
        ]
        return places == [7] * 20

    await eventually(on_sale_everywhere, within=30, what="ticketing_svc selling the 20 new events")
    trace_id = secrets.token_hex(16)

    reply = await edge.post(
        "/graphql",
        json={"query": LISTING, "variables": {"q": word, "first": 20}},
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert "errors" not in body, body
    nodes = body["data"]["events"]["nodes"]
    assert sorted(node["id"] for node in nodes) == sorted(created)
    for node in nodes:
        assert node["status"] == "PUBLISHED"
        assert node["priceFrom"] == {"amount": "30.00", "currency": "EUR"}
        assert [zone["name"] for zone in node["zones"]] == ["General", "VIP"]
        session = node["sessions"][0]
        assert sorted(z["available"] for z in session["availability"]) == [2, 5]
        assert {z["sessionId"] for z in node["availability"]["zones"]} == {session["id"]}

    def edge_calls() -> list[str] | None:
        spans = [s for s in platform.traces.spans() if s.trace_id == trace_id and s.service == "edge"]
        if not any(s.kind == SERVER for s in spans):  # the server span ends last: its calls are in
            return None
        return sorted(s.name for s in spans if s.kind == CLIENT)

    calls = await eventually(edge_calls, within=15, what="the edge's spans of the GraphQL request")
    assert calls == [
        "taquilla.events.v1.EventService/GetEvents",
        "taquilla.events.v1.EventService/SearchEvents",
        "taquilla.ticketing.v1.TicketingService/GetEventsAvailability",
    ]


async def test_a_buyer_reads_their_own_orders_and_tickets_and_nobody_elses(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, _, tokens = await new_customer(edge)
    me = bearer(tokens["access_token"])
    reservation = await held(edge, me, event, (0, 2))
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    paying = await pay_at_the_hosted_page(order["payment"]["checkout_url"], "4242424242424242")
    assert paying.status_code < 400, paying.text

    async def with_tickets() -> dict[str, Any] | None:
        data: dict[str, Any] = (await graphql(edge, MINE, me)).json()["data"]
        return data if len(data["myTickets"]["nodes"]) == 2 else None

    mine = await eventually(with_tickets, within=30, what="the order paid and its two tickets issued")
    assert [(o["id"], o["status"], o["event"]) for o in mine["myOrders"]["nodes"]] == [
        (order["id"], "PAID", {"id": event["id"], "name": event["name"]})
    ]
    assert {(t["orderId"], t["status"], t["zoneName"]) for t in mine["myTickets"]["nodes"]} == {
        (order["id"], "VALID", "General")
    }

    _, _, other = await new_customer(edge)
    theirs = (await graphql(edge, MINE, bearer(other["access_token"]))).json()
    assert theirs["data"] == {
        "myOrders": {"nodes": [], "pageInfo": {"hasNextPage": False}},
        "myTickets": {"nodes": []},
    }
    anonymous = (await graphql(edge, MINE)).json()
    assert anonymous["data"] is None
    assert {error["extensions"]["code"] for error in anonymous["errors"]} == {"UNAUTHENTICATED"}


async def test_a_draft_is_read_by_its_organization_only(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    body = {
        "name": f"Borrador {uuid.uuid4().hex[:8]}",
        "category": "theatre",
        "venue": {"name": f"Teatro {uuid.uuid4().hex[:8]}", "city": "Lima", "address": "Jr. Ucayali 266"},
        "starts_at": at(0),
        "ends_at": at(2),
        "timezone": "America/Lima",
        "zones": [{"name": "Platea", "price": {"amount": "40.00", "currency": "PEN"}, "capacity": 3}],
    }
    draft = (await edge.post("/api/v1/events", headers=organizer, json=body)).json()
    query = "query($id: ID!) { event(id: $id) { name status availability { asOf } } }"

    theirs = (await graphql(edge, query, organizer, id=draft["id"])).json()
    anonymous = (await graphql(edge, query, id=draft["id"])).json()

    assert theirs == {"data": {"event": {"name": body["name"], "status": "DRAFT", "availability": None}}}
    assert anonymous == {"data": {"event": None}}


async def test_a_rejected_token_is_401_as_on_rest(edge: httpx.AsyncClient) -> None:
    reply = await graphql(edge, "{ events { nodes { id } } }", bearer("not-a-token"))
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["www-authenticate"].startswith("Bearer")


async def test_too_deep_and_too_costly_queries_are_refused(edge: httpx.AsyncClient) -> None:
    deep = "{ events { nodes { sessions { event { sessions { event { sessions { id } } } } } } } }"
    page = "events(first: 100) { nodes { name zones { name price { amount currency } } sessions { id } } }"
    costly = "{ " + " ".join(f"a{i}: {page}" for i in range(6)) + " }"
    for query, refusal in ((deep, "exceeds maximum operation depth"), (costly, "The query is too large")):
        body = (await graphql(edge, query)).json()
        assert body.get("data") is None
        assert refusal in body["errors"][0]["message"]


async def test_graphql_spends_the_callers_rate_limit_like_rest(
    platform: Platform, edge: httpx.AsyncClient
) -> None:
    settings = EdgeSettings(
        identity_svc_address=platform.env("EDGE_IDENTITY_SVC_ADDRESS"),
        event_svc_address=platform.env("EDGE_EVENT_SVC_ADDRESS"),
        notification_svc_address=platform.env("EDGE_NOTIFICATION_SVC_ADDRESS"),
        ticketing_svc_address=platform.env("EDGE_TICKETING_SVC_ADDRESS"),
        public_url=platform.env("EDGE_PUBLIC_URL"),
        redis_url=platform.env("EDGE_REDIS_URL"),
        rate_limit_user="3/3600",
    )
    _, _, tokens = await new_customer(edge)
    me = bearer(tokens["access_token"])
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge.test") as client,
    ):
        replies = await asyncio.gather(*(graphql(client, "{ __typename }", me) for _ in range(4)))
        rest = await client.get("/api/v1/users/me", headers=me)

    assert sorted(r.status_code for r in replies) == [200, 200, 200, 429]
    refused = next(r for r in replies if r.status_code == 429)
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert {r.headers["ratelimit-limit"] for r in replies} == {"3"}
    assert rest.status_code == 429  # one bucket for both APIs
