"""The waiting list of a sold-out zone: who joins, in which order places freed are offered.

A buyer joins the list of one session x zone for a number of places (1 to the zone's places per
order) only while the zone is sold out to the public. Places that come back (a hold that expired, a
reservation released, tickets refunded) are offered to the list before anyone else, in the same
transaction that frees them: the offer is a hold of those places made for the buyer, lasting the
event's hold time, which the buyer checks out like any reservation; an offer left unclaimed expires
like any hold and its places go to the next entry.

The serving rule (strict first come, first served):

* Entries are served in the order they joined (``position``, from a database sequence).
* The entry at the head of the list, for ``q`` places, is served as soon as ``q`` places are free;
  the entries behind it wait until it is served or leaves, even a smaller one that would fit now.
  Free places are not offered to anyone else meanwhile, not to smaller entries and not to the public
  (a zone with entries waiting counts as sold out: ``InventoryLine.available`` is 0).
* Nobody starves. The head never waits for places given to others: every place freed stays free
  until the head has its ``q`` (``q`` is at most the zone's places per order, which the zone's
  capacity allows), so it is served once ``q`` places of the zone have come back, or it leaves, or
  the session ends. An entry behind it waits only for the finite list ahead of it: each one ahead
  is served, leaves, or lets its offer lapse, and then it is the head. Letting a small entry pass a
  big one would do the opposite: a steady trickle of single places would keep a group of four
  waiting for ever.
* An offer that lapses (its hold expired, or the buyer released it) ends the entry: the buyer may
  join again, at the back.

Once no entry waits, places that are still free are on sale to the public again.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from ticketing_svc.domain.errors import InvalidInput, NotOnSale
from ticketing_svc.domain.events import DomainEvent, WaitlistJoined, WaitlistLeft, WaitlistOffered
from ticketing_svc.domain.model import CatalogEvent, Reservation, ReservationStatus


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    # Places were held for the buyer (``offer_reservation_id``) until ``offer_expires_at``.
    OFFERED = "offered"
    # The offered reservation was paid.
    FULFILLED = "fulfilled"
    # The offer lapsed unclaimed (or the buyer could not take it: over the per-customer limit).
    EXPIRED = "expired"
    # The buyer left the list (or released the offered reservation).
    LEFT = "left"


ACTIVE = frozenset({WaitlistStatus.WAITING, WaitlistStatus.OFFERED})


@dataclass(eq=False)
class WaitlistEntry:
    """One buyer's place in the waiting list of one session x zone."""

    id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    customer_id: uuid.UUID
    quantity: int
    status: WaitlistStatus
    created_at: dt.datetime
    # Set by the database (a sequence) when the entry is stored: the order of service.
    position: int = 0
    offered_at: dt.datetime | None = None
    offer_reservation_id: uuid.UUID | None = None
    offer_expires_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def join(
        cls,
        event: CatalogEvent,
        *,
        session_id: uuid.UUID,
        zone_id: uuid.UUID,
        quantity: int,
        customer_id: uuid.UUID,
        now: dt.datetime,
    ) -> WaitlistEntry:
        """A new entry, checked against the event's rules. Whether the zone is sold out (else the
        buyer should just reserve) is the inventory's call, made atomically when it is stored."""
        zone = event.zone(zone_id)
        if zone is None:
            raise InvalidInput.single("zone_id", "is not a zone of this event")
        if not 1 <= quantity <= zone.max_per_order:
            raise InvalidInput.single("quantity", f"must be from 1 to {zone.max_per_order} for this zone")
        limit = event.settings.max_per_customer
        if limit is not None and quantity > limit:
            raise InvalidInput.single("quantity", f"at most {limit} places of this event per customer")
        if not event.sells(session_id, now):
            raise NotOnSale("The session is not on sale: there is no waiting list.")
        entry = cls(
            id=uuid.uuid4(),
            event_id=event.id,
            session_id=session_id,
            zone_id=zone_id,
            customer_id=customer_id,
            quantity=quantity,
            status=WaitlistStatus.WAITING,
            created_at=now,
        )
        entry.events.append(
            WaitlistJoined(entry.id, event.id, event.name, session_id, zone_id, quantity, occurred_at=now)
        )
        return entry

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def offer(self, reservation: Reservation, event: CatalogEvent, now: dt.datetime) -> None:
        """Places are held for the buyer by ``reservation``; the buyer is told (WaitlistOffered)."""
        assert self.status is WaitlistStatus.WAITING
        self.status = WaitlistStatus.OFFERED
        self.offered_at = now
        self.offer_reservation_id = reservation.id
        self.offer_expires_at = reservation.expires_at
        zone = event.zone(self.zone_id)
        session = event.session(self.session_id)
        self.events.append(
            WaitlistOffered(
                entry_id=self.id,
                customer_id=self.customer_id,
                event_id=event.id,
                event_name=event.name,
                session_id=self.session_id,
                session_starts_at=session.starts_at if session is not None else None,
                zone_id=self.zone_id,
                zone_name=zone.name if zone is not None else "",
                quantity=self.quantity,
                reservation_id=reservation.id,
                expires_at=reservation.expires_at,
                occurred_at=now,
            )
        )

    def lapse(self, now: dt.datetime, *, event_name: str) -> None:
        """The buyer cannot take places now (over the event's per-customer limit): the entry ends
        and the next one is served."""
        self._stopped_waiting("lapsed", event_name, now)
        self.status, self.ended_at = WaitlistStatus.EXPIRED, now

    def _stopped_waiting(self, reason: str, event_name: str, now: dt.datetime) -> None:
        if self.status is WaitlistStatus.WAITING:
            self.events.append(
                WaitlistLeft(
                    self.id,
                    self.event_id,
                    event_name,
                    self.session_id,
                    self.zone_id,
                    self.quantity,
                    reason=reason,
                    occurred_at=now,
                )
            )

    def offer_ended(self, reservation: Reservation, now: dt.datetime) -> bool:
        """The offered hold ended: paid (fulfilled), released by the buyer (left) or expired."""
        if self.status is not WaitlistStatus.OFFERED or reservation.id != self.offer_reservation_id:
            return False
        self.status = {
            ReservationStatus.PURCHASED: WaitlistStatus.FULFILLED,
            ReservationStatus.RELEASED: WaitlistStatus.LEFT,
        }.get(reservation.status, WaitlistStatus.EXPIRED)
        self.ended_at = now
        return True

    def leave(self, now: dt.datetime, *, event_name: str) -> bool:
        """The buyer leaves the list; False when the entry had ended already."""
        if not self.active:
            return False
        self._stopped_waiting("left", event_name, now)
        self.status, self.ended_at = WaitlistStatus.LEFT, now
        return True


