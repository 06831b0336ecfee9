"""The catalog's aggregate: an Event with its Zones (ticket categories) and Sessions (dates).

The event is the consistency boundary: its version counts every change to it or to its sessions
(optimistic locking), and every change records a domain event for the outbox.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from event_svc.domain.commands import (
    EventChanges,
    EventInput,
    SalesInput,
    SessionChanges,
    SessionInput,
    VenueInput,
    ZoneInput,
)
from event_svc.domain.errors import (
    InvalidInput,
    InvalidTransition,
    PlacesTaken,
    SalesUnknown,
    SessionNotFound,
    SessionOverlap,
    StaleVersion,
)
from event_svc.domain.events import (
    DomainEvent,
    EventCancelled,
    EventCreated,
    EventPublished,
    EventUpdated,
    SessionChange,
    SessionChanged,
)
from event_svc.domain.values import InputCheck, Money, Venue, fold, utc_iso

NAME_MIN, NAME_MAX = 3, 200
DESCRIPTION_MAX = 5000
VENUE_NAME_MAX, CITY_MAX, ADDRESS_MAX = 200, 100, 300
IMAGE_URL_MAX = 2048
ZONE_NAME_MAX, ZONES_MAX, ZONE_CAPACITY_MAX = 100, 50, 1_000_000
SESSION_TITLE_MAX, PRESENTER_MAX, PLACE_MAX = 200, 200, 100
RESOURCE_MAX, RESOURCES_MAX, SESSIONS_MAX = 100, 20, 100
DEFAULT_MAX_PER_ORDER, MAX_PER_ORDER_MAX = 10, 100
DEFAULT_HOLD_MINUTES, HOLD_MINUTES_MIN, HOLD_MINUTES_MAX = 10, 2, 30
MAX_PER_CUSTOMER_MAX = 1000
DEFAULT_ADMISSION_PER_MINUTE, ADMISSION_PER_MINUTE_MAX = 300, 100_000
DEFAULT_PAYMENT_MINUTES, PAYMENT_MINUTES_MIN, PAYMENT_MINUTES_MAX = 10, 1, 60
# Places held or sold per (session id, zone id), as ticketing_svc counts them.
Taken = dict[tuple[uuid.UUID, uuid.UUID], int]
CANCELLATION_REASON_MAX = 500
MAX_EVENT_LENGTH = dt.timedelta(days=366)
MAX_LEAD_TIME = dt.timedelta(days=5 * 366)


class Category(enum.StrEnum):
    CONCERT = "concert"
    CONFERENCE = "conference"
    SPORTS = "sports"
    THEATRE = "theatre"
    FESTIVAL = "festival"
    WORKSHOP = "workshop"
    OTHER = "other"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    TEASER = "teaser"
    PRESALE = "presale"
    ON_SALE = "on_sale"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"


S = SessionStatus
# A session in one of these sells nothing more and can no longer be changed.
CLOSED_SESSION_STATUSES = frozenset({S.CANCELLED, S.FINISHED})
SESSION_TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    S.DRAFT: frozenset({S.TEASER, S.PRESALE, S.ON_SALE, S.CANCELLED}),
    S.TEASER: frozenset({S.PRESALE, S.ON_SALE, S.SUSPENDED, S.CANCELLED}),
    S.PRESALE: frozenset({S.ON_SALE, S.SUSPENDED, S.CANCELLED}),
    S.ON_SALE: frozenset({S.IN_PROGRESS, S.SUSPENDED, S.FINISHED, S.CANCELLED}),
    S.SUSPENDED: frozenset({S.TEASER, S.PRESALE, S.ON_SALE, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.FINISHED, S.SUSPENDED, S.CANCELLED}),
    S.FINISHED: frozenset(),
    S.CANCELLED: frozenset(),
}
# The event's status bounds its sessions': nothing is sold while the event is a draft or cancelled.
SESSION_STATUSES_WHILE: dict[EventStatus, frozenset[SessionStatus]] = {
    EventStatus.DRAFT: frozenset({S.DRAFT, S.CANCELLED}),
    EventStatus.PUBLISHED: frozenset(SessionStatus),
    EventStatus.CANCELLED: frozenset({S.CANCELLED, S.FINISHED}),
    EventStatus.COMPLETED: frozenset({S.FINISHED, S.CANCELLED}),
}
# A session added to an existing event may start in one of these.
INITIAL_SESSION_STATUSES = frozenset({S.DRAFT, S.TEASER, S.PRESALE, S.ON_SALE})


@dataclass(eq=False)
class Zone:
    """A ticket category of the event, sold in every session: a price and a number of places."""

    id: uuid.UUID
    name: str
    price: Money
    capacity: int
    # How many places of this zone one reservation may hold.
    max_per_order: int = DEFAULT_MAX_PER_ORDER


@dataclass(frozen=True, slots=True)
class SaleSettings:
    """How the organizer sells the event; ticketing_svc applies them (carried by the messages)."""

    # Nothing sells before this moment, even once published (None: from publication).
    on_sale_at: dt.datetime | None = None
    # How long a reservation holds its places before they go back on sale.
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    # Places one account may hold and own for the whole event (None: no limit).
    max_per_customer: int | None = None
    # An on-sale waiting room admitting buyers at ``admission_per_minute``.
    waiting_room: bool = False
    admission_per_minute: int = DEFAULT_ADMISSION_PER_MINUTE
    # How long an order's places stay held for payment (ticketing never shortens the reservation's hold).
    payment_minutes: int = DEFAULT_PAYMENT_MINUTES
    # Door staff may admit a ticket again after it exited.
    reentry_allowed: bool = False
    # Holders may transfer their tickets to someone else.
    transfers_allowed: bool = True


@dataclass(eq=False)
class Session:
    """One date of the event, at a place within the venue."""

    id: uuid.UUID
    title: str
    presenter: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    capacity_override: int | None
    resources: tuple[str, ...]
    status: SessionStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None

    @property
    def removed(self) -> bool:
        return self.deleted_at is not None

    @property
    def active(self) -> bool:
        """Holds its time slot at the venue and counts towards capacity."""
        return not self.removed and self.status is not SessionStatus.CANCELLED

    @property
    def public(self) -> bool:
        """Out of draft and active: anyone sees it, and it holds its slot at the venue against every
        organization. A draft holds its slot against its own organization's sessions only, so
        another organization cannot squat a venue with drafts, nor learn of them (ADR 0014)."""
        return self.active and self.status is not SessionStatus.DRAFT

    @property
    def place_key(self) -> str:
        return fold(self.place)

    def overlaps(self, other: Session) -> bool:
        return (
            self.place_key == other.place_key
            and self.starts_at < other.ends_at
            and other.starts_at < self.ends_at
        )

    def capacity(self, zones_capacity: int) -> int:
        return self.capacity_override if self.capacity_override is not None else zones_capacity


@dataclass(frozen=True, slots=True)
class SessionZone:
    """One zone in one session, with its places: what ticketing_svc sells (it alone counts what is
    held and sold; the catalog only learns when the pair sells out or is back on sale)."""

    session_id: uuid.UUID
    zone_id: uuid.UUID
    capacity: int


@dataclass(eq=False)
class Event:
    id: uuid.UUID
    organization_id: uuid.UUID
    created_by: uuid.UUID
    name: str
    description: str
    category: Category
    venue: Venue
    image_url: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    status: EventStatus
    version: int
    zones: list[Zone]
    sessions: list[Session]
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    cancellation_reason: str = ""
    deleted_at: dt.datetime | None = None
    # An administrator's pick for the front page; only a published event can be featured.
    featured: bool = False
    sales: SaleSettings = field(default_factory=SaleSettings)
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------ creation

    @classmethod
    def create(
        cls,
        data: EventInput,
        *,
        organization_id: uuid.UUID,
        created_by: uuid.UUID,
        now: dt.datetime,
        event_id: uuid.UUID | None = None,
    ) -> Event:
        """A new draft event, validated as a whole; InvalidInput lists every problem found."""
        check = InputCheck()
        name = check.line("name", data.name, max_length=NAME_MAX, min_length=NAME_MIN)
        description = check.text("description", data.description, max_length=DESCRIPTION_MAX)
        category = check.choice("category", data.category, Category)
        venue = _venue(check.nested("venue"), data.venue)
        image_url = check.web_url("image_url", data.image_url, max_length=IMAGE_URL_MAX)
        timezone = check.timezone("timezone", data.timezone)
        period = _period(check, data.starts_at, data.ends_at, now=now, must_be_future=True)
        zones = _zones(check, data.zones, existing=())
        zones_capacity = sum(zone.capacity for zone in zones)
        sales = _sales(check.nested("sales"), data.sales, SaleSettings(), period_end=data.ends_at)
        sessions: list[Session] = []
        if len(data.sessions) > SESSIONS_MAX:
            check.fail("sessions", f"an event has at most {SESSIONS_MAX} sessions")
        elif period is not None:
            # An event always has at least one session: its own dates when none is given.
            inputs = data.sessions or (SessionInput(starts_at=period[0], ends_at=period[1]),)
            for index, given in enumerate(inputs):
                item = check.nested(f"sessions.{index}")
                if given.status not in (None, "", SessionStatus.DRAFT.value):
                    item.fail(
                        "status", "a new event's sessions start as drafts; publishing puts them on sale"
                    )
                session = _new_session(item, given, period, now=now, status=SessionStatus.DRAFT)
                _check_override(item, session, zones_capacity, zones_known=bool(zones))
                clash = next((s for s in sessions if s.overlaps(session)), None)
                if clash is not None:
                    item.fail("", f"overlaps session {sessions.index(clash)} of this event at the same place")
                sessions.append(session)
        check.raise_if_any()
        assert category is not None
        assert period is not None
        event = cls(
            id=event_id or uuid.uuid4(),
            organization_id=organization_id,
            created_by=created_by,
            name=name,
            description=description,
            category=category,
            venue=venue,
            image_url=image_url,
            starts_at=period[0],
            ends_at=period[1],
            timezone=timezone,
            status=EventStatus.DRAFT,
            version=1,
            zones=zones,
            sessions=sessions,
            created_at=now,
            updated_at=now,
            sales=sales,
        )
        event.events.append(EventCreated(event.snapshot(), now))
        return event

    # ------------------------------------------------------------ derived state

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def live_sessions(self) -> list[Session]:
        """Sessions not removed (cancelled ones included), in date order."""
        return sorted((s for s in self.sessions if not s.removed), key=lambda s: (s.starts_at, s.id.hex))

    @property
    def zones_capacity(self) -> int:
        return sum(zone.capacity for zone in self.zones)

    @property
    def price_from(self) -> Money | None:
        """The cheapest ticket: what listings show as the event's price and sort and filter by."""
        cheapest = min(self.zones, key=lambda zone: zone.price.amount, default=None)
        return cheapest.price if cheapest is not None else None

    @property
    def capacity(self) -> int:
        """Places on offer across the active sessions."""
        total = self.zones_capacity
        return sum(session.capacity(total) for session in self.sessions if session.active)

    def session_zones(self) -> list[SessionZone]:
        return [
            SessionZone(session.id, zone.id, zone.capacity)
            for session in self.sessions
            if not session.removed
            for zone in self.zones
        ]

    def session(self, session_id: uuid.UUID) -> Session:
        found = next((s for s in self.sessions if s.id == session_id and not s.removed), None)
        if found is None:
            raise SessionNotFound(session_id)
        return found

    def snapshot(self) -> Event:
        """A copy that later changes in the same command do not alter."""
        copied = copy.copy(self)
        copied.zones = [copy.copy(zone) for zone in self.zones]
        copied.sessions = [copy.copy(session) for session in self.sessions]
        copied.events = []
        return copied

    def ensure_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise StaleVersion(expected, self.version)

    # ------------------------------------------------------------ lifecycle

    def publish(self, now: dt.datetime) -> None:
        """draft → published; draft sessions go on sale."""
        if self.status is not EventStatus.DRAFT:
            raise InvalidTransition(f"Only a draft can be published; this event is {self.status}.")
        if self.ends_at <= now:
            raise InvalidTransition("The event has already ended; change its dates before publishing it.")
        if not any(session.active for session in self.sessions):
            raise InvalidTransition("Publishing needs at least one session that is not cancelled.")
        for session in self.sessions:
            if not session.removed and session.status is SessionStatus.DRAFT:
                session.status = SessionStatus.ON_SALE
                session.updated_at = now
        self.status = EventStatus.PUBLISHED
        self.published_at = now
        self._touch(now)
        self.events.append(EventPublished(self.snapshot(), now))

    def feature(self, featured: bool, now: dt.datetime) -> None:
        """Puts the event on the front page, or takes it off; only a published event goes on it."""
        if featured == self.featured:
            return
        if featured and self.status is not EventStatus.PUBLISHED:
            raise InvalidTransition(f"Only a published event can be featured; this event is {self.status}.")
        self.featured = featured
        self._touch(now)
        self.events.append(EventUpdated(self.snapshot(), now, ("featured",)))

    def cancel(self, reason: str, now: dt.datetime) -> None:
        """published → cancelled; every session that has not finished is cancelled with it."""
        if self.status is not EventStatus.PUBLISHED:
            detail = "delete a draft instead" if self.status is EventStatus.DRAFT else f"it is {self.status}"
            raise InvalidTransition(f"Only a published event can be cancelled ({detail}).")
        check = InputCheck()
        reason = check.optional_line("reason", reason, max_length=CANCELLATION_REASON_MAX)
        check.raise_if_any()
        for session in self.sessions:
            if not session.removed and session.status not in (
                SessionStatus.FINISHED,
                SessionStatus.CANCELLED,
            ):
                session.status = SessionStatus.CANCELLED
                session.updated_at = now
        self.status = EventStatus.CANCELLED
        self.cancelled_at = now
        self.cancellation_reason = reason
        self._touch(now)
        self.events.append(EventCancelled(self.snapshot(), now, reason))

    def complete(self, now: dt.datetime) -> None:
        """published → completed, once the event is over; sessions still standing are finished."""
        if self.status is not EventStatus.PUBLISHED:
            raise InvalidTransition(f"Only a published event can be completed; this event is {self.status}.")
        if self.ends_at > now:
            raise InvalidTransition("The event has not ended yet.")
        for session in self.sessions:
            if session.active:
                session.status = SessionStatus.FINISHED
                session.updated_at = now
        self.status = EventStatus.COMPLETED
        self._touch(now)
        self.events.append(EventUpdated(self.snapshot(), now, ("status",)))

    def delete(self, now: dt.datetime) -> None:
        """Soft deletion; a published event is cancelled first, so buyers are told."""
        if self.status is EventStatus.PUBLISHED:
            raise InvalidTransition("Cancel a published event before deleting it.")
        self.deleted_at = now
        for session in self.sessions:
            if not session.removed:
                session.deleted_at = now
        self._touch(now)
        self.events.append(EventUpdated(self.snapshot(), now, ("deleted_at",)))

    # ------------------------------------------------------------ edits

    @property
    def may_have_sales(self) -> bool:
        """Only a published event sells; a draft never did (its places need no counting)."""
        return self.status is not EventStatus.DRAFT

    def update(self, changes: EventChanges, now: dt.datetime, taken: Taken | None = None) -> tuple[str, ...]:
        """Applies a partial update as a whole or not at all; returns the names of the changed fields.

        Zones of an event that may have sales are replaced only when ``taken`` (places held or sold
        per session x zone, from ticketing_svc) leaves room: a zone with places taken is neither
        removed nor shrunk below them (PlacesTaken).
        """
        self._ensure_editable()
        if changes.zones is not None and self.may_have_sales and taken is None:
            raise SalesUnknown("The places already taken must be known to change the zones of this event.")
        check = InputCheck()
        staged = _staged_event_fields(check, changes)
        if changes.starts_at is not None or changes.ends_at is not None:
            staged.update(self._staged_period(check, changes, now))
        if changes.zones is not None:
            staged["zones"] = self._replacement_zones(check, changes.zones)
            check.raise_if_any()
            self._ensure_room(staged["zones"], taken or {})  # type: ignore[arg-type]
        if changes.sales is not None:
            period_end = staged.get("ends_at", self.ends_at)
            assert isinstance(period_end, dt.datetime)
            staged["sales"] = _sales(check.nested("sales"), changes.sales, self.sales, period_end=period_end)
        check.raise_if_any()
        changed = tuple(
            sorted(name for name, value in staged.items() if _differs(getattr(self, name), value))
        )
        for name in changed:
            setattr(self, name, staged[name])
        if changed:
            self._touch(now)
            self.events.append(EventUpdated(self.snapshot(), now, changed))
        return changed

    def _staged_period(self, check: InputCheck, changes: EventChanges, now: dt.datetime) -> dict[str, object]:
        period = _period(
            check,
            changes.starts_at or self.starts_at,
            changes.ends_at or self.ends_at,
            now=now,
            must_be_future=_moved(changes.starts_at, self.starts_at),
        )
        if period is None:
            return {}
        for session in self.live_sessions:
            if session.starts_at < period[0] or session.ends_at > period[1]:
                check.fail(
                    "starts_at" if session.starts_at < period[0] else "ends_at",
                    f"session {session.id} ({utc_iso(session.starts_at)} to "
                    f"{utc_iso(session.ends_at)}) would fall outside the event",
                )
        return {"starts_at": period[0], "ends_at": period[1]}

    def _replacement_zones(self, check: InputCheck, given: Sequence[ZoneInput]) -> list[Zone]:
        zones = _zones(check, given, existing=self.zones)
        total = sum(zone.capacity for zone in zones)
        for session in self.live_sessions:
            if zones and session.capacity_override is not None and session.capacity_override > total:
                check.fail("zones", f"session {session.id} has a capacity override above the zones' {total}")
        return zones

    def _ensure_room(self, zones: Sequence[Zone], taken: Taken) -> None:
        kept = {zone.id: zone for zone in zones}
        for zone in self.zones:
            most = max((n for (_, zone_id), n in taken.items() if zone_id == zone.id), default=0)
            if most == 0:
                continue
            replacement = kept.get(zone.id)
            if replacement is None:
                raise PlacesTaken(
                    f"Zone {zone.name} cannot be removed: {most} of its places are held or sold "
                    "in a session.",
                    taken=most,
                    zone=zone.name,
                )
            if replacement.capacity < most:
                raise PlacesTaken(
                    f"Zone {zone.name} cannot go below {most} places: {most} are held or sold in a session.",
                    taken=most,
                    zone=zone.name,
                )

    def add_session(self, data: SessionInput, now: dt.datetime) -> Session:
        self._ensure_editable()
        if len(self.live_sessions) >= SESSIONS_MAX:
            raise InvalidInput.single("session", f"an event has at most {SESSIONS_MAX} sessions")
        check = InputCheck()
        status: SessionStatus | None = (
            SessionStatus.DRAFT if self.status is EventStatus.DRAFT else SessionStatus.ON_SALE
        )
        if data.status:
            status = check.choice("status", data.status, SessionStatus)
            if status is not None and status not in INITIAL_SESSION_STATUSES:
                check.fail("status", "a new session starts as draft, teaser, presale or on_sale")
        session = _new_session(check, data, (self.starts_at, self.ends_at), now=now, status=status or S.DRAFT)
        _check_override(check, session, self.zones_capacity, zones_known=True)
        check.raise_if_any()
        self._ensure_status_fits(session.status)
        self._ensure_no_overlap(session)
        self.sessions.append(session)
        self._touch(now)
        self.events.append(SessionChanged(self.snapshot(), copy.copy(session), SessionChange.ADDED, now))
        return session

    def update_session(self, session_id: uuid.UUID, changes: SessionChanges, now: dt.datetime) -> Session:
        self._ensure_editable()
        session = self.session(session_id)
        if session.status in CLOSED_SESSION_STATUSES:
            raise InvalidTransition(f"A {session.status} session can no longer be changed.")
        if session.status is SessionStatus.IN_PROGRESS and (changes.starts_at or changes.ends_at):
            raise InvalidTransition("A session in progress keeps its dates.")
        check = InputCheck()
        staged = _staged_session_fields(check, changes, self.zones_capacity)
        if changes.starts_at is not None or changes.ends_at is not None:
            period = _period(
                check,
                changes.starts_at or session.starts_at,
                changes.ends_at or session.ends_at,
                now=now,
                must_be_future=_moved(changes.starts_at, session.starts_at),
            )
            if period is not None and _within(check, period, (self.starts_at, self.ends_at)):
                staged["starts_at"], staged["ends_at"] = period
        target = check.choice("status", changes.status, SessionStatus) if changes.status else None
        check.raise_if_any()
        if target is not None and target is not session.status:
            if target not in SESSION_TRANSITIONS[session.status]:
                raise InvalidTransition(f"A session cannot go from {session.status} to {target}.")
            self._ensure_status_fits(target)
            staged["status"] = target
        changed = [name for name, value in staged.items() if _differs(getattr(session, name), value)]
        if not changed:
            return session
        candidate = copy.copy(session)
        for name in changed:
            setattr(candidate, name, staged[name])
        if candidate.active and {"starts_at", "ends_at", "place"} & set(changed):
            self._ensure_no_overlap(candidate)
        for name in changed:
            setattr(session, name, staged[name])
        session.updated_at = now
        self._touch(now)
        self.events.append(SessionChanged(self.snapshot(), copy.copy(session), SessionChange.UPDATED, now))
        return session

    def remove_session(self, session_id: uuid.UUID, now: dt.datetime, taken: Taken | None = None) -> Session:
        """Removes a session that is not on sale; one with places held or sold (``taken``, from
        ticketing_svc) stays (PlacesTaken): cancel it instead, so its buyers are told."""
        self._ensure_editable()
        session = self.session(session_id)
        if session.status in (SessionStatus.PRESALE, SessionStatus.ON_SALE, SessionStatus.IN_PROGRESS):
            raise InvalidTransition(
                f"A session that is {session.status} cannot be removed: suspend or cancel it first."
            )
        if len(self.live_sessions) == 1:
            raise InvalidTransition(
                "An event keeps at least one session: add another before removing this one."
            )
        if self.may_have_sales:
            if taken is None:
                raise SalesUnknown("The places already taken must be known to remove a session.")
            count = sum(n for (s, _), n in taken.items() if s == session_id)
            if count:
                raise PlacesTaken(
                    f"This session has {count} places held or sold: cancel it instead of removing it.",
                    taken=count,
                    session_id=session_id,
                )
        session.deleted_at = now
        session.updated_at = now
        self._touch(now)
        self.events.append(SessionChanged(self.snapshot(), copy.copy(session), SessionChange.REMOVED, now))
        return session

    # ------------------------------------------------------------ rules

    def _touch(self, now: dt.datetime) -> None:
        # One version per command: pending events mean this command already moved it.
        if not self.events:
            self.version += 1
        self.updated_at = now

    def _ensure_editable(self) -> None:
        if self.deleted or self.status not in (EventStatus.DRAFT, EventStatus.PUBLISHED):
            raise InvalidTransition(f"A {self.status} event can no longer be changed.")

    def _ensure_status_fits(self, status: SessionStatus) -> None:
        if status not in SESSION_STATUSES_WHILE[self.status]:
            raise InvalidTransition(f"No session can be {status} while the event is {self.status}.")

    def _ensure_no_overlap(self, candidate: Session) -> None:
        for other in self.sessions:
            if other.id != candidate.id and other.active and other.overlaps(candidate):
                raise SessionOverlap(
                    session_id=candidate.id,
                    conflicting_session_id=other.id,
                    conflicting_starts_at=utc_iso(other.starts_at),
                    conflicting_ends_at=utc_iso(other.ends_at),
                )


