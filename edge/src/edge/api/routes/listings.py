"""Finding published events: GET /api/v1/events and GET /api/v1/events/search (the same answer).

event_svc searches (SearchEvents); the edge validates the query string, caches the answer in Redis
(edge.cache: the same for every caller, so cached for all) and answers If-None-Match with 304.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, PlainValidator, ValidationError, WithJsonSchema

from edge.api.deps import State
from edge.api.routes.events import (
    CategoryName,
    Events,
    Money,
    Venue,
    problem,
)
from edge.cache import Cached, body_etag, conditional_json, request_target
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.timestamps import from_timestamp, to_timestamp

router = APIRouter(tags=["events"])

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
    price_from: Money | None = Field(description="The cheapest ticket.")
    available: bool = Field(description="Some session still on offer has places left.")
    version: int = Field(description="The event's version: GET /api/v1/events/{id} sends it as ETag.")
    featured: bool = Field(description="On the front page: an administrator's pick.")

    @classmethod
    def from_pb(cls, event: pb.EventSummary) -> EventListing:
        venue = event.venue
        return cls(
            id=uuid.UUID(event.id),
            organization_id=uuid.UUID(event.organization_id),
            name=event.name,
            category=pb.Category.Name(event.category).removeprefix("CATEGORY_").lower(),
            venue=Venue(
                name=venue.name,
                city=venue.city,
                address=venue.address,
                latitude=venue.latitude if venue.HasField("latitude") else None,
                longitude=venue.longitude if venue.HasField("longitude") else None,
            ),
            image_url=event.image_url or None,
            starts_at=from_timestamp(event.starts_at),
            ends_at=from_timestamp(event.ends_at),
            timezone=event.timezone,
            price_from=Money(amount=event.price_from.amount, currency=event.price_from.currency)
            if event.HasField("price_from")
            else None,
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
            category=pb.Category.Value(f"CATEGORY_{self.category.upper()}")
            if self.category
            else pb.CATEGORY_UNSPECIFIED,
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
        )


def _instant(value: dt.datetime | dt.date, *, end_of_day: bool = False) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    day = value + dt.timedelta(days=1) if end_of_day else value
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=256)]
LIST_DESCRIPTION = (
    "Published events, the same for everyone. Filters combine; `sort` orders them; pages are keyset "
    "pages (`limit`, then `cursor` = the previous page's `next_cursor`): each event appears exactly once "
    "even while events are added. Answers are cached (a change to the catalog is visible on the very "
    "next request) and carry an `ETag`: send it back in `If-None-Match` to get 304 when nothing changed. "
    "Invalid parameters answer 422 (problem+json listing each one)."
)
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of events",
        "headers": {
            "ETag": {
                "description": "Names this exact answer, for If-None-Match",
                "schema": {"type": "string"},
            },
            "X-Cache": {
                "description": "hit, miss or error (the cache was not available)",
                "schema": {"type": "string"},
            },
        },
        "content": {
            "application/json": {
                "example": {
                    "items": [
                        {
                            "id": "0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60",
                            "organization_id": "5e1d0000-0000-4000-8000-000000000001",
                            "name": "Noche de Jazz en el Foro",
                            "category": "concert",
                            "venue": {
                                "name": "Foro del Lago",
                                "city": "Ciudad de México",
                                "address": "Bosque de Chapultepec 2a Sección",
                                "latitude": 19.4181,
                                "longitude": -99.1887,
                            },
                            "image_url": "https://images.example.com/taquilla/jazz.jpg",
                            "starts_at": "2030-03-15T02:00:00Z",
                            "ends_at": "2030-03-15T05:00:00Z",
                            "timezone": "America/Mexico_City",
                            "price_from": {"amount": "450.00", "currency": "MXN"},
                            "available": True,
                            "version": 2,
                        }
                    ],
                    "next_cursor": "eyJvIjoiZGF0ZSIsInMiOiIyMDMwLTAzLTE1VDAyOjAwOjAwKzAwOjAwIiwiaSI6Ij",
                    "total": None,
                }
            }
        },
    },
    304: {"description": "Not modified: the ETag sent in If-None-Match is still current"},
    422: problem("Invalid parameters (listed in `errors`), e.g. `sort=relevance` without `q`"),
}


async def listing_query(request: Request) -> ListingQuery:
    """The query string, validated as one model.

    Declaring ``ListingQuery`` as a FastAPI query model costs more per request than the cached answer
    itself (FastAPI inspects every field's type on every request); one pydantic validation of the
    query string does the same work. Invalid parameters still answer 422 naming ``query.<name>``,
    and the parameters are still documented (``LISTING_PARAMETERS``).
    """
    try:
        return ListingQuery.model_validate(dict(request.query_params))
    except ValidationError as invalid:
        raise RequestValidationError(
            [{**error, "loc": ("query", *error["loc"])} for error in invalid.errors()]
        ) from None


def _parameters() -> list[dict[str, Any]]:
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


LISTING_PARAMETERS = _parameters()
Listing = Annotated[ListingQuery, Depends(listing_query)]


def catalog_version(request: Request) -> bytes | None:
    """The catalog cache's version, when this request's rate limit read it along (edge.cache)."""
    version: bytes | None = getattr(request.state, "read_along", None)
    return version


async def _listing(
    request: Request, query: ListingQuery, state: State, events: Events, if_none_match: str | None
) -> Response:
    search = query.to_pb()
    key = "list:" + hashlib.blake2b(search.SerializeToString(deterministic=True), digest_size=16).hexdigest()

    async def build() -> tuple[bytes, str]:
        reply = await events.search_events(search)
        page = EventListPage(
            items=[EventListing.from_pb(event) for event in reply.events],
            next_cursor=reply.next_cursor or None,
            total=reply.total if reply.HasField("total") else None,
        )
        body = page.model_dump_json().encode()
        return body, body_etag(body)

    cached: Cached = await state.cache.fetch(key, build, version=catalog_version(request))
    state.cache.remember_answer(request_target(request.scope), key, request.scope.get("route"), everyone=True)
    return conditional_json(cached, if_none_match, shared=True)


@router.get(
    "/api/v1/events",
    response_model=EventListPage,
    summary="List and search published events",
    description=LIST_DESCRIPTION,
    responses=LIST_RESPONSES,
    openapi_extra={"parameters": LISTING_PARAMETERS},
)
async def list_events(
    request: Request,
    query: Listing,
    state: State,
    events: Events,
    if_none_match: IfNoneMatch = None,
) -> Response:
    return await _listing(request, query, state, events, if_none_match)


@router.get(
    "/api/v1/events/search",
    response_model=EventListPage,
    summary="Search published events (the same as GET /api/v1/events)",
    description="Kept for clients that search at this address; it answers exactly as `GET /api/v1/events` "
    "with the same parameters (usually with `q`).\n\n" + LIST_DESCRIPTION,
    responses=LIST_RESPONSES,
    openapi_extra={"parameters": LISTING_PARAMETERS},
)
async def search_events(
    request: Request,
    query: Listing,
    state: State,
    events: Events,
    if_none_match: IfNoneMatch = None,
) -> Response:
    return await _listing(request, query, state, events, if_none_match)
