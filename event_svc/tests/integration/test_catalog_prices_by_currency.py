"""SearchEvents with a currency: prices are filtered and sorted within one currency, never across."""

from __future__ import annotations

import uuid

import grpc
import pytest
from catalog_requests import Catalog, event_input, field_errors, organizer, unique_name

from taquilla.events.v1 import event_service_pb2 as pb

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _zone(name: str, amount: str, currency: str) -> pb.ZoneInput:
    return pb.ZoneInput(name=name, price=pb.Money(amount=amount, currency=currency), capacity=50)


async def _city_with_events(catalog: Catalog) -> tuple[str, dict[str, str]]:
    """A city of its own (other tests add events too) with events priced in COP, EUR or both."""
    city = f"Ciudad {uuid.uuid4().hex[:12]}"
    owner = organizer()
    names = {}
    for label, zones in {
        "cheap COP": [_zone("General", "10.00", "COP")],
        "dear COP": [_zone("General", "60000.00", "COP")],
        "EUR 25.50": [_zone("General", "25.50", "EUR")],
        "EUR 80": [_zone("General", "80.00", "EUR")],
        # Its cheapest ticket is in COP; in EUR it starts at 40.
        "both": [_zone("Grada", "15.00", "COP"), _zone("Palco", "40.00", "EUR")],
    }.items():
        place = pb.Venue(name=unique_name("Teatro"), city=city, address="Calle 1")
        event = await catalog.create(owner, event_input(venue=place, zones=zones), publish=True)
        names[event.id] = label
    return city, names


async def _search(catalog: Catalog, **fields: object) -> list[pb.EventSummary]:
    reply: pb.SearchEventsResponse = await catalog.call("SearchEvents", pb.SearchEventsRequest(**fields))
    return list(reply.events)


async def test_a_price_filter_with_a_currency_compares_only_prices_in_that_currency(catalog: Catalog) -> None:
    city, names = await _city_with_events(catalog)

    mixed = await _search(catalog, city=city, price_min="20", price_max="100")
    assert {names[e.id] for e in mixed} == {"EUR 25.50", "EUR 80"}, "without a currency 10 COP and 80 EUR mix"

    in_eur = await _search(catalog, city=city, price_min="20", price_max="100", currency="EUR")
    assert sorted((names[e.id], e.price_from.amount, e.price_from.currency) for e in in_eur) == [
        ("EUR 25.50", "25.50", "EUR"),
        ("EUR 80", "80.00", "EUR"),
        ("both", "40.00", "EUR"),
    ]
    in_cop = await _search(catalog, city=city, price_max="100", currency="cop")
    assert {names[e.id] for e in in_cop} == {"cheap COP", "both"}


async def test_sorting_by_price_with_a_currency_lists_only_that_currency_cheapest_first(
    catalog: Catalog,
) -> None:
    city, names = await _city_with_events(catalog)
    pages: list[pb.EventSummary] = []
    cursor = ""
    while True:
        request = pb.SearchEventsRequest(
            city=city, order=pb.LISTING_ORDER_PRICE, currency="EUR", limit=2, cursor=cursor
        )
        reply: pb.SearchEventsResponse = await catalog.call("SearchEvents", request)
        pages.extend(reply.events)
        cursor = reply.next_cursor
        if not cursor:
            break
    assert [(names[e.id], e.price_from.amount) for e in pages] == [
        ("EUR 25.50", "25.50"),
        ("both", "40.00"),
        ("EUR 80", "80.00"),
    ]
    # A text search takes the same path through its matches.
    word = next(e.name for e in pages if names[e.id] == "both").split()[-1]
    found = await _search(catalog, query=word, order=pb.LISTING_ORDER_PRICE, currency="EUR")
    assert [(e.price_from.amount, e.price_from.currency) for e in found] == [("40.00", "EUR")]


async def test_a_currency_alone_does_not_narrow_the_listing(catalog: Catalog) -> None:
    city, names = await _city_with_events(catalog)
    listed = await _search(catalog, city=city, currency="EUR")
    assert len(listed) == len(names)


async def test_an_unknown_currency_is_a_field_error(catalog: Catalog) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await catalog.call("SearchEvents", pb.SearchEventsRequest(price_max="50", currency="EURO"))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [e["field"] for e in field_errors(raised.value)] == ["currency"]
