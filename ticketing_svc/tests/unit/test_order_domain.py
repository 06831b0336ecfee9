"""The rules of orders, payments, refunds and tickets, in the domain alone (no ports, no I/O)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import pytest
from ticketing_factories import NOW, make_event, make_zone

from ticketing_svc.domain.errors import InvalidInput
from ticketing_svc.domain.events import (
    OrderExpired,
    OrderPaid,
    OrderPaymentFailed,
    OrderPlaced,
    OrderRefunded,
)
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, Money, Reservation, SaleSettings
from ticketing_svc.domain.orders import (
    Buyer,
    Order,
    OrderStatus,
    TicketClaims,
    TicketStatus,
    can_move,
    from_minor_units,
    issue_tickets,
    to_minor_units,
)

S = OrderStatus
# The issue's status machine, written out independently of the code's table: where each status may
# go next. Nothing returns to pending_payment, a paid order only refunds, a declined attempt may be
# followed by another (failed -> failed) or a payment, and an order that ended without payment may
# still be paid by a late payment that got its places back.
ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    S.PENDING_PAYMENT: {S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.FAILED: {S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED},
    S.PAID: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.PARTIALLY_REFUNDED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.REFUNDED: set(),
    S.EXPIRED: {S.PAID},
    S.CANCELLED: {S.PAID},
}


def held(event: CatalogEvent | None = None, *quantities: int, now: dt.datetime = NOW) -> Reservation:
    """A hold of ``quantities`` places of the event's zones in order (2 of the first by default)."""
    event = event or make_event(zones=2)
    return Reservation.hold(
        event,
        session_id=event.sessions[0].id,
        items=[ItemRequest(zone.id, q) for zone, q in zip(event.zones, quantities or (2,), strict=False)],
        customer_id=uuid.uuid4(),
        now=now,
    )


def placed(reservation: Reservation | None = None, *, now: dt.datetime = NOW, minutes: int = 10) -> Order:
    return Order.place(
        reservation or held(),
        organization_id=uuid.uuid4(),
        buyer=Buyer("Ana Núñez", "ana@example.com", "es"),
        provider="stripe",
        now=now,
        payment_minutes=minutes,
    )


def fake_sign(claims: TicketClaims) -> str:
    return f"signed:{claims.ticket_id}:{claims.zone_id}"


def paid(order: Order, now: dt.datetime = NOW) -> Order:
    tickets = issue_tickets(
        order, now=now, valid_from=now, valid_until=now + dt.timedelta(days=1), sign=fake_sign
    )
    assert order.pay(tickets, now)
    return order


# ---------------------------------------------------------------- the status machine


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OrderStatus, OrderStatus)))
def test_every_status_moves_only_where_the_machine_allows(current: OrderStatus, target: OrderStatus) -> None:
    assert can_move(current, target) is (target in ALLOWED[current])


def test_no_status_ever_goes_back_to_awaiting_payment() -> None:
    assert not any(can_move(status, S.PENDING_PAYMENT) for status in OrderStatus)
    assert not any(can_move(status, S.FAILED) for status in (S.PAID, S.PARTIALLY_REFUNDED, S.REFUNDED))


def test_a_paid_order_is_not_declined_expired_or_cancelled_afterwards() -> None:
    order = paid(placed())
    later = NOW + dt.timedelta(minutes=1)
    assert not order.decline("card_declined", later)
    assert not order.expire(later)
    assert not order.cancel(later)
    assert not order.pay([], later)
    assert order.status is S.PAID
    assert order.failure_code is None
    assert [type(e) for e in order.events] == [OrderPlaced, OrderPaid]


def test_a_declined_order_may_still_be_paid_and_forgets_its_failure() -> None:
    order = placed()
    assert order.decline("card_declined", NOW)
    assert order.status is S.FAILED
    assert order.failure_code == "card_declined"
    assert order.decline(None, NOW)  # a second declined attempt
    assert order.failure_code == "declined"
    paid(order, NOW + dt.timedelta(minutes=1))
    assert order.status is S.PAID
    assert order.failure_code is None
    assert order.paid_at == NOW + dt.timedelta(minutes=1)
    assert [type(e) for e in order.events] == [OrderPlaced, OrderPaymentFailed, OrderPaymentFailed, OrderPaid]


def test_only_an_order_awaiting_payment_expires_or_is_cancelled() -> None:
    expired = placed()
    assert expired.expire(NOW)
    assert expired.status is S.EXPIRED
    assert not expired.expire(NOW)  # once
    assert not expired.cancel(NOW)
    assert [type(e) for e in expired.events] == [OrderPlaced, OrderExpired]
    cancelled = placed()
    assert cancelled.decline("card_declined", NOW)
    assert cancelled.cancel(NOW)
    assert cancelled.status is S.CANCELLED
    assert not cancelled.expire(NOW)


