"""The event catalog over REST: events, their sessions, and bulk creation for partners.

Routes translate JSON to taquilla.events.v1 calls and back; event_svc decides everything else.
Conventions shared by these routes (also in the OpenAPI descriptions):

* **Optimistic locking.** Every event response carries ``ETag: "<version>"``. ``PATCH`` needs
  ``If-Match`` with that ETag (428 without it, 412 when the event changed since); publish, cancel,
  delete and session changes accept it too.
* **Idempotency.** Creating ``POST``s accept ``Idempotency-Key`` (1-255 visible ASCII characters,
  scoped to the caller): a repeat within 24 hours returns the first response (same status and body);
  the same key with a different body answers 422.
* **Errors** are problem+json; invalid fields are listed in ``errors`` as ``{field, message}`` with
  dotted paths into the request body (``zones.0.price.amount``). event_svc sends those field errors
  in the ``x-taquilla-field-errors`` gRPC trailer, which edge.errors turns into ``errors``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from edge.api.deps import CurrentPrincipal, OptionalPrincipal, State
from edge.api.schemas.base import Strict
from edge.cache import CACHE_REQUESTS, Cached, conditional_json, request_target, sees_shared_event
from edge.clients.events import EventsClient, StaleVersion
from edge.errors import PROBLEM_JSON, Problem, problem_response
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.timestamps import from_timestamp, to_timestamp

router = APIRouter(tags=["events"])

CategoryName = Literal["concert", "conference", "sports", "theatre", "festival", "workshop", "other"]
EventStatusName = Literal["draft", "published", "cancelled", "completed"]
SessionStatusName = Literal[
    "draft", "teaser", "presale", "on_sale", "in_progress", "finished", "cancelled", "suspended"
]
BatchStatusName = Literal["created", "invalid", "conflict", "not_created"]
BATCH_MAX = 100


def catalog_router() -> APIRouter:
    """The event routes and "my organization's events" together: what the app includes."""
    from edge.api.routes import listings, organizations  # they share this module's schemas

    catalog = APIRouter()
    # First: /api/v1/events/search must not be taken for an event id.
    catalog.include_router(listings.router)
    catalog.include_router(router)
    catalog.include_router(organizations.router)
    return catalog


async def events_client(state: State) -> EventsClient:  # async: no worker thread (see api/deps.py)
    return EventsClient(state.channels.events, state.settings.grpc_deadline_seconds)


Events = Annotated[EventsClient, Depends(events_client)]

# ---------------------------------------------------------------- documentation of errors and headers


class FieldErrorOut(BaseModel):
    field: str = Field(examples=["zones.0.price.amount"])
    message: str = Field(examples=['must be a decimal string >= 0 with at most 2 decimals, e.g. "25.00"'])


class ProblemDetails(BaseModel):
    """RFC 9457 problem document (``application/problem+json``)."""

    type: str = Field(examples=["https://taquilla.dev/problems/unprocessable-content"])
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["The request has invalid fields."])
    instance: str = Field(examples=["/api/v1/events"])
    errors: list[FieldErrorOut] | None = None
    correlation_id: str | None = Field(default=None, examples=["6d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"])


def problem(description: str, model: type[BaseModel] = ProblemDetails) -> dict[str, Any]:
    return {
        "model": model,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }


Responses = dict[int | str, dict[str, Any]]
UNAUTHENTICATED: Responses = {401: problem("No valid access token")}
NOT_FOUND: Responses = {404: problem("No such event, or one you may not see (another organization's draft)")}
FORBIDDEN: Responses = {403: problem("Your role may not do this to your organization's events")}
INVALID: Responses = {
    422: problem("Invalid fields (listed in `errors`), or an Idempotency-Key reused with another body")
}
CONFLICT_STATE: Responses = {409: problem("The event's or session's status does not allow this change")}
PRECONDITIONS: Responses = {
    412: problem("If-Match does not name the event's current version: reload it and retry"),
    428: problem("If-Match is missing: send the ETag of the version you edited"),
}
OVERLAP: Responses = {
    409: problem("A session overlaps another session at the same venue and place (named in `detail`)")
}

ETAG_HEADER = {"ETag": {"description": "The event's version, for `If-Match`", "schema": {"type": "string"}}}
LOCATION_HEADER = {"Location": {"description": "Where the new resource lives", "schema": {"type": "string"}}}
IDEMPOTENCY_DESCRIPTION = (
    "Makes retries safe: a repeat with the same key within 24 hours returns the first response "
    "(same status and body) without creating anything; the same key with a different body answers 422. "
    "Keys belong to the caller; 1-255 visible ASCII characters, e.g. a UUID."
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description=IDEMPOTENCY_DESCRIPTION,
        examples=["4f5b8e1c-2d3a-4b6c-9e8f-7a6b5c4d3e2f"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=64,
        description='The ETag of the version you edited, e.g. `"3"`.',
        examples=['"3"'],
    ),
]
_ETAG = re.compile(r'^"(\d{1,18})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version named by If-Match: 428 when required and missing (or ``*``), 412 when unusable."""
    value = (if_match or "").strip()
    if not value or value == "*":
        if required:
            raise Problem(
                428,
                "Send If-Match with the ETag of the event you edited (from GET or your last change), "
                "so you never overwrite someone else's change.",
                slug="precondition-required",
            )
        return None
    match = _ETAG.match(value)
    if match is None:
        raise Problem(412, 'If-Match must be the event\'s ETag, e.g. "3".', slug="precondition-failed")
    return int(match.group(1))


