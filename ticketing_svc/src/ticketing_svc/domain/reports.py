"""The organizers' reports: what each message of taquilla.ticketing.v1 adds to the counters, and a
report read back from them.

The counters are a read model: ticketing_svc's report consumer folds every message in once (keyed by
its ``messageId``), and the dashboards read only the counters, never the sales tables. Money stays
Decimal beside its currency; counters are per session x zone x hour (UTC).

What moves what:

* ``OrderPaid``: each item's tickets sold and gross (quantity x unit price) at the hour of payment;
  one paid order on the row of the order's first zone.
* ``OrderRefunded``: the amount the provider confirmed, at the hour of the refund. A refund of
  tickets counts each ticket against its own zone and splits the amount by the tickets' prices; a
  refund of an amount splits it by the order's items' totals. Splits are to the cent and always add
  up to the amount (the remainder goes to the largest share). One refund on the first row moved.
* ``TicketCheckedIn``: an entry, an exit or an offline double admission at the hour of the scan; an
  entry of a ticket never admitted before is also a first admission (the check-in progress).
* ``WaitlistJoined`` / ``WaitlistLeft``: entries and places waiting per session x zone.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
REPORT_SPAN_MAX = dt.timedelta(days=400)
HOURLY_SPAN_MAX = dt.timedelta(days=31)


class Bucket(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"

    @property
    def width(self) -> dt.timedelta:
        return dt.timedelta(hours=1) if self is Bucket.HOUR else dt.timedelta(days=1)


def hour_of(at: dt.datetime) -> dt.datetime:
    """The UTC hour an instant falls in."""
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def bucket_of(at: dt.datetime, bucket: Bucket) -> dt.datetime:
    start = hour_of(at)
    return start if bucket is Bucket.HOUR else start.replace(hour=0)


@dataclass(frozen=True, slots=True)
class SalesMove:
    """What one message adds to one session x zone x hour x currency row of sales."""

    event_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    hour: dt.datetime
    currency: str
    tickets_sold: int = 0
    gross: Decimal = ZERO
    tickets_refunded: int = 0
    refunded: Decimal = ZERO
    orders_paid: int = 0
    refunds: int = 0


@dataclass(frozen=True, slots=True)
class SoldTicket:
    """A ticket as the report needs it: where it counts and what it cost."""

    ticket_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class CheckInMove:
    event_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    ticket_id: uuid.UUID
    direction: str
    double_admission: bool
    scanned_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WaitlistMove:
    event_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    entries: int
    places: int


@dataclass(frozen=True, slots=True)
class OrderLine:
    zone_id: uuid.UUID
    quantity: int
    unit_price: Decimal


def split(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` in cents shared by ``weights``: every share rounded down to the cent, the
    remainder added to the largest weight's share, so the shares add up to ``amount`` exactly."""
    if not weights:
        return []
    total = sum(weights, ZERO)
    if total <= 0:
        shares = [ZERO] * len(weights)
        shares[0] = amount
        return shares
    shares = [(amount * weight / total).quantize(CENT, rounding=ROUND_DOWN) for weight in weights]
    largest = max(range(len(weights)), key=lambda index: weights[index])
    shares[largest] += amount - sum(shares, ZERO)
    return shares


def paid(
    *,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    currency: str,
    lines: Sequence[OrderLine],
    at: dt.datetime,
) -> list[SalesMove]:
    """An order paid: its tickets sold and gross per zone, one paid order on its first zone."""
    return [
        SalesMove(
            event_id,
            session_id,
            line.zone_id,
            hour_of(at),
            currency,
            tickets_sold=line.quantity,
            gross=(line.unit_price * line.quantity).quantize(CENT),
            orders_paid=1 if index == 0 else 0,
        )
        for index, line in enumerate(lines)
    ]


def refunded(
    *,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    currency: str,
    amount: Decimal,
    lines: Sequence[OrderLine],
    tickets: Sequence[SoldTicket],
    at: dt.datetime,
) -> list[SalesMove]:
    """A refund confirmed: of ``tickets`` (counted against their zones, the amount split by their
    prices) or, with no tickets, of an amount split by the order's items' totals."""
    hour = hour_of(at)
    if tickets:
        zones = [ticket.zone_id for ticket in tickets]
        shares = split(amount, [ticket.price for ticket in tickets])
        counts = [1] * len(tickets)
    else:
        zones = [line.zone_id for line in lines]
        shares = split(amount, [line.unit_price * line.quantity for line in lines])
        counts = [0] * len(lines)
    by_zone: dict[uuid.UUID, tuple[int, Decimal]] = {}
    for zone_id, share, count in zip(zones, shares, counts, strict=True):
        tickets_before, amount_before = by_zone.get(zone_id, (0, ZERO))
        by_zone[zone_id] = (tickets_before + count, amount_before + share)
    return [
        SalesMove(
            event_id,
            session_id,
            zone_id,
            hour,
            currency,
            tickets_refunded=count,
            refunded=share,
            refunds=1 if index == 0 else 0,
        )
        for index, (zone_id, (count, share)) in enumerate(by_zone.items())
    ]


