"""The GraphQL schema in process, against clients that count their calls: batching, limits, masking,
and GraphiQL only in development.

What the services answer is tested through the running platform (tests/integration/test_graphql_http.py).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, get_args

import httpx
import pytest
from fastapi.routing import APIRoute

from edge.api.schemas import events as events_schemas
from edge.api.schemas import listings as listings_schemas
from edge.api.schemas import orders as orders_schemas
from edge.api.schemas import reservations as reservations_schemas
from edge.clients.events import EventsClient
from edge.clients.ticketing import TicketingClient
from edge.config import EdgeSettings
from edge.graphql import types
from edge.graphql.context import GraphQLContext
from edge.graphql.limits import MAX_COST
from edge.graphql.schema import SCHEMA, graphql_router
from taquilla.events.v1 import event_service_pb2 as events_pb
from taquilla.ticketing.v1 import ticketing_service_pb2 as ticketing_pb
from taquilla_runtime.timestamps import to_timestamp

pytestmark = pytest.mark.asyncio(loop_scope="session")
EdgeClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]  # conftest's edge_client


def make_event(event_id: str) -> events_pb.Event:
    zone = events_pb.Zone(
        id=str(uuid.uuid4()),
        name="General",
        price=events_pb.Money(amount="250.00", currency="MXN"),
        capacity=10,
    )
    session = events_pb.Session(
        id=str(uuid.uuid4()), event_id=event_id, title="Función", status=events_pb.SESSION_STATUS_ON_SALE
    )
    return events_pb.Event(
        id=event_id,
        name=f"Evento {event_id[:4]}",
        category=events_pb.CATEGORY_CONCERT,
        status=events_pb.EVENT_STATUS_PUBLISHED,
        zones=[zone],
        sessions=[session],
    )


class CountingEvents(EventsClient):
    """The catalog's client over a fixed catalog, counting the calls the schema makes."""

    def __init__(self, count: int) -> None:
        self.calls: Counter[str] = Counter()
        self.catalog = {event.id: event for event in (make_event(str(uuid.uuid4())) for _ in range(count))}

    async def search_events(self, request: events_pb.SearchEventsRequest) -> events_pb.SearchEventsResponse:
        self.calls["SearchEvents"] += 1
        summaries = [
            events_pb.EventSummary(id=event.id, name=event.name, category=event.category, available=True)
            for event in list(self.catalog.values())[: request.limit]
        ]
        return events_pb.SearchEventsResponse(events=summaries)

    async def get_events(self, principal: Any, event_ids: Sequence[str]) -> list[events_pb.Event]:
        self.calls["GetEvents"] += 1
        assert len(event_ids) <= 100
        return [self.catalog[event_id] for event_id in event_ids if event_id in self.catalog]


class CountingTicketing(TicketingClient):
    def __init__(self, events: CountingEvents) -> None:
        self.calls = events.calls
        self.catalog = events.catalog

    async def events_availability(
        self, event_ids: Sequence[str]
    ) -> list[ticketing_pb.GetAvailabilityResponse]:
        self.calls["GetEventsAvailability"] += 1
        return [
            ticketing_pb.GetAvailabilityResponse(
                event_id=event_id,
                as_of=to_timestamp(_now()),
                zones=[
                    ticketing_pb.ZoneAvailability(
                        session_id=event.sessions[0].id,
                        zone_id=event.zones[0].id,
                        capacity=10,
                        available=7,
                        status=ticketing_pb.SALE_STATUS_ON_SALE,
                    )
                ],
            )
            for event_id in event_ids
            if (event := self.catalog.get(event_id)) is not None
        ]


def _now() -> dt.datetime:
    return dt.datetime(2030, 3, 14, 20, tzinfo=dt.UTC)


async def run(query: str, count: int = 30, **variables: Any) -> tuple[Any, Counter[str]]:
    events = CountingEvents(count)
    context = GraphQLContext(None, events, CountingTicketing(events))
    result = await SCHEMA.execute(query, variable_values=variables, context_value=context)
    return result, events.calls


LISTING = """
query Listing($first: Int!) {
  events(first: $first) {
    nodes {
      id name category description status
      zones { name price { amount currency } }
      sessions { title availability { available status } event { name } }
      availability { zones { zoneId available } }
    }
  }
}
"""


@pytest.mark.parametrize("first", [1, 20])
async def test_a_list_of_events_with_zones_sessions_and_availability_costs_three_calls(first: int) -> None:
    result, calls = await run(LISTING, first=first)

    assert result.errors is None, result.errors
    nodes = result.data["events"]["nodes"]
    assert len(nodes) == first
    assert all(node["zones"] and node["sessions"][0]["availability"][0]["available"] == 7 for node in nodes)
    assert calls == {"SearchEvents": 1, "GetEvents": 1, "GetEventsAvailability": 1}