# ---------------------------------------------------------------- validation of the parts


def _differs(current: object, new: object) -> bool:
    if isinstance(current, list) and isinstance(new, list):
        return [_zone_key(z) for z in current] != [_zone_key(z) for z in new]
    return bool(current != new)


def _zone_key(zone: object) -> tuple[object, ...]:
    assert isinstance(zone, Zone)
    return (zone.id, zone.name, zone.price, zone.capacity)


def _staged_event_fields(check: InputCheck, changes: EventChanges) -> dict[str, object]:
    """The cleaned new values of the plain fields a partial update sets."""
    cleaners: dict[str, Callable[[Any], object]] = {
        "name": lambda value: check.line("name", value, max_length=NAME_MAX, min_length=NAME_MIN),
        "description": lambda value: check.text("description", value, max_length=DESCRIPTION_MAX),
        "category": lambda value: check.choice("category", value, Category),
        "venue": lambda value: _venue(check.nested("venue"), value),
        "image_url": lambda value: check.web_url("image_url", value, max_length=IMAGE_URL_MAX),
        "timezone": lambda value: check.timezone("timezone", value),
    }
    return {
        name: clean(getattr(changes, name))
        for name, clean in cleaners.items()
        if getattr(changes, name) is not None
    }


def _staged_session_fields(
    check: InputCheck, changes: SessionChanges, zones_capacity: int
) -> dict[str, object]:
    def override(value: int) -> int | None:
        # 0 removes the override.
        if value != 0:
            check.whole_number("capacity_override", value, minimum=1, maximum=zones_capacity)
        return value or None

    cleaners: dict[str, Callable[[Any], object]] = {
        "title": lambda value: check.optional_line("title", value, max_length=SESSION_TITLE_MAX),
        "presenter": lambda value: check.optional_line("presenter", value, max_length=PRESENTER_MAX),
        "place": lambda value: check.optional_line("place", value, max_length=PLACE_MAX),
        "resources": lambda value: _resources(check, value),
        "capacity_override": override,
    }
    return {
        name: clean(getattr(changes, name))
        for name, clean in cleaners.items()
        if getattr(changes, name) is not None
    }