def stale(error: StaleVersion) -> Problem:
    return Problem(412, str(error), slug="precondition-failed")


# ---------------------------------------------------------------- request bodies


_stamp = to_timestamp
_time = from_timestamp


class MoneyBody(Strict):
    amount: str = Field(
        pattern=r"^\d{1,10}(\.\d{1,2})?$",
        description="A decimal string (never a JSON number), >= 0, at most 2 decimals.",
        examples=["250.00"],
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.", examples=["MXN"])


class VenueBody(Strict):
    name: str = Field(max_length=200, examples=["Foro Sol"])
    city: str = Field(max_length=100, examples=["Ciudad de México"])
    address: str = Field(max_length=300, examples=["Av. Viaducto Río de la Piedad s/n"])
    latitude: float | None = Field(default=None, ge=-90, le=90, examples=[19.4053])
    longitude: float | None = Field(default=None, ge=-180, le=180, examples=[-99.0903])

    def to_pb(self) -> pb.Venue:
        return pb.Venue(
            name=self.name,
            city=self.city,
            address=self.address,
            latitude=self.latitude,
            longitude=self.longitude,
        )


class ZoneBody(Strict):
    name: str = Field(max_length=100, description="Unique within the event.", examples=["General"])
    price: MoneyBody
    capacity: int = Field(ge=1, le=1_000_000, description="Places per session.", examples=[5000])

    def to_pb(self) -> pb.ZoneInput:
        return pb.ZoneInput(
            name=self.name,
            price=pb.Money(amount=self.price.amount, currency=self.price.currency),
            capacity=self.capacity,
        )


class SessionCreate(Strict):
    starts_at: AwareDatetime = Field(description="ISO-8601 with offset; in the future, within the event.")
    ends_at: AwareDatetime = Field(description="After starts_at, within the event.")
    title: str = Field(default="", max_length=200, examples=["Función de noche"])
    presenter: str = Field(default="", max_length=200, examples=["Orquesta Filarmónica"])
    place: str = Field(
        default="",
        max_length=100,
        description="Place within the venue; sessions at the same venue and place never overlap.",
        examples=["Sala 1"],
    )
    capacity_override: int | None = Field(
        default=None, ge=1, description="Caps the session below the zones' total.", examples=[800]
    )
    resources: list[str] = Field(default_factory=list, max_length=20, examples=[["proyector", "sonido"]])
    status: SessionStatusName | None = Field(
        default=None,
        description="Defaults to `draft` in a draft event and `on_sale` in a published one. "
        "A new event's sessions are always drafts.",
    )

    def to_pb(self) -> pb.SessionInput:
        return pb.SessionInput(
            title=self.title,
            presenter=self.presenter,
            starts_at=_stamp(self.starts_at),
            ends_at=_stamp(self.ends_at),
            place=self.place,
            capacity_override=self.capacity_override,
            resources=self.resources,
            status=pb.SessionStatus.Value(f"SESSION_STATUS_{self.status.upper()}")
            if self.status
            else pb.SESSION_STATUS_UNSPECIFIED,
        )


class EventCreate(Strict):
    name: str = Field(max_length=200, examples=["Noche de Jazz en el Foro"])
    description: str = Field(
        default="",
        max_length=5000,
        description="Plain text; markup tags are removed.",
        examples=["Tres horas."],
    )
    category: CategoryName
    venue: VenueBody
    image_url: str | None = Field(
        default=None,
        max_length=2048,
        description="http or https only.",
        examples=["https://cdn.example.com/jazz.jpg"],
    )
    starts_at: AwareDatetime = Field(description="ISO-8601 with offset; in the future.")
    ends_at: AwareDatetime = Field(description="After starts_at.")
    timezone: str = Field(max_length=64, description="IANA time zone.", examples=["America/Mexico_City"])
    zones: list[ZoneBody] = Field(min_length=1, max_length=50)
    sessions: list[SessionCreate] = Field(
        default_factory=list,
        max_length=100,
        description="Omit to get one session spanning the event's dates.",
    )
    organization_id: uuid.UUID | None = Field(
        default=None,
        description="Administrators only: the owning organization. Organizers create for their own "
        "organization and get 422 when they send it.",
    )
    publish: bool = Field(default=False, description="Publish right away instead of creating a draft.")

    def to_pb(self) -> pb.EventInput:
        return pb.EventInput(
            name=self.name,
            description=self.description,
            category=pb.Category.Value(f"CATEGORY_{self.category.upper()}"),
            venue=self.venue.to_pb(),
            image_url=self.image_url or "",
            starts_at=_stamp(self.starts_at),
            ends_at=_stamp(self.ends_at),
            timezone=self.timezone,
            zones=[zone.to_pb() for zone in self.zones],
            sessions=[session.to_pb() for session in self.sessions],
            organization_id=str(self.organization_id) if self.organization_id else "",
        )


def _refuse_nulls(model: BaseModel, clearable: set[str]) -> None:
    nulls = [name for name in model.model_fields_set - clearable if getattr(model, name) is None]
    if nulls:
        raise ValueError(f"{', '.join(sorted(nulls))} cannot be null; omit a field to keep it")


class EventUpdate(Strict):
    """A JSON merge patch: omitted fields stay as they are; `image_url: null` removes the image."""

    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    category: CategoryName | None = None
    venue: VenueBody | None = None
    image_url: str | None = Field(default=None, max_length=2048)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    timezone: str | None = Field(default=None, max_length=64)
    zones: list[ZoneBody] | None = Field(
        default=None, min_length=1, max_length=50, description="Replaces every zone; drafts only."
    )

    @model_validator(mode="after")
    def _no_nulls(self) -> EventUpdate:
        _refuse_nulls(self, {"image_url"})
        return self

    def to_pb(self) -> pb.EventPatch:
        given = self.model_fields_set
        patch = pb.EventPatch(
            name=self.name,
            description=self.description,
            category=pb.Category.Value(f"CATEGORY_{self.category.upper()}") if self.category else None,
            venue=self.venue.to_pb() if self.venue else None,
            timezone=self.timezone,
            starts_at=_stamp(self.starts_at) if self.starts_at else None,
            ends_at=_stamp(self.ends_at) if self.ends_at else None,
            zones=pb.ZoneList(zones=[zone.to_pb() for zone in self.zones])
            if self.zones is not None
            else None,
        )
        if "image_url" in given:
            patch.image_url = self.image_url or ""
        return patch


class SessionUpdate(Strict):
    """A JSON merge patch of a session: omitted fields stay; `capacity_override: null` removes the cap."""

    title: str | None = Field(default=None, max_length=200)
    presenter: str | None = Field(default=None, max_length=200)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    place: str | None = Field(default=None, max_length=100)
    capacity_override: int | None = Field(default=None, ge=1)
    resources: list[str] | None = Field(default=None, max_length=20)
    status: SessionStatusName | None = Field(
        default=None,
        description="draft → teaser/presale/on_sale → in_progress → finished; suspended and cancelled "
        "from most states. No session is on sale while the event is a draft.",
    )

    @model_validator(mode="after")
    def _no_nulls(self) -> SessionUpdate:
        _refuse_nulls(self, {"capacity_override"})
        return self

    def to_pb(self) -> pb.SessionPatch:
        patch = pb.SessionPatch(
            title=self.title,
            presenter=self.presenter,
            place=self.place,
            starts_at=_stamp(self.starts_at) if self.starts_at else None,
            ends_at=_stamp(self.ends_at) if self.ends_at else None,
            resources=pb.ResourceList(values=self.resources) if self.resources is not None else None,
            status=pb.SessionStatus.Value(f"SESSION_STATUS_{self.status.upper()}")
            if self.status
            else pb.SESSION_STATUS_UNSPECIFIED,
        )
        if "capacity_override" in self.model_fields_set:
            patch.capacity_override = self.capacity_override or 0
        return patch


class EventCancel(Strict):
    reason: str = Field(
        default="", max_length=500, description="Shown to buyers.", examples=["Lluvia intensa"]
    )


class EventBatch(Strict):
    events: list[EventCreate] = Field(min_length=1, max_length=BATCH_MAX)


# ---------------------------------------------------------------- responses


class Money(BaseModel):
    amount: str = Field(examples=["250.00"])
    currency: str = Field(examples=["MXN"])


class Venue(BaseModel):
    name: str
    city: str
    address: str
    latitude: float | None
    longitude: float | None


class ZonePublic(BaseModel):
    id: uuid.UUID
    name: str
    price: Money
    capacity: int = Field(description="Places in this zone per session.")
    available: int = Field(
        description="Places left to sell (neither held nor sold) over the sessions that can still sell "
        "(not cancelled or finished); 0 once the event is cancelled or completed."
    )


class SessionPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    title: str
    presenter: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    capacity_override: int | None
    resources: list[str]
    status: SessionStatusName
    capacity: int = Field(description="capacity_override, or the sum of the zones' capacities.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_pb(cls, session: pb.Session) -> SessionPublic:
        return cls(
            id=uuid.UUID(session.id),
            event_id=uuid.UUID(session.event_id),
            title=session.title,
            presenter=session.presenter,
            starts_at=_time(session.starts_at),
            ends_at=_time(session.ends_at),
            place=session.place,
            capacity_override=session.capacity_override if session.HasField("capacity_override") else None,
            resources=list(session.resources),
            status=pb.SessionStatus.Name(session.status).removeprefix("SESSION_STATUS_").lower(),
            capacity=session.capacity,
            created_at=_time(session.created_at),
            updated_at=_time(session.updated_at),
        )


class EventPublic(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    created_by: uuid.UUID
    name: str
    description: str
    category: CategoryName
    venue: Venue
    image_url: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    status: EventStatusName
    capacity: int = Field(description="Places on offer across the sessions that are not cancelled.")
    version: int = Field(description="Also sent as the ETag header.")
    zones: list[ZonePublic]
    sessions: list[SessionPublic] = Field(description="The sessions you may see, by start date.")
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancellation_reason: str
    featured: bool = Field(description="On the front page: an administrator's pick.")

    @classmethod
    def from_pb(cls, event: pb.Event) -> EventPublic:
        venue = event.venue
        return cls(
            id=uuid.UUID(event.id),
            organization_id=uuid.UUID(event.organization_id),
            created_by=uuid.UUID(event.created_by),
            name=event.name,
            description=event.description,
            category=pb.Category.Name(event.category).removeprefix("CATEGORY_").lower(),
            venue=Venue(
                name=venue.name,
                city=venue.city,
                address=venue.address,
                latitude=venue.latitude if venue.HasField("latitude") else None,
                longitude=venue.longitude if venue.HasField("longitude") else None,
            ),
            image_url=event.image_url or None,
            starts_at=_time(event.starts_at),
            ends_at=_time(event.ends_at),
            timezone=event.timezone,
            status=pb.EventStatus.Name(event.status).removeprefix("EVENT_STATUS_").lower(),
            capacity=event.capacity,
            version=event.version,
            zones=[
                ZonePublic(
                    id=uuid.UUID(zone.id),
                    name=zone.name,
                    price=Money(amount=zone.price.amount, currency=zone.price.currency),
                    capacity=zone.capacity,
                    available=zone.available,
                )
                for zone in event.zones
            ],
            sessions=[SessionPublic.from_pb(session) for session in event.sessions],
            created_at=_time(event.created_at),
            updated_at=_time(event.updated_at),
            published_at=_time(event.published_at) if event.HasField("published_at") else None,
            cancelled_at=_time(event.cancelled_at) if event.HasField("cancelled_at") else None,
            cancellation_reason=event.cancellation_reason,
            featured=event.featured,
        )


class FeaturedBody(Strict):
    featured: bool = Field(description="true puts the event on the front page, false takes it off.")


class SessionList(BaseModel):
    items: list[SessionPublic]
    event_version: int = Field(description="The event's version (also the ETag header), for If-Match.")


class BatchItemResult(BaseModel):
    index: int = Field(description="Position in the request, from 0.")
    status: BatchStatusName = Field(
        description="`created`; `invalid` or `conflict` (see errors); `not_created`: valid, but nothing "
        "was created because another item failed."
    )
    event: EventPublic | None = None
    location: str | None = Field(
        default=None, examples=["/api/v1/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60"]
    )
    errors: list[FieldErrorOut] = Field(default_factory=list, description="Fields relative to the item.")


class BatchCreated(BaseModel):
    committed: Literal[True] = True
    results: list[BatchItemResult]


class BatchRejected(ProblemDetails):
    """The batch was not created; ``errors`` holds every field error as ``events.<index>.<field>``."""

    results: list[BatchItemResult]


_BATCH_STATUS: dict[int, BatchStatusName] = {
    pb.BATCH_ITEM_STATUS_CREATED: "created",
    pb.BATCH_ITEM_STATUS_INVALID: "invalid",
    pb.BATCH_ITEM_STATUS_CONFLICT: "conflict",
    pb.BATCH_ITEM_STATUS_NOT_CREATED: "not_created",
}


def _location(event_id: str) -> str:
    return f"/api/v1/events/{event_id}"


# ---------------------------------------------------------------- examples

_EVENT_EXAMPLE = {
    "name": "Noche de Jazz en el Foro",
    "description": "Tres horas de jazz con invitados.\nPuertas 19:00.",
    "category": "concert",
    "venue": {"name": "Foro Sol", "city": "Ciudad de México", "address": "Av. Viaducto Río de la Piedad s/n"},
    "image_url": "https://cdn.example.com/jazz.jpg",
    "starts_at": "2030-03-14T20:00:00-06:00",
    "ends_at": "2030-03-14T23:00:00-06:00",
    "timezone": "America/Mexico_City",
    "zones": [
        {"name": "General", "price": {"amount": "450.00", "currency": "MXN"}, "capacity": 5000},
        {"name": "VIP", "price": {"amount": "1800.00", "currency": "MXN"}, "capacity": 300},
    ],
    "sessions": [{"starts_at": "2030-03-14T20:00:00-06:00", "ends_at": "2030-03-14T23:00:00-06:00"}],
    "publish": False,
}
CREATE_EXAMPLES = {
    "draft": {"summary": "A draft with one session", "value": _EVENT_EXAMPLE},
    "published": {
        "summary": "Published right away, two sessions in different halls",
        "value": {
            **_EVENT_EXAMPLE,
            "publish": True,
            "sessions": [
                {
                    "starts_at": "2030-03-14T20:00:00-06:00",
                    "ends_at": "2030-03-14T21:30:00-06:00",
                    "place": "Sala 1",
                },
                {
                    "starts_at": "2030-03-14T20:00:00-06:00",
                    "ends_at": "2030-03-14T21:30:00-06:00",
                    "place": "Sala 2",
                },
            ],
        },
    },
}
UPDATE_EXAMPLES = {
    "rename": {"summary": "Rename", "value": {"name": "Noche de Jazz — edición especial"}},
    "remove-image": {"summary": "Remove the image", "value": {"image_url": None}},
    "move": {
        "summary": "Move by an hour",
        "value": {"starts_at": "2030-03-14T21:00:00-06:00", "ends_at": "2030-03-15T00:00:00-06:00"},
    },
}
SESSION_EXAMPLES = {
    "matinee": {
        "summary": "An afternoon show in Sala 1",
        "value": {
            "title": "Matiné",
            "starts_at": "2030-03-14T16:00:00-06:00",
            "ends_at": "2030-03-14T18:00:00-06:00",
            "place": "Sala 1",
        },
    }
}
SESSION_UPDATE_EXAMPLES = {
    "suspend": {"summary": "Pause sales", "value": {"status": "suspended"}},
    "cap": {"summary": "Cap the places", "value": {"capacity_override": 800}},
}

# ---------------------------------------------------------------- routes


@router.post(
    "/api/v1/events",
    status_code=status.HTTP_201_CREATED,
    response_model=EventPublic,
    summary="Create an event with its zones and sessions",
    description="Creates the event, its zones (ticket categories), its sessions and their inventory in one "
    "transaction, as a draft unless `publish` is true. Organizers create for their own organization; "
    "administrators name it in `organization_id`. Dates must lie in the future; sessions within the event; "
    "two sessions at the same venue and place never overlap, across events (409 naming the other session). "
    "Send `Idempotency-Key` to retry safely.",
    responses={
        201: {"description": "Created", "headers": {**LOCATION_HEADER, **ETAG_HEADER}},
        **UNAUTHENTICATED,
        403: problem("Only organizers and administrators create events"),
        **OVERLAP,
        **INVALID,
    },
)
async def create_event(
    response: Response,
    principal: CurrentPrincipal,
    events: Events,
    body: Annotated[EventCreate, Body(openapi_examples=CREATE_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
) -> EventPublic:
    event = await events.create_event(
        principal, body.to_pb(), publish=body.publish, idempotency_key=idempotency_key
    )
    response.headers["Location"] = _location(event.id)
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.post(
    "/api/v1/events:batch",
    status_code=status.HTTP_201_CREATED,
    response_model=BatchCreated,
    summary="Create up to 100 events at once (all or nothing)",
    description="For partners. Every event is validated on its own, like `POST /api/v1/events`.\n\n"
    "**All or nothing:** if every event is valid and no session clashes, all are created in one transaction "
    "(201, one result per event with its `location`). Otherwise **none** is created: 422 when some events "
    "are invalid, 409 when a session overlaps another one (also between events of the batch). The "
    "problem+json body then lists every field error as `events.<index>.<field>` in `errors`, and `results` "
    "says, event by event, `invalid`, `conflict` or `not_created` (valid, but not created because of the "
    "others). Fix those and send the whole batch again. `Idempotency-Key` applies to the whole batch and "
    "stores only a created batch.",
    responses={
        201: {"description": "Every event was created"},
        **UNAUTHENTICATED,
        403: problem("Only organizers and administrators create events"),
        409: problem("Nothing was created: a session overlaps another one", BatchRejected),
        422: problem("Nothing was created: some events are invalid (or more than 100)", BatchRejected),
    },
)
async def create_events_in_batch(
    request: Request,
    principal: CurrentPrincipal,
    events: Events,
    body: Annotated[
        EventBatch,
        Body(openapi_examples={"two": {"summary": "Two drafts", "value": {"events": [_EVENT_EXAMPLE] * 2}}}),
    ],
    idempotency_key: IdempotencyKey = None,
) -> BatchCreated | JSONResponse:
    items = [pb.BatchEventInput(event=item.to_pb(), publish=item.publish) for item in body.events]
    reply = await events.batch_create_events(principal, items, idempotency_key=idempotency_key)
    results = [
        BatchItemResult(
            index=result.index,
            status=_BATCH_STATUS[result.status],
            event=EventPublic.from_pb(result.event) if result.HasField("event") else None,
            location=_location(result.event.id) if result.HasField("event") else None,
            errors=[FieldErrorOut(field=e.field, message=e.message) for e in result.errors],
        )
        for result in reply.results
    ]
    if reply.committed:
        return BatchCreated(results=results)
    invalid = [r for r in results if r.status == "invalid"]
    conflicts = [r for r in results if r.status == "conflict"]
    detail = (
        f"No event was created: {len(invalid)} of {len(results)} events are invalid."
        if invalid
        else f"No event was created: event {conflicts[0].index} clashes with another session."
    )
    rejected = Problem(
        422 if invalid else 409,
        detail,
        slug="batch-rejected",
        errors=[
            {"field": f"events.{r.index}.{e.field}".rstrip("."), "message": e.message}
            for r in results
            for e in r.errors
        ],
    )
    document = json.loads(bytes(problem_response(request, rejected).body))
    document["results"] = [r.model_dump(mode="json") for r in results]
    return JSONResponse(document, status_code=rejected.status, media_type=PROBLEM_JSON)


@router.get(
    "/api/v1/events/{event_id}",
    response_model=EventPublic,
    summary="Get an event",
    description="Anyone may read published, cancelled and completed events; drafts only their organization "
    "and administrators (404 for everybody else). Sends `ETag`; `If-None-Match` with it answers 304. "
    "What everybody sees alike (callers outside the event's organization) is cached; a change to the "
    "event is visible on the very next request.",
    responses={200: {"headers": ETAG_HEADER}, 304: {"description": "Not modified"}, **NOT_FOUND},
)
async def get_event(
    request: Request,
    event_id: uuid.UUID,
    principal: OptionalPrincipal,
    events: Events,
    state: State,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=256)] = None,
) -> EventPublic | Response:
    async def build() -> tuple[bytes, str]:
        event = await events.get_event(principal, str(event_id))
        return EventPublic.from_pb(event).model_dump_json().encode(), etag(event.version)

    # Members of an organization and administrators may see drafts and draft sessions: theirs is
    # a personal view. Everybody else sees the same event, which is cached.
    shared = sees_shared_event(principal)
    if shared:
        version: bytes | None = getattr(request.state, "read_along", None)  # see edge.cache
        key = f"event:{event_id}"
        cached = await state.cache.fetch(key, build, version=version)
        route = request.scope.get("route")
        state.cache.remember_answer(request_target(request.scope), key, route, everyone=False)
    else:
        CACHE_REQUESTS.labels("bypass").inc()
        cached = Cached(*await build(), result="bypass")
    return conditional_json(cached, if_none_match, shared=shared)


@router.patch(
    "/api/v1/events/{event_id}",
    response_model=EventPublic,
    summary="Change some fields of an event",
    description="A JSON merge patch (`application/json` or `application/merge-patch+json`): omitted fields "
    "stay, `image_url: null` removes the image. **Requires `If-Match`** with the event's ETag: 428 without "
    "it, 412 when the event changed since. Zones can be replaced only while the event is a draft (zones "
    "that keep their name keep their id). Moving the event must keep its sessions inside it.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        409: problem("The event can no longer be changed, or its new venue is busy at a session's time"),
        **PRECONDITIONS,
        **INVALID,
    },
)
async def update_event(
    event_id: uuid.UUID,
    response: Response,
    principal: CurrentPrincipal,
    events: Events,
    body: Annotated[EventUpdate, Body(openapi_examples=UPDATE_EXAMPLES)],
    if_match: IfMatch = None,
) -> EventPublic:
    version = expected_version(if_match, required=True)
    assert version is not None
    try:
        event = await events.update_event(principal, str(event_id), version, body.to_pb())
    except StaleVersion as error:
        raise stale(error) from None
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.put(
    "/api/v1/events/{event_id}/featured",
    response_model=EventPublic,
    summary="Feature an event on the front page, or stop featuring it (administrators)",
    description="Administrators choose the featured events (`GET /api/v1/events?featured=true`); only a "
    "published event can be featured (409 otherwise). Setting the value it already has changes nothing. "
    "Other roles get 403.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        403: problem("Only administrators choose the featured events"),
        **NOT_FOUND,
        **CONFLICT_STATE,
        **INVALID,
    },
)
async def feature_event(
    event_id: uuid.UUID, body: FeaturedBody, response: Response, principal: CurrentPrincipal, events: Events
) -> EventPublic:
    event = await events.feature_event(principal, str(event_id), body.featured)
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.post(
    "/api/v1/events/{event_id}/publish",
    response_model=EventPublic,
    summary="Publish a draft",
    description="The event becomes visible to everyone and its draft sessions go on sale. `If-Match` is "
    "optional: when sent, the event must still be at that version (412 otherwise).",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        **CONFLICT_STATE,
        412: PRECONDITIONS[412],
    },
)
async def publish_event(
    event_id: uuid.UUID,
    response: Response,
    principal: CurrentPrincipal,
    events: Events,
    if_match: IfMatch = None,
) -> EventPublic:
    try:
        event = await events.publish_event(
            principal, str(event_id), expected_version(if_match, required=False)
        )
    except StaleVersion as error:
        raise stale(error) from None
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.post(
    "/api/v1/events/{event_id}/cancel",
    response_model=EventPublic,
    summary="Cancel a published event",
    description="Cancels the event and every session that has not finished; buyers are told through the "
    "`EventCancelled` message. A draft is deleted instead (409). `If-Match` is optional.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        **CONFLICT_STATE,
        412: PRECONDITIONS[412],
        **INVALID,
    },
)
async def cancel_event(
    event_id: uuid.UUID,
    response: Response,
    principal: CurrentPrincipal,
    events: Events,
    body: EventCancel | None = None,
    if_match: IfMatch = None,
) -> EventPublic:
    reason = body.reason if body else ""
    try:
        event = await events.cancel_event(
            principal, str(event_id), expected_version(if_match, required=False), reason
        )
    except StaleVersion as error:
        raise stale(error) from None
    response.headers["ETag"] = etag(event.version)
    return EventPublic.from_pb(event)