async def test_a_query_nested_deeper_than_the_limit_is_refused_before_any_call() -> None:
    deep = "{ events { nodes { sessions { event { sessions { event { sessions { title } } } } } } } }"
    result, calls = await run(deep)
    assert result.errors
    assert "exceeds maximum operation depth" in result.errors[0].message
    assert not calls


async def test_a_query_that_may_cost_too_much_is_refused_before_any_call() -> None:
    page = "events(first: 100) { nodes { name zones { name price { amount currency } } sessions { title } } }"
    result, calls = await run("{ " + " ".join(f"a{i}: {page}" for i in range(6)) + " }")
    assert result.errors
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COSTLY", "cost": 6 * 901, "limit": MAX_COST}
    assert not calls


async def test_first_and_strings_are_bounded() -> None:
    result, calls = await run("{ events(first: 101) { nodes { id } } }")
    assert result.errors
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    result, calls = await run("query($q: String) { events(q: $q) { nodes { id } } }", q="x" * 201)
    assert result.errors
    assert result.errors[0].extensions["errors"][0]["field"] == "q"
    result, calls = await run('{ events(priceMin: "cheap") { nodes { id } } }')
    assert result.errors
    assert result.errors[0].extensions["errors"][0]["field"] == "priceMin"
    assert not calls


async def test_orders_need_a_signed_in_caller() -> None:
    result, _ = await run("{ myOrders { nodes { id } } }")
    assert result.errors[0].message.startswith("Sign in first")
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"


async def test_an_unexpected_failure_says_nothing_of_its_cause_and_alone_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(CountingEvents):
        async def search_events(
            self, request: events_pb.SearchEventsRequest
        ) -> events_pb.SearchEventsResponse:
            raise RuntimeError("connection to db.internal.example:5432 refused")

    events = Broken(1)
    context = GraphQLContext(None, events, CountingTicketing(events))
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        result = await SCHEMA.execute("{ events { nodes { id } } }", context_value=context)
        await run("{ myOrders { nodes { id } } }")  # the caller's own mistake: answered, not logged
    assert [error.message for error in result.errors] == ["Unexpected error."]
    assert [record.getMessage().splitlines()[0] for record in caplog.records] == [
        "connection to db.internal.example:5432 refused"
    ]


@pytest.mark.parametrize(("environment", "served"), [("development", True), ("production", False)])
async def test_graphiql_is_served_in_development_only(
    edge_client: EdgeClientFactory, environment: str, served: bool
) -> None:
    # production refuses the development ones
    secrets = {"stripe_webhook_secrets": ["whsec_" + "a" * 32], "principal_secrets": ["a" * 40]}
    async with edge_client(environment=environment, **secrets) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert ("graphiql" in page.text.lower()) is served
    assert page.status_code == 200 if served else page.status_code >= 400


async def test_a_request_body_over_64_kib_is_refused_declared_or_streamed(
    edge_client: EdgeClientFactory,
) -> None:
    large = b'{"query": "{ __typename }", "variables": {"q": "' + b"x" * 70_000 + b'"}}'

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(large), 8192):
            yield large[start : start + 8192]

    json_type = {"Content-Type": "application/json"}
    async with edge_client() as client:
        small = await client.post("/graphql", json={"query": "{ __typename }"})
        declared = await client.post("/graphql", content=large, headers=json_type)
        chunked = await client.post("/graphql", content=streamed(), headers=json_type)

    assert small.json() == {"data": {"__typename": "Query"}}
    for refused in (declared, chunked):
        assert refused.status_code == 413
        assert refused.headers["content-type"] == "application/problem+json"


async def test_graphql_is_served_over_http_only() -> None:
    # The rate limit and the token check see HTTP requests only: a socket would pass both.
    router = graphql_router(EdgeSettings())
    assert router.routes
    assert all(isinstance(route, APIRoute) for route in router.routes)


@pytest.mark.parametrize(
    ("graphql_enum", "rest_literal"),
    [
        (types.Category, events_schemas.CategoryName),
        (types.EventStatus, events_schemas.EventStatusName),
        (types.SessionStatus, events_schemas.SessionStatusName),
        (types.SaleStatus, reservations_schemas.SaleStatus),
        (types.OrderStatus, orders_schemas.OrderStatus),
        (types.TicketStatus, orders_schemas.TicketStatus),
        (types.EventOrder, listings_schemas.SortName),
    ],
)
async def test_graphql_enums_are_rests_words(graphql_enum: type[enum.Enum], rest_literal: Any) -> None:
    assert [member.value for member in graphql_enum] == list(get_args(rest_literal))