def _venue(check: InputCheck, data: VenueInput) -> Venue:
    name = check.line("name", data.name, max_length=VENUE_NAME_MAX)
    city = check.line("city", data.city, max_length=CITY_MAX)
    address = check.line("address", data.address, max_length=ADDRESS_MAX)
    latitude, longitude = data.latitude, data.longitude
    if (latitude is None) != (longitude is None):
        check.fail("latitude" if latitude is None else "longitude", "latitude and longitude go together")
    if latitude is not None and not (math.isfinite(latitude) and -90 <= latitude <= 90):
        check.fail("latitude", "must be between -90 and 90")
    if longitude is not None and not (math.isfinite(longitude) and -180 <= longitude <= 180):
        check.fail("longitude", "must be between -180 and 180")
    return Venue(name, city, address, latitude, longitude)


def _zones(check: InputCheck, given: Sequence[ZoneInput], existing: Sequence[Zone]) -> list[Zone]:
    if not given:
        check.fail("zones", "an event needs at least one zone")
    if len(given) > ZONES_MAX:
        check.fail("zones", f"an event has at most {ZONES_MAX} zones")
        return []
    # A zone that keeps its name keeps its id, so inventory and links to it survive a replacement.
    known = {fold(zone.name): (zone.id, zone.max_per_order) for zone in existing}
    zones: list[Zone] = []
    seen: dict[str, int] = {}
    for index, data in enumerate(given):
        item = check.nested(f"zones.{index}")
        name = item.line("name", data.name, max_length=ZONE_NAME_MAX)
        price = item.money("price", data.price_amount, data.currency)
        capacity = item.whole_number("capacity", data.capacity, minimum=1, maximum=ZONE_CAPACITY_MAX)
        key = fold(name)
        if name and key in seen:
            item.fail("name", f"repeats the name of zone {seen[key]}")
        seen.setdefault(key, index)
        kept = known.get(key)
        limit = data.max_per_order
        if limit is None:
            limit = kept[1] if kept is not None else DEFAULT_MAX_PER_ORDER
        item.whole_number("max_per_order", limit, minimum=1, maximum=MAX_PER_ORDER_MAX)
        if price is not None:
            zones.append(Zone(kept[0] if kept else uuid.uuid4(), name, price, capacity, limit))
    return zones