@router.delete(
    "/api/v1/events/{event_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an event (soft)",
    description="Deletes a draft, cancelled or completed event: it is no longer found and its sessions free "
    "their time slots. A published event must be cancelled first (409). `If-Match` is optional.",
    responses={**UNAUTHENTICATED, **FORBIDDEN, **NOT_FOUND, **CONFLICT_STATE, 412: PRECONDITIONS[412]},
)
async def delete_event(
    event_id: uuid.UUID, principal: CurrentPrincipal, events: Events, if_match: IfMatch = None
) -> Response:
    try:
        await events.delete_event(principal, str(event_id), expected_version(if_match, required=False))
    except StaleVersion as error:
        raise stale(error) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/v1/events/{event_id}/sessions",
    response_model=SessionList,
    summary="List an event's sessions",
    description="The sessions you may see, by start date (draft sessions only for the organization). "
    "`ETag` is the event's version: session changes send it in `If-Match`.",
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND},
)
async def list_sessions(
    event_id: uuid.UUID, response: Response, principal: OptionalPrincipal, events: Events
) -> SessionList:
    reply = await events.list_sessions(principal, str(event_id))
    response.headers["ETag"] = etag(reply.event_version)
    return SessionList(
        items=[SessionPublic.from_pb(s) for s in reply.sessions], event_version=reply.event_version
    )


