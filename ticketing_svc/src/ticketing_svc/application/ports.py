"""What the use cases need from the outside world. Adapters implement these; unit tests fake them."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence

import taquilla_runtime.unit_of_work
from ticketing_svc.domain.events import DomainEvent
from ticketing_svc.domain.model import (
    CatalogEvent,
    InventoryLine,
    ItemRequest,
    Offer,
    Reservation,
    ReservationStatus,
)
from ticketing_svc.domain.waiting_room import QueueEntry


class CatalogCopy(abc.ABC):
    """Ticketing's copy of the catalog: the latest version of each event it was told about."""

    @abc.abstractmethod
    async def offer(self, session_id: uuid.UUID) -> Offer | None:
        """The event the session belongs to with the session's places left per zone, read in one go;
        None when ticketing has not heard of the session."""

    @abc.abstractmethod
    async def get(self, event_id: uuid.UUID) -> CatalogEvent | None: ...

    @abc.abstractmethod
    async def store(self, event: CatalogEvent, *, read_through: bool = False) -> bool:
        """Stores the event unless the stored copy is as new; True when it was stored.

        The catalog gives every message of one command the same version (publishing a new event
        sends EventCreated then EventPublished, both at version 1) and delivers them in order, so a
        message replaces a copy of the same version taken from an earlier message. A copy read
        through from the catalog is already the last state of its version: only a newer version
        replaces it, and a read-through replaces any copy of its version or older.
        Adds an inventory line for every new session x zone, and follows capacity changes."""


class Inventory(abc.ABC):
    """Places per session x zone. The only writer of held and sold."""

    @abc.abstractmethod
    async def take(
        self, session_id: uuid.UUID, items: Sequence[ItemRequest]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        """Holds the places of every item, all or none, atomically against concurrent takers.

        Returns the lines before and after. Raises SoldOut (with the places left per zone) when
        some zone has fewer places left than asked; the caller's transaction must then roll back.
        """

    @abc.abstractmethod
    async def give_back(
        self, holds: Sequence[tuple[uuid.UUID, uuid.UUID, int]]
    ) -> tuple[list[InventoryLine], list[InventoryLine]]:
        """Returns held places (session id, zone id, quantity); the lines before and after."""

    @abc.abstractmethod
    async def for_event(self, event_id: uuid.UUID) -> list[InventoryLine]: ...


class CustomerPlaces(abc.ABC):
    """How many places of each event every account holds or owns (for the per-customer limit)."""

    @abc.abstractmethod
    async def add(
        self, event_id: uuid.UUID, customer_id: uuid.UUID, places: int, *, limit: int | None
    ) -> int:
        """Adds places unless that would pass ``limit``; returns the places the account had before.

        Raises LimitReached when it would pass. Two concurrent calls for one account see each other.
        """

    @abc.abstractmethod
    async def subtract(self, tallies: Sequence[tuple[uuid.UUID, uuid.UUID, int]]) -> None:
        """(event id, customer id, places) given back."""


class Reservations(abc.ABC):
    @abc.abstractmethod
    async def add(
        self, reservation: Reservation, *, idempotency_key: str | None, fingerprint: str | None
    ) -> None:
        """Stores a new reservation. Raises IdempotencyConflict when another request with the same
        Idempotency-Key of the same account committed first."""

    @abc.abstractmethod
    async def by_idempotency_key(self, customer_id: uuid.UUID, key: str) -> tuple[Reservation, str] | None:
        """The reservation an earlier request with this key made, with that request's fingerprint."""

    @abc.abstractmethod
    async def get(self, reservation_id: uuid.UUID, *, for_update: bool = False) -> Reservation | None: ...

    @abc.abstractmethod
    async def save(self, reservation: Reservation) -> None:
        """Writes back the status of a reservation loaded ``for_update``."""

    @abc.abstractmethod
    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[ReservationStatus],
    ) -> list[Reservation]:
        """The account's reservations, newest first, after (created_at, id)."""

    @abc.abstractmethod
    async def due(self, now: dt.datetime, *, limit: int) -> list[Reservation]:
        """Held reservations whose hold ran out, locked for this transaction; rows another
        transaction has locked are skipped (another sweeper or a release is on them)."""


class Inbox(abc.ABC):
    @abc.abstractmethod
    async def first_time(self, message_id: uuid.UUID, *, message_type: str) -> bool:
        """Records the message as handled; False when it already was (a redelivery)."""


class Outbox(abc.ABC):
    @abc.abstractmethod
    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        """Queues one message per domain event, in the caller's transaction."""


class CatalogReader(abc.ABC):
    """The catalog service itself, read when ticketing has not yet heard of a session."""

    @abc.abstractmethod
    async def event_for_session(self, session_id: uuid.UUID) -> CatalogEvent | None:
        """The published event with this session, as the catalog has it now; None if there is none."""

    @abc.abstractmethod
    async def event(self, event_id: uuid.UUID) -> CatalogEvent | None:
        """The event as anyone may see it now (published, cancelled or over); None if there is none."""


class WaitingRoom(abc.ABC):
    """The lines of gated on-sales (Redis). Raises WaitingRoomUnavailable when it cannot answer."""

    @abc.abstractmethod
    async def join(
        self, event_id: uuid.UUID, customer_id: uuid.UUID, *, now: dt.datetime, early: bool
    ) -> QueueEntry:
        """The account's place in the event's line, made on its first call: ``early`` places go in
        a random order ahead of everyone who joins after the on-sale, first come, first served."""

    @abc.abstractmethod
    async def entry(self, queue_id: uuid.UUID) -> QueueEntry | None:
        """An entry with its current rank in the line, or None."""


class UnitOfWork(taquilla_runtime.unit_of_work.UnitOfWork):
    """One transaction over this service's repositories: committed together, or not at all."""

    catalog: CatalogCopy
    inventory: Inventory
    customers: CustomerPlaces
    reservations: Reservations
    inbox: Inbox
    outbox: Outbox
