"""Finding published events: GET /api/v1/events and GET /api/v1/events/search (the same answer).

event_svc searches (SearchEvents); the edge validates the query string and reads the answer through
the catalog cache (edge.cache: the same for every caller, so cached for all), which also answers
If-None-Match with 304.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from edge.api.deps import Events
from edge.api.etags import body_etag
from edge.api.problems import problem
from edge.api.schemas.listings import EventListing, EventListPage, ListingQuery, listing_parameters
from edge.cache.reads import CatalogReads, Reads

router = APIRouter(tags=["events"])

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


LISTING_PARAMETERS = listing_parameters()
Listing = Annotated[ListingQuery, Depends(listing_query)]


async def _listing(query: ListingQuery, events: Events, reads: CatalogReads) -> Response:
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

    return await reads.cached(key, build)


@router.get(
    "/api/v1/events",
    response_model=EventListPage,
    summary="List and search published events",
    description=LIST_DESCRIPTION,
    responses=LIST_RESPONSES,
    openapi_extra={"parameters": LISTING_PARAMETERS},
)
async def list_events(query: Listing, events: Events, reads: Reads) -> Response:
    return await _listing(query, events, reads)


@router.get(
    "/api/v1/events/search",
    response_model=EventListPage,
    summary="Search published events (the same as GET /api/v1/events)",
    description="Kept for clients that search at this address; it answers exactly as `GET /api/v1/events` "
    "with the same parameters (usually with `q`).\n\n" + LIST_DESCRIPTION,
    responses=LIST_RESPONSES,
    openapi_extra={"parameters": LISTING_PARAMETERS},
)
async def search_events(query: Listing, events: Events, reads: Reads) -> Response:
    return await _listing(query, events, reads)