def test_an_expired_order_may_be_paid_late() -> None:
    order = placed()
    assert order.expire(NOW)
    paid(order, NOW + dt.timedelta(minutes=20))
    assert order.status is S.PAID


def test_a_payment_without_places_is_recorded_as_paid_and_owes_the_whole_total() -> None:
    order = placed(held(make_event(zones=2), 2, 1))
    assert order.expire(NOW)
    owed = order.paid_without_places(NOW + dt.timedelta(minutes=20))
    assert owed == order.total == Money(Decimal("76.50"), "EUR")
    assert order.status is S.PAID
    assert order.paid_at == NOW + dt.timedelta(minutes=20)
    assert order.ticket_ids == ()


# ---------------------------------------------------------------- buyers


def problems(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {p.field: p.message for p in error.value.problems}


def test_a_buyer_is_trimmed_and_speaks_spanish_unless_told_otherwise() -> None:
    assert Buyer.checked("  Ana  ", " ana@example.com ", None) == Buyer("Ana", "ana@example.com", "es")
    assert Buyer.checked("Ana", "ana@example.com", "EN").locale == "en"


def test_every_wrong_buyer_field_is_reported_at_once_with_its_path() -> None:
    with pytest.raises(InvalidInput) as error:
        Buyer.checked("   ", "not-an-address", "fr")
    assert set(problems(error)) == {"buyer.name", "buyer.email", "buyer.locale"}


@pytest.mark.parametrize(
    "email",
    ["ana", "ana@", "@example.com", "ana@example", "ana maria@example.com", "a" * 250 + "@example.com", ""],
)
def test_a_buyer_needs_an_email_address(email: str) -> None:
    with pytest.raises(InvalidInput) as error:
        Buyer.checked("Ana", email, "es")
    assert list(problems(error)) == ["buyer.email"]


def test_a_buyer_name_has_at_most_200_characters() -> None:
    assert Buyer.checked("x" * 200, "ana@example.com", "es").name == "x" * 200
    with pytest.raises(InvalidInput) as error:
        Buyer.checked("x" * 201, "ana@example.com", "es")
    assert list(problems(error)) == ["buyer.name"]


# ---------------------------------------------------------------- money in minor units


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("25.50", "EUR", 2550),
        ("0.01", "USD", 1),
        ("0.00", "EUR", 0),
        ("1500", "JPY", 1500),
        ("1500.00", "jpy", 1500),
        ("12000.00", "CLP", 12000),
        ("99.90", "MXN", 9990),
    ],
)
def test_amounts_go_to_the_provider_in_the_currencys_minor_units(
    amount: str, currency: str, minor: int
) -> None:
    assert to_minor_units(Money(Decimal(amount), currency)) == minor


@pytest.mark.parametrize(("amount", "currency"), [("1500.50", "JPY"), ("0.5", "CLP"), ("1.005", "EUR")])
def test_an_amount_finer_than_the_currency_allows_is_refused(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match="more decimals"):
        to_minor_units(Money(Decimal(amount), currency))


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [(2550, "eur", "25.50"), (1, "USD", "0.01"), (1500, "JPY", "1500.00"), (12000, "clp", "12000.00")],
)
def test_amounts_from_the_provider_come_back_in_decimal(minor: int, currency: str, amount: str) -> None:
    money = from_minor_units(minor, currency)
    assert money == Money(Decimal(amount), currency.upper())
    assert str(money.amount) == amount  # two places, as messages and the database carry them
    assert to_minor_units(money) == minor


# ---------------------------------------------------------------- placing an order


def test_placing_an_order_extends_the_hold_to_cover_the_payment() -> None:
    reservation = held()  # held until NOW + 10 minutes
    order = placed(reservation, now=NOW + dt.timedelta(minutes=8), minutes=10)
    assert order.pay_by == NOW + dt.timedelta(minutes=18)
    assert reservation.expires_at == order.pay_by
    assert order.status is S.PENDING_PAYMENT
    assert order.created_at == order.updated_at == NOW + dt.timedelta(minutes=8)
    assert order.items == reservation.items
    assert order.quantity == 2
    assert order.total == Money(Decimal("51.00"), "EUR")
    [event] = order.events
    assert isinstance(event, OrderPlaced)
    assert event.order.id == order.id
    assert event.order.status is S.PENDING_PAYMENT
    assert event.order.events == []


def test_placing_an_order_never_shortens_the_hold() -> None:
    event = make_event(settings=SaleSettings(hold_minutes=30))
    reservation = held(event)  # held until NOW + 30 minutes
    order = placed(reservation, now=NOW + dt.timedelta(minutes=1), minutes=5)
    assert order.pay_by == NOW + dt.timedelta(minutes=30)
    assert reservation.expires_at == NOW + dt.timedelta(minutes=30)


