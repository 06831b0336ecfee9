"""Finding published events: the query string of a listing or search and the page it answers,
with their translation to and from taquilla.events.v1 (SearchEvents)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainValidator, WithJsonSchema

from edge.api.schemas.events import CategoryName, Money, Venue, category_name, category_value
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.timestamps import from_timestamp, to_timestamp

SortName = Literal["date", "relevance", "price"]
AMOUNT = r"^\d{1,10}(\.\d{1,2})?$"
_ORDERS: dict[str, pb.ListingOrder.ValueType] = {
    "date": pb.LISTING_ORDER_DATE,
    "relevance": pb.LISTING_ORDER_RELEVANCE,
    "price": pb.LISTING_ORDER_PRICE,
}


class EventListing(BaseModel):
    """A published event as listings show it (GET /api/v1/events/{id} has everything)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str = Field(examples=["Noche de Jazz en el Foro"])
    category: CategoryName
    venue: Venue
    image_url: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str = Field(examples=["America/Mexico_City"])
    price_from: Money | None = Field(
        description="The cheapest ticket; with `currency` and a price filter or the price order, the "
        "cheapest ticket in that currency."
    )
    available: bool = Field(description="Some session still on offer has places left.")
    version: int = Field(description="The event's version: GET /api/v1/events/{id} sends it as ETag.")
    featured: bool = Field(description="On the front page: an administrator's pick.")

    @classmethod
    def from_pb(cls, event: pb.EventSummary) -> EventListing:
        return cls(
            id=uuid.UUID(event.id),
            organization_id=uuid.UUID(event.organization_id),
            name=event.name,
            category=category_name(event.category),
            venue=Venue.from_pb(event.venue),
            image_url=event.image_url or None,
            starts_at=from_timestamp(event.starts_at),
            ends_at=from_timestamp(event.ends_at),
            timezone=event.timezone,
            price_from=Money.from_pb(event.price_from) if event.HasField("price_from") else None,
            available=event.available,
            featured=event.featured,
            version=event.version,
        )


class EventListPage(BaseModel):
    items: list[EventListing]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same other parameters) for the next page; null on the last."
    )
    total: int | None = Field(description="How many events match in all; only with `count=true`, else null.")


def _moment(value: object) -> dt.datetime | dt.date:
    """An ISO-8601 time with a UTC offset, or a date."""
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "must be an ISO-8601 time with offset (2030-03-14T20:00:00-05:00) or a date"
        ) from None
    if moment.tzinfo is None:
        raise ValueError("must carry a UTC offset, e.g. 2030-03-14T20:00:00-05:00 (or be a date)")
    return moment


Moment = Annotated[
    dt.datetime | dt.date,
    PlainValidator(_moment),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}
    ),
]


class ListingQuery(BaseModel):
    """The query string of a listing or search."""

    q: str | None = Field(
        default=None,
        max_length=200,
        description="Words to find in names, descriptions, venues and cities (Spanish or English, any "
        'accents or case: "musica" finds "Música"; typos are tolerated: "concerto", "Bogta"). Every word '
        "must match.",
        examples=["jazz bogota"],
    )
    category: CategoryName | None = Field(default=None, description="Only this kind of event.")
    city: str | None = Field(
        default=None,
        max_length=100,
        description="Only this city, ignoring accents and case.",
        examples=["Bogotá"],
    )
    date_from: Moment | None = Field(
        default=None,
        description="Only events still running at this time or later (an ISO-8601 time with offset, or a "
        "date, meaning its start in UTC). Default: now, so events that have ended are not listed.",
        examples=["2030-03-14"],
    )
    date_to: Moment | None = Field(
        default=None,
        description="Only events starting before this time (a date includes that whole day, UTC).",
        examples=["2030-03-31T23:59:59-05:00"],
    )
    price_min: str | None = Field(
        default=None,
        pattern=AMOUNT,
        description="Only events whose cheapest ticket costs at least this (a decimal string).",
        examples=["200.00"],
    )
    price_max: str | None = Field(
        default=None,
        pattern=AMOUNT,
        description="Only events whose cheapest ticket costs at most this.",
        examples=["950"],
    )
    currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        max_length=3,
        description="ISO 4217 code. With `price_min`, `price_max` or `sort=price`, prices compare within "
        "this currency only: each event's cheapest ticket in it, leaving out events without a zone in it "
        "(and `price_from` is that ticket). Without a price filter or the price order it changes nothing. "
        "Without it, the cheapest tickets are compared whatever their currency.",
        examples=["EUR"],
    )
    available: bool = Field(default=False, description="Only events with places left.")
    featured: bool = Field(default=False, description="Only the featured events (the front page's pick).")
    sort: SortName = Field(
        default="date",
        description="`date` (soonest first), `relevance` (best match first; needs `q`) or `price` (cheapest "
        "first).",
    )
    limit: int = Field(default=20, ge=1, le=100, description="Events per page.")
    cursor: str | None = Field(
        default=None, max_length=1024, description="`next_cursor` of the previous page (opaque)."
    )
    count: bool = Field(default=False, description="Also return `total` (costs a little more).")

    def to_pb(self) -> pb.SearchEventsRequest:
        return pb.SearchEventsRequest(
            query=self.q or "",
            category=category_value(self.category) if self.category else pb.CATEGORY_UNSPECIFIED,
            city=self.city or "",
            date_from=to_timestamp(_instant(self.date_from)) if self.date_from else None,
            date_to=to_timestamp(_instant(self.date_to, end_of_day=True)) if self.date_to else None,
            price_min=self.price_min or "",
            price_max=self.price_max or "",
            available_only=self.available,
            order=_ORDERS[self.sort],
            limit=self.limit,
            cursor=self.cursor or "",
            include_total=self.count,
            featured_only=self.featured,
            currency=self.currency or "",
        )


def _instant(value: dt.datetime | dt.date, *, end_of_day: bool = False) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    day = value + dt.timedelta(days=1) if end_of_day else value
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def listing_parameters() -> list[dict[str, Any]]:
    """The query string's fields as OpenAPI parameters (the routes validate it as one model)."""
    schema = ListingQuery.model_json_schema()
    parameters = []
    for name, properties in schema["properties"].items():
        field = dict(properties)
        description = field.pop("description", "")
        examples = field.pop("examples", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": field}
        if description:
            parameter["description"] = description
        if examples:
            parameter["example"] = examples[0]
        parameters.append(parameter)
    return parameters