def _sales(
    check: InputCheck, given: SalesInput | None, current: SaleSettings, *, period_end: dt.datetime | None
) -> SaleSettings:
    """The settings after applying ``given`` to ``current``; problems recorded in ``check``."""
    if given is None:
        return current
    on_sale_at = current.on_sale_at
    if given.clear_on_sale_at:
        on_sale_at = None
    elif given.on_sale_at is not None:
        on_sale_at = check.aware("on_sale_at", given.on_sale_at)
        if on_sale_at is not None and period_end is not None and on_sale_at >= period_end:
            check.fail("on_sale_at", "must be before the event ends")
    hold = given.hold_minutes if given.hold_minutes is not None else current.hold_minutes
    check.whole_number("hold_minutes", hold, minimum=HOLD_MINUTES_MIN, maximum=HOLD_MINUTES_MAX)
    per_customer = current.max_per_customer
    if given.max_per_customer is not None:
        per_customer = given.max_per_customer or None
        if per_customer is not None:
            check.whole_number("max_per_customer", per_customer, minimum=1, maximum=MAX_PER_CUSTOMER_MAX)
    waiting_room = given.waiting_room if given.waiting_room is not None else current.waiting_room
    rate = (
        given.admission_per_minute if given.admission_per_minute is not None else current.admission_per_minute
    )
    check.whole_number("admission_per_minute", rate, minimum=1, maximum=ADMISSION_PER_MINUTE_MAX)
    if waiting_room and on_sale_at is None:
        check.fail("waiting_room", "needs on_sale_at: the line starts moving at the on-sale")
    payment = given.payment_minutes if given.payment_minutes is not None else current.payment_minutes
    check.whole_number("payment_minutes", payment, minimum=PAYMENT_MINUTES_MIN, maximum=PAYMENT_MINUTES_MAX)
    reentry = given.reentry_allowed if given.reentry_allowed is not None else current.reentry_allowed
    transfers = given.transfers_allowed if given.transfers_allowed is not None else current.transfers_allowed
    return SaleSettings(on_sale_at, hold, per_customer, waiting_room, rate, payment, reentry, transfers)


