"""The GraphQL types: read-only views of the catalog, availability, and the caller's orders and tickets.

An :class:`Event` starts from what the caller already has (a listing's summary, or only an id) and
reads the rest through the request's loaders (edge.graphql.context): the catalog's ``GetEvents`` and
ticketing's ``GetEventsAvailability`` answer every event of a list in one call each, however many
events and fields the query asks for. Enum values are the REST API's words, in upper case.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from edge.api.schemas.events import category_name
from edge.api.schemas.orders import OrderPublic, TicketPublic
from edge.clients.ticketing import PB_TO_SALE_STATUS
from edge.graphql.limits import PublicError
from taquilla.events.v1 import event_service_pb2 as events_pb
from taquilla.ticketing.v1 import ticketing_service_pb2 as ticketing_pb
from taquilla_runtime.timestamps import from_timestamp

if TYPE_CHECKING:
    from edge.graphql.context import GraphQLContext

    GraphQLInfo = Info[GraphQLContext, None]
else:
    GraphQLInfo = Info


@strawberry.enum(description="The kind of event.")
class Category(enum.Enum):
    CONCERT = "concert"
    CONFERENCE = "conference"
    SPORTS = "sports"
    THEATRE = "theatre"
    FESTIVAL = "festival"
    WORKSHOP = "workshop"
    OTHER = "other"


@strawberry.enum(description="An event's lifecycle: others' drafts are never shown.")
class EventStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


@strawberry.enum(description="A session's lifecycle.")
class SessionStatus(enum.Enum):
    DRAFT = "draft"
    TEASER = "teaser"
    PRESALE = "presale"
    ON_SALE = "on_sale"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"


@strawberry.enum(
    description="How a zone of a session sells: FEW_LEFT when at most 10 % of its places are left."
)
class SaleStatus(enum.Enum):
    ON_SALE = "on_sale"
    FEW_LEFT = "few_left"
    SOLD_OUT = "sold_out"
    NOT_ON_SALE = "not_on_sale"


@strawberry.enum(description="The order of a search's results; RELEVANCE needs `q`.")
class EventOrder(enum.Enum):
    DATE = "date"
    RELEVANCE = "relevance"
    PRICE = "price"


@strawberry.enum(
    description="PENDING_PAYMENT → PAID → PARTIALLY_REFUNDED | REFUNDED; or FAILED, EXPIRED, CANCELLED."
)
class OrderStatus(enum.Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@strawberry.enum(description="REVOKED: refunded, cancelled or transferred; USED: checked in.")
class TicketStatus(enum.Enum):
    VALID = "valid"
    REVOKED = "revoked"
    USED = "used"


@strawberry.type(description="An exact amount: a decimal string, never a float.")
class Money:
    amount: str
    currency: str = strawberry.field(description="ISO 4217 code.")


def _money(money: events_pb.Money | ticketing_pb.Money) -> Money:
    return Money(amount=money.amount, currency=money.currency)


@strawberry.type
class Venue:
    name: str
    city: str
    address: str
    latitude: float | None
    longitude: float | None

    @classmethod
    def of(cls, venue: events_pb.Venue) -> Venue:
        return cls(
            name=venue.name,
            city=venue.city,
            address=venue.address,
            latitude=venue.latitude if venue.HasField("latitude") else None,
            longitude=venue.longitude if venue.HasField("longitude") else None,
        )


@strawberry.type(description="A ticket category of an event, sold in every session.")
class Zone:
    id: strawberry.ID
    name: str
    price: Money
    capacity: int = strawberry.field(description="Places per session.")
    max_per_order: int = strawberry.field(description="Places of this zone one reservation may hold.")


@strawberry.type(description="Places left in one zone of one session.")
class ZoneAvailability:
    session_id: strawberry.ID
    zone_id: strawberry.ID
    capacity: int
    available: int = strawberry.field(
        description="Places one may reserve now: 0 when not on sale or while the zone's waiting list waits."
    )
    status: SaleStatus


def _zone_availability(zone: ticketing_pb.ZoneAvailability) -> ZoneAvailability:
    return ZoneAvailability(
        session_id=strawberry.ID(zone.session_id),
        zone_id=strawberry.ID(zone.zone_id),
        capacity=zone.capacity,
        available=zone.available,
        status=SaleStatus(PB_TO_SALE_STATUS[zone.status]),
    )


@strawberry.type(description="Places left per session and zone of an event, at most a moment old.")
class Availability:
    as_of: dt.datetime = strawberry.field(description="When these figures were read.")
    on_sale_at: dt.datetime | None = strawberry.field(description="When the event goes on sale, if set.")
    zones: list[ZoneAvailability]


@strawberry.type(description="A date of an event.")
class Session:
    id: strawberry.ID
    title: str
    presenter: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = strawberry.field(description="Place within the venue; empty: the whole venue.")
    status: SessionStatus
    capacity: int
    event_id: strawberry.Private[str]

    @strawberry.field(description="Places left in each zone of this session.")
    async def availability(self, info: GraphQLInfo) -> list[ZoneAvailability]:
        found = await info.context.availability.load(self.event_id)
        return [_zone_availability(z) for z in found.zones if z.session_id == self.id] if found else []

    @strawberry.field(description="The event this session belongs to.")
    async def event(self) -> Event:
        return Event(id=strawberry.ID(self.event_id))


def _session(session: events_pb.Session) -> Session:
    return Session(
        id=strawberry.ID(session.id),
        title=session.title,
        presenter=session.presenter,
        starts_at=from_timestamp(session.starts_at),
        ends_at=from_timestamp(session.ends_at),
        place=session.place,
        status=SessionStatus(
            events_pb.SessionStatus.Name(session.status).removeprefix("SESSION_STATUS_").lower()
        ),
        capacity=session.capacity,
        event_id=session.event_id,
    )


@strawberry.type(
    description="An event of the catalog: published ones for everybody, drafts for their organization."
)
class Event:
    id: strawberry.ID
    # What a search already told (None when only the id is known); the whole event is read on demand.
    summary: strawberry.Private[events_pb.EventSummary | None] = None

    async def _event(self, info: GraphQLInfo) -> events_pb.Event:
        event = await info.context.events.load(str(self.id))
        if event is None:
            raise PublicError("The event is no longer available.", "NOT_FOUND")
        return event

    async def _listed(self, info: GraphQLInfo) -> events_pb.EventSummary | events_pb.Event:
        return self.summary if self.summary is not None else await self._event(info)

    @strawberry.field
    async def name(self, info: GraphQLInfo) -> str:
        return (await self._listed(info)).name

    @strawberry.field
    async def category(self, info: GraphQLInfo) -> Category:
        return Category(category_name((await self._listed(info)).category))

    @strawberry.field
    async def venue(self, info: GraphQLInfo) -> Venue:
        return Venue.of((await self._listed(info)).venue)

    @strawberry.field
    async def image_url(self, info: GraphQLInfo) -> str | None:
        return (await self._listed(info)).image_url or None

    @strawberry.field
    async def starts_at(self, info: GraphQLInfo) -> dt.datetime:
        return from_timestamp((await self._listed(info)).starts_at)

    @strawberry.field
    async def ends_at(self, info: GraphQLInfo) -> dt.datetime:
        return from_timestamp((await self._listed(info)).ends_at)

    @strawberry.field(description="IANA time zone the event is presented in.")
    async def timezone(self, info: GraphQLInfo) -> str:
        return (await self._listed(info)).timezone

    @strawberry.field(description="On the front page: an administrator's pick.")
    async def featured(self, info: GraphQLInfo) -> bool:
        return (await self._listed(info)).featured

    @strawberry.field(description="The event's version (REST's ETag).")
    async def version(self, info: GraphQLInfo) -> int:
        return int((await self._listed(info)).version)

    @strawberry.field(
        description="The cheapest ticket (in a search with `currency` and a price filter or order, the "
        "cheapest in that currency); null when the zones' currencies differ and nothing says which."
    )
    async def price_from(self, info: GraphQLInfo) -> Money | None:
        if self.summary is not None:
            return _money(self.summary.price_from) if self.summary.HasField("price_from") else None
        zones = (await self._event(info)).zones
        if not zones or len({zone.price.currency for zone in zones}) != 1:
            return None
        return _money(min((zone.price for zone in zones), key=lambda price: Decimal(price.amount)))

    @strawberry.field(description="Some session still on offer has places left.")
    async def available(self, info: GraphQLInfo) -> bool:
        if self.summary is not None:
            return self.summary.available
        found = await info.context.availability.load(str(self.id))
        return found is not None and any(zone.available > 0 for zone in found.zones)

    @strawberry.field
    async def description(self, info: GraphQLInfo) -> str:
        return (await self._event(info)).description

    @strawberry.field
    async def status(self, info: GraphQLInfo) -> EventStatus:
        status = (await self._event(info)).status
        return EventStatus(events_pb.EventStatus.Name(status).removeprefix("EVENT_STATUS_").lower())

    @strawberry.field(description="Places on offer across the sessions that are not cancelled.")
    async def capacity(self, info: GraphQLInfo) -> int:
        return int((await self._event(info)).capacity)

    @strawberry.field(description="Ticket categories, in the organizer's order.")
    async def zones(self, info: GraphQLInfo) -> list[Zone]:
        return [
            Zone(
                id=strawberry.ID(zone.id),
                name=zone.name,
                price=_money(zone.price),
                capacity=zone.capacity,
                max_per_order=zone.max_per_order,
            )
            for zone in (await self._event(info)).zones
        ]

    @strawberry.field(description="The sessions you may see, by start date.")
    async def sessions(self, info: GraphQLInfo) -> list[Session]:
        return [_session(session) for session in (await self._event(info)).sessions]

    @strawberry.field(description="Places left per session and zone; null for an event never published.")
    async def availability(self, info: GraphQLInfo) -> Availability | None:
        found = await info.context.availability.load(str(self.id))
        if found is None:
            return None
        return Availability(
            as_of=from_timestamp(found.as_of),
            on_sale_at=from_timestamp(found.on_sale_at) if found.HasField("on_sale_at") else None,
            zones=[_zone_availability(zone) for zone in found.zones],
        )


@strawberry.type(description="Where a page ends: pass `endCursor` as `after` for the next one.")
class PageInfo:
    end_cursor: str | None
    has_next_page: bool

    @classmethod
    def of(cls, next_cursor: str) -> PageInfo:
        return cls(end_cursor=next_cursor or None, has_next_page=bool(next_cursor))


@strawberry.type(description="A page of published events.")
class EventConnection:
    nodes: list[Event]
    page_info: PageInfo
    total_count: int | None = strawberry.field(description="Matches in all; only with `withTotal: true`.")


@strawberry.type
class OrderItem:
    zone_id: strawberry.ID
    zone_name: str
    quantity: int
    unit_price: Money


@strawberry.type(description="One of your orders.")
class Order:
    id: strawberry.ID
    status: OrderStatus
    event_id: strawberry.ID
    event_name: str
    session_id: strawberry.ID
    items: list[OrderItem]
    total: Money
    refunded: Money = strawberry.field(description="What was refunded so far.")
    created_at: dt.datetime
    pay_by: dt.datetime | None = strawberry.field(description="Until when the places are held for payment.")
    paid_at: dt.datetime | None
    ticket_ids: list[strawberry.ID]

    @strawberry.field(description="The event, as you may see it now (null once it is gone).")
    async def event(self, info: GraphQLInfo) -> Event | None:
        found = await info.context.events.load(str(self.event_id))
        return Event(id=self.event_id) if found is not None else None

    @classmethod
    def of(cls, order: ticketing_pb.Order) -> Order:
        public = OrderPublic.from_pb(order)
        return cls(
            id=strawberry.ID(public.id),
            status=OrderStatus(public.status),
            event_id=strawberry.ID(public.event_id),
            event_name=public.event_name,
            session_id=strawberry.ID(public.session_id),
            items=[
                OrderItem(
                    zone_id=strawberry.ID(item.zone_id),
                    zone_name=item.zone_name,
                    quantity=item.quantity,
                    unit_price=Money(amount=item.unit_price.amount, currency=item.unit_price.currency),
                )
                for item in public.items
            ],
            total=Money(amount=public.total.amount, currency=public.total.currency),
            refunded=Money(amount=public.refunded.amount, currency=public.refunded.currency),
            created_at=public.created_at,
            pay_by=public.pay_by,
            paid_at=public.paid_at,
            ticket_ids=[strawberry.ID(ticket_id) for ticket_id in public.ticket_ids],
        )


@strawberry.type(description="One of your tickets (its QR code: REST's /api/v1/tickets/{id}/qr.svg).")
class Ticket:
    id: strawberry.ID
    order_id: strawberry.ID
    event_id: strawberry.ID
    event_name: str
    session_id: strawberry.ID
    zone_id: strawberry.ID
    zone_name: str
    holder_name: str
    status: TicketStatus
    price: Money
    issued_at: dt.datetime

    @strawberry.field(description="The event, as you may see it now (null once it is gone).")
    async def event(self, info: GraphQLInfo) -> Event | None:
        found = await info.context.events.load(str(self.event_id))
        return Event(id=self.event_id) if found is not None else None

    @classmethod
    def of(cls, ticket: ticketing_pb.Ticket) -> Ticket:
        public = TicketPublic.from_pb(ticket)
        return cls(
            id=strawberry.ID(public.id),
            order_id=strawberry.ID(public.order_id),
            event_id=strawberry.ID(public.event_id),
            event_name=public.event_name,
            session_id=strawberry.ID(public.session_id),
            zone_id=strawberry.ID(public.zone_id),
            zone_name=public.zone_name,
            holder_name=public.holder_name,
            status=TicketStatus(public.status),
            price=Money(amount=public.price.amount, currency=public.price.currency),
            issued_at=public.issued_at,
        )


@strawberry.type(description="A page of your orders, newest first.")
class OrderConnection:
    nodes: list[Order]
    page_info: PageInfo


@strawberry.type(description="A page of your tickets, newest first.")
class TicketConnection:
    nodes: list[Ticket]
    page_info: PageInfo