@dataclass(frozen=True, slots=True)
class WaitlistStanding:
    """An entry with its place in line (1 for the head), counted among the entries still waiting;
    None once it no longer waits."""

    entry: WaitlistEntry
    place: int | None
    # For lists: the event's and the zone's names as the catalog has them now.
    event_name: str = ""
    zone_name: str = ""


@dataclass(frozen=True, slots=True)
class WaitlistLength:
    """How long the waiting list of one session x zone is: entries and places waiting, and offers
    out (held for buyers, not yet claimed)."""

    session_id: uuid.UUID
    zone_id: uuid.UUID
    entries: int
    places: int
    offered: int = 0


def next_to_serve(free: int, waiting: Sequence[WaitlistEntry]) -> WaitlistEntry | None:
    """The entry to offer places to now: the head of the list (the lowest position still waiting)
    when ``free`` places are enough for it, else nobody: the head blocks the list (strict first
    come, first served; see the module's docstring for why nobody starves)."""
    if not waiting:
        return None
    head = min(waiting, key=lambda entry: entry.position)
    return head if head.status is WaitlistStatus.WAITING and head.quantity <= free else None


def serving_order(free: int, waiting: Sequence[WaitlistEntry]) -> list[WaitlistEntry]:
    """The entries served, in order, when ``free`` places are free and nothing else changes."""
    served: list[WaitlistEntry] = []
    left = sorted(waiting, key=lambda entry: entry.position)
    while (head := next_to_serve(free, left)) is not None:
        served.append(head)
        free -= head.quantity
        left.remove(head)
    return served
