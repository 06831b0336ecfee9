"""Translation between taquilla.events.v1 messages and the catalog's commands and aggregates."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from event_svc.domain.commands import (
    Actor,
    EventChanges,
    EventInput,
    Idempotency,
    Role,
    SalesInput,
    SessionChanges,
    SessionInput,
    VenueInput,
    ZoneInput,
)
from event_svc.domain.errors import EventNotFound, FieldProblem, InvalidInput, SessionNotFound
from event_svc.domain.model import Event, SaleSettings, Session
from event_svc.domain.search import EventListing, ListingOrder, ListingPosition
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.cursors import decode_cursor, encode_cursor
from taquilla_runtime.principal import Principal
from taquilla_runtime.timestamps import to_optional_timestamp, to_timestamp

IDEMPOTENCY_KEY_MAX = 255


def actor_from(principal: Principal | None) -> Actor | None:
    if principal is None:
        return None
    return Actor(
        subject=principal.subject,
        role=Role(principal.role.value) if principal.role else None,
        organization_id=principal.organization_id,
    )


# ---------------------------------------------------------------- ids, keys, tokens


def event_id_of(value: str) -> uuid.UUID:
    """A malformed id names no event: NOT_FOUND, like an unknown one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise EventNotFound(value[:64]) from None


def session_id_of(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise SessionNotFound(value[:64]) from None


def idempotency_of(request: Message) -> Idempotency | None:
    """The request's Idempotency-Key with a SHA-256 fingerprint of the rest of the request."""
    key: str = getattr(request, "idempotency_key", "")
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX or not all("!" <= char <= "~" for char in key):
        raise InvalidInput.single(
            "idempotency_key", f"must be 1-{IDEMPOTENCY_KEY_MAX} visible ASCII characters without spaces"
        )
    canonical = type(request)()
    canonical.CopyFrom(request)
    canonical.ClearField("idempotency_key")
    digest = hashlib.sha256(canonical.SerializeToString(deterministic=True)).hexdigest()
    return Idempotency(key=key, fingerprint=digest)


def page_token(after: tuple[dt.datetime, uuid.UUID] | None) -> str:
    if after is None:
        return ""
    return encode_cursor({"s": after[0].isoformat(), "i": str(after[1])})


def page_after(token: str) -> tuple[dt.datetime, uuid.UUID] | None:
    if not token:
        return None
    try:
        data = decode_cursor(token)
        return dt.datetime.fromisoformat(data["s"]), uuid.UUID(data["i"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput.single("page_token", "is not a token this service issued") from None


def listing_cursor(position: ListingPosition | None) -> str:
    """An opaque cursor naming where a page ended (the last event's sort key)."""
    if position is None:
        return ""
    data = {"o": position.order.value, "s": position.starts_at.isoformat(), "i": str(position.event_id)}
    if position.price is not None:
        data["p"] = str(position.price)
    if position.score is not None:
        data["r"] = str(position.score)
    return encode_cursor(data)


def listing_position(cursor: str) -> ListingPosition | None:
    if not cursor:
        return None
    try:
        data = decode_cursor(cursor)
        order = ListingOrder(data["o"])
        starts_at = dt.datetime.fromisoformat(data["s"])
        price = Decimal(data["p"]) if order is ListingOrder.PRICE else None
        score = Decimal(data["r"]) if order is ListingOrder.RELEVANCE else None
        if starts_at.tzinfo is None or any(v is not None and not v.is_finite() for v in (price, score)):
            raise ValueError("not a cursor")
        return ListingPosition(order, starts_at, uuid.UUID(data["i"]), price=price, score=score)
    except (ValueError, KeyError, TypeError, InvalidOperation):
        raise InvalidInput.single("cursor", "is not a cursor this service issued") from None


# ---------------------------------------------------------------- requests -> inputs


def _time(message: Any, field: str) -> dt.datetime | None:
    if not message.HasField(field):
        return None
    stamp: Timestamp = getattr(message, field)
    return stamp.ToDatetime(tzinfo=dt.UTC)


def time_field(message: Any, field: str) -> dt.datetime | None:
    """The timestamp in ``field``, in UTC, or None when it is not set."""
    return _time(message, field)


def _enum_value(kind: Any, value: int, prefix: str) -> str:
    """CATEGORY_CONCERT -> "concert"; unknown or unspecified values become "" (rejected by the domain)."""
    try:
        name: str = kind.Name(value)
    except ValueError:
        return ""
    return "" if name.endswith("_UNSPECIFIED") else name.removeprefix(prefix).lower()


def category_name(value: int) -> str:
    return _enum_value(pb.Category, value, "CATEGORY_")


def listing_order_name(value: int) -> str:
    return _enum_value(pb.ListingOrder, value, "LISTING_ORDER_")


def session_status_name(value: int) -> str:
    return _enum_value(pb.SessionStatus, value, "SESSION_STATUS_")


def event_status_name(value: int) -> str:
    return _enum_value(pb.EventStatus, value, "EVENT_STATUS_")


def venue_input(venue: pb.Venue) -> VenueInput:
    return VenueInput(
        name=venue.name,
        city=venue.city,
        address=venue.address,
        latitude=venue.latitude if venue.HasField("latitude") else None,
        longitude=venue.longitude if venue.HasField("longitude") else None,
    )


def zone_input(zone: pb.ZoneInput) -> ZoneInput:
    return ZoneInput(
        name=zone.name,
        price_amount=zone.price.amount,
        currency=zone.price.currency,
        capacity=zone.capacity,
        max_per_order=zone.max_per_order or None,
    )


def sales_input(patch: pb.SaleSettingsPatch) -> SalesInput:
    return SalesInput(
        on_sale_at=_time(patch, "on_sale_at"),
        clear_on_sale_at=patch.clear_on_sale_at,
        hold_minutes=patch.hold_minutes if patch.HasField("hold_minutes") else None,
        max_per_customer=patch.max_per_customer if patch.HasField("max_per_customer") else None,
        waiting_room=patch.waiting_room if patch.HasField("waiting_room") else None,
        admission_per_minute=patch.admission_per_minute if patch.HasField("admission_per_minute") else None,
        payment_minutes=patch.payment_minutes if patch.HasField("payment_minutes") else None,
        reentry_allowed=patch.reentry_allowed if patch.HasField("reentry_allowed") else None,
        transfers_allowed=patch.transfers_allowed if patch.HasField("transfers_allowed") else None,
    )


def sales_message(sales: SaleSettings) -> pb.SaleSettings:
    return pb.SaleSettings(
        on_sale_at=_stamp_or_none(sales.on_sale_at),
        hold_minutes=sales.hold_minutes,
        max_per_customer=sales.max_per_customer or 0,
        waiting_room=sales.waiting_room,
        admission_per_minute=sales.admission_per_minute,
        payment_minutes=sales.payment_minutes,
        reentry_allowed=sales.reentry_allowed,
        transfers_allowed=sales.transfers_allowed,
    )


def session_input(session: pb.SessionInput) -> SessionInput:
    return SessionInput(
        starts_at=_time(session, "starts_at"),
        ends_at=_time(session, "ends_at"),
        title=session.title,
        presenter=session.presenter,
        place=session.place,
        capacity_override=session.capacity_override if session.HasField("capacity_override") else None,
        resources=tuple(session.resources),
        status=session_status_name(session.status) or None,
    )


def event_input(event: pb.EventInput) -> EventInput:
    organization_id = None
    if event.organization_id:
        try:
            organization_id = uuid.UUID(event.organization_id)
        except ValueError:
            raise InvalidInput.single("organization_id", "must be a UUID", "invalid_uuid") from None
    return EventInput(
        name=event.name,
        description=event.description,
        category=category_name(event.category),
        venue=venue_input(event.venue),
        starts_at=_time(event, "starts_at"),
        ends_at=_time(event, "ends_at"),
        timezone=event.timezone,
        zones=tuple(zone_input(zone) for zone in event.zones),
        sessions=tuple(session_input(session) for session in event.sessions),
        image_url=event.image_url,
        organization_id=organization_id,
        sales=sales_input(event.sales) if event.HasField("sales") else None,
    )


def event_changes(patch: pb.EventPatch) -> EventChanges:
    category = None
    if patch.HasField("category"):
        category = category_name(patch.category)
    return EventChanges(
        name=patch.name if patch.HasField("name") else None,
        description=patch.description if patch.HasField("description") else None,
        category=category,
        venue=venue_input(patch.venue) if patch.HasField("venue") else None,
        image_url=patch.image_url if patch.HasField("image_url") else None,
        starts_at=_time(patch, "starts_at"),
        ends_at=_time(patch, "ends_at"),
        timezone=patch.timezone if patch.HasField("timezone") else None,
        zones=tuple(zone_input(zone) for zone in patch.zones.zones) if patch.HasField("zones") else None,
        sales=sales_input(patch.sales) if patch.HasField("sales") else None,
    )


def session_changes(patch: pb.SessionPatch) -> SessionChanges:
    return SessionChanges(
        title=patch.title if patch.HasField("title") else None,
        presenter=patch.presenter if patch.HasField("presenter") else None,
        starts_at=_time(patch, "starts_at"),
        ends_at=_time(patch, "ends_at"),
        place=patch.place if patch.HasField("place") else None,
        capacity_override=patch.capacity_override if patch.HasField("capacity_override") else None,
        resources=tuple(patch.resources.values) if patch.HasField("resources") else None,
        status=session_status_name(patch.status) or None,
    )


# ---------------------------------------------------------------- aggregates -> messages


_stamp = to_timestamp
_stamp_or_none = to_optional_timestamp


def session_message(event: Event, session: Session) -> pb.Session:
    return pb.Session(
        id=str(session.id),
        event_id=str(event.id),
        title=session.title,
        presenter=session.presenter,
        starts_at=_stamp(session.starts_at),
        ends_at=_stamp(session.ends_at),
        place=session.place,
        capacity_override=session.capacity_override,
        resources=list(session.resources),
        status=pb.SessionStatus.Value(f"SESSION_STATUS_{session.status.value.upper()}"),
        capacity=session.capacity(event.zones_capacity),
        created_at=_stamp(session.created_at),
        updated_at=_stamp(session.updated_at),
    )


def event_message(event: Event) -> pb.Event:
    venue = event.venue
    return pb.Event(
        id=str(event.id),
        organization_id=str(event.organization_id),
        created_by=str(event.created_by),
        name=event.name,
        description=event.description,
        category=pb.Category.Value(f"CATEGORY_{event.category.value.upper()}"),
        venue=pb.Venue(
            name=venue.name,
            city=venue.city,
            address=venue.address,
            latitude=venue.latitude,
            longitude=venue.longitude,
        ),
        image_url=event.image_url or "",
        starts_at=_stamp(event.starts_at),
        ends_at=_stamp(event.ends_at),
        timezone=event.timezone,
        status=pb.EventStatus.Value(f"EVENT_STATUS_{event.status.value.upper()}"),
        capacity=event.capacity,
        version=event.version,
        zones=[
            pb.Zone(
                id=str(zone.id),
                name=zone.name,
                price=pb.Money(amount=f"{zone.price.amount:.2f}", currency=zone.price.currency),
                capacity=zone.capacity,
                max_per_order=zone.max_per_order,
            )
            for zone in event.zones
        ],
        sessions=[session_message(event, session) for session in event.live_sessions],
        created_at=_stamp(event.created_at),
        updated_at=_stamp(event.updated_at),
        published_at=_stamp_or_none(event.published_at),
        cancelled_at=_stamp_or_none(event.cancelled_at),
        cancellation_reason=event.cancellation_reason,
        featured=event.featured,
        sales=sales_message(event.sales),
    )


def listing_message(event: EventListing) -> pb.EventSummary:
    venue = event.venue
    price = event.price_from
    return pb.EventSummary(
        id=str(event.id),
        organization_id=str(event.organization_id),
        name=event.name,
        category=pb.Category.Value(f"CATEGORY_{event.category.value.upper()}"),
        venue=pb.Venue(
            name=venue.name,
            city=venue.city,
            address=venue.address,
            latitude=venue.latitude,
            longitude=venue.longitude,
        ),
        image_url=event.image_url or "",
        starts_at=_stamp(event.starts_at),
        ends_at=_stamp(event.ends_at),
        timezone=event.timezone,
        price_from=pb.Money(amount=f"{price.amount:.2f}", currency=price.currency) if price else None,
        available=event.available,
        version=event.version,
        featured=event.featured,
    )


def violations(problems: Iterable[FieldProblem]) -> list[pb.FieldViolation]:
    return [pb.FieldViolation(field=problem.field, message=problem.message) for problem in problems]
