"""What happened in the catalog (past tense). Each one becomes one message on taquilla.events.v1.

Events hold a snapshot of the aggregate taken when they happened, so a command that creates and
publishes an event in one go announces both states faithfully.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from event_svc.domain.model import Event, Session


@dataclass(frozen=True, slots=True)
class EventCreated:
    event: Event
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventPublished:
    event: Event
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventUpdated:
    event: Event
    occurred_at: dt.datetime
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventCancelled:
    event: Event
    occurred_at: dt.datetime
    reason: str


class SessionChange(enum.StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class SessionChanged:
    event: Event
    session: Session
    change: SessionChange
    occurred_at: dt.datetime


DomainEvent = EventCreated | EventPublished | EventUpdated | EventCancelled | SessionChanged
