"""A search's currency: it decides how prices compare only when the search filters or sorts by price."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from event_svc.domain.errors import InvalidInput
from event_svc.domain.search import CatalogSearch

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def parse(**fields: Any) -> CatalogSearch:
    values: dict[str, Any] = {
        "text": "",
        "category": "",
        "city": "",
        "date_from": None,
        "date_to": None,
        "price_min": "",
        "price_max": "",
        "available_only": False,
        "order": "",
        "limit": 20,
        "after": None,
        "include_total": False,
        "now": NOW,
        **fields,
    }
    return CatalogSearch.parse(**values)


@pytest.mark.parametrize(
    "fields",
    [{"price_min": "20"}, {"price_max": "100"}, {"order": "price"}],
    ids=["lower bound", "upper bound", "price order"],
)
def test_prices_compare_within_the_currency_when_filtering_or_sorting_by_them(fields: dict[str, Any]) -> None:
    assert parse(currency="eur", **fields).prices_in == "EUR"


def test_a_currency_without_a_price_filter_or_order_changes_nothing() -> None:
    search = parse(currency="COP")
    assert (search.currency, search.prices_in) == ("COP", None)
    assert parse(price_max="100").prices_in is None


@pytest.mark.parametrize("currency", ["EURO", "E1R", "XYZ"])
def test_an_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(price_max="100", currency=currency)
    assert [problem.field for problem in refused.value.problems] == ["currency"]
