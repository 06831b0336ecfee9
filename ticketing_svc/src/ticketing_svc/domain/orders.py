"""Orders, payments and tickets.

An order turns one held reservation into a purchase: the buyer pays at the payment provider's page,
the provider's answer settles the order, and a paid order's places are sold and its tickets issued
in the same transaction. The rules that keep money and tickets in step live here:

- an order's status only moves forward (:data:`_NEXT`); a late or repeated answer from the provider
  changes nothing;
- a reservation has at most one order, and an order is issued its tickets once (one per place);
- a payment that arrives after the hold ran out takes the places back if they are still free, and
  is refunded in full otherwise;
- refunds never add up to more than what was paid.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ticketing_svc.domain.errors import FieldProblem, InvalidInput
from ticketing_svc.domain.events import (
    DomainEvent,
    OrderExpired,
    OrderPaid,
    OrderPaymentFailed,
    OrderPlaced,
    OrderRefunded,
)
from ticketing_svc.domain.model import DEFAULT_PAYMENT_MINUTES, Money, Reservation, ReservationItem

NAME_MAX, EMAIL_MAX = 200, 254
LOCALES = ("es", "en")
# Currencies the payment providers count in whole units (Stripe's zero-decimal currencies).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# Where each status may go next. A declined attempt (failed) may still be followed by a payment
# while the hold lasts; nothing ever returns to pending_payment, and a paid order only refunds.
_NEXT: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.EXPIRED, OrderStatus.CANCELLED}
    ),
    OrderStatus.FAILED: frozenset(
        {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.EXPIRED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.REFUNDED: frozenset(),
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID}),  # a late payment that got its places back
    OrderStatus.CANCELLED: frozenset({OrderStatus.PAID}),  # the same, after a release
}
AWAITING_PAYMENT = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.FAILED})
# Orders a late payment may still settle (it takes the places back, or is refunded).
PAYABLE = frozenset(
    {OrderStatus.PENDING_PAYMENT, OrderStatus.FAILED, OrderStatus.EXPIRED, OrderStatus.CANCELLED}
)


def can_move(current: OrderStatus, target: OrderStatus) -> bool:
    return target in _NEXT[current]


class PaymentOutcome(enum.StrEnum):
    """Where a payment stands at the provider, as re-read from it."""

    PENDING = "pending"  # the buyer has not paid yet, or the payment is still processing
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the last attempt was declined; the buyer may try again
    EXPIRED = "expired"  # the provider's page closed without a payment


@dataclass(frozen=True, slots=True)
class PaymentState:
    reference: str
    outcome: PaymentOutcome
    amount: Money | None = None
    failure_code: str | None = None


@dataclass(frozen=True, slots=True)
class Checkout:
    """A payment started at the provider: its reference and the page where the buyer pays."""

    reference: str
    url: str


class TicketStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    USED = "used"


@dataclass(frozen=True, slots=True)
class Buyer:
    name: str
    email: str
    locale: str = "es"

    @classmethod
    def checked(cls, name: str, email: str, locale: str | None) -> Buyer:
        problems: list[FieldProblem] = []
        name, email = name.strip(), email.strip()
        if not name:
            problems.append(FieldProblem("buyer.name", "must not be empty"))
        elif len(name) > NAME_MAX:
            problems.append(FieldProblem("buyer.name", f"at most {NAME_MAX} characters"))
        local, _, domain = email.rpartition("@")
        if len(email) > EMAIL_MAX or not local or "." not in domain or any(c.isspace() for c in email):
            problems.append(FieldProblem("buyer.email", "must be an e-mail address"))
        chosen = (locale or "es").lower()
        if chosen not in LOCALES:
            problems.append(FieldProblem("buyer.locale", f"must be one of {', '.join(LOCALES)}"))
        if problems:
            raise InvalidInput(problems)
        return cls(name, email, chosen)


@dataclass(frozen=True, slots=True)
class Ticket:
    """One place of a paid order. ``secret`` is the signed QR content."""

    id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    zone_id: uuid.UUID
    zone_name: str
    holder_name: str
    price: Money
    status: TicketStatus
    issued_at: dt.datetime
    secret: str
    position: int
    # Why a revoked ticket was revoked, when it says ("transferred": it went to someone else).
    revoked_reason: str | None = None


@dataclass(frozen=True, slots=True)
class TicketClaims:
    """What a ticket's QR secret vouches for (signed by the ticket-signing key)."""

    ticket_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    valid_from: dt.datetime
    valid_until: dt.datetime