def _period(
    check: InputCheck,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    *,
    now: dt.datetime,
    must_be_future: bool,
) -> tuple[dt.datetime, dt.datetime] | None:
    start = check.aware("starts_at", starts_at)
    end = check.aware("ends_at", ends_at)
    if start is None or end is None:
        return None
    problems = len(check.problems)
    if end <= start:
        check.fail("ends_at", "must be after starts_at")
    elif end - start > MAX_EVENT_LENGTH:
        check.fail("ends_at", f"must be within {MAX_EVENT_LENGTH.days} days of starts_at")
    if must_be_future and start <= now:
        check.fail("starts_at", "must be in the future")
    elif start > now + MAX_LEAD_TIME:
        check.fail("starts_at", "must be within the next five years")
    return (start, end) if len(check.problems) == problems else None


def _within(
    check: InputCheck, period: tuple[dt.datetime, dt.datetime], event: tuple[dt.datetime, dt.datetime]
) -> bool:
    ok = True
    if period[0] < event[0]:
        check.fail("starts_at", f"must not be before the event starts ({utc_iso(event[0])})")
        ok = False
    if period[1] > event[1]:
        check.fail("ends_at", f"must not be after the event ends ({utc_iso(event[1])})")
        ok = False
    return ok


def _resources(check: InputCheck, given: Sequence[str]) -> tuple[str, ...]:
    if len(given) > RESOURCES_MAX:
        check.fail("resources", f"at most {RESOURCES_MAX} resources")
        return ()
    cleaned = [check.line(f"resources.{i}", value, max_length=RESOURCE_MAX) for i, value in enumerate(given)]
    return tuple(dict.fromkeys(cleaned))


