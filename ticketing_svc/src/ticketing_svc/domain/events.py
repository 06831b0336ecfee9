"""What happened in ticketing (past tense). Each one becomes one message on taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ticketing_svc.domain.model import InventoryLine, Reservation


@dataclass(frozen=True, slots=True)
class ReservationHeld:
    reservation: Reservation
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReservationReleased:
    reservation: Reservation
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReservationExpired:
    reservation: Reservation
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ZoneSoldOut:
    event_id: uuid.UUID
    event_name: str
    line: InventoryLine
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ZoneBackOnSale:
    event_id: uuid.UUID
    event_name: str
    line: InventoryLine
    occurred_at: dt.datetime


DomainEvent = ReservationHeld | ReservationReleased | ReservationExpired | ZoneSoldOut | ZoneBackOnSale
