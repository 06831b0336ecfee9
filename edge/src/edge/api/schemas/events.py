"""Bodies of the catalog routes (events, sessions, batches, listings of an organization), and their
one translation to and from taquilla.events.v1: ``XCreate.to_pb()``, ``XPublic.from_pb()``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from edge.api.problems import FieldErrorOut, ProblemDetails
from edge.api.schemas.base import Instant, MergePatch, Strict
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.timestamps import from_timestamp, to_timestamp

CategoryName = Literal["concert", "conference", "sports", "theatre", "festival", "workshop", "other"]
# A session's cap lies below its zones' total: at most 50 zones of 1,000,000 places each.
CAPACITY_OVERRIDE_MAX = 50_000_000
Resource = Annotated[str, StringConstraints(max_length=100)]
EventStatusName = Literal["draft", "published", "cancelled", "completed"]
SessionStatusName = Literal[
    "draft", "teaser", "presale", "on_sale", "in_progress", "finished", "cancelled", "suspended"
]
BatchStatusName = Literal["created", "invalid", "conflict", "not_created"]
BATCH_MAX = 100


# ---------------------------------------------------------------- protobuf enums and addresses


def category_name(category: pb.Category.ValueType) -> str:
    return pb.Category.Name(category).removeprefix("CATEGORY_").lower()


def category_value(name: CategoryName) -> pb.Category.ValueType:
    return pb.Category.Value(f"CATEGORY_{name.upper()}")


def session_status_value(name: SessionStatusName | None) -> pb.SessionStatus.ValueType:
    return pb.SessionStatus.Value(f"SESSION_STATUS_{name.upper()}") if name else pb.SESSION_STATUS_UNSPECIFIED


def event_status_value(name: EventStatusName) -> pb.EventStatus.ValueType:
    return pb.EventStatus.Value(f"EVENT_STATUS_{name.upper()}")


def event_location(event_id: str) -> str:
    """Where an event lives (the Location of a created one)."""
    return f"/api/v1/events/{event_id}"


# ---------------------------------------------------------------- request bodies


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
    latitude: float | None = Field(strict=True, default=None, ge=-90, le=90, examples=[19.4053])
    longitude: float | None = Field(strict=True, default=None, ge=-180, le=180, examples=[-99.0903])

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
    capacity: int = Field(strict=True, ge=1, le=1_000_000, description="Places per session.", examples=[5000])
    max_per_order: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=100,
        description="Places of this zone one reservation may hold (default 10; kept on replacement).",
        examples=[6],
    )

    def to_pb(self) -> pb.ZoneInput:
        return pb.ZoneInput(
            name=self.name,
            price=pb.Money(amount=self.price.amount, currency=self.price.currency),
            capacity=self.capacity,
            max_per_order=self.max_per_order or 0,
        )


class SalesBody(MergePatch):
    """How the event sells. Omitted fields keep their value (their default on a new event)."""

    clearable = frozenset({"on_sale_at", "max_per_customer"})

    on_sale_at: Instant | None = Field(
        default=None,
        description="Nothing sells before this moment, even once published; `null` sells from publication.",
    )
    hold_minutes: int | None = Field(
        strict=True,
        default=None,
        ge=2,
        le=30,
        description="How long a reservation holds its places (default 10).",
    )
    max_per_customer: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=1000,
        description="Places one account may hold and own for the whole event; `null` for no limit.",
    )
    waiting_room: bool | None = Field(
        strict=True,
        default=None,
        description="Buyers queue in a waiting room at the on-sale and are admitted at a rate.",
    )
    admission_per_minute: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=100_000,
        description="Buyers admitted per minute by the waiting room (default 300).",
    )
    payment_minutes: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=60,
        description="How long an order's places stay held for payment, in minutes (default 10).",
    )
    reentry_allowed: bool | None = Field(
        strict=True,
        default=None,
        description="Door staff may admit a ticket again after it exited (default false).",
    )
    transfers_allowed: bool | None = Field(
        strict=True,
        default=None,
        description="Holders may transfer their tickets to someone else (default true).",
    )

    def to_pb(self) -> pb.SaleSettingsPatch:
        given = self.model_fields_set
        patch = pb.SaleSettingsPatch(
            hold_minutes=self.hold_minutes,
            waiting_room=self.waiting_room,
            admission_per_minute=self.admission_per_minute,
            payment_minutes=self.payment_minutes,
            reentry_allowed=self.reentry_allowed,
            transfers_allowed=self.transfers_allowed,
        )
        if "on_sale_at" in given:
            if self.on_sale_at is None:
                patch.clear_on_sale_at = True
            else:
                patch.on_sale_at.CopyFrom(to_timestamp(self.on_sale_at))
        if "max_per_customer" in given:
            patch.max_per_customer = self.max_per_customer or 0
        return patch


class SessionCreate(Strict):
    starts_at: Instant = Field(description="ISO-8601 with offset; in the future, within the event.")
    ends_at: Instant = Field(description="After starts_at, within the event.")
    title: str = Field(default="", max_length=200, examples=["Función de noche"])
    presenter: str = Field(default="", max_length=200, examples=["Orquesta Filarmónica"])
    place: str = Field(
        default="",
        max_length=100,
        description="Place within the venue; sessions at the same venue and place never overlap.",
        examples=["Sala 1"],
    )
    capacity_override: int | None = Field(
        strict=True,
        default=None,
        ge=1,
        le=CAPACITY_OVERRIDE_MAX,
        description="Caps the session below the zones' total.",
        examples=[800],
    )
    resources: list[Resource] = Field(default_factory=list, max_length=20, examples=[["proyector", "sonido"]])
    status: SessionStatusName | None = Field(
        default=None,
        description="Defaults to `draft` in a draft event and `on_sale` in a published one. "
        "A new event's sessions are always drafts.",
    )

    def to_pb(self) -> pb.SessionInput:
        return pb.SessionInput(
            title=self.title,
            presenter=self.presenter,
            starts_at=to_timestamp(self.starts_at),
            ends_at=to_timestamp(self.ends_at),
            place=self.place,
            capacity_override=self.capacity_override,
            resources=self.resources,
            status=session_status_value(self.status),
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
        description="https only (the web app is served over https; an http image would be mixed content).",
        examples=["https://cdn.example.com/jazz.jpg"],
    )
    starts_at: Instant = Field(description="ISO-8601 with offset; in the future.")
    ends_at: Instant = Field(description="After starts_at.")
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
    publish: bool = Field(
        strict=True, default=False, description="Publish right away instead of creating a draft."
    )
    sales: SalesBody | None = None

    def to_pb(self) -> pb.EventInput:
        return pb.EventInput(
            name=self.name,
            description=self.description,
            category=category_value(self.category),
            venue=self.venue.to_pb(),
            image_url=self.image_url or "",
            starts_at=to_timestamp(self.starts_at),
            ends_at=to_timestamp(self.ends_at),
            timezone=self.timezone,
            zones=[zone.to_pb() for zone in self.zones],
            sessions=[session.to_pb() for session in self.sessions],
            organization_id=str(self.organization_id) if self.organization_id else "",
            sales=self.sales.to_pb() if self.sales else None,
        )


class EventUpdate(MergePatch):
    """A JSON merge patch: omitted fields stay as they are; `image_url: null` removes the image."""

    clearable = frozenset({"image_url"})

    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    category: CategoryName | None = None
    venue: VenueBody | None = None
    image_url: str | None = Field(default=None, max_length=2048)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    timezone: str | None = Field(default=None, max_length=64)
    zones: list[ZoneBody] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Replaces every zone (a zone keeping its name keeps its id). On a published event a "
        "zone with places held or sold can be neither removed nor made smaller than them (409).",
    )
    sales: SalesBody | None = None

    def to_pb(self) -> pb.EventPatch:
        given = self.model_fields_set
        patch = pb.EventPatch(
            name=self.name,
            description=self.description,
            category=category_value(self.category) if self.category else None,
            venue=self.venue.to_pb() if self.venue else None,
            timezone=self.timezone,
            starts_at=to_timestamp(self.starts_at) if self.starts_at else None,
            ends_at=to_timestamp(self.ends_at) if self.ends_at else None,
            zones=pb.ZoneList(zones=[zone.to_pb() for zone in self.zones])
            if self.zones is not None
            else None,
            sales=self.sales.to_pb() if self.sales is not None else None,
        )
        if "image_url" in given:
            patch.image_url = self.image_url or ""
        return patch


class SessionUpdate(MergePatch):
    """A JSON merge patch of a session: omitted fields stay; `capacity_override: null` removes the cap."""

    clearable = frozenset({"capacity_override"})

    title: str | None = Field(default=None, max_length=200)
    presenter: str | None = Field(default=None, max_length=200)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    place: str | None = Field(default=None, max_length=100)
    capacity_override: int | None = Field(strict=True, default=None, ge=1, le=CAPACITY_OVERRIDE_MAX)
    resources: list[Resource] | None = Field(default=None, max_length=20)
    status: SessionStatusName | None = Field(
        default=None,
        description="draft → teaser/presale/on_sale → in_progress → finished; suspended and cancelled "
        "from most states. No session is on sale while the event is a draft.",
    )

    def to_pb(self) -> pb.SessionPatch:
        patch = pb.SessionPatch(
            title=self.title,
            presenter=self.presenter,
            place=self.place,
            starts_at=to_timestamp(self.starts_at) if self.starts_at else None,
            ends_at=to_timestamp(self.ends_at) if self.ends_at else None,
            resources=pb.ResourceList(values=self.resources) if self.resources is not None else None,
            status=session_status_value(self.status),
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

    def to_pb(self) -> list[pb.BatchEventInput]:
        return [pb.BatchEventInput(event=item.to_pb(), publish=item.publish) for item in self.events]


# ---------------------------------------------------------------- responses


class Money(BaseModel):
    amount: str = Field(examples=["250.00"])
    currency: str = Field(examples=["MXN"])

    @classmethod
    def from_pb(cls, money: pb.Money) -> Money:
        return cls(amount=money.amount, currency=money.currency)


class Venue(BaseModel):
    name: str
    city: str
    address: str
    latitude: float | None
    longitude: float | None

    @classmethod
    def from_pb(cls, venue: pb.Venue) -> Venue:
        return cls(
            name=venue.name,
            city=venue.city,
            address=venue.address,
            latitude=venue.latitude if venue.HasField("latitude") else None,
            longitude=venue.longitude if venue.HasField("longitude") else None,
        )


class ZonePublic(BaseModel):
    id: uuid.UUID
    name: str
    price: Money
    capacity: int = Field(
        description="Places in this zone per session; places left per session: "
        "`GET /api/v1/events/{id}/availability`."
    )
    max_per_order: int = Field(description="Places of this zone one reservation may hold.")


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
            starts_at=from_timestamp(session.starts_at),
            ends_at=from_timestamp(session.ends_at),
            place=session.place,
            capacity_override=session.capacity_override if session.HasField("capacity_override") else None,
            resources=list(session.resources),
            status=pb.SessionStatus.Name(session.status).removeprefix("SESSION_STATUS_").lower(),
            capacity=session.capacity,
            created_at=from_timestamp(session.created_at),
            updated_at=from_timestamp(session.updated_at),
        )


class SalesPublic(BaseModel):
    on_sale_at: dt.datetime | None = Field(
        description="Nothing sells before this moment; null: from publication."
    )
    hold_minutes: int = Field(description="How long a reservation holds its places.")
    max_per_customer: int | None = Field(description="Places one account may hold and own; null: no limit.")
    waiting_room: bool
    admission_per_minute: int
    payment_minutes: int = Field(description="How long an order's places stay held for payment, in minutes.")
    reentry_allowed: bool = Field(description="Door staff may admit a ticket again after it exited.")
    transfers_allowed: bool = Field(description="Holders may transfer their tickets to someone else.")

    @classmethod
    def from_pb(cls, sales: pb.SaleSettings) -> SalesPublic:
        return cls(
            on_sale_at=from_timestamp(sales.on_sale_at) if sales.HasField("on_sale_at") else None,
            hold_minutes=sales.hold_minutes,
            max_per_customer=sales.max_per_customer or None,
            waiting_room=sales.waiting_room,
            admission_per_minute=sales.admission_per_minute,
            payment_minutes=sales.payment_minutes,
            reentry_allowed=sales.reentry_allowed,
            transfers_allowed=sales.transfers_allowed,
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
    sales: SalesPublic

    @classmethod
    def from_pb(cls, event: pb.Event) -> EventPublic:
        return cls(
            id=uuid.UUID(event.id),
            organization_id=uuid.UUID(event.organization_id),
            created_by=uuid.UUID(event.created_by),
            name=event.name,
            description=event.description,
            category=category_name(event.category),
            venue=Venue.from_pb(event.venue),
            image_url=event.image_url or None,
            starts_at=from_timestamp(event.starts_at),
            ends_at=from_timestamp(event.ends_at),
            timezone=event.timezone,
            status=pb.EventStatus.Name(event.status).removeprefix("EVENT_STATUS_").lower(),
            capacity=event.capacity,
            version=event.version,
            zones=[
                ZonePublic(
                    id=uuid.UUID(zone.id),
                    name=zone.name,
                    price=Money.from_pb(zone.price),
                    capacity=zone.capacity,
                    max_per_order=zone.max_per_order,
                )
                for zone in event.zones
            ],
            sessions=[SessionPublic.from_pb(session) for session in event.sessions],
            created_at=from_timestamp(event.created_at),
            updated_at=from_timestamp(event.updated_at),
            published_at=from_timestamp(event.published_at) if event.HasField("published_at") else None,
            cancelled_at=from_timestamp(event.cancelled_at) if event.HasField("cancelled_at") else None,
            cancellation_reason=event.cancellation_reason,
            featured=event.featured,
            sales=SalesPublic.from_pb(event.sales),
        )


class FeaturedBody(Strict):
    featured: bool = Field(
        strict=True, description="true puts the event on the front page, false takes it off."
    )


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

    @classmethod
    def from_pb(cls, result: pb.BatchItemResult) -> BatchItemResult:
        created = result.HasField("event")
        return cls(
            index=result.index,
            status=_BATCH_STATUS[result.status],
            event=EventPublic.from_pb(result.event) if created else None,
            location=event_location(result.event.id) if created else None,
            errors=[FieldErrorOut(field=e.field, message=e.message) for e in result.errors],
        )


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


class EventPage(BaseModel):
    items: list[EventPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


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
BATCH_EXAMPLES = {"two": {"summary": "Two drafts", "value": {"events": [_EVENT_EXAMPLE] * 2}}}
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