def test_the_total_is_in_the_zones_currency() -> None:
    event = make_event(
        zones=[make_zone(amount="1500", currency="JPY"), make_zone(amount="500", currency="JPY")]
    )
    order = placed(held(event, 2, 3))
    assert order.total == Money(Decimal("4500"), "JPY")
    assert to_minor_units(order.total) == 4500


# ---------------------------------------------------------------- refunds


def test_refunds_add_up_to_partially_refunded_then_refunded() -> None:
    order = paid(placed())  # 51.00 EUR
    assert order.refundable == Decimal("51.00")
    later = NOW + dt.timedelta(days=1)
    assert order.refund_settled(Decimal("20.00"), reason="requested_by_customer", now=later)
    assert order.status is S.PARTIALLY_REFUNDED
    assert order.refunded == Decimal("20.00")
    assert order.refundable == Decimal("31.00")
    assert order.updated_at == later
    assert order.refund_settled(Decimal("31.00"), reason="requested_by_customer", now=later)
    assert order.status is S.REFUNDED
    assert order.refundable == Decimal("0.00")
    refunds = [e for e in order.events if isinstance(e, OrderRefunded)]
    assert [(e.amount, e.reason, e.order.status) for e in refunds] == [
        (Money(Decimal("20.00"), "EUR"), "requested_by_customer", S.PARTIALLY_REFUNDED),
        (Money(Decimal("31.00"), "EUR"), "requested_by_customer", S.REFUNDED),
    ]


def test_a_refund_never_passes_what_was_paid() -> None:
    order = paid(placed())
    assert not order.refund_settled(Decimal("51.01"), reason="x", now=NOW)
    assert order.refund_settled(Decimal("50.00"), reason="x", now=NOW)
    assert not order.refund_settled(Decimal("1.01"), reason="x", now=NOW)
    assert order.refunded == Decimal("50.00")
    assert order.status is S.PARTIALLY_REFUNDED
    assert sum(isinstance(e, OrderRefunded) for e in order.events) == 1


@pytest.mark.parametrize("amount", ["0.00", "-1.00"])
def test_a_refund_of_nothing_is_refused(amount: str) -> None:
    order = paid(placed())
    assert not order.refund_settled(Decimal(amount), reason="x", now=NOW)
    assert order.status is S.PAID
    assert order.refunded == Decimal("0.00")


def test_an_order_that_was_not_paid_refunds_nothing() -> None:
    pending, expired = placed(), placed()
    assert expired.expire(NOW)
    for order in (pending, expired):
        assert order.refundable == Decimal("0.00")
        assert not order.refund_settled(Decimal("1.00"), reason="x", now=NOW)
        assert order.refunded == Decimal("0.00")


def test_a_fully_refunded_order_refunds_nothing_more() -> None:
    order = paid(placed())
    assert order.refund_settled(order.total.amount, reason="x", now=NOW)
    assert order.status is S.REFUNDED
    assert not order.refund_settled(Decimal("0.01"), reason="x", now=NOW)


# ---------------------------------------------------------------- tickets


def test_an_order_is_issued_one_ticket_per_place_in_a_fixed_order() -> None:
    event = make_event(zones=2)
    order = placed(held(event, 2, 3))
    until = NOW + dt.timedelta(days=2)
    signed: list[TicketClaims] = []

    def sign(claims: TicketClaims) -> str:
        signed.append(claims)
        return fake_sign(claims)

    tickets = issue_tickets(order, now=NOW, valid_from=NOW, valid_until=until, sign=sign)

    assert [t.position for t in tickets] == [0, 1, 2, 3, 4]
    assert [t.zone_id for t in tickets] == [event.zones[0].id] * 2 + [event.zones[1].id] * 3
    assert len({t.id for t in tickets}) == 5
    assert all(t.order_id == order.id and t.customer_id == order.customer_id for t in tickets)
    assert all(t.status is TicketStatus.VALID and t.holder_name == "Ana Núñez" for t in tickets)
    assert all(t.price == Money(Decimal("25.50"), "EUR") and t.issued_at == NOW for t in tickets)
    assert [(c.ticket_id, c.session_id, c.zone_id, c.valid_from, c.valid_until) for c in signed] == [
        (t.id, order.session_id, t.zone_id, NOW, until) for t in tickets
    ]
    assert [t.secret for t in tickets] == [fake_sign(c) for c in signed]


def test_a_paid_order_knows_its_tickets_and_its_message_carries_them() -> None:
    order = placed(held(make_event(zones=2), 1, 1))
    tickets = issue_tickets(order, now=NOW, valid_from=NOW, valid_until=NOW, sign=fake_sign)
    assert order.pay(tickets, NOW)
    assert order.ticket_ids == tuple(t.id for t in tickets)
    message = order.events[-1]
    assert isinstance(message, OrderPaid)
    assert message.tickets == tuple(tickets)
    assert message.order.status is S.PAID
    assert message.order.ticket_ids == order.ticket_ids
