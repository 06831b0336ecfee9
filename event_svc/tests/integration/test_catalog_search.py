"""SearchEvents over real gRPC and PostgreSQL, on a realistic catalog of 1,000 events.

The catalog (catalog_dataset) lives in a database of its own, so every expected answer is computed
exactly, in Python, from the facts the dataset was made of. The test that inserts events while
paging runs last: it adds events the others do not expect.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any

import grpc
import pytest
import pytest_asyncio
from catalog_dataset import ORGANIZATION_SIZE, Fact, catalog
from catalog_requests import Catalog, event_input, field_errors, organizer, stamp, unique_name, venue
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.infra import ServiceDatabase
from devstack.pytest_plugin import PostgresServer
from devstack.testing import in_process_service
from event_svc.bootstrap import build_servicer
from event_svc.config import SCHEMA
from event_svc.domain.values import fold
from event_svc.entrypoints.cli import MIGRATIONS
from event_svc.entrypoints.grpc_server import SERVICE_NAME
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine

pytestmark = pytest.mark.asyncio(loop_scope="session")
BASE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
FACTS = catalog(BASE)
SEARCH_DATABASE = ServiceDatabase("event_svc", "event_svc", "taquilla_events_search", SCHEMA)


@pytest.fixture(scope="module")
def search_database_url(postgres_server: PostgresServer) -> str:
    postgres_server.cluster.ensure_service_database(SEARCH_DATABASE)
    url = SEARCH_DATABASE.url(postgres_server.port)
    migrations.upgrade(MIGRATIONS, url, SCHEMA)
    return url


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def search_engine(search_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(search_database_url, schema=SCHEMA, application_name="event_svc-search-tests")
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(search_engine: AsyncEngine) -> AsyncIterator[Catalog]:
    servicer = build_servicer(search_engine)
    async with (
        in_process_service(
            SERVICE_NAME, partial(event_service_pb2_grpc.add_EventServiceServicer_to_server, servicer)
        ) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        yield Catalog(event_service_pb2_grpc.EventServiceStub(channel))


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def dataset(service: Catalog, search_engine: AsyncEngine) -> dict[str, Fact]:
    """The 1,000 events, created through the API in batches; id -> fact."""
    owner = organizer()
    by_id: dict[str, Fact] = {}
    for start in range(0, len(FACTS), ORGANIZATION_SIZE):
        chunk = FACTS[start : start + ORGANIZATION_SIZE]
        reply = await service.call(
            "BatchCreateEvents", pb.BatchCreateEventsRequest(events=[f.request() for f in chunk]), owner
        )
        assert reply.committed, [r.errors for r in reply.results if r.errors]
        by_id.update({result.event.id: fact for result, fact in zip(reply.results, chunk, strict=True)})
    sold_out = [uuid.UUID(event_id) for event_id, fact in by_id.items() if fact.sold_out]
    async with search_engine.begin() as connection:
        # Ticket sales are another service's business: sell these events out directly.
        await connection.execute(
            text(
                "UPDATE session_zones SET sold_out = true WHERE session_id IN "
                "(SELECT id FROM sessions WHERE event_id = ANY(:ids))"
            ),
            {"ids": sold_out},
        )
    return by_id


async def search(service: Catalog, **fields: Any) -> pb.SearchEventsResponse:
    reply: pb.SearchEventsResponse = await service.call("SearchEvents", pb.SearchEventsRequest(**fields))
    return reply


async def every_page(service: Catalog, **fields: Any) -> list[pb.EventSummary]:
    found: list[pb.EventSummary] = []
    cursor = ""
    while True:
        reply = await search(service, cursor=cursor, **fields)
        found.extend(reply.events)
        cursor = reply.next_cursor
        if not cursor:
            return found


def expected(dataset: dict[str, Fact], keep: Callable[[Fact], bool]) -> list[str]:
    """Ids of the published events that ``keep`` accepts, by date (then id)."""
    chosen = [(f.starts_at, event_id) for event_id, f in dataset.items() if f.published and keep(f)]
    return [event_id for _, event_id in sorted(chosen)]


def words_of(fact: Fact) -> set[str]:
    return set(
        fold(f"{fact.name} {fact.description} {fact.city}").replace(",", " ").replace(".", " ").split()
    )


def ids(events: list[pb.EventSummary]) -> list[str]:
    return [event.id for event in events]


async def test_lists_every_published_event_by_date_exactly_once_across_pages(
    service: Catalog, dataset: dict[str, Fact]
) -> None:
    listed = await every_page(service, limit=100)
    assert ids(listed) == expected(dataset, lambda f: True)
    assert len(listed) == 900
    first = listed[0]
    fact = dataset[first.id]
    assert (first.name, first.venue.city, first.price_from.amount) == (
        fact.name,
        fact.city,
        f"{fact.price_from:.2f}",
    )
    assert first.price_from.currency == "COP"


def _filters() -> Iterator[tuple[str, dict[str, Any], Callable[[Fact], bool]]]:
    window_from, window_to = BASE + dt.timedelta(days=100), BASE + dt.timedelta(days=250)
    yield "category", {"category": pb.CATEGORY_THEATRE}, lambda f: f.category == pb.CATEGORY_THEATRE
    yield "city, ignoring accents and case", {"city": "BOGOTA"}, lambda f: f.city == "Bogotá"
    yield (
        "dates",
        {"date_from": stamp(window_from), "date_to": stamp(window_to)},
        lambda f: f.ends_at > window_from and f.starts_at < window_to,
    )
    yield "price from", {"price_min": "150000"}, lambda f: f.price_from >= 150000
    yield "price up to", {"price_max": "30000.50"}, lambda f: f.price_from <= 30000
    yield "available", {"available_only": True}, lambda f: not f.sold_out
    yield (
        "all together",
        {"category": pb.CATEGORY_CONCERT, "city": "medellín", "price_max": "150000", "available_only": True},
        lambda f: (
            f.category == pb.CATEGORY_CONCERT
            and f.city == "Medellín"
            and f.price_from <= 150000
            and not f.sold_out
        ),
    )


@pytest.mark.parametrize(
    ("fields", "keep"), [(f, k) for _, f, k in _filters()], ids=[n for n, _, _ in _filters()]
)
async def test_each_filter_lists_exactly_the_matching_events(
    service: Catalog, dataset: dict[str, Fact], fields: dict[str, Any], keep: Callable[[Fact], bool]
) -> None:
    wanted = expected(dataset, keep)
    assert wanted, "the dataset has matching events"
    assert ids(await every_page(service, limit=60, **fields)) == wanted


async def test_sorting_by_price_lists_the_cheapest_first_across_pages(
    service: Catalog, dataset: dict[str, Fact]
) -> None:
    listed = await every_page(service, limit=70, order=pb.LISTING_ORDER_PRICE, city="Lima")
    wanted = sorted(
        (f.price_from, f.starts_at, event_id)
        for event_id, f in dataset.items()
        if f.published and f.city == "Lima"
    )
    assert ids(listed) == [event_id for _, _, event_id in wanted]


async def test_accents_and_case_do_not_matter(service: Catalog, dataset: dict[str, Fact]) -> None:
    plain = await every_page(service, query="musica clasica", limit=100)
    accented = await every_page(service, query="MÚSICA Clásica", limit=100)
    assert ids(plain) == ids(accented) == expected(dataset, lambda f: "Música Clásica" in f.name)


async def test_every_word_must_match_anywhere_in_name_description_venue_or_city(
    service: Catalog, dataset: dict[str, Fact]
) -> None:
    found = await every_page(service, query="jazz sofia quito", limit=100)
    assert ids(found) == expected(dataset, lambda f: {"jazz", "sofia", "quito"} <= words_of(f))
    assert found


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("concerto", lambda f: f.name.startswith("Concierto")), ("Bogta", lambda f: f.city == "Bogotá")],
    ids=["concerto", "Bogta"],
)
async def test_a_misspelt_word_finds_what_was_meant(
    service: Catalog, dataset: dict[str, Fact], typo: str, meant: Callable[[Fact], bool]
) -> None:
    wanted = expected(dataset, meant)
    assert wanted
    assert ids(await every_page(service, query=typo, limit=100)) == wanted


async def test_relevance_ranks_name_matches_before_description_matches(
    service: Catalog, dataset: dict[str, Fact]
) -> None:
    found = await every_page(service, query="jazz", order=pb.LISTING_ORDER_RELEVANCE, limit=40)
    assert sorted(ids(found)) == sorted(expected(dataset, lambda f: "jazz" in words_of(f)))
    in_name = ["Jazz" in dataset[event.id].name for event in found]
    assert any(in_name)
    assert not all(in_name)
    assert in_name == sorted(in_name, reverse=True), "every name match comes before every other match"


async def test_counts_the_matches_only_when_asked(service: Catalog, dataset: dict[str, Fact]) -> None:
    counted = await search(service, query="festival", include_total=True, limit=5)
    assert counted.total == len(expected(dataset, lambda f: f.name.startswith("Festival")))
    assert len(counted.events) == 5
    assert not (await search(service, query="festival", limit=5)).HasField("total")


async def test_nothing_matches_a_word_no_event_resembles(service: Catalog, dataset: dict[str, Fact]) -> None:
    reply = await search(service, query="xylofón zqwrty", include_total=True)
    assert (list(reply.events), reply.total, reply.next_cursor) == ([], 0, "")


@pytest.mark.parametrize("query", ["/=\u00e8\x0f", "the of"], ids=["symbols", "stop words"])
async def test_relevance_without_a_searchable_word_lists_by_date(
    service: Catalog, dataset: dict[str, Fact], query: str
) -> None:
    by_relevance = await every_page(service, query=query, order=pb.LISTING_ORDER_RELEVANCE, limit=40)
    by_date = await every_page(service, limit=40)
    assert [event.id for event in by_relevance] == [event.id for event in by_date]


async def test_an_invalid_search_lists_every_invalid_field(
    service: Catalog, dataset: dict[str, Fact]
) -> None:
    request = pb.SearchEventsRequest(
        price_min="barato",
        price_max="-5",
        date_from=stamp(BASE + dt.timedelta(days=5)),
        date_to=stamp(BASE),
        order=pb.LISTING_ORDER_RELEVANCE,
        limit=500,
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await service.call("SearchEvents", request)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {e["field"] for e in field_errors(raised.value)} == {
        "price_min",
        "price_max",
        "date_to",
        "sort",
        "limit",
    }


def _cursor(data: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        _cursor({"o": "date"}),
        _cursor({"o": "price", "s": "2030-01-01T00:00:00+00:00", "i": str(uuid.uuid4())}),
        _cursor({"o": "date", "s": "2030-01-01T00:00:00", "i": str(uuid.uuid4())}),
        _cursor({"o": "relevance", "s": "2030-01-01T00:00:00+00:00", "i": str(uuid.uuid4()), "r": "NaN"}),
    ],
    ids=["garbage", "incomplete", "no price", "naive time", "not a number"],
)
async def test_refuses_a_cursor_it_did_not_issue(
    service: Catalog, dataset: dict[str, Fact], cursor: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await search(service, cursor=cursor)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [e["field"] for e in field_errors(raised.value)] == ["cursor"]


async def test_refuses_a_cursor_of_another_order(service: Catalog, dataset: dict[str, Fact]) -> None:
    by_date = await search(service, limit=3)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await search(service, limit=3, order=pb.LISTING_ORDER_PRICE, cursor=by_date.next_cursor)
    assert [e["field"] for e in field_errors(raised.value)] == ["cursor"]


@pytest.mark.parametrize(
    "fields",
    [{}, {"order": pb.LISTING_ORDER_PRICE}, {"query": "concierto", "order": pb.LISTING_ORDER_RELEVANCE}],
    ids=["by date", "by price", "by relevance"],
)
async def test_pages_return_every_event_exactly_once_while_events_are_added(
    service: Catalog, dataset: dict[str, Fact], fields: dict[str, Any]
) -> None:
    before = {event.id for event in await every_page(service, limit=100, **fields)}
    owner = organizer()
    seen: list[str] = []
    cursor = ""
    for page_number in range(1000):
        reply = await search(service, limit=45, cursor=cursor, **fields)
        seen.extend(event.id for event in reply.events)
        # New events land before, inside and after the part already read: earliest, cheapest, matching.
        for offset in (0, 100 + page_number * 7, 900):
            starts = BASE + dt.timedelta(days=offset, minutes=7 * page_number + 1)
            new = event_input(
                name=unique_name("Concierto nuevo"),
                venue=venue(),
                starts_at=stamp(starts),
                ends_at=stamp(starts + dt.timedelta(hours=2)),
                zones=[
                    pb.ZoneInput(name="General", price=pb.Money(amount="1.00", currency="COP"), capacity=9)
                ],
            )
            await service.create(owner, new, publish=True)
        cursor = reply.next_cursor
        if not cursor:
            break
    assert len(seen) == len(set(seen)), "no event appears twice"
    assert before <= set(seen), "every event that existed when paging began was listed"
