"""What the use cases need from the outside world. Adapters implement these; unit tests fake them."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import taquilla_runtime.unit_of_work
from event_svc.domain.events import DomainEvent
from event_svc.domain.model import Event, EventStatus
from event_svc.domain.search import CatalogSearch, EventListing


class EventRepository(abc.ABC):
    """Events with their zones, live sessions and inventory. Deleted events are never returned."""

    @abc.abstractmethod
    async def add(self, event: Event) -> None:
        """Stores a new event; raises VenueConflict when a session clashes with another event's."""

    @abc.abstractmethod
    async def get(self, event_id: uuid.UUID, *, for_update: bool = False) -> Event | None:
        """The event, or None; ``for_update`` locks it until the transaction ends."""

    @abc.abstractmethod
    async def get_many(self, event_ids: Sequence[uuid.UUID]) -> list[Event]:
        """The events found among these ids, in no particular order (one read for them all)."""

    @abc.abstractmethod
    async def save(self, event: Event) -> None:
        """Writes back an event loaded ``for_update``; raises VenueConflict like :meth:`add`."""

    @abc.abstractmethod
    async def mark_sold_out(self, session_id: uuid.UUID, zone_id: uuid.UUID, sold_out: bool) -> bool:
        """Records whether a zone of a session is sold out, as ticketing_svc said; True if it changed."""

    @abc.abstractmethod
    async def event_id_for_session(self, session_id: uuid.UUID) -> uuid.UUID | None:
        """The id of the event a session (removed or not) belongs to, or None."""

    @abc.abstractmethod
    async def exists(self, event_id: uuid.UUID) -> bool:
        """Whether an event with this id was ever stored, deleted or not."""

    @abc.abstractmethod
    async def list_for_organization(
        self,
        organization_id: uuid.UUID,
        *,
        statuses: Sequence[EventStatus],
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
    ) -> list[Event]:
        """The organization's events by start date then id, after the given (starts_at, id)."""


@dataclass(frozen=True, slots=True)
class StoredResponse:
    operation: str
    fingerprint: str
    response: bytes


class IdempotencyStore(abc.ABC):
    """First responses of requests that carried an Idempotency-Key, kept for a day."""

    @abc.abstractmethod
    async def claim(
        self, subject: uuid.UUID, key: str, *, operation: str, fingerprint: str, now: dt.datetime
    ) -> StoredResponse | None:
        """Reserves the key for this request (None), or returns what the first request stored.

        A concurrent request with the same key waits here until the first one commits or rolls back.
        """

    @abc.abstractmethod
    async def complete(self, subject: uuid.UUID, key: str, response: bytes) -> None:
        """Stores the response of the request that claimed the key."""


class Outbox(abc.ABC):
    @abc.abstractmethod
    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        """Queues one message per domain event, in the caller's transaction."""


class CatalogListings(abc.ABC):
    """Published events as listings and searches see them: read-only, outside any unit of work."""

    @abc.abstractmethod
    async def search(self, search: CatalogSearch) -> tuple[list[EventListing], int | None]:
        """Up to ``search.limit + 1`` events after ``search.after`` in the search's order, and how many
        events match in all when ``search.include_total`` (None otherwise)."""


class TakenPlaces(abc.ABC):
    """ticketing_svc's count of places held or sold, asked before changes that could strand buyers."""

    @abc.abstractmethod
    async def for_event(self, event_id: uuid.UUID) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
        """Places held or sold per (session id, zone id); raises SalesUnknown when it cannot tell."""


class UnitOfWork(taquilla_runtime.unit_of_work.UnitOfWork):
    """One transaction over this service's repositories: committed together, or not at all."""

    events: EventRepository
    idempotency: IdempotencyStore
    outbox: Outbox
