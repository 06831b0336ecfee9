"""What callers ask ticketing to do (imperative), with their raw inputs.

Commands carry the verified caller (:class:`Actor`) where there is one, and the request's
correlation id, which the messages the command causes carry on.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from ticketing_svc.domain.model import CatalogEvent, ItemRequest, ReservationStatus, SessionUpdate


class ActorKind(enum.StrEnum):
    USER = "user"
    CLIENT = "client"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, as the edge verified it."""

    subject: uuid.UUID
    kind: ActorKind = ActorKind.USER

    @property
    def is_user(self) -> bool:
        return self.kind is ActorKind.USER


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A client's Idempotency-Key with a fingerprint of the request it came with."""

    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Reserve:
    actor: Actor | None
    session_id: uuid.UUID
    items: tuple[ItemRequest, ...]
    correlation_id: str | None = None
    idempotency: Idempotency | None = None
    # The waiting room's admission, for gated sales.
    admission: str | None = None


@dataclass(frozen=True, slots=True)
class GetReservation:
    actor: Actor | None
    reservation_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListReservations:
    actor: Actor | None
    limit: int = 20
    # (created_at ISO string, id) of the last reservation of the previous page.
    after: tuple[str, uuid.UUID] | None = None
    statuses: tuple[ReservationStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class ReleaseReservation:
    actor: Actor | None
    reservation_id: uuid.UUID
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ExpireReservations:
    """Ends the holds whose time ran out, up to ``limit`` of them."""

    limit: int = 200


@dataclass(frozen=True, slots=True)
class GetAvailability:
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CountTaken:
    actor: Actor | None
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class FollowCatalog:
    """One message of taquilla.events.v1: the whole event as it is now, or one of its sessions."""

    message_id: uuid.UUID
    message_type: str
    event_id: uuid.UUID
    event: CatalogEvent | None = None
    session: SessionUpdate | None = None


@dataclass(frozen=True, slots=True)
class JoinQueue:
    actor: Actor | None
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class GetQueueStanding:
    actor: Actor | None
    queue_id: uuid.UUID
