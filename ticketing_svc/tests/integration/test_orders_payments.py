"""Orders, payments and tickets against a real PostgreSQL and the Stripe-compatible simulator.

The provider's notifications are handed to the use case as the edge hands them over (ids only);
the state of each payment is always re-read from the simulator through the official SDK.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing_factories import buyer, catalog_message, make_event

from devstack.infra import PaymentSimulator
from ticketing_svc.adapters.orm import inventory, orders, outbox, refunds, tickets
from ticketing_svc.adapters.payments import StripePaymentProvider
from ticketing_svc.adapters.ticket_signing import TicketKeyRing
from ticketing_svc.adapters.tickets import KeyRingSigner
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind, Idempotency
from ticketing_svc.domain.errors import (
    IdempotencyKeyReused,
    NotAllowed,
    NotCancelled,
    NotPaid,
    NotRefundable,
    OrderExists,
    OrderNotFound,
    ReservationNotFound,
    ReservationNotHeld,
)
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, ReservationStatus
from ticketing_svc.domain.orders import OrderStatus, PaymentOutcome, RefundStatus, TicketStatus
from ticketing_svc.entrypoints.catalog_messages import command_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

EDGE = Actor(uuid.uuid5(uuid.NAMESPACE_URL, "taquilla:service:edge"), ActorKind.SERVICE)
RING = TicketKeyRing.generate("t1")
GOOD, DECLINED = "4242424242424242", "4000000000000002"


@pytest.fixture
def shop(ticketing_engine: AsyncEngine, psp_simulator: PaymentSimulator) -> Callable[..., UseCases]:
    def build(clock: Callable[[], object]) -> UseCases:
        return UseCases(
            ticketing_engine,
            catalog=None,
            clock=clock,  # type: ignore[arg-type]
            provider=StripePaymentProvider(psp_simulator.secret_key, api_base=psp_simulator.url),
            signer=KeyRingSigner(RING),
        )

    return build


def pay(simulator: PaymentSimulator, reference: str, card: str = GOOD) -> dict[str, object]:
    request = urllib.request.Request(
        f"{simulator.url}/_sim/checkout/sessions/{reference}/pay",
        data=json.dumps({"card": card}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as declined:  # 402, as Stripe answers a declined card
        if declined.code != 402:
            raise
        return json.loads(declined.read())  # type: ignore[no-any-return]


async def on_sale(use_cases: UseCases, event: CatalogEvent) -> None:
    command = command_for(catalog_message(event))
    assert command is not None
    await use_cases.follow_catalog(command)


async def held(use_cases: UseCases, event: CatalogEvent, actor: Actor, quantity: int = 2) -> uuid.UUID:
    reservation = await use_cases.reserve(
        commands.Reserve(actor, event.sessions[0].id, (ItemRequest(event.zones[0].id, quantity),))
    )
    return reservation.id


def order_for(actor: Actor, reservation_id: uuid.UUID, **kw: object) -> commands.CreateOrder:
    return commands.CreateOrder(
        actor=actor,
        reservation_id=reservation_id,
        buyer_name="Ana Núñez",
        buyer_email="ana@example.com",
        buyer_locale="es",
        **kw,  # type: ignore[arg-type]
    )


def notice(
    order_id: uuid.UUID, reference: str, kind: str = "checkout.session.completed"
) -> commands.HandlePaymentNotice:
    return commands.HandlePaymentNotice(
        actor=EDGE,
        provider="stripe",
        notice_id=f"evt_{uuid.uuid4().hex}",
        notice_type=kind,
        object_id=reference,
        order_id=order_id,
    )


async def counts(engine: AsyncEngine, event: CatalogEvent) -> tuple[int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(inventory.c.held, inventory.c.sold).where(inventory.c.zone_id == event.zones[0].id)
            )
        ).one()
    return row.held, row.sold


async def ticket_count(engine: AsyncEngine, order_id: uuid.UUID) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).where(tickets.c.order_id == order_id)) or 0)


async def messages_of(engine: AsyncEngine, order_id: uuid.UUID) -> list[str]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(outbox.c.envelope).order_by(outbox.c.id))).scalars().all()
    return [
        row["type"] for row in rows if (row.get("payload") or {}).get("order", {}).get("id") == str(order_id)
    ]


async def test_paying_issues_one_signed_ticket_per_place_once(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event(capacity=10)
    await on_sale(use_cases, event)
    customer = buyer()
    reservation_id = await held(use_cases, event, customer, quantity=3)

    order = await use_cases.create_order(order_for(customer, reservation_id))
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.checkout_url
    assert order.checkout_url.startswith(psp_simulator.url)
    assert order.total.amount == Decimal("76.50")
    assert order.payment_reference is not None

    pay(psp_simulator, order.payment_reference)
    first = notice(order.id, order.payment_reference)
    outcome = await use_cases.handle_payment_notice(first)
    assert not outcome.duplicate
    assert outcome.order is not None
    assert outcome.order.status is OrderStatus.PAID

    paid = await use_cases.get_order(commands.GetOrder(customer, order.id))
    assert paid.status is OrderStatus.PAID
    assert len(paid.ticket_ids) == 3
    assert await counts(ticketing_engine, event) == (0, 3)
    reservation = await use_cases.get_reservation(commands.GetReservation(customer, reservation_id))
    assert reservation.status is ReservationStatus.PURCHASED

    # The same notification again, and another one about the same payment: nothing new.
    assert (await use_cases.handle_payment_notice(first)).duplicate
    again = await use_cases.handle_payment_notice(
        notice(order.id, order.payment_reference, "payment_intent.succeeded")
    )
    assert not again.duplicate
    assert again.order is not None
    assert again.order.status is OrderStatus.PAID
    assert await ticket_count(ticketing_engine, order.id) == 3

    mine = await use_cases.list_my_tickets(commands.ListMyTickets(customer))
    assert {t.id for t in mine.tickets} == set(paid.ticket_ids)
    for ticket in mine.tickets:
        claims = RING.verify(ticket.secret)
        assert (claims.ticket_id, claims.session_id, claims.zone_id) == (
            ticket.id,
            event.sessions[0].id,
            event.zones[0].id,
        )
        assert ticket.status is TicketStatus.VALID
        assert ticket.holder_name == "Ana Núñez"
    _, pdf = await use_cases.order_tickets_pdf(commands.GetOrder(customer, order.id))
    assert pdf.startswith(b"%PDF")
    svg = await use_cases.ticket_qr_svg(commands.GetTicket(customer, paid.ticket_ids[0]))
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:200]
    assert await messages_of(ticketing_engine, order.id) == ["OrderPlaced", "OrderPaid"]

    with pytest.raises(OrderNotFound):
        await use_cases.get_order(commands.GetOrder(buyer(), order.id))
    organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=event.organization_id)
    assert (await use_cases.get_order(commands.GetOrder(organizer, order.id))).id == order.id
    listed = await use_cases.list_event_orders(commands.ListEventOrders(organizer, event.id, query="NÚÑEZ"))
    assert [o.id for o in listed.orders] == [order.id]


async def test_concurrent_notifications_issue_tickets_once(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event(capacity=5)
    await on_sale(use_cases, event)
    customer = buyer()
    order = await use_cases.create_order(order_for(customer, await held(use_cases, event, customer)))
    assert order.payment_reference is not None
    pay(psp_simulator, order.payment_reference)
    results = await asyncio.gather(
        *(use_cases.handle_payment_notice(notice(order.id, order.payment_reference)) for _ in range(8))
    )
    assert all(r.order is not None and r.order.status is OrderStatus.PAID for r in results)
    assert await ticket_count(ticketing_engine, order.id) == 2
    assert await counts(ticketing_engine, event) == (0, 2)
    assert (await messages_of(ticketing_engine, order.id)).count("OrderPaid") == 1


async def test_a_declined_card_fails_the_order_and_a_retry_pays_it(shop, clock, psp_simulator) -> None:
    use_cases = shop(clock)
    event = make_event()
    await on_sale(use_cases, event)
    customer = buyer()
    order = await use_cases.create_order(order_for(customer, await held(use_cases, event, customer)))
    assert order.payment_reference is not None
    pay(psp_simulator, order.payment_reference, DECLINED)
    failed = await use_cases.handle_payment_notice(
        notice(order.id, order.payment_reference, "payment_intent.payment_failed")
    )
    assert failed.order is not None
    assert failed.order.status is OrderStatus.FAILED
    assert failed.order.failure_code == "card_declined"

    pay(psp_simulator, order.payment_reference, GOOD)
    # The decline's notification arrives late, after the success: the order does not go back.
    late = notice(order.id, order.payment_reference, "payment_intent.payment_failed")
    paid = await use_cases.handle_payment_notice(late)
    assert paid.order is not None
    assert paid.order.status is OrderStatus.PAID
    assert paid.order.failure_code is None


async def test_a_lost_notification_is_made_up_by_the_reconciliation(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event()
    await on_sale(use_cases, event)
    customer = buyer()
    order = await use_cases.create_order(order_for(customer, await held(use_cases, event, customer)))
    assert order.payment_reference is not None
    pay(psp_simulator, order.payment_reference)  # and no notification ever reaches us

    assert await use_cases.reconcile_payments(commands.ReconcilePayments(after_minutes=5)) == 0  # too recent
    clock.advance(minutes=6)
    await use_cases.reconcile_payments(commands.ReconcilePayments(after_minutes=5, limit=500))
    paid = await use_cases.get_order(commands.GetOrder(customer, order.id))
    assert paid.status is OrderStatus.PAID
    assert await ticket_count(ticketing_engine, order.id) == 2


async def test_a_payment_after_the_hold_expired_takes_free_places_back(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event(capacity=5)
    await on_sale(use_cases, event)
    customer = buyer()
    order = await use_cases.create_order(order_for(customer, await held(use_cases, event, customer)))
    assert order.payment_reference is not None
    clock.now = order.pay_by
    await use_cases.expire_reservations(commands.ExpireReservations(limit=10_000))
    expired = await use_cases.get_order(commands.GetOrder(customer, order.id))
    assert expired.status is OrderStatus.EXPIRED
    assert await counts(ticketing_engine, event) == (0, 0)

    pay(psp_simulator, order.payment_reference)
    outcome = await use_cases.handle_payment_notice(notice(order.id, order.payment_reference))
    assert outcome.order is not None
    assert outcome.order.status is OrderStatus.PAID
    assert await counts(ticketing_engine, event) == (0, 2)
    assert await ticket_count(ticketing_engine, order.id) == 2


async def test_a_payment_after_the_places_sold_is_refunded_in_full_once(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event(capacity=2)
    await on_sale(use_cases, event)
    late_buyer = buyer()
    order = await use_cases.create_order(order_for(late_buyer, await held(use_cases, event, late_buyer)))
    assert order.payment_reference is not None
    clock.now = order.pay_by
    await use_cases.expire_reservations(commands.ExpireReservations(limit=10_000))
    other = buyer()
    await held(use_cases, event, other, quantity=2)  # someone else takes every place

    pay(psp_simulator, order.payment_reference)
    outcome = await use_cases.handle_payment_notice(notice(order.id, order.payment_reference))
    assert outcome.order is not None
    assert outcome.order.status is OrderStatus.PAID
    assert await ticket_count(ticketing_engine, order.id) == 0
    assert await counts(ticketing_engine, event) == (2, 0)

    assert await use_cases.process_refunds(commands.ProcessRefunds()) >= 1
    assert await use_cases.process_refunds(commands.ProcessRefunds()) == 0
    refunded = await use_cases.get_order(commands.GetOrder(late_buyer, order.id))
    assert refunded.status is OrderStatus.REFUNDED
    assert refunded.refunded == Decimal("51.00")
    async with ticketing_engine.connect() as connection:
        rows = (await connection.execute(select(refunds).where(refunds.c.order_id == order.id))).all()
    assert len(rows) == 1
    assert rows[0].status == "succeeded"
    assert rows[0].provider_refund_id
    assert (await messages_of(ticketing_engine, order.id))[-1] == "OrderRefunded"
    with pytest.raises(NotPaid):
        await use_cases.order_tickets_pdf(commands.GetOrder(late_buyer, order.id))


async def test_checkout_rules(shop, clock, ticketing_engine) -> None:
    use_cases = shop(clock)
    event = make_event()
    await on_sale(use_cases, event)
    customer = buyer()
    reservation_id = await held(use_cases, event, customer)
    with pytest.raises(ReservationNotFound):
        await use_cases.create_order(order_for(buyer(), reservation_id))
    key = Idempotency("k-1", "fingerprint-a")
    first = await use_cases.create_order(order_for(customer, reservation_id, idempotency=key))
    replay = await use_cases.create_order(order_for(customer, reservation_id, idempotency=key))
    assert replay.id == first.id
    assert replay.checkout_url == first.checkout_url
    with pytest.raises(IdempotencyKeyReused):
        await use_cases.create_order(
            order_for(customer, reservation_id, idempotency=Idempotency("k-1", "other"))
        )
    with pytest.raises(OrderExists) as exists:
        await use_cases.create_order(order_for(customer, reservation_id))
    assert exists.value.order_id == first.id
    reservation = await use_cases.get_reservation(commands.GetReservation(customer, reservation_id))
    assert reservation.expires_at == first.pay_by  # extended once, to cover the payment

    released = await held(use_cases, event, customer)
    await use_cases.release_reservation(commands.ReleaseReservation(customer, released))
    with pytest.raises(ReservationNotHeld):
        await use_cases.create_order(order_for(customer, released))

    async with ticketing_engine.connect() as connection:
        assert (
            await connection.scalar(select(func.count()).where(orders.c.reservation_id == reservation_id))
            == 1
        )


async def paid_order(use_cases: UseCases, simulator: PaymentSimulator, event: CatalogEvent, quantity: int):
    customer = buyer()
    order = await use_cases.create_order(
        order_for(customer, await held(use_cases, event, customer, quantity))
    )
    assert order.payment_reference is not None
    pay(simulator, order.payment_reference)
    outcome = await use_cases.handle_payment_notice(notice(order.id, order.payment_reference))
    assert outcome.order is not None
    return customer, outcome.order


async def test_an_organizer_refunds_tickets_and_amounts_never_past_what_was_paid(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event(capacity=3)
    await on_sale(use_cases, event)
    customer, order = await paid_order(use_cases, psp_simulator, event, 3)
    assert await counts(ticketing_engine, event) == (0, 3)
    organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=event.organization_id)
    stranger = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=uuid.uuid4())

    with pytest.raises(NotAllowed):
        await use_cases.refund_order(commands.RefundOrder(customer, order.id, amount="1.00"))
    with pytest.raises(OrderNotFound):
        await use_cases.refund_order(commands.RefundOrder(stranger, order.id, amount="1.00"))

    key = Idempotency("refund-1", "fp")
    first_ticket = order.ticket_ids[0]
    refund, after = await use_cases.refund_order(
        commands.RefundOrder(organizer, order.id, ticket_ids=(first_ticket,), idempotency=key)
    )
    assert refund.status is RefundStatus.SUCCEEDED
    assert refund.amount.amount == Decimal("25.50")
    assert after.status is OrderStatus.PARTIALLY_REFUNDED
    assert after.refunded == Decimal("25.50")
    replay, _ = await use_cases.refund_order(
        commands.RefundOrder(organizer, order.id, ticket_ids=(first_ticket,), idempotency=key)
    )
    assert replay.id == refund.id
    ticket = await use_cases.get_ticket(commands.GetTicket(customer, first_ticket))
    assert ticket.status is TicketStatus.REVOKED
    assert await counts(ticketing_engine, event) == (0, 2)  # the place is on sale again
    with pytest.raises(NotRefundable):
        await use_cases.refund_order(commands.RefundOrder(organizer, order.id, ticket_ids=(first_ticket,)))

    # Two goodwill refunds of everything that is left, at once: only one of them is made.
    results = await asyncio.gather(
        use_cases.refund_order(commands.RefundOrder(organizer, order.id, amount="51.00")),
        use_cases.refund_order(commands.RefundOrder(organizer, order.id, amount="51.00")),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NotRefundable", "tuple"]
    final = await use_cases.get_order(commands.GetOrder(customer, order.id))
    assert final.status is OrderStatus.REFUNDED
    assert final.refunded == Decimal("76.50")
    with pytest.raises(NotRefundable):
        await use_cases.refund_order(commands.RefundOrder(organizer, order.id, amount="0.01"))
    types = await messages_of(ticketing_engine, order.id)
    assert types.count("OrderRefunded") == 2


async def test_cancelling_an_event_refunds_every_paid_order_once(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event(capacity=20)
    await on_sale(use_cases, event)
    buyers = [await paid_order(use_cases, psp_simulator, event, quantity) for quantity in (1, 2, 3)]
    pending_customer = buyer()
    pending = await use_cases.create_order(
        order_for(pending_customer, await held(use_cases, event, pending_customer, 1))
    )
    organizer = Actor(uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=event.organization_id)
    with pytest.raises(NotCancelled):
        await use_cases.event_refunds(commands.GetEventRefunds(organizer, event.id))

    cancelled = dataclasses.replace(event, status="cancelled", version=event.version + 1)
    await on_sale(use_cases, cancelled)  # the catalog's EventCancelled: the saga starts with it
    # Two workers (or a worker and its restart) at once: still one refund per order.
    steps = await asyncio.gather(
        use_cases.advance_cancellations(commands.AdvanceCancellations(batch=2)),
        use_cases.advance_cancellations(commands.AdvanceCancellations(batch=2)),
    )
    while await use_cases.advance_cancellations(commands.AdvanceCancellations(batch=2)):
        pass
    await use_cases.advance_cancellations(commands.AdvanceCancellations())  # finds nothing: finished
    assert sum(steps) <= 3
    progress = await use_cases.event_refunds(commands.GetEventRefunds(organizer, event.id))
    assert (progress.orders, progress.requested, progress.refunded) == (3, 3, 0)
    assert progress.finished_at is not None
    for customer, order in buyers:
        for ticket_id in order.ticket_ids:
            ticket = await use_cases.get_ticket(commands.GetTicket(customer, ticket_id))
            assert ticket.status is TicketStatus.REVOKED

    assert await use_cases.process_refunds(commands.ProcessRefunds(limit=100)) >= 3
    progress = await use_cases.event_refunds(commands.GetEventRefunds(organizer, event.id))
    assert (progress.refunded, progress.amount_refunded) == (3, Decimal("153.00"))
    for customer, order in buyers:
        refunded = await use_cases.get_order(commands.GetOrder(customer, order.id))
        assert refunded.status is OrderStatus.REFUNDED
        assert refunded.refunded == refunded.total.amount

    # A payment that still comes in for the cancelled event is refunded in full, no tickets.
    assert pending.payment_reference is not None
    pay(psp_simulator, pending.payment_reference)
    outcome = await use_cases.handle_payment_notice(notice(pending.id, pending.payment_reference))
    assert outcome.order is not None
    assert outcome.order.ticket_ids == ()
    await use_cases.process_refunds(commands.ProcessRefunds(limit=100))
    late = await use_cases.get_order(commands.GetOrder(pending_customer, pending.id))
    assert late.status is OrderStatus.REFUNDED
    async with ticketing_engine.connect() as connection:
        per_order = (
            await connection.execute(
                select(refunds.c.order_id, func.count())
                .where(refunds.c.order_id.in_([o.id for _, o in buyers]))
                .group_by(refunds.c.order_id)
            )
        ).all()
    assert sorted(count for _, count in per_order) == [1, 1, 1]


async def test_an_expired_orders_payment_page_is_closed_by_the_reconciliation(
    shop, clock, psp_simulator
) -> None:
    use_cases = shop(clock)
    event = make_event()
    await on_sale(use_cases, event)
    customer = buyer()
    order = await use_cases.create_order(order_for(customer, await held(use_cases, event, customer)))
    assert order.payment_reference is not None
    clock.now = order.pay_by
    await use_cases.expire_reservations(commands.ExpireReservations(limit=10_000))
    clock.advance(minutes=6)
    await use_cases.reconcile_payments(commands.ReconcilePayments(after_minutes=5, limit=500))
    provider = StripePaymentProvider(psp_simulator.secret_key, api_base=psp_simulator.url)
    state = await provider.payment_state(order.payment_reference)
    assert state.outcome is PaymentOutcome.EXPIRED
    assert (await use_cases.get_order(commands.GetOrder(customer, order.id))).status is OrderStatus.EXPIRED