@router.post(
    "/api/v1/events/{event_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionPublic,
    summary="Add a session (a date) to an event",
    description="Adds a session within the event's dates, with its inventory for every zone. It starts as "
    "`draft` in a draft event and `on_sale` in a published one unless `status` says otherwise. "
    "`If-Match` (the event's ETag) is optional; `Idempotency-Key` makes retries safe.",
    responses={
        201: {"description": "Created", "headers": {**LOCATION_HEADER, **ETAG_HEADER}},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        409: problem(
            "The event can no longer change, or the session overlaps another one (named in `detail`)"
        ),
        412: PRECONDITIONS[412],
        **INVALID,
    },
)
async def add_session(
    event_id: uuid.UUID,
    response: Response,
    principal: CurrentPrincipal,
    events: Events,
    body: Annotated[SessionCreate, Body(openapi_examples=SESSION_EXAMPLES)],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> SessionPublic:
    try:
        reply = await events.add_session(
            principal,
            str(event_id),
            body.to_pb(),
            expected_version=expected_version(if_match, required=False),
            idempotency_key=idempotency_key,
        )
    except StaleVersion as error:
        raise stale(error) from None
    response.headers["Location"] = f"{_location(str(event_id))}/sessions/{reply.session.id}"
    response.headers["ETag"] = etag(reply.event_version)
    return SessionPublic.from_pb(reply.session)


@router.get(
    "/api/v1/events/{event_id}/sessions/{session_id}",
    response_model=SessionPublic,
    summary="Get one session",
    description="One session of the event, if you may see it (draft sessions only for the organization). "
    "`ETag` is the event's version.",
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND},
)
async def get_session(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    response: Response,
    principal: OptionalPrincipal,
    events: Events,
) -> SessionPublic:
    reply = await events.list_sessions(principal, str(event_id))
    found = next((s for s in reply.sessions if s.id == str(session_id)), None)
    if found is None:
        raise Problem(404, f"Session {session_id} not found.")
    response.headers["ETag"] = etag(reply.event_version)
    return SessionPublic.from_pb(found)


