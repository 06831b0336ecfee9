"""Sellable inventory and reservations.

Ticketing keeps its own copy of what the catalog says is for sale (:class:`CatalogEvent`, fed by the
catalog's messages) and the places held and sold per session x zone (:class:`InventoryLine`). The
check that places are left is made by the inventory store atomically (a conditional update in
PostgreSQL, see docs/adr/0012-ticketing-inventory-concurrency.md); the rules around it (what sells
and when, per-order and per-customer limits, how long a hold lasts, when a zone counts as sold out)
live here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ticketing_svc.domain.errors import FieldProblem, InvalidInput, NotOnSale
from ticketing_svc.domain.events import (
    DomainEvent,
    ReservationExpired,
    ReservationHeld,
    ReservationReleased,
    ZoneBackOnSale,
    ZoneSoldOut,
)

DEFAULT_HOLD_MINUTES = 10
MIN_HOLD_MINUTES, MAX_HOLD_MINUTES = 2, 30
DEFAULT_MAX_PER_ORDER = 10
DEFAULT_ADMISSION_PER_MINUTE = 300
DEFAULT_PAYMENT_MINUTES = 10
MAX_ITEMS = 20
# A zone is "few left" when at most this share of its places is left.
FEW_LEFT_RATIO = Decimal("0.10")


class SaleStatus(enum.StrEnum):
    ON_SALE = "on_sale"
    FEW_LEFT = "few_left"
    SOLD_OUT = "sold_out"
    NOT_ON_SALE = "not_on_sale"


class ReservationStatus(enum.StrEnum):
    HELD = "held"
    RELEASED = "released"
    EXPIRED = "expired"
    # Paid: its places are sold (an order holds the tickets).
    PURCHASED = "purchased"


# The catalog's states, as its messages name them.
EVENT_SELLING_STATUS = "published"
SESSION_SELLING_STATUS = "on_sale"
# A session in one of these sells nothing more.
CLOSED_SESSION_STATUSES = frozenset({"cancelled", "finished"})


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)


@dataclass(frozen=True, slots=True)
class SaleSettings:
    """What the organizer decides about selling an event (carried by the catalog's messages)."""

    on_sale_at: dt.datetime | None = None
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    max_per_customer: int | None = None
    # Buyers pass an on-sale waiting room, admitted at admission_per_minute.
    waiting_room: bool = False
    admission_per_minute: int = DEFAULT_ADMISSION_PER_MINUTE
    # How long an order's places stay held for its payment (the hold is extended once to cover it).
    payment_minutes: int = DEFAULT_PAYMENT_MINUTES
    # A ticket that left the venue (an exit scan) may enter again.
    reentry_allowed: bool = False
    # Tickets may be handed over to another person.
    transfers_allowed: bool = True

    def __post_init__(self) -> None:
        if not MIN_HOLD_MINUTES <= self.hold_minutes <= MAX_HOLD_MINUTES:
            object.__setattr__(
                self, "hold_minutes", min(MAX_HOLD_MINUTES, max(MIN_HOLD_MINUTES, self.hold_minutes))
            )
        if self.admission_per_minute < 1:
            object.__setattr__(self, "admission_per_minute", DEFAULT_ADMISSION_PER_MINUTE)
        if self.payment_minutes < 1:
            object.__setattr__(self, "payment_minutes", DEFAULT_PAYMENT_MINUTES)


@dataclass(frozen=True, slots=True)
class CatalogZone:
    id: uuid.UUID
    name: str
    price: Money
    capacity: int
    max_per_order: int = DEFAULT_MAX_PER_ORDER


@dataclass(frozen=True, slots=True)
class CatalogSession:
    id: uuid.UUID
    status: str
    removed: bool = False
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """One session of an event changed; the event's version and status after the change."""

    event_version: int
    event_status: str
    session: CatalogSession


@dataclass(frozen=True, slots=True)
class CatalogEvent:
    """What ticketing knows of one event of the catalog: the latest version it was told about."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    status: str
    version: int
    zones: tuple[CatalogZone, ...]
    sessions: tuple[CatalogSession, ...]
    settings: SaleSettings = field(default_factory=SaleSettings)

    def zone(self, zone_id: uuid.UUID) -> CatalogZone | None:
        return next((zone for zone in self.zones if zone.id == zone_id), None)

    def session(self, session_id: uuid.UUID) -> CatalogSession | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    def sells(self, session_id: uuid.UUID, now: dt.datetime) -> bool:
        """Whether the session takes reservations now."""
        session = self.session(session_id)
        return (
            self.status == EVENT_SELLING_STATUS
            and session is not None
            and not session.removed
            and session.status == SESSION_SELLING_STATUS
            and (self.settings.on_sale_at is None or now >= self.settings.on_sale_at)
        )

    def with_session(self, update: SessionUpdate) -> CatalogEvent | None:
        """This event after one of its sessions changed, or None when the update is older than
        what it already has (one catalog command's messages share a version and come in order, so
        an update of the same version is a later message of that command)."""
        if update.event_version < self.version:
            return None
        sessions = [s for s in self.sessions if s.id != update.session.id]
        return dataclasses.replace(
            self,
            status=update.event_status,
            version=update.event_version,
            sessions=(*sessions, update.session),
        )

    def sold_out(self, lines: Iterable[InventoryLine]) -> bool:
        """Every place of every session still to come is held or sold (those waiting are told)."""
        live = {s.id for s in self.sessions if not s.removed and s.status not in CLOSED_SESSION_STATUSES}
        candidates = [line for line in lines if line.session_id in live]
        return bool(candidates) and all(line.sold_out for line in candidates)

    def inventory_lines(self) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
        """(session id, zone id, capacity) of every pair that can be sold."""
        return [
            (session.id, zone.id, zone.capacity)
            for session in self.sessions
            if not session.removed
            for zone in self.zones
        ]


@dataclass(frozen=True, slots=True)
class InventoryLine:
    """Places of one zone in one session: capacity, how many are held and sold, and how many
    entries of its waiting list wait (domain/waitlist.py)."""

    session_id: uuid.UUID
    zone_id: uuid.UUID
    capacity: int
    held: int
    sold: int
    waiting: int = 0

    @property
    def free(self) -> int:
        """Places neither held nor sold."""
        return max(0, self.capacity - self.held - self.sold)

    @property
    def available(self) -> int:
        """Places the public may reserve: none while the zone's waiting list has entries waiting
        (free places are kept for them, in order; see domain/waitlist.py)."""
        return 0 if self.waiting > 0 else self.free

    @property
    def sold_out(self) -> bool:
        return self.available == 0


def sale_status(line: InventoryLine, *, selling: bool) -> SaleStatus:
    if not selling:
        return SaleStatus.NOT_ON_SALE
    if line.sold_out:
        return SaleStatus.SOLD_OUT
    if line.available <= line.capacity * FEW_LEFT_RATIO:
        return SaleStatus.FEW_LEFT
    return SaleStatus.ON_SALE


def stock_transitions(
    before: Iterable[InventoryLine],
    after: Iterable[InventoryLine],
    *,
    event_id: uuid.UUID,
    event_name: str,
    now: dt.datetime,
) -> list[DomainEvent]:
    """ZoneSoldOut / ZoneBackOnSale for the lines whose sold-out state changed."""
    was = {(line.session_id, line.zone_id): line.sold_out for line in before}
    found: list[DomainEvent] = []
    for line in after:
        previous = was.get((line.session_id, line.zone_id))
        if previous is None or previous == line.sold_out:
            continue
        kind = ZoneSoldOut if line.sold_out else ZoneBackOnSale
        found.append(kind(event_id=event_id, event_name=event_name, line=line, occurred_at=now))
    return found


@dataclass(frozen=True, slots=True)
class Offer:
    """A session of an event as it sells right now: the event, and the places left per zone as of
    the moment they were read (a snapshot, not a lock)."""

    event: CatalogEvent
    left: dict[uuid.UUID, int]

    def shortfall(self, items: Sequence[ItemRequest]) -> dict[uuid.UUID, int] | None:
        """The places left in every zone asked for, when some zone has fewer than asked; None when
        all have enough in this snapshot (the inventory still decides, atomically)."""
        left = {item.zone_id: max(0, self.left.get(item.zone_id, 0)) for item in items}
        if all(left[item.zone_id] >= item.quantity for item in items):
            return None
        return left


@dataclass(frozen=True, slots=True)
class ItemRequest:
    zone_id: uuid.UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class ReservationItem:
    zone_id: uuid.UUID
    zone_name: str
    quantity: int
    unit_price: Money

    @property
    def subtotal(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass(eq=False)
class Reservation:
    """Places of one session held for one account until ``expires_at``, all items or none."""

    id: uuid.UUID
    customer_id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    items: tuple[ReservationItem, ...]
    status: ReservationStatus
    created_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def hold(
        cls,
        event: CatalogEvent,
        *,
        session_id: uuid.UUID,
        items: Sequence[ItemRequest],
        customer_id: uuid.UUID,
        now: dt.datetime,
        reservation_id: uuid.UUID | None = None,
    ) -> Reservation:
        """A new hold, checked against the event's rules. Whether places are left is the inventory's
        call, made atomically when the hold is stored."""
        problems = check_items(event, items)
        if problems:
            raise InvalidInput(problems)
        if not event.sells(session_id, now):
            raise NotOnSale(_not_on_sale_reason(event, session_id, now))
        lines = []
        for item in items:
            zone = event.zone(item.zone_id)
            assert zone is not None  # check_items saw to it
            lines.append(ReservationItem(zone.id, zone.name, item.quantity, zone.price))
        reservation = cls(
            id=reservation_id or uuid.uuid4(),
            customer_id=customer_id,
            event_id=event.id,
            event_name=event.name,
            session_id=session_id,
            items=tuple(lines),
            status=ReservationStatus.HELD,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=event.settings.hold_minutes),
        )
        reservation.events.append(ReservationHeld(reservation.snapshot(), occurred_at=now))
        return reservation

    @property
    def quantity(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def total(self) -> Money:
        currency = self.items[0].unit_price.currency if self.items else "EUR"
        return Money(sum((item.subtotal.amount for item in self.items), Decimal("0.00")), currency)

    @property
    def held(self) -> bool:
        return self.status is ReservationStatus.HELD

    def extend(self, until: dt.datetime) -> None:
        """Holds the places until ``until`` (to cover a payment), never shorter than before."""
        if self.held:
            self.expires_at = max(self.expires_at, until)

    def purchase(self, now: dt.datetime) -> bool:
        """Its order was paid: the places are sold. A hold that ended meanwhile may be purchased
        when the places were taken back for it."""
        if self.status is ReservationStatus.PURCHASED:
            return False
        self.status, self.ended_at = ReservationStatus.PURCHASED, now
        return True

    def release(self, now: dt.datetime) -> bool:
        """Lets the places go at the buyer's wish; False when the reservation was no longer held."""
        if not self.held:
            return False
        self.status, self.ended_at = ReservationStatus.RELEASED, now
        self.events.append(ReservationReleased(self.snapshot(), occurred_at=now))
        return True

    def expire(self, now: dt.datetime) -> bool:
        """Ends a hold whose time ran out; False when it is not held or not yet due."""
        if not self.held or now < self.expires_at:
            return False
        self.status, self.ended_at = ReservationStatus.EXPIRED, now
        self.events.append(ReservationExpired(self.snapshot(), occurred_at=now))
        return True

    def snapshot(self) -> Reservation:
        return Reservation(
            id=self.id,
            customer_id=self.customer_id,
            event_id=self.event_id,
            event_name=self.event_name,
            session_id=self.session_id,
            items=self.items,
            status=self.status,
            created_at=self.created_at,
            expires_at=self.expires_at,
            ended_at=self.ended_at,
        )


def check_items(event: CatalogEvent, items: Sequence[ItemRequest]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not items:
        return [FieldProblem("items", "must list at least one zone")]
    if len(items) > MAX_ITEMS:
        return [FieldProblem("items", f"at most {MAX_ITEMS} zones per reservation")]
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        zone = event.zone(item.zone_id)
        if zone is None:
            problems.append(FieldProblem(f"items.{index}.zone_id", "is not a zone of this event"))
            continue
        if item.zone_id in seen:
            problems.append(FieldProblem(f"items.{index}.zone_id", "appears more than once"))
        seen.add(item.zone_id)
        if item.quantity < 1:
            problems.append(FieldProblem(f"items.{index}.quantity", "must be at least 1"))
        elif item.quantity > zone.max_per_order:
            problems.append(
                FieldProblem(
                    f"items.{index}.quantity", f"at most {zone.max_per_order} places of this zone per order"
                )
            )
    currencies = {zone.price.currency for item in items if (zone := event.zone(item.zone_id)) is not None}
    if len(currencies) > 1:
        problems.append(FieldProblem("items", "all zones of one reservation must share a currency"))
    return problems


def _not_on_sale_reason(event: CatalogEvent, session_id: uuid.UUID, now: dt.datetime) -> str:
    session = event.session(session_id)
    if event.status != EVENT_SELLING_STATUS:
        return f"The event is {event.status}: nothing is on sale."
    if session is None or session.removed:
        return "The session was removed."
    if session.status != SESSION_SELLING_STATUS:
        return f"The session is {session.status.replace('_', ' ')}, not on sale."
    on_sale_at = event.settings.on_sale_at
    if on_sale_at is not None and now < on_sale_at:
        return f"Tickets go on sale at {on_sale_at.isoformat()}."
    return "Not on sale."
