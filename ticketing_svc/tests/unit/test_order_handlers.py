"""Orders, payments, refunds and tickets against in-memory fakes: checkout, the provider's answers
(re-read from the provider, never trusted from the notification), expiry and release, late
payments, the refund worker, the reconciliation, and who may read what."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from ticketing_factories import NOW, buyer, make_event
from ticketing_fakes import FakePaymentProvider, FakePrinter, FakeSigner, FakeUnitOfWork

from ticketing_svc.adapters.outbox import envelope_for
from ticketing_svc.application import handlers, order_handlers
from ticketing_svc.application.order_handlers import SOLD_OUT_AFTER_EXPIRY
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind, Idempotency
from ticketing_svc.domain.errors import (
    EventNotFound,
    IdempotencyKeyReused,
    InvalidInput,
    NotAllowed,
    NotPaid,
    OrderExists,
    OrderNotFound,
    PaymentProviderUnavailable,
    ReservationNotFound,
    ReservationNotHeld,
    TicketNotFound,
    TicketRevoked,
    Unauthenticated,
)
from ticketing_svc.domain.events import (
    OrderExpired,
    OrderPaid,
    OrderPaymentFailed,
    OrderPlaced,
    OrderRefunded,
    ReservationReleased,
)
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, Money, Reservation, ReservationStatus
from ticketing_svc.domain.orders import Order, OrderStatus, RefundStatus, TicketStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")
CORRELATION = str(uuid.uuid4())
EDGE = Actor(uuid.uuid5(uuid.NAMESPACE_URL, "taquilla:service:edge"), ActorKind.SERVICE)
# Handled notifications are remembered longer than Stripe retries one (3 days) and than the issue's
# 30 days.
NOTICE_RETENTION = dt.timedelta(days=45)


class Clock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Shop:
    """One event on sale, with the fakes of every port and a clock the test moves."""

    def __init__(self, event: CatalogEvent) -> None:
        self.event = event
        self.clock = Clock()
        self.uow = FakeUnitOfWork(clock=self.clock)
        self.provider = FakePaymentProvider()
        self.signer = FakeSigner()
        self.printer = FakePrinter()

    @classmethod
    async def open(cls, *, capacity: int = 10) -> Shop:
        shop = cls(make_event(capacity=capacity))
        message = commands.FollowCatalog(uuid.uuid4(), "EventPublished", shop.event.id, event=shop.event)
        assert await handlers.follow_catalog(message, shop.uow)
        return shop

    @property
    def organizer(self) -> Actor:
        return Actor(
            uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=self.event.organization_id
        )

    async def hold(self, actor: Actor, quantity: int = 2) -> Reservation:
        return await handlers.reserve(
            commands.Reserve(
                actor, self.event.sessions[0].id, (ItemRequest(self.event.zones[0].id, quantity),)
            ),
            self.uow,
            self.clock,
        )

    async def order(
        self,
        actor: Actor | None,
        reservation_id: uuid.UUID,
        *,
        key: str | None = None,
        fingerprint: str = "f1",
        **fields: object,
    ) -> Order:
        values: dict[str, object] = {
            "buyer_name": "Ana Núñez",
            "buyer_email": "ana@example.com",
            "buyer_locale": "es",
            "correlation_id": CORRELATION,
            "idempotency": Idempotency(key, fingerprint) if key else None,
        }
        values.update(fields)
        return await order_handlers.create_order(
            commands.CreateOrder(actor, reservation_id, **values),  # type: ignore[arg-type]
            self.uow,
            self.clock,
            provider=self.provider,
        )

    async def checkout(self, actor: Actor, quantity: int = 2) -> Order:
        """A held reservation with its order, waiting for the payment."""
        reservation = await self.hold(actor, quantity)
        return await self.order(actor, reservation.id)

    async def notify(
        self, order: Order, *, notice_id: str | None = None, actor: Actor | None = EDGE
    ) -> order_handlers.NoticeOutcome:
        assert order.payment_reference is not None
        return await order_handlers.handle_payment_notice(
            commands.HandlePaymentNotice(
                actor=actor,
                provider="stripe",
                notice_id=notice_id or f"evt_{uuid.uuid4().hex}",
                notice_type="checkout.session.completed",
                object_id=order.payment_reference,
                order_id=order.id,
            ),
            self.uow,
            self.clock,
            provider=self.provider,
            signer=self.signer,
        )

    async def pay(self, order: Order) -> Order:
        assert order.payment_reference is not None
        self.provider.succeed(order.payment_reference)
        outcome = await self.notify(order)
        assert outcome.order is not None
        return outcome.order

    async def expire(self) -> list[Reservation]:
        return await handlers.expire_reservations(commands.ExpireReservations(), self.uow, self.clock)

    async def reconcile(self, after_minutes: int = 5) -> int:
        return await order_handlers.reconcile_payments(
            commands.ReconcilePayments(after_minutes=after_minutes),
            self.uow,
            self.clock,
            provider=self.provider,
            signer=self.signer,
        )

    async def process_refunds(self) -> int:
        return await order_handlers.process_refunds(
            commands.ProcessRefunds(), self.uow, self.clock, provider=self.provider
        )

    def stored(self, order: Order) -> Order:
        return self.uow.order(order.id)

    def messages_of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [m for m, _ in self.uow.messages if isinstance(m, kind)]

    @property
    def line(self) -> tuple[int, int]:
        line = self.uow.line(self.event.sessions[0].id, self.event.zones[0].id)
        return line.held, line.sold


# ---------------------------------------------------------------- checkout


async def test_an_order_holds_the_places_for_the_payment_and_opens_a_payment_page() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)
    shop.clock.advance(minutes=4)

    order = await shop.order(actor, reservation.id)

    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.customer_id == actor.subject
    assert order.total == Money(Decimal("51.00"), "EUR")
    assert order.pay_by == shop.clock.now + dt.timedelta(minutes=shop.event.settings.payment_minutes)
    assert shop.uow.committed.reservations[reservation.id].expires_at == order.pay_by
    assert order.payment_reference is not None
    assert order.checkout_url == f"https://pay.example/{order.payment_reference}"
    assert shop.stored(order).payment_reference == order.payment_reference
    assert shop.provider.idempotency_keys == [f"checkout-{order.id}"]
    assert shop.provider.checkout_requests == [
        (order.id, f"http://127.0.0.1:5173/orders/{order.id}", f"http://127.0.0.1:5173/orders/{order.id}")
    ]
    [placed] = shop.messages_of(OrderPlaced)
    assert placed.order.id == order.id
    assert (placed, CORRELATION) in shop.uow.messages
    assert shop.line == (2, 0)


async def test_a_replayed_idempotency_key_answers_with_the_same_order_and_one_payment_page() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)

    first = await shop.order(actor, reservation.id, key="k1")
    again = await shop.order(actor, reservation.id, key="k1")

    assert again.id == first.id
    assert again.payment_reference == first.payment_reference
    assert len(shop.uow.committed.orders) == 1
    assert shop.provider.calls["start_checkout"] == 1
    assert len(shop.messages_of(OrderPlaced)) == 1


async def test_an_idempotency_key_reused_for_another_request_is_refused() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)
    await shop.order(actor, reservation.id, key="k1", fingerprint="f1")

    with pytest.raises(IdempotencyKeyReused):
        await shop.order(actor, reservation.id, key="k1", fingerprint="f2")
    assert len(shop.uow.committed.orders) == 1


async def test_another_accounts_reservation_looks_like_none_at_all() -> None:
    shop = await Shop.open()
    owner = buyer()
    reservation = await shop.hold(owner)

    with pytest.raises(ReservationNotFound):
        await shop.order(buyer(), reservation.id)
    with pytest.raises(ReservationNotFound):
        await shop.order(owner, uuid.uuid4())
    assert shop.uow.committed.orders == {}
    assert shop.provider.calls["start_checkout"] == 0


async def test_a_reservation_that_is_no_longer_held_cannot_be_ordered() -> None:
    shop = await Shop.open()
    actor = buyer()
    released = await shop.hold(actor, 1)
    await handlers.release_reservation(commands.ReleaseReservation(actor, released.id), shop.uow, shop.clock)
    expired = await shop.hold(actor, 1)
    shop.clock.advance(minutes=11)
    assert [r.id for r in await shop.expire()] == [expired.id]

    for reservation in (released, expired):
        with pytest.raises(ReservationNotHeld):
            await shop.order(actor, reservation.id)
    assert shop.uow.committed.orders == {}


async def test_a_reservation_has_one_order() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)
    first = await shop.order(actor, reservation.id)

    with pytest.raises(OrderExists) as error:
        await shop.order(actor, reservation.id, key="another-key")
    assert error.value.order_id == first.id
    assert list(shop.uow.committed.orders) == [first.id]


async def test_a_buyer_with_wrong_details_is_told_every_field() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)

    with pytest.raises(InvalidInput) as error:
        await shop.order(actor, reservation.id, buyer_name=" ", buyer_email="ana", buyer_locale="de")

    assert sorted(p.field for p in error.value.problems) == ["buyer.email", "buyer.locale", "buyer.name"]
    assert shop.uow.committed.orders == {}


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example/orders/{ORDER_ID}",
        "http://127.0.0.1:5173.evil.example/orders",
        "http://127.0.0.1:51730/orders",
        "javascript:alert(1)",
        "http://127.0.0.1:5173/" + "x" * 2000,
    ],
)
async def test_buyers_only_come_back_to_the_web_app(return_url: str) -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)

    with pytest.raises(InvalidInput) as error:
        await shop.order(actor, reservation.id, return_url=return_url)

    assert [p.field for p in error.value.problems] == ["return_url"]
    assert shop.uow.committed.orders == {}


async def test_a_return_url_of_the_web_app_gets_the_orders_id() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)

    order = await shop.order(
        actor, reservation.id, return_url="http://localhost:5173/orders/{ORDER_ID}?paid=1"
    )

    assert shop.provider.checkout_requests[0][1] == f"http://localhost:5173/orders/{order.id}?paid=1"


async def test_only_signed_in_people_buy() -> None:
    shop = await Shop.open()
    reservation = await shop.hold(buyer())
    with pytest.raises(Unauthenticated):
        await shop.order(None, reservation.id)
    for kind in (ActorKind.CLIENT, ActorKind.SERVICE):
        with pytest.raises(NotAllowed):
            await shop.order(Actor(reservation.customer_id, kind), reservation.id)


async def test_when_the_provider_is_down_the_order_is_kept_and_a_retry_resumes_it() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)
    shop.provider.fail("start_checkout")

    with pytest.raises(PaymentProviderUnavailable):
        await shop.order(actor, reservation.id, key="k1")

    [kept] = shop.uow.committed.orders.values()
    assert kept.status is OrderStatus.PENDING_PAYMENT
    assert kept.payment_reference is None

    resumed = await shop.order(actor, reservation.id, key="k1")

    assert resumed.id == kept.id
    assert resumed.payment_reference is not None
    assert shop.stored(resumed).checkout_url == resumed.checkout_url
    assert shop.provider.calls["start_checkout"] == 2
    assert shop.provider.idempotency_keys == [f"checkout-{kept.id}"]  # the failed call sent none
    assert len(shop.messages_of(OrderPlaced)) == 1


async def test_an_unexpected_provider_error_is_reported_as_unavailable() -> None:
    shop = await Shop.open()
    actor = buyer()
    reservation = await shop.hold(actor)

    async def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("HTTP 500")

    shop.provider.start_checkout = refuse  # type: ignore[method-assign,assignment]
    with pytest.raises(PaymentProviderUnavailable):
        await shop.order(actor, reservation.id)
    assert len(shop.uow.committed.orders) == 1


# ---------------------------------------------------------------- the provider's answers


async def test_a_payment_sells_the_places_and_issues_one_ticket_per_place_once() -> None:
    shop = await Shop.open()
    actor = buyer()
    order = await shop.checkout(actor, 3)
    shop.clock.advance(minutes=2)

    paid = await shop.pay(order)

    assert paid.status is OrderStatus.PAID
    assert paid.paid_at == shop.clock.now
    tickets = shop.uow.tickets_of(order.id)
    assert [t.position for t in tickets] == [0, 1, 2]
    assert shop.stored(order).ticket_ids == tuple(t.id for t in tickets)
    assert all(t.status is TicketStatus.VALID and t.holder_name == "Ana Núñez" for t in tickets)
    session = shop.event.sessions[0]
    assert session.ends_at is not None
    for ticket in tickets:
        claims = FakeSigner.claims(ticket.secret)
        assert (claims.ticket_id, claims.session_id, claims.zone_id) == (
            ticket.id,
            session.id,
            ticket.zone_id,
        )
        assert claims.valid_from == shop.clock.now
        assert claims.valid_until == session.ends_at + dt.timedelta(days=1)
    assert shop.line == (0, 3)
    assert shop.uow.committed.reservations[order.reservation_id].status is ReservationStatus.PURCHASED
    [message] = shop.messages_of(OrderPaid)
    assert [t.id for t in message.tickets] == [t.id for t in tickets]


async def test_the_paid_message_carries_the_tickets_but_never_their_secrets() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer(), 2)
    await shop.pay(order)

    [paid] = shop.messages_of(OrderPaid)
    envelope, key = envelope_for(paid, None)
    wire = envelope.to_bytes().decode()

    assert envelope.type == "OrderPaid"
    assert key == str(order.session_id)
    assert [t["id"] for t in json.loads(wire)["payload"]["tickets"]] == [
        str(t.id) for t in shop.uow.tickets_of(order.id)
    ]
    for ticket in shop.uow.tickets_of(order.id):
        assert ticket.secret not in wire
    assert "secret" not in wire.lower()


async def test_a_repeated_notification_changes_nothing() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.succeed(order.payment_reference)

    first = await shop.notify(order, notice_id="evt_1")
    again = await shop.notify(order, notice_id="evt_1")

    assert not first.duplicate
    assert again.duplicate
    assert again.order is not None
    assert again.order.status is OrderStatus.PAID
    assert len(shop.uow.tickets_of(order.id)) == 2
    assert len(shop.messages_of(OrderPaid)) == 1
    assert shop.line == (0, 2)


async def test_two_notifications_of_one_payment_issue_the_tickets_once() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.succeed(order.payment_reference)

    await shop.notify(order, notice_id="evt_checkout_completed")
    second = await shop.notify(order, notice_id="evt_payment_intent_succeeded")

    assert not second.duplicate
    assert len(shop.uow.tickets_of(order.id)) == 2
    assert len(shop.messages_of(OrderPaid)) == 1
    assert shop.line == (0, 2)


async def test_a_notice_about_a_paid_order_is_recorded_without_asking_the_provider() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.succeed(order.payment_reference)
    await shop.notify(order, notice_id="evt_checkout_completed")
    asked = len(shop.provider.asked)

    later = await shop.notify(order, notice_id="evt_payment_intent_succeeded")
    retried = await shop.notify(order, notice_id="evt_payment_intent_succeeded")

    assert len(shop.provider.asked) == asked  # no re-read, no lock: nothing can move a paid order
    assert not later.duplicate
    assert retried.duplicate
    assert later.order is not None
    assert later.order.status is OrderStatus.PAID


async def test_only_taquillas_services_hand_over_notifications() -> None:
    shop = await Shop.open()
    actor = buyer()
    order = await shop.checkout(actor)
    assert order.payment_reference is not None
    shop.provider.succeed(order.payment_reference)

    for caller in (None, actor, Actor(uuid.uuid4(), ActorKind.USER, role="admin")):
        with pytest.raises(NotAllowed):
            await shop.notify(order, actor=caller)

    assert shop.stored(order).status is OrderStatus.PENDING_PAYMENT
    assert shop.provider.calls["payment_state"] == 0


async def test_the_notification_is_not_believed_the_provider_is_asked() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())

    outcome = await shop.notify(order)  # "completed", but the provider says it is still pending

    assert outcome.order is not None
    assert outcome.order.status is OrderStatus.PENDING_PAYMENT
    assert shop.provider.asked == [order.payment_reference]
    assert shop.uow.tickets_of(order.id) == []


async def test_a_declined_payment_fails_the_order_with_its_code() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.decline(order.payment_reference, "insufficient_funds")

    outcome = await shop.notify(order)

    assert outcome.order is not None
    assert shop.stored(order).status is OrderStatus.FAILED
    assert shop.stored(order).failure_code == "insufficient_funds"
    [failed] = shop.messages_of(OrderPaymentFailed)
    assert failed.order.failure_code == "insufficient_funds"
    assert shop.line == (2, 0)  # the places stay held for another try


async def test_a_payment_after_a_declined_attempt_pays_the_order() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.decline(order.payment_reference)
    await shop.notify(order)

    paid = await shop.pay(order)

    assert paid.status is OrderStatus.PAID
    assert shop.stored(order).failure_code is None
    assert len(shop.uow.tickets_of(order.id)) == 2


async def test_a_failure_notice_after_the_payment_leaves_the_order_paid() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    await shop.pay(order)

    await shop.notify(order)  # a late "payment_failed" of an earlier attempt: the provider says paid
    shop.provider.decline(order.payment_reference)  # even if the provider said failed now
    await shop.notify(order)

    assert shop.stored(order).status is OrderStatus.PAID
    assert shop.stored(order).failure_code is None
    assert shop.messages_of(OrderPaymentFailed) == []
    assert len(shop.uow.tickets_of(order.id)) == 2


async def test_a_payment_of_another_amount_issues_no_tickets() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.succeed(order.payment_reference, Money(Decimal("1.00"), "EUR"))

    await shop.notify(order)

    assert shop.stored(order).status is OrderStatus.PENDING_PAYMENT
    assert shop.uow.tickets_of(order.id) == []


async def test_when_the_provider_cannot_be_asked_the_notification_is_handled_on_redelivery() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.succeed(order.payment_reference)
    shop.provider.fail("payment_state")

    with pytest.raises(PaymentProviderUnavailable):
        await shop.notify(order, notice_id="evt_1")
    assert shop.uow.committed.notices == {}

    outcome = await shop.notify(order, notice_id="evt_1")

    assert not outcome.duplicate
    assert shop.stored(order).status is OrderStatus.PAID


async def test_a_notification_about_no_order_of_ours_is_recorded_once() -> None:
    shop = await Shop.open()
    command = commands.HandlePaymentNotice(
        actor=EDGE, provider="stripe", notice_id="evt_x", notice_type="charge.refunded", object_id="re_1"
    )

    first = await order_handlers.handle_payment_notice(
        command, shop.uow, shop.clock, provider=shop.provider, signer=shop.signer
    )
    again = await order_handlers.handle_payment_notice(
        command, shop.uow, shop.clock, provider=shop.provider, signer=shop.signer
    )

    assert (first.duplicate, first.order) == (False, None)
    assert (again.duplicate, again.order) == (True, None)
    assert shop.provider.calls["payment_state"] == 0


# ---------------------------------------------------------------- the hold ends first


async def test_an_order_expires_with_its_hold() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    shop.clock.advance(minutes=9)
    assert await shop.expire() == []  # the hold was extended to cover the payment
    shop.clock.now = order.pay_by

    [ended] = await shop.expire()

    assert ended.id == order.reservation_id
    assert shop.stored(order).status is OrderStatus.EXPIRED
    [expired] = shop.messages_of(OrderExpired)
    assert expired.order.id == order.id
    assert expired.order.status is OrderStatus.EXPIRED
    assert shop.line == (0, 0)


async def test_releasing_the_reservation_cancels_its_order() -> None:
    shop = await Shop.open()
    actor = buyer()
    order = await shop.checkout(actor)

    await handlers.release_reservation(
        commands.ReleaseReservation(actor, order.reservation_id), shop.uow, shop.clock
    )

    assert shop.stored(order).status is OrderStatus.CANCELLED
    assert shop.messages_of(OrderExpired) == []
    assert len(shop.messages_of(ReservationReleased)) == 1
    assert shop.line == (0, 0)


async def test_a_paid_order_does_not_expire() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    await shop.pay(order)
    shop.clock.advance(hours=1)

    assert await shop.expire() == []
    assert shop.stored(order).status is OrderStatus.PAID
    assert shop.line == (0, 2)


async def test_a_late_payment_takes_the_places_back_when_they_are_free() -> None:
    shop = await Shop.open(capacity=4)
    actor = buyer()
    order = await shop.checkout(actor)
    shop.clock.now = order.pay_by
    await shop.expire()
    assert shop.line == (0, 0)
    assert shop.uow.places_of(shop.event.id, actor.subject) == 0

    paid = await shop.pay(order)

    assert paid.status is OrderStatus.PAID
    assert len(shop.uow.tickets_of(order.id)) == 2
    assert shop.line == (0, 2)
    assert shop.uow.places_of(shop.event.id, actor.subject) == 2
    assert shop.uow.committed.refunds == {}


async def test_a_late_payment_whose_places_were_sold_is_refunded_in_full_once() -> None:
    shop = await Shop.open(capacity=2)
    order = await shop.checkout(buyer())
    shop.clock.now = order.pay_by
    await shop.expire()
    other = await shop.checkout(buyer())
    await shop.pay(other)  # the places are gone

    paid = await shop.pay(order)

    assert paid.status is OrderStatus.PAID
    assert shop.uow.tickets_of(order.id) == []
    [refund] = shop.uow.refunds_of(order.id)
    assert refund.status is RefundStatus.REQUESTED
    assert refund.amount == order.total
    assert refund.reason == SOLD_OUT_AFTER_EXPIRY
    assert shop.line == (0, 2)  # the other buyer's
    assert [m.order.id for m in shop.messages_of(OrderPaid)] == [other.id]

    await shop.notify(order)  # another notice of the same payment asks for no second refund
    assert len(shop.uow.refunds_of(order.id)) == 1

    assert await shop.process_refunds() == 1

    assert shop.stored(order).status is OrderStatus.REFUNDED
    assert shop.stored(order).refunded == order.total.amount
    assert order.payment_reference is not None
    assert shop.provider.refunded(order.payment_reference) == order.total.amount
    [refunded] = shop.messages_of(OrderRefunded)
    assert (refunded.amount, refunded.reason) == (order.total, SOLD_OUT_AFTER_EXPIRY)


# ---------------------------------------------------------------- the refund worker


async def refund_due(shop: Shop) -> Order:
    """An order paid after its places were sold: one refund of its total is requested."""
    order = await shop.checkout(buyer())
    shop.clock.now = order.pay_by
    await shop.expire()
    await shop.pay(await shop.checkout(buyer()))
    await shop.pay(order)
    return order


async def test_refunds_are_confirmed_once_however_often_the_worker_runs() -> None:
    shop = await Shop.open(capacity=2)
    order = await refund_due(shop)
    [refund] = shop.uow.refunds_of(order.id)

    assert await shop.process_refunds() == 1
    assert await shop.process_refunds() == 0

    assert shop.provider.calls["refund"] == 1
    assert shop.provider.idempotency_keys[-1] == f"refund-{refund.id}"
    [stored] = shop.uow.refunds_of(order.id)
    assert stored.status is RefundStatus.SUCCEEDED
    assert stored.provider_refund_id == shop.provider.refunds[0][1]
    assert stored.settled_at == shop.clock.now
    assert len(shop.messages_of(OrderRefunded)) == 1


async def test_a_refund_the_provider_missed_is_sent_again_next_round_with_the_same_key() -> None:
    shop = await Shop.open(capacity=2)
    order = await refund_due(shop)
    [refund] = shop.uow.refunds_of(order.id)
    shop.provider.fail("refund")

    assert await shop.process_refunds() == 0
    assert shop.uow.refunds_of(order.id)[0].status is RefundStatus.REQUESTED
    assert shop.stored(order).status is OrderStatus.PAID

    assert await shop.process_refunds() == 1

    assert shop.provider.calls["refund"] == 2
    assert len(shop.provider.refunds) == 1
    assert shop.provider.refunds[0][0] == f"refund-{refund.id}"
    assert shop.stored(order).status is OrderStatus.REFUNDED


async def test_a_refund_confirmed_by_the_provider_but_not_stored_is_not_made_twice() -> None:
    shop = await Shop.open(capacity=2)
    order = await refund_due(shop)
    [refund] = shop.uow.refunds_of(order.id)
    assert order.payment_reference is not None
    # The worker crashed after the provider refunded and before it stored the answer.
    await shop.provider.refund(order.payment_reference, refund)

    assert await shop.process_refunds() == 1

    assert len(shop.provider.refunds) == 1
    assert shop.provider.refunded(order.payment_reference) == order.total.amount
    assert shop.stored(order).refunded == order.total.amount


# ---------------------------------------------------------------- the reconciliation


async def test_the_reconciliation_asks_only_about_orders_older_than_its_delay() -> None:
    shop = await Shop.open()
    old = await shop.checkout(buyer())
    shop.clock.advance(minutes=4)
    recent = await shop.checkout(buyer())
    assert old.payment_reference is not None
    assert recent.payment_reference is not None
    shop.provider.succeed(old.payment_reference)
    shop.provider.succeed(recent.payment_reference)
    shop.clock.advance(minutes=2)  # old: 6 minutes, recent: 2

    assert await shop.reconcile(after_minutes=5) == 1

    assert shop.provider.asked == [old.payment_reference]
    assert shop.stored(old).status is OrderStatus.PAID
    assert len(shop.uow.tickets_of(old.id)) == 2
    assert shop.stored(recent).status is OrderStatus.PENDING_PAYMENT


async def test_the_reconciliation_does_not_ask_twice_within_its_delay() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    shop.clock.advance(minutes=6)

    assert await shop.reconcile() == 0
    assert await shop.reconcile() == 0
    assert shop.provider.asked == [order.payment_reference]

    shop.clock.advance(minutes=6)
    await shop.reconcile()
    assert shop.provider.asked == [order.payment_reference] * 2


async def test_the_reconciliation_settles_a_late_payment_of_an_expired_order() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.clock.now = order.pay_by
    await shop.expire()
    shop.provider.succeed(order.payment_reference)

    assert await shop.reconcile() == 1

    assert shop.stored(order).status is OrderStatus.PAID


async def test_orders_older_than_the_window_and_paid_ones_are_not_asked_about() -> None:
    shop = await Shop.open()
    ancient = await shop.checkout(buyer())
    paid = await shop.pay(await shop.checkout(buyer()))
    shop.provider.asked.clear()
    shop.clock.advance(days=3)

    assert await shop.reconcile() == 0

    assert shop.provider.asked == []
    assert shop.stored(ancient).status is OrderStatus.PENDING_PAYMENT
    assert shop.stored(paid).status is OrderStatus.PAID


async def test_the_reconciliation_stops_when_the_provider_is_down_and_resumes_later() -> None:
    shop = await Shop.open()
    first = await shop.checkout(buyer())
    second = await shop.checkout(buyer())
    for order in (first, second):
        assert order.payment_reference is not None
        shop.provider.succeed(order.payment_reference)
    shop.clock.advance(minutes=6)
    shop.provider.fail("payment_state")

    assert await shop.reconcile() == 0
    assert shop.provider.calls["payment_state"] == 1  # the round stopped at the first failure

    assert await shop.reconcile() == 2
    assert shop.stored(first).status is OrderStatus.PAID
    assert shop.stored(second).status is OrderStatus.PAID


async def test_the_reconciliation_forgets_notifications_after_45_days() -> None:
    shop = await Shop.open()
    order = await shop.checkout(buyer())
    assert order.payment_reference is not None
    shop.provider.succeed(order.payment_reference)
    await shop.notify(order, notice_id="evt_old")
    shop.clock.advance(days=30)
    await shop.notify(order, notice_id="evt_recent")
    shop.clock.now = NOW + NOTICE_RETENTION + dt.timedelta(seconds=1)

    await shop.reconcile()

    assert set(shop.uow.committed.notices) == {("stripe", "evt_recent")}
    shop.clock.now = NOW + dt.timedelta(days=30) + NOTICE_RETENTION
    await shop.reconcile()
    assert set(shop.uow.committed.notices) == {("stripe", "evt_recent")}  # forgotten only once older
    shop.clock.advance(seconds=1)
    await shop.reconcile()
    assert shop.uow.committed.notices == {}


# ---------------------------------------------------------------- who reads what


async def test_an_events_orders_are_for_its_organizer_and_admins() -> None:
    shop = await Shop.open()
    mine = await shop.checkout(buyer())
    other = await Shop.open()
    assert other.event.id != shop.event.id
    admin = Actor(uuid.uuid4(), ActorKind.USER, role="admin")

    for reader in (shop.organizer, admin):
        page = await order_handlers.list_event_orders(
            commands.ListEventOrders(reader, shop.event.id), shop.uow
        )
        assert [o.id for o in page.orders] == [mine.id]
        assert not page.has_more

    outsiders = (
        buyer(),
        Actor(mine.customer_id),  # the buyer sees their own order, not the event's list
        other.organizer,
        Actor(uuid.uuid4(), ActorKind.USER, role="customer", organization_id=shop.event.organization_id),
    )
    for reader in outsiders:
        with pytest.raises(EventNotFound):
            await order_handlers.list_event_orders(commands.ListEventOrders(reader, shop.event.id), shop.uow)
    with pytest.raises(EventNotFound):
        await order_handlers.list_event_orders(commands.ListEventOrders(admin, uuid.uuid4()), shop.uow)
    with pytest.raises(NotAllowed):
        await order_handlers.list_event_orders(commands.ListEventOrders(EDGE, shop.event.id), shop.uow)


async def test_an_organizer_finds_orders_by_buyer_and_status_newest_first() -> None:
    shop = await Shop.open()
    first = await shop.checkout(buyer())
    shop.clock.advance(minutes=1)
    actor = buyer()
    second = await shop.order(
        actor, (await shop.hold(actor)).id, buyer_name="Bruno Díaz", buyer_email="bruno@example.com"
    )
    await shop.pay(second)

    async def found(**query: object) -> list[uuid.UUID]:
        command = commands.ListEventOrders(shop.organizer, shop.event.id, **query)  # type: ignore[arg-type]
        return [o.id for o in (await order_handlers.list_event_orders(command, shop.uow)).orders]

    assert await found() == [second.id, first.id]
    assert await found(query="BRUNO") == [second.id]
    assert await found(query=str(first.id)) == [first.id]
    assert await found(statuses=(OrderStatus.PENDING_PAYMENT,)) == [first.id]
    page = await order_handlers.list_event_orders(
        commands.ListEventOrders(shop.organizer, shop.event.id, limit=1), shop.uow
    )
    assert [o.id for o in page.orders] == [second.id]
    assert page.has_more


async def test_an_order_is_seen_by_its_buyer_the_organizer_admins_and_services_only() -> None:
    shop = await Shop.open()
    actor = buyer()
    order = await shop.checkout(actor)
    admin = Actor(uuid.uuid4(), ActorKind.USER, role="admin")
    notifications = Actor(uuid.uuid4(), ActorKind.SERVICE)

    for reader in (actor, shop.organizer, admin, notifications):
        seen = await order_handlers.get_order(commands.GetOrder(reader, order.id), shop.uow)
        assert seen.id == order.id

    outsider_organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=uuid.uuid4())
    for reader in (buyer(), outsider_organizer):
        with pytest.raises(OrderNotFound):
            await order_handlers.get_order(commands.GetOrder(reader, order.id), shop.uow)
    with pytest.raises(OrderNotFound):
        await order_handlers.get_order(commands.GetOrder(admin, uuid.uuid4()), shop.uow)
    with pytest.raises(Unauthenticated):
        await order_handlers.get_order(commands.GetOrder(None, order.id), shop.uow)
    with pytest.raises(NotAllowed):
        await order_handlers.get_order(
            commands.GetOrder(Actor(actor.subject, ActorKind.CLIENT), order.id), shop.uow
        )


async def test_a_ticket_is_seen_by_the_same_people_as_its_order() -> None:
    shop = await Shop.open()
    actor = buyer()
    order = await shop.pay(await shop.checkout(actor))
    ticket_id = order.ticket_ids[0]
    admin = Actor(uuid.uuid4(), ActorKind.USER, role="admin")

    for reader in (actor, shop.organizer, admin, EDGE):
        ticket = await order_handlers.get_ticket(commands.GetTicket(reader, ticket_id), shop.uow)
        assert ticket.id == ticket_id
        assert ticket.order_id == order.id

    other_organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=uuid.uuid4())
    for reader in (buyer(), other_organizer):
        with pytest.raises(TicketNotFound):
            await order_handlers.get_ticket(commands.GetTicket(reader, ticket_id), shop.uow)
    with pytest.raises(TicketNotFound):
        await order_handlers.get_ticket(commands.GetTicket(actor, uuid.uuid4()), shop.uow)
    with pytest.raises(Unauthenticated):
        await order_handlers.get_ticket(commands.GetTicket(None, ticket_id), shop.uow)


async def test_a_buyer_lists_their_own_orders_and_tickets_only() -> None:
    shop = await Shop.open()
    actor = buyer()
    first = await shop.pay(await shop.checkout(actor, 1))
    shop.clock.advance(minutes=1)
    second = await shop.checkout(actor, 1)
    await shop.checkout(buyer(), 1)

    orders = await order_handlers.list_my_orders(commands.ListMyOrders(actor), shop.uow)
    tickets = await order_handlers.list_my_tickets(commands.ListMyTickets(actor), shop.uow)

    assert [o.id for o in orders.orders] == [second.id, first.id]
    assert [t.id for t in tickets.tickets] == list(first.ticket_ids)


async def test_the_printed_tickets_need_a_paid_order() -> None:
    shop = await Shop.open()
    actor = buyer()
    pending = await shop.checkout(actor, 1)
    paid = await shop.pay(await shop.checkout(actor, 2))

    with pytest.raises(NotPaid):
        await order_handlers.order_tickets_pdf(
            commands.GetOrder(actor, pending.id), shop.uow, printer=shop.printer
        )
    order, pdf = await order_handlers.order_tickets_pdf(
        commands.GetOrder(actor, paid.id), shop.uow, printer=shop.printer
    )

    assert order.id == paid.id
    assert shop.printer.printed == [(paid.id, list(paid.ticket_ids))]
    assert pdf.startswith(b"%PDF")
    ticket = shop.uow.tickets_of(paid.id)[0]
    svg = await order_handlers.ticket_qr_svg(
        commands.GetTicket(actor, ticket.id), shop.uow, printer=shop.printer
    )
    assert ticket.secret in svg


async def test_revoked_tickets_are_neither_drawn_nor_printed() -> None:
    shop = await Shop.open()
    actor = buyer()
    paid = await shop.pay(await shop.checkout(actor, 2))
    revoked, kept = paid.ticket_ids
    async with shop.uow:
        await shop.uow.tickets.revoke([revoked])
        await shop.uow.commit()

    with pytest.raises(TicketRevoked):
        await order_handlers.ticket_qr_svg(commands.GetTicket(actor, revoked), shop.uow, printer=shop.printer)
    await order_handlers.order_tickets_pdf(commands.GetOrder(actor, paid.id), shop.uow, printer=shop.printer)
    assert shop.printer.printed == [(paid.id, [kept])]

    async with shop.uow:
        await shop.uow.tickets.revoke([kept])
        await shop.uow.commit()
    with pytest.raises(TicketRevoked):
        await order_handlers.order_tickets_pdf(
            commands.GetOrder(actor, paid.id), shop.uow, printer=shop.printer
        )


# ---------------------------------------------------------------- the fakes keep the database's rules


async def test_the_fakes_refuse_a_second_set_of_tickets_and_refunds_past_the_total() -> None:
    from ticketing_fakes import ConstraintViolated

    from ticketing_svc.domain.errors import TicketsAlreadyIssued

    shop = await Shop.open()
    order = await shop.pay(await shop.checkout(buyer()))
    tickets = shop.uow.tickets_of(order.id)

    async with shop.uow:
        with pytest.raises(TicketsAlreadyIssued):
            await shop.uow.tickets.add([dataclasses.replace(tickets[0], id=uuid.uuid4(), secret="other")])
        stored = await shop.uow.orders.get(order.id, for_update=True)
        assert stored is not None
        stored.refunded = stored.total.amount + Decimal("0.01")
        with pytest.raises(ConstraintViolated):
            await shop.uow.orders.save(stored)
        assert await shop.uow.notices.first_time("stripe", "evt_a", notice_type="x")
        assert not await shop.uow.notices.first_time("stripe", "evt_a", notice_type="x")
        with pytest.raises(OrderExists):
            await shop.uow.orders.add(
                dataclasses.replace(order, id=uuid.uuid4()), idempotency_key=None, fingerprint=None
            )