@router.patch(
    "/api/v1/events/{event_id}/sessions/{session_id}",
    response_model=SessionPublic,
    summary="Change a session",
    description="A JSON merge patch of the session (`capacity_override: null` removes the cap), or a "
    "status change following the session lifecycle. **Requires `If-Match`** with the event's ETag "
    "(sessions are versioned with their event): 428 without it, 412 when the event changed since.",
    responses={
        200: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        409: problem("The status change is not allowed, or the new time overlaps another session"),
        **PRECONDITIONS,
        **INVALID,
    },
)
async def update_session(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    response: Response,
    principal: CurrentPrincipal,
    events: Events,
    body: Annotated[SessionUpdate, Body(openapi_examples=SESSION_UPDATE_EXAMPLES)],
    if_match: IfMatch = None,
) -> SessionPublic:
    version = expected_version(if_match, required=True)
    assert version is not None
    try:
        reply = await events.update_session(principal, str(event_id), str(session_id), version, body.to_pb())
    except StaleVersion as error:
        raise stale(error) from None
    response.headers["ETag"] = etag(reply.event_version)
    return SessionPublic.from_pb(reply.session)


@router.delete(
    "/api/v1/events/{event_id}/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a session (soft)",
    description="Removes a session that is not on sale (suspend or cancel it first); an event keeps at least "
    "one session (409). `If-Match` (the event's ETag) is optional.",
    responses={
        204: {"headers": ETAG_HEADER},
        **UNAUTHENTICATED,
        **FORBIDDEN,
        **NOT_FOUND,
        **CONFLICT_STATE,
        412: PRECONDITIONS[412],
    },
)
async def remove_session(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    principal: CurrentPrincipal,
    events: Events,
    if_match: IfMatch = None,
) -> Response:
    try:
        version = await events.remove_session(
            principal, str(event_id), str(session_id), expected_version(if_match, required=False)
        )
    except StaleVersion as error:
        raise stale(error) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers={"ETag": etag(version)})