# ------------------------------------------------------------------------------ reading a report


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A report's span (``since`` included, ``until`` excluded; None: from the start, until now)
    and the width of its time series' buckets."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    bucket: Bucket = Bucket.DAY


@dataclass(slots=True)
class Figures:
    """Sales and check-ins, summed: over a line, a bucket or everything."""

    tickets_sold: int = 0
    tickets_refunded: int = 0
    orders_paid: int = 0
    refunds: int = 0
    gross: dict[str, Decimal] = field(default_factory=dict)
    refunded: dict[str, Decimal] = field(default_factory=dict)
    admitted: int = 0
    entries: int = 0
    exits: int = 0
    double_admissions: int = 0

    @property
    def tickets_net(self) -> int:
        return self.tickets_sold - self.tickets_refunded

    @property
    def net(self) -> dict[str, Decimal]:
        currencies = sorted(set(self.gross) | set(self.refunded))
        return {c: self.gross.get(c, ZERO) - self.refunded.get(c, ZERO) for c in currencies}

    @property
    def inside(self) -> int:
        return max(self.entries - self.exits, 0)

    def add_sales(
        self,
        currency: str,
        *,
        tickets_sold: int,
        gross: Decimal,
        tickets_refunded: int,
        refunded: Decimal,
        orders_paid: int,
        refunds: int,
    ) -> None:
        self.tickets_sold += tickets_sold
        self.tickets_refunded += tickets_refunded
        self.orders_paid += orders_paid
        self.refunds += refunds
        self.gross[currency] = self.gross.get(currency, ZERO) + gross
        self.refunded[currency] = self.refunded.get(currency, ZERO) + refunded

    def add_checkins(self, *, admitted: int, entries: int, exits: int, double_admissions: int) -> None:
        self.admitted += admitted
        self.entries += entries
        self.exits += exits
        self.double_admissions += double_admissions

    def add(self, other: Figures) -> None:
        for currency in sorted(set(other.gross) | set(other.refunded)):
            self.add_sales(
                currency,
                tickets_sold=0,
                gross=other.gross.get(currency, ZERO),
                tickets_refunded=0,
                refunded=other.refunded.get(currency, ZERO),
                orders_paid=0,
                refunds=0,
            )
        self.tickets_sold += other.tickets_sold
        self.tickets_refunded += other.tickets_refunded
        self.orders_paid += other.orders_paid
        self.refunds += other.refunds
        self.add_checkins(
            admitted=other.admitted,
            entries=other.entries,
            exits=other.exits,
            double_admissions=other.double_admissions,
        )


@dataclass(slots=True)
class ReportLine:
    """One session x zone of an event: its capacity, figures and waiting list."""

    event_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    session_starts_at: dt.datetime | None
    zone_id: uuid.UUID
    zone_name: str
    capacity: int
    figures: Figures = field(default_factory=Figures)
    waitlist_entries: int = 0
    waitlist_places: int = 0

    @property
    def sell_through(self) -> Decimal:
        return sell_through(self.figures.tickets_net, self.capacity)


@dataclass(frozen=True, slots=True)
class ReportBucket:
    start: dt.datetime
    figures: Figures


def sell_through(sold: int, capacity: int) -> Decimal:
    """Places sold (net of refunds) over capacity, 0..1 to four places (0 without capacity)."""
    if capacity <= 0:
        return Decimal("0.0000")
    return (Decimal(max(sold, 0)) / Decimal(capacity)).quantize(Decimal("0.0001"))


@dataclass(frozen=True, slots=True)
class Report:
    """A report of one event or of an organization's events."""

    query: ReportQuery
    lines: list[ReportLine]
    series: list[ReportBucket]
    as_of: dt.datetime

    @property
    def totals(self) -> Figures:
        total = Figures()
        for line in self.lines:
            total.add(line.figures)
        return total

    @property
    def capacity(self) -> int:
        return sum(line.capacity for line in self.lines)

    @property
    def waitlist_entries(self) -> int:
        return sum(line.waitlist_entries for line in self.lines)

    @property
    def waitlist_places(self) -> int:
        return sum(line.waitlist_places for line in self.lines)

    @property
    def sell_through(self) -> Decimal:
        return sell_through(self.totals.tickets_net, self.capacity)


def series(rows: Iterable[tuple[dt.datetime, Figures]], query: ReportQuery) -> list[ReportBucket]:
    """Hourly figures summed into the query's buckets, oldest first (empty buckets left out)."""
    buckets: dict[dt.datetime, Figures] = {}
    for hour, figures in rows:
        buckets.setdefault(bucket_of(hour, query.bucket), Figures()).add(figures)
    return [ReportBucket(start, buckets[start]) for start in sorted(buckets)]


# ------------------------------------------------------------------------------ exports


@dataclass(frozen=True, slots=True)
class Attendee:
    """A ticket of an event with its order's buyer, for the organizer's attendee export."""

    ticket_id: uuid.UUID
    order_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    zone_name: str
    holder_name: str
    buyer_name: str
    buyer_email: str
    price: Decimal
    currency: str
    status: str
    issued_at: dt.datetime
    first_entry_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AttendeePage:
    attendees: list[Attendee]
    has_more: bool
    # The event's tickets in all, on the first page (None on later ones).
    total: int | None = None
