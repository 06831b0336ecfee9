"""In-memory fakes of the catalog's ports, for unit tests of the handlers only."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Sequence

from event_svc.application.ports import EventRepository, IdempotencyStore, Outbox, StoredResponse, UnitOfWork
from event_svc.domain.events import DomainEvent
from event_svc.domain.model import Event, EventStatus


class FakeEventRepository(EventRepository):
    def __init__(self, committed: dict[uuid.UUID, Event]) -> None:
        self._committed = committed
        self.pending: dict[uuid.UUID, Event] = {}
        self.sold_out: set[tuple[uuid.UUID, uuid.UUID]] = set()

    async def add(self, event: Event) -> None:
        self.pending[event.id] = event

    async def get(self, event_id: uuid.UUID, *, for_update: bool = False) -> Event | None:
        event = self.pending.get(event_id) or self._committed.get(event_id)
        if event is None or event.deleted:
            return None
        return copy.deepcopy(event)

    async def get_many(self, event_ids: Sequence[uuid.UUID]) -> list[Event]:
        found = [await self.get(event_id) for event_id in event_ids]
        return [event for event in found if event is not None]

    async def save(self, event: Event) -> None:
        self.pending[event.id] = event

    async def mark_sold_out(self, session_id: uuid.UUID, zone_id: uuid.UUID, sold_out: bool) -> bool:
        key = (session_id, zone_id)
        changed = (key in self.sold_out) != sold_out
        if sold_out:
            self.sold_out.add(key)
        else:
            self.sold_out.discard(key)
        return changed

    async def event_id_for_session(self, session_id: uuid.UUID) -> uuid.UUID | None:
        return next(
            (e.id for e in self._committed.values() if any(s.id == session_id for s in e.sessions)), None
        )

    async def exists(self, event_id: uuid.UUID) -> bool:
        return event_id in self._committed

    async def list_for_organization(
        self,
        organization_id: uuid.UUID,
        *,
        statuses: Sequence[EventStatus],
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
    ) -> list[Event]:
        found = sorted(
            (
                e
                for e in self._committed.values()
                if e.organization_id == organization_id and not e.deleted and e.status in statuses
            ),
            key=lambda e: (e.starts_at, e.id),
        )
        if after is not None:
            found = [e for e in found if (e.starts_at, e.id) > after]
        return [copy.deepcopy(e) for e in found[:limit]]


class FakeIdempotencyStore(IdempotencyStore):
    def __init__(self, committed: dict[tuple[uuid.UUID, str], StoredResponse]) -> None:
        self._committed = committed
        self.pending: dict[tuple[uuid.UUID, str], StoredResponse] = {}
        self._claims: dict[tuple[uuid.UUID, str], tuple[str, str]] = {}

    async def claim(
        self, subject: uuid.UUID, key: str, *, operation: str, fingerprint: str, now: dt.datetime
    ) -> StoredResponse | None:
        stored = self._committed.get((subject, key))
        if stored is not None:
            return stored
        self._claims[(subject, key)] = (operation, fingerprint)
        return None

    async def complete(self, subject: uuid.UUID, key: str, response: bytes) -> None:
        operation, fingerprint = self._claims[(subject, key)]
        self.pending[(subject, key)] = StoredResponse(operation, fingerprint, response)


class FakeOutbox(Outbox):
    def __init__(self) -> None:
        self.pending: list[tuple[DomainEvent, str | None]] = []

    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        self.pending.extend((event, correlation_id) for event in events)


class FakeUnitOfWork(UnitOfWork):
    """Keeps what was committed across transactions; everything else is dropped on rollback."""

    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, Event] = {}
        self.responses: dict[tuple[uuid.UUID, str], StoredResponse] = {}
        self.messages: list[tuple[DomainEvent, str | None]] = []
        self.commits = 0
        self._begin()

    def _begin(self) -> None:
        self.events = FakeEventRepository(self.stored)
        self.idempotency = FakeIdempotencyStore(self.responses)
        self.outbox = FakeOutbox()

    async def __aenter__(self) -> FakeUnitOfWork:
        self._begin()
        return self

    async def commit(self) -> None:
        assert isinstance(self.events, FakeEventRepository)
        assert isinstance(self.idempotency, FakeIdempotencyStore)
        assert isinstance(self.outbox, FakeOutbox)
        self.stored.update({k: copy.deepcopy(v) for k, v in self.events.pending.items()})
        self.responses.update(self.idempotency.pending)
        self.messages.extend(self.outbox.pending)
        self.commits += 1
        self._begin()

    async def rollback(self) -> None:
        self._begin()