def _new_session(
    check: InputCheck,
    data: SessionInput,
    event_period: tuple[dt.datetime, dt.datetime],
    *,
    now: dt.datetime,
    status: SessionStatus,
) -> Session:
    title = check.optional_line("title", data.title, max_length=SESSION_TITLE_MAX)
    presenter = check.optional_line("presenter", data.presenter, max_length=PRESENTER_MAX)
    place = check.optional_line("place", data.place, max_length=PLACE_MAX)
    resources = _resources(check, data.resources)
    override = data.capacity_override
    period = _period(check, data.starts_at, data.ends_at, now=now, must_be_future=True)
    if period is not None:
        _within(check, period, event_period)
    starts_at, ends_at = period or event_period
    return Session(
        id=uuid.uuid4(),
        title=title,
        presenter=presenter,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        capacity_override=override,
        resources=resources,
        status=status,
        created_at=now,
        updated_at=now,
    )


def _check_override(check: InputCheck, session: Session, zones_capacity: int, *, zones_known: bool) -> None:
    override = session.capacity_override
    if override is None:
        return
    if override < 1:
        check.fail("capacity_override", "must be at least 1")
    elif zones_known and override > zones_capacity:
        check.fail("capacity_override", f"must not exceed the zones' capacity ({zones_capacity})")


def _moved(new: dt.datetime | None, current: dt.datetime) -> bool:
    """True when a new start time is given that differs from the current one (or cannot be compared)."""
    return new is not None and (new.tzinfo is None or new != current)
