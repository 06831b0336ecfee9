"""The catalog's use cases: one async function per command, each one transaction.

Handlers load aggregates through the unit of work, let the domain decide, queue the resulting
domain events in the outbox and commit, in that order. Requests that carry an Idempotency-Key store
their encoded response in the same transaction, so a replay returns exactly the first answer.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from event_svc.application.ports import CatalogListings, TakenPlaces, UnitOfWork
from event_svc.domain import access
from event_svc.domain.commands import (
    Actor,
    AddSession,
    BatchCreateEvents,
    CancelEvent,
    CreateEvent,
    DeleteEvent,
    FeatureEvent,
    FindEventBySession,
    FollowSales,
    GetEvent,
    GetEvents,
    GetSession,
    Idempotency,
    ListOrganizationEvents,
    PublishEvent,
    RemoveSession,
    SearchEvents,
    UpdateEvent,
    UpdateSession,
)
from event_svc.domain.errors import (
    EventNotFound,
    FieldProblem,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    SessionNotFound,
    Unauthenticated,
    VenueConflict,
)
from event_svc.domain.events import DomainEvent
from event_svc.domain.model import Event, EventStatus, Session
from event_svc.domain.search import CatalogSearch, ListingPage
from event_svc.domain.values import InputCheck

Clock = Callable[[], dt.datetime]
BATCH_MAX = 100
EVENTS_READ_MAX = 100
PAGE_SIZE_MAX = 100
# Without a status filter, an organization's listing shows what is being worked on or sold.
DEFAULT_LISTED_STATUSES = (EventStatus.DRAFT, EventStatus.PUBLISHED)


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- creation


async def create_event(
    cmd: CreateEvent, uow: UnitOfWork, encode: Callable[[Event], bytes], clock: Clock = system_clock
) -> bytes:
    """Creates an event with its zones, sessions and inventory in one transaction.

    The event is a draft unless ``cmd.publish``. Returns ``encode(event)``, or, for a replayed
    Idempotency-Key, the bytes the first request returned.
    """
    now = clock()
    organization_id = access.organization_for_new_event(cmd.actor, cmd.event.organization_id)
    actor = _signed_in(cmd.actor)
    async with uow:
        if cmd.idempotency is not None:
            replay = await _claim(uow, actor, cmd.idempotency, "CreateEvent", now)
            if replay is not None:
                return replay
        event = Event.create(
            cmd.event,
            organization_id=organization_id,
            created_by=actor.subject,
            now=now,
            event_id=cmd.event_id,
        )
        if cmd.publish:
            event.publish(now)
        try:
            await uow.events.add(event)
        except VenueConflict as overlap:
            raise _attribute(overlap, event) from None
        await uow.outbox.add(_drain(event), correlation_id=cmd.correlation_id)
        response = encode(event)
        if cmd.idempotency is not None:
            await uow.idempotency.complete(actor.subject, cmd.idempotency.key, response)
        await uow.commit()
    return response


class BatchItemStatus(enum.StrEnum):
    CREATED = "created"
    INVALID = "invalid"
    CONFLICT = "conflict"
    # Valid, but not created because another item of the batch failed (all or nothing).
    NOT_CREATED = "not_created"


@dataclass(frozen=True, slots=True)
class BatchItemOutcome:
    index: int
    status: BatchItemStatus
    event: Event | None = None
    problems: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    committed: bool
    items: tuple[BatchItemOutcome, ...]


async def batch_create_events(
    cmd: BatchCreateEvents,
    uow: UnitOfWork,
    encode: Callable[[BatchOutcome], bytes],
    clock: Clock = system_clock,
) -> bytes:
    """Creates up to 100 events, all or nothing.

    Every item is validated; if any is invalid, or any session clashes with another one, nothing is
    created and the outcome says, item by item, what was wrong (``invalid``, ``conflict``) and what
    would have been created (``not_created``). Otherwise every event is created in one transaction.
    """
    now = clock()
    actor = _signed_in(cmd.actor)
    if not 1 <= len(cmd.items) <= BATCH_MAX:
        raise InvalidInput.single("events", f"send between 1 and {BATCH_MAX} events")
    async with uow:
        if cmd.idempotency is not None:
            replay = await _claim(uow, actor, cmd.idempotency, "BatchCreateEvents", now)
            if replay is not None:
                return replay
        created: list[Event] = []
        rejected: dict[int, BatchItemOutcome] = {}
        for index, item in enumerate(cmd.items):
            try:
                organization_id = access.organization_for_new_event(actor, item.event.organization_id)
                event = Event.create(
                    item.event, organization_id=organization_id, created_by=actor.subject, now=now
                )
                if item.publish:
                    event.publish(now)
            except InvalidInput as invalid:
                rejected[index] = BatchItemOutcome(
                    index, BatchItemStatus.INVALID, problems=tuple(invalid.problems)
                )
                continue
            except InvalidTransition as refused:
                problem = FieldProblem("publish", str(refused))
                rejected[index] = BatchItemOutcome(index, BatchItemStatus.INVALID, problems=(problem,))
                continue
            created.append(event)
        if not rejected:
            for index, event in enumerate(created):
                try:
                    await uow.events.add(event)
                except VenueConflict as overlap:
                    clash = _attribute(overlap, event)
                    problem = FieldProblem(clash.field, str(clash))
                    rejected[index] = BatchItemOutcome(index, BatchItemStatus.CONFLICT, problems=(problem,))
                    break
        if rejected:
            # Leaving without commit rolls back whatever was written: nothing of the batch is kept.
            return encode(
                BatchOutcome(
                    committed=False,
                    items=tuple(
                        rejected.get(index) or BatchItemOutcome(index, BatchItemStatus.NOT_CREATED)
                        for index in range(len(cmd.items))
                    ),
                )
            )
        await uow.outbox.add(
            [e for event in created for e in _drain(event)], correlation_id=cmd.correlation_id
        )
        response = encode(
            BatchOutcome(
                committed=True,
                items=tuple(
                    BatchItemOutcome(index, BatchItemStatus.CREATED, event=event)
                    for index, event in enumerate(created)
                ),
            )
        )
        if cmd.idempotency is not None:
            await uow.idempotency.complete(actor.subject, cmd.idempotency.key, response)
        await uow.commit()
    return response


# ---------------------------------------------------------------- reading


async def get_event(cmd: GetEvent, uow: UnitOfWork) -> Event:
    """The event as the caller may see it (drafts of other organizations do not exist for them)."""
    async with uow:
        event = await uow.events.get(cmd.event_id)
    if event is None:
        raise EventNotFound(cmd.event_id)
    access.ensure_can_view(cmd.actor, event)
    return _as_seen_by(cmd.actor, event)


async def get_events(cmd: GetEvents, uow: UnitOfWork) -> list[Event]:
    """The events among ``cmd.event_ids`` the caller may see, in the order asked, each once.

    An id that names no event the caller may see (malformed, unknown, deleted, another
    organization's draft) is left out rather than failing the others: a list shows what exists.
    """
    if len(cmd.event_ids) > EVENTS_READ_MAX:
        check = InputCheck()
        check.fail("event_ids", f"at most {EVENTS_READ_MAX} ids at once")
        check.raise_if_any()
    wanted: list[uuid.UUID] = []
    for raw in cmd.event_ids:
        try:
            event_id = uuid.UUID(raw)
        except ValueError:
            continue
        if event_id not in wanted:
            wanted.append(event_id)
    async with uow:
        found = {event.id: event for event in await uow.events.get_many(wanted)}
    return [
        _as_seen_by(cmd.actor, found[event_id])
        for event_id in wanted
        if event_id in found and access.can_view(cmd.actor, found[event_id])
    ]


async def get_session(cmd: GetSession, uow: UnitOfWork) -> tuple[Event, Session]:
    """One session as the caller may see it, with its event: draft sessions stay with the
    organization, and a session nobody may see is not found, like a removed one."""
    event = await get_event(GetEvent(actor=cmd.actor, event_id=cmd.event_id), uow)
    return event, event.session(cmd.session_id)


async def find_event_by_session(cmd: FindEventBySession, uow: UnitOfWork) -> Event:
    """The published event a session belongs to, as anyone may see it (for other services)."""
    async with uow:
        event_id = await uow.events.event_id_for_session(cmd.session_id)
    if event_id is None:
        raise SessionNotFound(cmd.session_id)
    try:
        event = await get_event(GetEvent(actor=None, event_id=event_id), uow)
    except EventNotFound:
        raise SessionNotFound(cmd.session_id) from None
    event.session(cmd.session_id)  # a removed session is not found
    return event


async def follow_sales(cmd: FollowSales, uow: UnitOfWork) -> bool:
    """Keeps the listings' "available" filter in step with ticketing_svc's sold-out transitions.

    Setting a flag is idempotent, and one session's messages arrive in order (keyed by session), so
    a redelivery changes nothing. Returns whether the flag changed.
    """
    async with uow:
        changed = await uow.events.mark_sold_out(cmd.session_id, cmd.zone_id, cmd.sold_out)
        await uow.commit()
    return changed


async def list_organization_events(
    cmd: ListOrganizationEvents, uow: UnitOfWork
) -> tuple[list[Event], tuple[dt.datetime, uuid.UUID] | None]:
    """A page of the caller's organization's events by start date, and where the next page starts."""
    organization_id = access.organization_of(cmd.actor)
    check = InputCheck()
    statuses = [check.choice(f"statuses.{i}", status, EventStatus) for i, status in enumerate(cmd.statuses)]
    check.whole_number("page_size", cmd.page_size, minimum=1, maximum=PAGE_SIZE_MAX)
    check.raise_if_any()
    wanted = [status for status in statuses if status is not None] or list(DEFAULT_LISTED_STATUSES)
    async with uow:
        events = await uow.events.list_for_organization(
            organization_id, statuses=wanted, limit=cmd.page_size + 1, after=cmd.after
        )
    page = events[: cmd.page_size]
    following = (page[-1].starts_at, page[-1].id) if len(events) > cmd.page_size else None
    return [_as_seen_by(cmd.actor, event) for event in page], following


async def search_events(
    cmd: SearchEvents, listings: CatalogListings, clock: Clock = system_clock
) -> ListingPage:
    """A page of published events matching the search, and where the next page starts.

    Anyone may search: only published events are ever listed, the same for every caller.
    """
    search = CatalogSearch.parse(
        text=cmd.text,
        category=cmd.category,
        city=cmd.city,
        date_from=cmd.date_from,
        date_to=cmd.date_to,
        price_min=cmd.price_min,
        price_max=cmd.price_max,
        available_only=cmd.available_only,
        order=cmd.order,
        limit=cmd.limit,
        after=cmd.after,
        include_total=cmd.include_total,
        now=clock(),
        featured_only=cmd.featured_only,
        currency=cmd.currency,
    )
    found, total = await listings.search(search)
    page = found[: search.limit]
    following = page[-1].position if len(found) > search.limit else None
    return ListingPage(events=page, following=following, total=total)


# ---------------------------------------------------------------- changes


async def update_event(
    cmd: UpdateEvent, uow: UnitOfWork, clock: Clock = system_clock, *, taken: TakenPlaces | None = None
) -> Event:
    """Applies a partial update when the caller edited the current version (optimistic locking).

    Replacing the zones of an event that may have sales asks ticketing_svc how many places are
    taken, while the event is locked, so no zone is removed or shrunk below them.
    """
    now = clock()
    async with uow:
        event = await _load_for_change(uow, cmd.actor, cmd.event_id, cmd.expected_version)
        counted = None
        if cmd.changes.zones is not None and event.may_have_sales and taken is not None:
            counted = await taken.for_event(event.id)
        event.update(cmd.changes, now, counted)
        await _save(uow, event, cmd.correlation_id, overlap_field="venue")
    return event


async def feature_event(cmd: FeatureEvent, uow: UnitOfWork, clock: Clock = system_clock) -> Event:
    """Curating the front page is an administrator's call, not the organizer's."""
    access.ensure_admin(cmd.actor, "Only administrators choose the featured events.")
    now = clock()
    async with uow:
        event = await _load_for_change(uow, cmd.actor, cmd.event_id, None)
        event.feature(cmd.featured, now)
        await _save(uow, event, cmd.correlation_id)
    return event


async def publish_event(cmd: PublishEvent, uow: UnitOfWork, clock: Clock = system_clock) -> Event:
    """draft → published. Publishing is when the sessions take their slots at the venue from every
    organization (ADR 0014): one that overlaps another organization's public session is refused."""
    now = clock()
    async with uow:
        event = await _load_for_change(uow, cmd.actor, cmd.event_id, cmd.expected_version)
        event.publish(now)
        try:
            await _save(uow, event, cmd.correlation_id)
        except VenueConflict as overlap:
            raise _attribute(overlap, event) from None
    return event


async def cancel_event(cmd: CancelEvent, uow: UnitOfWork, clock: Clock = system_clock) -> Event:
    now = clock()
    async with uow:
        event = await _load_for_change(uow, cmd.actor, cmd.event_id, cmd.expected_version)
        event.cancel(cmd.reason, now)
        await _save(uow, event, cmd.correlation_id)
    return event


async def delete_event(cmd: DeleteEvent, uow: UnitOfWork, clock: Clock = system_clock) -> None:
    now = clock()
    async with uow:
        event = await _load_for_change(uow, cmd.actor, cmd.event_id, cmd.expected_version)
        event.delete(now)
        await _save(uow, event, cmd.correlation_id)


async def add_session(
    cmd: AddSession, uow: UnitOfWork, encode: Callable[[Event, Session], bytes], clock: Clock = system_clock
) -> bytes:
    """Adds a session (and its inventory) to an event; returns ``encode(event, session)`` or a replay."""
    now = clock()
    actor = _signed_in(cmd.actor)
    async with uow:
        if cmd.idempotency is not None:
            replay = await _claim(uow, actor, cmd.idempotency, f"AddSession:{cmd.event_id}", now)
            if replay is not None:
                return replay
        event = await _load_for_change(uow, actor, cmd.event_id, cmd.expected_version)
        session = event.add_session(cmd.session, now)
        await _save(uow, event, cmd.correlation_id, overlap_field="starts_at", commit=False)
        response = encode(event, session)
        if cmd.idempotency is not None:
            await uow.idempotency.complete(actor.subject, cmd.idempotency.key, response)
        await uow.commit()
    return response


async def update_session(
    cmd: UpdateSession, uow: UnitOfWork, clock: Clock = system_clock
) -> tuple[Event, Session]:
    now = clock()
    async with uow:
        event = await _load_for_change(uow, cmd.actor, cmd.event_id, cmd.expected_version)
        session = event.update_session(cmd.session_id, cmd.changes, now)
        # Only a new status clashes by itself: a draft that opens takes its slot from everyone.
        moved = any(
            value is not None for value in (cmd.changes.starts_at, cmd.changes.ends_at, cmd.changes.place)
        )
        field = "status" if cmd.changes.status and not moved else "starts_at"
        await _save(uow, event, cmd.correlation_id, overlap_field=field)
    return event, session


async def remove_session(
    cmd: RemoveSession, uow: UnitOfWork, clock: Clock = system_clock, *, taken: TakenPlaces | None = None
) -> Event:
    """Removes a session that is not on sale and has no places held or sold (ticketing_svc says)."""
    now = clock()
    async with uow:
        event = await _load_for_change(uow, cmd.actor, cmd.event_id, cmd.expected_version)
        counted = await taken.for_event(event.id) if event.may_have_sales and taken is not None else None
        event.remove_session(cmd.session_id, now, counted)
        await _save(uow, event, cmd.correlation_id)
    return event


# ---------------------------------------------------------------- shared steps


def _signed_in(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("Sign in first.")
    return actor


async def _claim(
    uow: UnitOfWork, actor: Actor, idempotency: Idempotency, operation: str, now: dt.datetime
) -> bytes | None:
    stored = await uow.idempotency.claim(
        actor.subject, idempotency.key, operation=operation, fingerprint=idempotency.fingerprint, now=now
    )
    if stored is None:
        return None
    if stored.operation != operation or stored.fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyReused()
    return stored.response


async def _load_for_change(
    uow: UnitOfWork, actor: Actor | None, event_id: uuid.UUID, expected_version: int | None
) -> Event:
    event = await uow.events.get(event_id, for_update=True)
    if event is None:
        raise EventNotFound(event_id)
    access.ensure_can_manage(actor, event)
    event.ensure_version(expected_version)
    return event


async def _save(
    uow: UnitOfWork, event: Event, correlation_id: str | None, *, overlap_field: str = "", commit: bool = True
) -> None:
    if event.events:
        try:
            await uow.events.save(event)
        except VenueConflict as overlap:
            raise overlap.at(overlap_field) from None
        await uow.outbox.add(_drain(event), correlation_id=correlation_id)
    if commit:
        await uow.commit()


def _drain(event: Event) -> list[DomainEvent]:
    pending = list(event.events)
    event.events.clear()
    return pending


def _attribute(overlap: VenueConflict, event: Event) -> VenueConflict:
    """Names the request field of a new event's session that clashed (``sessions.2``)."""
    index = next((i for i, s in enumerate(event.sessions) if s.id == overlap.session_id), None)
    return overlap.at(f"sessions.{index}" if index is not None else "sessions")


def _as_seen_by(actor: Actor | None, event: Event) -> Event:
    visible = access.visible_sessions(actor, event)
    if len(visible) == len(event.live_sessions):
        return event
    view = event.snapshot()
    view.sessions = visible
    return view