# Signs a ticket's claims with the ticket-signing key (an adapter), giving the QR secret.
SignTicket = Callable[[TicketClaims], str]


@dataclass(eq=False)
class Order:
    id: uuid.UUID
    reservation_id: uuid.UUID
    customer_id: uuid.UUID
    event_id: uuid.UUID
    organization_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    items: tuple[ReservationItem, ...]
    buyer: Buyer
    status: OrderStatus
    created_at: dt.datetime
    pay_by: dt.datetime
    updated_at: dt.datetime
    provider: str
    payment_reference: str | None = None
    checkout_url: str | None = None
    failure_code: str | None = None
    paid_at: dt.datetime | None = None
    refunded: Decimal = Decimal("0.00")
    ticket_ids: tuple[uuid.UUID, ...] = ()
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def place(
        cls,
        reservation: Reservation,
        *,
        organization_id: uuid.UUID,
        buyer: Buyer,
        provider: str,
        now: dt.datetime,
        payment_minutes: int = DEFAULT_PAYMENT_MINUTES,
        order_id: uuid.UUID | None = None,
    ) -> Order:
        """An order for a held reservation; the hold is extended to cover the payment (once: a
        reservation has one order)."""
        pay_by = max(reservation.expires_at, now + dt.timedelta(minutes=payment_minutes))
        reservation.extend(pay_by)
        order = cls(
            id=order_id or uuid.uuid4(),
            reservation_id=reservation.id,
            customer_id=reservation.customer_id,
            event_id=reservation.event_id,
            organization_id=organization_id,
            event_name=reservation.event_name,
            session_id=reservation.session_id,
            items=reservation.items,
            buyer=buyer,
            status=OrderStatus.PENDING_PAYMENT,
            created_at=now,
            pay_by=pay_by,
            updated_at=now,
            provider=provider,
        )
        order.events.append(OrderPlaced(order.snapshot(), occurred_at=now))
        return order

    @property
    def total(self) -> Money:
        currency = self.items[0].unit_price.currency if self.items else "EUR"
        return Money(sum((item.subtotal.amount for item in self.items), Decimal("0.00")), currency)

    @property
    def quantity(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def refundable(self) -> Decimal:
        if self.status not in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
            return Decimal("0.00")
        return self.total.amount - self.refunded

    def _move(self, target: OrderStatus, now: dt.datetime) -> bool:
        if not can_move(self.status, target):
            return False
        self.status, self.updated_at = target, now
        return True

    def started(self, checkout: Checkout) -> None:
        self.payment_reference, self.checkout_url = checkout.reference, checkout.url

    def pay(self, tickets: Sequence[Ticket], now: dt.datetime) -> bool:
        """Paid, with its tickets (issued in the same transaction). False when it could not be."""
        if not self._move(OrderStatus.PAID, now):
            return False
        self.paid_at, self.failure_code = now, None
        self.ticket_ids = tuple(ticket.id for ticket in tickets)
        self.events.append(OrderPaid(self.snapshot(), tuple(tickets), occurred_at=now))
        return True

    def decline(self, failure_code: str | None, now: dt.datetime) -> bool:
        if not self._move(OrderStatus.FAILED, now):
            return False
        self.failure_code = (failure_code or "declined")[:100]
        self.events.append(OrderPaymentFailed(self.snapshot(), occurred_at=now))
        return True

    def expire(self, now: dt.datetime) -> bool:
        if self.status not in AWAITING_PAYMENT or not self._move(OrderStatus.EXPIRED, now):
            return False
        self.events.append(OrderExpired(self.snapshot(), occurred_at=now))
        return True

    def cancel(self, now: dt.datetime) -> bool:
        return self.status in AWAITING_PAYMENT and self._move(OrderStatus.CANCELLED, now)

    def paid_without_places(self, now: dt.datetime) -> Money:
        """A payment came in after the places were gone: recorded as paid, to be refunded in full.
        Returns the amount to refund."""
        self.status, self.updated_at, self.paid_at = OrderStatus.PAID, now, now
        return self.total

    def refund_settled(
        self, amount: Decimal, *, reason: str, now: dt.datetime, ticket_ids: tuple[uuid.UUID, ...] = ()
    ) -> bool:
        """A refund the provider confirmed. False when it would pass what was paid."""
        if amount <= 0 or amount > self.refundable:
            return False
        self.refunded += amount
        target = (
            OrderStatus.REFUNDED if self.refunded >= self.total.amount else OrderStatus.PARTIALLY_REFUNDED
        )
        self._move(target, now)
        self.events.append(
            OrderRefunded(
                self.snapshot(),
                Money(amount, self.total.currency),
                reason,
                occurred_at=now,
                ticket_ids=ticket_ids,
            )
        )
        return True

    def snapshot(self) -> Order:
        return dataclasses.replace(self, events=[])


class RefundStatus(enum.StrEnum):
    REQUESTED = "requested"  # decided, and sent (or to be sent) to the provider
    SUCCEEDED = "succeeded"  # the provider confirmed it
    FAILED = "failed"  # the provider refused it


@dataclass(eq=False)
class Refund:
    """Money going back to a buyer. Stored before the provider is asked, so that a crash between the
    two is finished by the refund worker (the provider's idempotency key is the refund's id)."""

    id: uuid.UUID
    order_id: uuid.UUID
    amount: Money
    reason: str
    status: RefundStatus
    requested_at: dt.datetime
    provider_refund_id: str | None = None
    settled_at: dt.datetime | None = None
    ticket_ids: tuple[uuid.UUID, ...] = ()

    def succeeded(self, provider_refund_id: str, now: dt.datetime) -> bool:
        if self.status is not RefundStatus.REQUESTED:
            return False
        self.status, self.provider_refund_id, self.settled_at = (
            RefundStatus.SUCCEEDED,
            provider_refund_id,
            now,
        )
        return True


EVENT_CANCELLED = "event_cancelled"


@dataclass(frozen=True, slots=True)
class CancellationProgress:
    """How far the refunds of a cancelled event have come."""

    event_id: uuid.UUID
    started_at: dt.datetime
    finished_at: dt.datetime | None
    # Paid orders of the event, and those whose cancellation refund was requested / confirmed.
    orders: int
    requested: int
    refunded: int
    amount_refunded: Decimal
    currency: str | None


def issue_tickets(
    order: Order,
    *,
    now: dt.datetime,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    sign: SignTicket,
) -> list[Ticket]:
    """One ticket per place of the order, each with its signed QR secret, in a fixed order."""
    tickets = []
    position = 0
    for item in order.items:
        for _ in range(item.quantity):
            ticket_id = uuid.uuid4()
            claims = TicketClaims(ticket_id, order.session_id, item.zone_id, valid_from, valid_until)
            tickets.append(
                Ticket(
                    id=ticket_id,
                    order_id=order.id,
                    customer_id=order.customer_id,
                    event_id=order.event_id,
                    event_name=order.event_name,
                    session_id=order.session_id,
                    zone_id=item.zone_id,
                    zone_name=item.zone_name,
                    holder_name=order.buyer.name,
                    price=item.unit_price,
                    status=TicketStatus.VALID,
                    issued_at=now,
                    secret=sign(claims),
                    position=position,
                )
            )
            position += 1
    return tickets


def to_minor_units(money: Money) -> int:
    """An amount in the currency's minor units, as payment providers count it (no float)."""
    exponent = 0 if money.currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    scaled = money.amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{money.amount} {money.currency} has more decimals than the currency allows")
    return int(scaled)


def from_minor_units(amount: int, currency: str) -> Money:
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return Money(Decimal(amount).scaleb(-exponent).quantize(Decimal("0.01")), currency.upper())
