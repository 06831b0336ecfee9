"""What callers ask the catalog to do (imperative), with their raw, not yet validated, inputs.

Every command carries the verified caller (:class:`Actor`, None when anonymous) and the request's
correlation id, which the messages the command causes carry on.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from event_svc.domain.search import ListingPosition


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    CUSTOMER = "customer"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, as the edge verified it."""

    subject: uuid.UUID
    role: Role | None = None
    organization_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def belongs_to(self, organization_id: uuid.UUID) -> bool:
        return self.organization_id is not None and self.organization_id == organization_id


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A client's Idempotency-Key with a fingerprint of the request it came with."""

    key: str
    fingerprint: str


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class VenueInput:
    name: str
    city: str
    address: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class ZoneInput:
    name: str
    price_amount: str
    currency: str
    capacity: int
    # None keeps the default (or, in a replacement, the zone's current limit).
    max_per_order: int | None = None


@dataclass(frozen=True, slots=True)
class SalesInput:
    """How the event sells; None leaves a setting as it is (or at its default)."""

    on_sale_at: dt.datetime | None = None
    # True removes on_sale_at: tickets sell as soon as the event is published.
    clear_on_sale_at: bool = False
    hold_minutes: int | None = None
    # 0 removes the limit.
    max_per_customer: int | None = None
    waiting_room: bool | None = None
    admission_per_minute: int | None = None
    payment_minutes: int | None = None
    reentry_allowed: bool | None = None
    transfers_allowed: bool | None = None


@dataclass(frozen=True, slots=True)
class SessionInput:
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    title: str = ""
    presenter: str = ""
    place: str = ""
    capacity_override: int | None = None
    resources: tuple[str, ...] = ()
    status: str | None = None


@dataclass(frozen=True, slots=True)
class EventInput:
    name: str
    description: str
    category: str
    venue: VenueInput
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    timezone: str
    zones: tuple[ZoneInput, ...]
    sessions: tuple[SessionInput, ...] = ()
    image_url: str = ""
    # Only administrators may name the organization; organizers create for their own.
    organization_id: uuid.UUID | None = None
    sales: SalesInput | None = None


@dataclass(frozen=True, slots=True)
class EventChanges:
    """A partial update: None leaves a field as it is; an empty image_url removes the image."""

    name: str | None = None
    description: str | None = None
    category: str | None = None
    venue: VenueInput | None = None
    image_url: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    timezone: str | None = None
    zones: tuple[ZoneInput, ...] | None = None
    sales: SalesInput | None = None


@dataclass(frozen=True, slots=True)
class SessionChanges:
    """A partial update of a session: None leaves a field; capacity_override 0 removes the override."""

    title: str | None = None
    presenter: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    place: str | None = None
    capacity_override: int | None = None
    resources: tuple[str, ...] | None = None
    status: str | None = None


# ---------------------------------------------------------------- commands


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: Actor | None
    correlation_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateEvent(Command):
    event: EventInput
    publish: bool = False
    idempotency: Idempotency | None = None
    # Fixed ids are for seed data only; callers never choose them.
    event_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class BatchItem:
    event: EventInput
    publish: bool = False


@dataclass(frozen=True, kw_only=True)
class BatchCreateEvents(Command):
    items: tuple[BatchItem, ...]
    idempotency: Idempotency | None = None


@dataclass(frozen=True, kw_only=True)
class GetEvent(Command):
    event_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class GetEvents(Command):
    """Several events at once, for a caller showing a list; the raw ids as they came."""

    event_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class GetSession(Command):
    event_id: uuid.UUID
    session_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class FindEventBySession(Command):
    session_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class UpdateEvent(Command):
    event_id: uuid.UUID
    expected_version: int
    changes: EventChanges


@dataclass(frozen=True, kw_only=True)
class FeatureEvent(Command):
    """Administrators only: put a published event on the front page, or take it off."""

    event_id: uuid.UUID
    featured: bool


@dataclass(frozen=True, kw_only=True)
class PublishEvent(Command):
    event_id: uuid.UUID
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class CancelEvent(Command):
    event_id: uuid.UUID
    reason: str = ""
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class DeleteEvent(Command):
    event_id: uuid.UUID
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class AddSession(Command):
    event_id: uuid.UUID
    session: SessionInput
    expected_version: int | None = None
    idempotency: Idempotency | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateSession(Command):
    event_id: uuid.UUID
    session_id: uuid.UUID
    expected_version: int
    changes: SessionChanges


@dataclass(frozen=True, kw_only=True)
class RemoveSession(Command):
    event_id: uuid.UUID
    session_id: uuid.UUID
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class ListOrganizationEvents(Command):
    statuses: tuple[str, ...] = ()
    page_size: int = 20
    # The (starts_at, id) of the last event of the previous page.
    after: tuple[dt.datetime, uuid.UUID] | None = None


@dataclass(frozen=True, kw_only=True)
class SearchEvents(Command):
    """Published events matching a text and filters, a page at a time (raw, unvalidated inputs)."""

    text: str = ""
    category: str = ""
    city: str = ""
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    price_min: str = ""
    price_max: str = ""
    available_only: bool = False
    order: str = ""
    limit: int = 20
    after: ListingPosition | None = None
    include_total: bool = False
    featured_only: bool = False
    currency: str = ""


@dataclass(frozen=True, slots=True)
class FollowSales:
    """ticketing_svc says a zone of a session sold out (or is back on sale)."""

    session_id: uuid.UUID
    zone_id: uuid.UUID
    sold_out: bool
