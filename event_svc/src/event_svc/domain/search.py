"""Finding published events: what a search may ask for, how pages are ordered and where they end.

A search is validated as a whole (every problem listed, like any other input). Pages are ordered by
a total order that ends in the event id, so a page ends at a precise :class:`ListingPosition` and the
next page starts strictly after it: every event appears exactly once while events are added or
changed between pages (keyset pagination), which an offset could not promise.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from event_svc.domain.model import Category
from event_svc.domain.values import CURRENCIES, InputCheck, Money, Venue, clean_line

QUERY_MAX = 200
CITY_MAX = 100
# Words of a query that take part in matching; more would only slow the search down.
QUERY_WORDS_MAX = 8
LIMIT_MAX = 100
_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_WORD = re.compile(r"\w+")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class ListingOrder(enum.StrEnum):
    DATE = "date"  # soonest first
    RELEVANCE = "relevance"  # best match first, then soonest
    PRICE = "price"  # cheapest ticket first, then soonest


@dataclass(frozen=True, slots=True)
class ListingPosition:
    """The sort key of the last event of a page: the next page starts right after it.

    ``score`` is the relevance (RELEVANCE): the exact decimal value of PostgreSQL's floating-point
    rank, so the key stays exact across the database and the cursor; ``price`` the cheapest ticket
    (PRICE).
    """

    order: ListingOrder
    starts_at: dt.datetime
    event_id: uuid.UUID
    price: Decimal | None = None
    score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CatalogSearch:
    """A validated search of published events."""

    text: str
    words: tuple[str, ...]
    category: Category | None
    city: str
    ends_after: dt.datetime
    starts_before: dt.datetime | None
    price_min: Decimal | None
    price_max: Decimal | None
    available_only: bool
    order: ListingOrder
    limit: int
    after: ListingPosition | None
    include_total: bool
    featured_only: bool = False
    currency: str | None = None

    @property
    def prices_in(self) -> str | None:
        """The currency prices are filtered and sorted in, when the search filters or sorts by price.

        Amounts in different currencies cannot be compared: with a currency, the price bounds and the
        price order apply to each event's cheapest ticket in that currency, and events without a zone
        in it are left out. A search that neither filters nor sorts by price ignores the currency.
        """
        bounded = self.price_min is not None or self.price_max is not None
        by_price = bounded or self.order is ListingOrder.PRICE
        return self.currency if by_price else None

    @classmethod
    def parse(
        cls,
        *,
        text: str,
        category: str,
        city: str,
        date_from: dt.datetime | None,
        date_to: dt.datetime | None,
        price_min: str,
        price_max: str,
        available_only: bool,
        order: str,
        limit: int,
        after: ListingPosition | None,
        include_total: bool,
        now: dt.datetime,
        featured_only: bool = False,
        currency: str = "",
    ) -> CatalogSearch:
        """Validates a search; raises InvalidInput listing every problem.

        Without ``date_from`` only events that have not ended yet are listed.
        """
        check = InputCheck()
        text = check.optional_line("q", text, max_length=QUERY_MAX)
        words = tuple(_WORD.findall(text))[:QUERY_WORDS_MAX]
        chosen_category = check.choice("category", category, Category) if category.strip() else None
        city = check.optional_line("city", city, max_length=CITY_MAX)
        ends_after = check.aware("date_from", date_from) if date_from is not None else now
        starts_before = check.aware("date_to", date_to) if date_to is not None else None
        if ends_after is not None and starts_before is not None and starts_before <= ends_after:
            check.fail("date_to", "must be after date_from")
        low = _amount(check, "price_min", price_min)
        high = _amount(check, "price_max", price_max)
        if low is not None and high is not None and high < low:
            check.fail("price_max", "must not be below price_min")
        chosen_currency = clean_line(currency).upper() or None
        if chosen_currency is not None and (
            not _CURRENCY.match(chosen_currency) or chosen_currency not in CURRENCIES
        ):
            check.fail("currency", 'must be an ISO 4217 currency code, e.g. "EUR"')
        chosen_order = check.choice("sort", order or ListingOrder.DATE.value, ListingOrder)
        if chosen_order is ListingOrder.RELEVANCE and not words:
            check.fail("sort", "relevance needs a search text (q)")
        check.whole_number("limit", limit, minimum=1, maximum=LIMIT_MAX)
        if after is not None and chosen_order is not None and after.order is not chosen_order:
            check.fail("cursor", "belongs to a listing with another sort order; start again without it")
        check.raise_if_any()
        assert chosen_order is not None
        assert ends_after is not None
        return cls(
            text=text,
            words=words,
            category=chosen_category,
            city=city,
            ends_after=ends_after,
            starts_before=starts_before,
            price_min=low,
            price_max=high,
            available_only=available_only,
            order=chosen_order,
            limit=limit,
            after=after,
            include_total=include_total,
            featured_only=featured_only,
            currency=chosen_currency,
        )


@dataclass(frozen=True, slots=True)
class EventListing:
    """A published event as listings show it."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    category: Category
    venue: Venue
    image_url: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    price_from: Money | None
    available: bool
    version: int
    position: ListingPosition
    featured: bool = False


@dataclass(frozen=True, slots=True)
class ListingPage:
    events: list[EventListing]
    following: ListingPosition | None
    total: int | None


def _amount(check: InputCheck, field: str, value: str) -> Decimal | None:
    value = clean_line(value)
    if not value:
        return None
    if not _AMOUNT.match(value):
        check.fail(field, 'must be a decimal string >= 0 with at most 2 decimals, e.g. "250.00"')
        return None
    return Decimal(value)
