"""Orders, payments, refunds and tickets: one async function per command.

Calls to the payment provider never happen inside a database transaction: what must survive a
crash is stored first (an order, a refund), the provider is called with an idempotency key derived
from it, and the answer is stored in a second transaction. Whatever a crash leaves half done, the
reconciliation (payments) and the refund worker (refunds) finish; the provider's idempotency keys
make their repeats harmless.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ticketing_svc.application.handlers import PAGE_SIZE_MAX, Clock, drain, page_after, person, system_clock
from ticketing_svc.application.ports import PaymentProvider, TicketPrinter, TicketSigner, UnitOfWork
from ticketing_svc.application.waitlist import offers_ended, serve_waitlists
from ticketing_svc.domain.commands import (
    Actor,
    AdvanceCancellations,
    CreateOrder,
    GetEventRefunds,
    GetOrder,
    GetTicket,
    HandlePaymentNotice,
    ListEventOrders,
    ListMyOrders,
    ListMyTickets,
    ProcessRefunds,
    ReconcilePayments,
    RefundOrder,
)
from ticketing_svc.domain.errors import (
    EventNotFound,
    IdempotencyConflict,
    IdempotencyKeyReused,
    InvalidInput,
    NotAllowed,
    NotCancelled,
    NotPaid,
    NotRefundable,
    OrderExists,
    OrderNotFound,
    PaymentProviderUnavailable,
    ReservationNotFound,
    ReservationNotHeld,
    SoldOut,
    TicketNotFound,
    TicketRevoked,
)
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, Money, stock_transitions
from ticketing_svc.domain.orders import (
    AWAITING_PAYMENT,
    EVENT_CANCELLED,
    PAYABLE,
    Buyer,
    CancellationProgress,
    Order,
    OrderStatus,
    PaymentOutcome,
    PaymentState,
    Refund,
    RefundStatus,
    Ticket,
    TicketStatus,
    issue_tickets,
)

log = logging.getLogger(__name__)

ORDER_ID_PLACEHOLDER = "{ORDER_ID}"
# Tickets of a session whose end the catalog did not say stay valid this long after issue.
DEFAULT_TICKET_VALIDITY = dt.timedelta(days=400)
# A ticket admits from its issue until a day after its session ends.
VALIDITY_GRACE = dt.timedelta(days=1)
# Orders ended without payment are still asked about this long: a payment may come in late.
RECONCILE_WINDOW = dt.timedelta(days=2)
# Handled provider notifications are remembered this long: longer than Stripe retries one (3 days)
# and than the 30 days the issue asks for, so a redelivery is always recognised.
NOTICE_RETENTION = dt.timedelta(days=45)
SOLD_OUT_AFTER_EXPIRY = "sold_out_after_expiry"
ENDED_UNPAID = frozenset({OrderStatus.EXPIRED, OrderStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class PaymentSettings:
    """Where buyers come back to after paying (the web app's order page), and which origins a
    caller may name instead."""

    return_url: str = "http://127.0.0.1:5173/orders/{ORDER_ID}"
    return_origins: tuple[str, ...] = ("http://127.0.0.1:5173", "http://localhost:5173")


def _return_url(requested: str | None, settings: PaymentSettings) -> str:
    if not requested:
        return settings.return_url
    if len(requested) > 2000 or not any(
        requested == origin or requested.startswith(origin + "/") for origin in settings.return_origins
    ):
        raise InvalidInput.single("return_url", "must be a page of the Taquilla web app")
    return requested


# ---------------------------------------------------------------- checkout


async def create_order(
    cmd: CreateOrder,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    provider: PaymentProvider,
    settings: PaymentSettings = PaymentSettings(),
) -> Order:
    """An order for the caller's held reservation, with a payment page at the provider.

    Raises ReservationNotFound, ReservationNotHeld, OrderExists, InvalidInput, and
    PaymentProviderUnavailable (the order is kept: a retry with the same Idempotency-Key resumes it).
    """
    buyer_actor = person(cmd.actor, "buy tickets")
    buyer = Buyer.checked(cmd.buyer_name, cmd.buyer_email, cmd.buyer_locale)
    return_url = _return_url(cmd.return_url, settings)
    for _ in range(3):
        try:
            order = await _place_order(cmd, buyer_actor, buyer, uow, clock, provider.name)
            break
        except IdempotencyConflict:
            continue  # a twin request with the same key committed first: answer with its order
    else:
        order = await _place_order(cmd, buyer_actor, buyer, uow, clock, provider.name)
    if order.payment_reference is None and order.status in AWAITING_PAYMENT:
        order = await _start_checkout(
            order, uow, provider, return_url.replace(ORDER_ID_PLACEHOLDER, str(order.id))
        )
    return order


async def _place_order(
    cmd: CreateOrder, actor: Actor, buyer: Buyer, uow: UnitOfWork, clock: Clock, provider: str
) -> Order:
    now = clock()
    async with uow:
        if cmd.idempotency is not None:
            earlier = await uow.orders.by_idempotency_key(actor.subject, cmd.idempotency.key)
            if earlier is not None:
                order, fingerprint = earlier
                if fingerprint != cmd.idempotency.fingerprint:
                    raise IdempotencyKeyReused
                return order
        reservation = await uow.reservations.get(cmd.reservation_id, for_update=True)
        if reservation is None or reservation.customer_id != actor.subject:
            raise ReservationNotFound(cmd.reservation_id)
        existing = await uow.orders.by_reservation(reservation.id)
        if existing is not None:
            raise OrderExists(existing.id)
        if not reservation.held:
            raise ReservationNotHeld(f"The reservation is {reservation.status.value}: reserve again.")
        event = await uow.catalog.get(reservation.event_id)
        if event is None:
            raise EventNotFound(reservation.event_id)
        order = Order.place(
            reservation,
            organization_id=event.organization_id,
            buyer=buyer,
            provider=provider,
            now=now,
            payment_minutes=event.settings.payment_minutes,
        )
        await uow.orders.add(
            order,
            idempotency_key=cmd.idempotency.key if cmd.idempotency else None,
            fingerprint=cmd.idempotency.fingerprint if cmd.idempotency else None,
        )
        await uow.reservations.save(reservation)
        await uow.outbox.add(drain(order), correlation_id=cmd.correlation_id)
        await uow.commit()
    return order


async def _start_checkout(order: Order, uow: UnitOfWork, provider: PaymentProvider, return_url: str) -> Order:
    try:
        checkout = await provider.start_checkout(order, return_url=return_url, cancel_url=return_url)
    except PaymentProviderUnavailable:
        raise
    except Exception as exc:
        log.warning("payment provider refused a checkout", extra={"order_id": str(order.id)}, exc_info=True)
        raise PaymentProviderUnavailable("The payment provider did not answer; try again.") from exc
    async with uow:
        stored = await uow.orders.get(order.id, for_update=True)
        assert stored is not None  # orders are never deleted
        if stored.payment_reference is None:
            stored.started(checkout)
            await uow.orders.save(stored)
        await uow.commit()
    return stored


# ---------------------------------------------------------------- reading orders


def _may_see(actor: Actor, order: Order) -> bool:
    """The buyer, the event's organizer, an admin, or a Taquilla service (the e-mails)."""
    return actor.is_service or order.customer_id == actor.subject or actor.manages(order.organization_id)


def _reader(actor: Actor | None, doing: str) -> Actor:
    if actor is not None and actor.is_service:
        return actor
    return person(actor, doing)


async def get_order(cmd: GetOrder, uow: UnitOfWork) -> Order:
    actor = _reader(cmd.actor, "see orders")
    async with uow:
        order = await uow.orders.get(cmd.order_id)
        if order is None or not _may_see(actor, order):
            raise OrderNotFound(cmd.order_id)
        if order.ticket_ids and not (actor.is_service or actor.manages(order.organization_id)):
            # The buyer sees the tickets still theirs: one sent to someone else is the recipient's.
            kept = [t.id for t in await uow.tickets.for_order(order.id) if t.customer_id == order.customer_id]
            order = dataclasses.replace(order, ticket_ids=tuple(kept))
    return order


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: list[Order]
    has_more: bool
    # Every order the filters match, when the listing asked to count them.
    total: int | None = None


async def list_my_orders(cmd: ListMyOrders, uow: UnitOfWork) -> OrderPage:
    actor = person(cmd.actor, "see orders")
    limit = max(1, min(PAGE_SIZE_MAX, cmd.limit))
    async with uow:
        found = await uow.orders.for_customer(
            actor.subject, limit=limit + 1, after=page_after(cmd.after), statuses=cmd.statuses
        )
    return OrderPage(found[:limit], has_more=len(found) > limit)


async def list_event_orders(cmd: ListEventOrders, uow: UnitOfWork) -> OrderPage:
    """An event's orders for its organizer or an admin; anyone else is told the event does not exist."""
    actor = person(cmd.actor, "see an event's orders")
    limit = max(1, min(PAGE_SIZE_MAX, cmd.limit))
    async with uow:
        event = await uow.catalog.get(cmd.event_id)
        if event is None or not actor.manages(event.organization_id):
            raise EventNotFound(cmd.event_id)
        query = (cmd.query or "").strip()[:200] or None
        found = await uow.orders.for_event(
            cmd.event_id, query=query, limit=limit + 1, after=page_after(cmd.after), statuses=cmd.statuses
        )
        total = (
            await uow.exports.count_orders(cmd.event_id, query=query, statuses=cmd.statuses)
            if cmd.count
            else None
        )
    return OrderPage(found[:limit], has_more=len(found) > limit, total=total)


# ---------------------------------------------------------------- the provider's answers


@dataclass(frozen=True, slots=True)
class NoticeOutcome:
    duplicate: bool
    order: Order | None


async def handle_payment_notice(
    cmd: HandlePaymentNotice,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    provider: PaymentProvider,
    signer: TicketSigner,
) -> NoticeOutcome:
    """Settles the order a provider's notification is about, from the payment's state as the
    provider tells it now. A notification handled before changes nothing."""
    if cmd.actor is None or not cmd.actor.is_service:
        raise NotAllowed("Only Taquilla's services hand over payment notifications.")
    if cmd.provider != provider.name:
        raise InvalidInput.single("provider", f"must be {provider.name}")
    async with uow:
        order = await uow.orders.get(cmd.order_id) if cmd.order_id is not None else None
        if order is None and cmd.object_id:
            order = await uow.orders.by_payment_reference(cmd.object_id)
    if order is None or order.payment_reference is None or order.status not in PAYABLE:
        # Not about a payment of ours (or a refund: the refund worker confirms those itself), or
        # about an order already paid, which no notice moves: recorded, without asking the provider
        # or taking any lock (a payment's notices arrive together, and the provider retries).
        async with uow:
            first = await uow.notices.first_time(cmd.provider, cmd.notice_id, notice_type=cmd.notice_type)
            await uow.commit()
        return NoticeOutcome(duplicate=not first, order=order)
    state = await _read_state(provider, order.payment_reference)
    return await _settle(
        order.id, state, uow, clock, signer=signer, notice=cmd, correlation_id=cmd.correlation_id
    )


async def _read_state(provider: PaymentProvider, reference: str) -> PaymentState:
    try:
        return await provider.payment_state(reference)
    except PaymentProviderUnavailable:
        raise
    except Exception as exc:
        raise PaymentProviderUnavailable("The payment provider did not answer; try again.") from exc


def ticket_valid_until(event: CatalogEvent | None, session_id: uuid.UUID, now: dt.datetime) -> dt.datetime:
    """Until when a ticket issued ``now`` for the session admits: a day after the session ends."""
    session = event.session(session_id) if event is not None else None
    if session is not None and session.ends_at:
        return session.ends_at + VALIDITY_GRACE
    return now + DEFAULT_TICKET_VALIDITY


class _PlacesGone(Exception):
    """The payment came after the hold ended and the places were sold to someone else."""


async def _settle(
    order_id: uuid.UUID,
    state: PaymentState,
    uow: UnitOfWork,
    clock: Clock,
    *,
    signer: TicketSigner,
    notice: HandlePaymentNotice | None,
    correlation_id: str | None,
) -> NoticeOutcome:
    """Moves the order forward to what the provider says of its payment, in one transaction."""
    now = clock()
    try:
        async with uow:
            if await _seen_before(uow, notice):
                return NoticeOutcome(duplicate=True, order=await uow.orders.get(order_id))
            order = await uow.orders.get(order_id, for_update=True)
            assert order is not None  # orders are never deleted
            if state.outcome is PaymentOutcome.SUCCEEDED and order.status in PAYABLE:
                await _pay(order, state, uow, now, signer)
            elif (
                state.outcome is PaymentOutcome.FAILED
                and order.status in AWAITING_PAYMENT
                and order.decline(state.failure_code, now)
            ):
                await uow.orders.save(order)
            await uow.orders.reconciled(order.id, now)
            await uow.outbox.add(drain(order), correlation_id=correlation_id)
            await uow.commit()
            return NoticeOutcome(duplicate=False, order=order)
    except _PlacesGone:
        pass
    # Paid after the places went to someone else: record the payment and refund it in full.
    async with uow:
        if await _seen_before(uow, notice):
            return NoticeOutcome(duplicate=True, order=await uow.orders.get(order_id))
        order = await uow.orders.get(order_id, for_update=True)
        assert order is not None
        if order.status in PAYABLE:
            amount = order.paid_without_places(now)
            await uow.orders.save(order)
            await uow.refunds.add(
                Refund(
                    id=uuid.uuid4(),
                    order_id=order.id,
                    amount=amount,
                    reason=SOLD_OUT_AFTER_EXPIRY,
                    status=RefundStatus.REQUESTED,
                    requested_at=now,
                )
            )
        await uow.orders.reconciled(order.id, now)
        await uow.commit()
    return NoticeOutcome(duplicate=False, order=order)


async def _seen_before(uow: UnitOfWork, notice: HandlePaymentNotice | None) -> bool:
    """Records the notice in this transaction; True (and committed) when it was handled before."""
    if notice is None or await uow.notices.first_time(
        notice.provider, notice.notice_id, notice_type=notice.notice_type
    ):
        return False
    await uow.commit()
    return True


async def _pay(
    order: Order, state: PaymentState, uow: UnitOfWork, now: dt.datetime, signer: TicketSigner
) -> None:
    """Sells the order's places, purchases its reservation and issues its tickets. Raises
    _PlacesGone (the transaction rolls back) when the hold had ended and the places are sold."""
    if state.amount is not None and state.amount != order.total:
        # Never issue tickets for a payment of another amount; the reconciliation reports it.
        log.error("payment amount differs from the order's total", extra={"order_id": str(order.id)})
        return
    reservation = await uow.reservations.get(order.reservation_id, for_update=True)
    assert reservation is not None
    items = [ItemRequest(item.zone_id, item.quantity) for item in order.items]
    event = await uow.catalog.get(order.event_id)
    if event is not None and event.status == "cancelled":
        raise _PlacesGone  # paid for an event cancelled meanwhile: refunded in full
    if not reservation.held:
        # The hold ran out (or was released) before the payment came in: take the places back
        # if they are still free.
        try:
            await uow.inventory.take(order.session_id, items)
        except SoldOut:
            raise _PlacesGone from None
        await uow.customers.add(order.event_id, order.customer_id, order.quantity, limit=None)
    await uow.inventory.sell(order.session_id, items)
    reservation.purchase(now)
    await uow.reservations.save(reservation)
    await offers_ended(uow, [reservation], now)  # a waiting list's offer, claimed
    valid_until = ticket_valid_until(event, order.session_id, now)
    tickets = issue_tickets(order, now=now, valid_from=now, valid_until=valid_until, sign=signer.sign)
    await uow.tickets.add(tickets)
    order.pay(tickets, now)
    await uow.orders.save(order)


async def reconcile_payments(
    cmd: ReconcilePayments,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    provider: PaymentProvider,
    signer: TicketSigner,
) -> int:
    """Asks the provider about orders whose payment's outcome has not arrived, so that a lost
    notification still ends in a paid (or refunded) order. Returns how many orders moved.

    Also forgets the provider's notifications older than NOTICE_RETENTION."""
    now = clock()
    async with uow:
        await uow.notices.forget(received_before=now - NOTICE_RETENTION)
        unsettled = await uow.orders.unsettled(
            created_before=now - dt.timedelta(minutes=cmd.after_minutes),
            created_after=now - RECONCILE_WINDOW,
            limit=cmd.limit,
        )
        await uow.commit()
    moved = 0
    for order in unsettled:
        assert order.payment_reference is not None
        try:
            state = await _read_state(provider, order.payment_reference)
        except PaymentProviderUnavailable:
            log.warning("payment provider unavailable during reconciliation")
            break
        outcome = await _settle(order.id, state, uow, clock, signer=signer, notice=None, correlation_id=None)
        if outcome.order is not None and outcome.order.status is not order.status:
            moved += 1
        elif state.outcome is PaymentOutcome.PENDING and order.status in ENDED_UNPAID:
            # The order ended unpaid but its payment page is still open: close it, so no payment
            # comes in for places that went back on sale (one that already did is settled above).
            try:
                await provider.close_checkout(order.payment_reference)
            except Exception:
                log.warning(
                    "could not close an ended order's payment page", extra={"order_id": str(order.id)}
                )
    return moved


async def process_refunds(
    cmd: ProcessRefunds, uow: UnitOfWork, clock: Clock = system_clock, *, provider: PaymentProvider
) -> int:
    """Sends requested refunds to the provider (its idempotency key is the refund's id, so a repeat
    after a crash refunds once) and settles the orders. Returns how many were confirmed."""
    async with uow:
        requested = await uow.refunds.requested(limit=cmd.limit)
        references = {}
        for refund in requested:
            order = await uow.orders.get(refund.order_id)
            if order is not None and order.payment_reference is not None:
                references[refund.id] = order.payment_reference
    confirmed = 0
    for refund in requested:
        reference = references.get(refund.id)
        if reference is not None and await _confirm_refund(refund, reference, uow, clock, provider):
            confirmed += 1
    return confirmed


async def _confirm_refund(
    refund: Refund, reference: str, uow: UnitOfWork, clock: Clock, provider: PaymentProvider
) -> bool:
    """Asks the provider for one refund and, once it confirms, settles the order. False when the
    provider did not confirm now (the refund worker asks again) or it was confirmed before."""
    try:
        provider_refund_id = await provider.refund(reference, refund)
    except Exception:
        log.warning("payment provider refused or missed a refund", extra={"refund_id": str(refund.id)})
        return False
    now = clock()
    async with uow:
        stored = await uow.refunds.get(refund.id, for_update=True)
        assert stored is not None
        confirmed = stored.succeeded(provider_refund_id, now)
        if confirmed:
            await uow.refunds.save(stored)
            order = await uow.orders.get(stored.order_id, for_update=True)
            assert order is not None
            order.refund_settled(
                stored.amount.amount, reason=stored.reason, now=now, ticket_ids=stored.ticket_ids
            )
            await uow.orders.save(order)
            await uow.outbox.add(drain(order), correlation_id=None)
        await uow.commit()
    return confirmed


async def refund_order(
    cmd: RefundOrder, uow: UnitOfWork, clock: Clock = system_clock, *, provider: PaymentProvider
) -> tuple[Refund, Order]:
    """Refunds tickets of a paid order (revoked at once, their places back on sale) or an amount of
    it, for the event's organizer or an admin. The refund is stored before the provider is asked;
    if the provider does not confirm now, the refund worker asks again."""
    actor = person(cmd.actor, "refund orders")
    now = clock()
    for _ in range(3):
        try:
            refund, order = await _decide_refund(cmd, actor, uow, now)
            break
        except IdempotencyConflict:
            continue  # a twin request with the same key committed first: answer with its refund
    else:
        refund, order = await _decide_refund(cmd, actor, uow, now)
    if refund.status is RefundStatus.REQUESTED and order.payment_reference is not None:
        await _confirm_refund(refund, order.payment_reference, uow, clock, provider)
    async with uow:
        stored_refund = await uow.refunds.get(refund.id)
        stored_order = await uow.orders.get(order.id)
    assert stored_refund is not None
    assert stored_order is not None
    return stored_refund, stored_order


async def _decide_refund(
    cmd: RefundOrder, actor: Actor, uow: UnitOfWork, now: dt.datetime
) -> tuple[Refund, Order]:
    async with uow:
        order = await uow.orders.get(cmd.order_id, for_update=True)
        if order is None or not _may_see(actor, order) or actor.is_service:
            raise OrderNotFound(cmd.order_id)
        if not actor.manages(order.organization_id):
            raise NotAllowed("Only the event's organizer or an admin refunds orders.")
        if cmd.idempotency is not None:
            earlier = await uow.refunds.by_idempotency_key(order.id, cmd.idempotency.key)
            if earlier is not None:
                if earlier[1] != cmd.idempotency.fingerprint:
                    raise IdempotencyKeyReused
                return earlier[0], order
        left = await _left_to_refund(uow, order)
        currency = order.total.currency

        def refuse(message: str) -> NotRefundable:
            return NotRefundable(message, f"{left:.2f}", currency)

        if order.status not in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED) or not order.ticket_ids:
            raise refuse(f"The order is {order.status.value}: only paid orders with tickets are refunded.")
        revoked = await _tickets_to_refund(cmd, order, uow, refuse)
        amount = (
            sum((t.price.amount for t in revoked), Decimal("0.00")) if revoked else _amount(cmd, currency)
        )
        if amount <= 0 or amount > left:
            raise refuse(f"At most {left:.2f} {currency} of this order is left to refund.")
        refund = Refund(
            id=uuid.uuid4(),
            order_id=order.id,
            amount=Money(amount, currency),
            reason=(cmd.reason.strip() or "organizer")[:500],
            status=RefundStatus.REQUESTED,
            requested_at=now,
            ticket_ids=tuple(ticket.id for ticket in revoked),
        )
        await uow.refunds.add(
            refund,
            idempotency_key=cmd.idempotency.key if cmd.idempotency else None,
            fingerprint=cmd.idempotency.fingerprint if cmd.idempotency else None,
        )
        if revoked:
            await _put_back_on_sale(uow, order, revoked, now, correlation_id=cmd.correlation_id)
        await uow.commit()
    return refund, order


async def _left_to_refund(uow: UnitOfWork, order: Order) -> Decimal:
    """What may still be refunded of a paid order: what was paid, less what was refunded and what
    refunds already requested (not yet confirmed) will give back."""
    pending = sum(
        (
            r.amount.amount
            for r in await uow.refunds.for_order(order.id)
            if r.status is RefundStatus.REQUESTED
        ),
        Decimal("0.00"),
    )
    return max(Decimal("0.00"), order.refundable - pending)


async def _tickets_to_refund(
    cmd: RefundOrder, order: Order, uow: UnitOfWork, refuse: Callable[[str], NotRefundable]
) -> list[Ticket]:
    if not cmd.ticket_ids:
        return []
    issued = {ticket.id: ticket for ticket in await uow.tickets.for_order(order.id)}
    revoked = []
    for ticket_id in dict.fromkeys(cmd.ticket_ids):
        ticket = issued.get(ticket_id)
        if ticket is None:
            raise InvalidInput.single("ticket_ids", f"{ticket_id} is not a ticket of this order")
        if ticket.status is not TicketStatus.VALID:
            raise refuse(f"Ticket {ticket_id} is {ticket.status.value}: it cannot be refunded.")
        revoked.append(ticket)
    return revoked


def _amount(cmd: RefundOrder, currency: str) -> Decimal:
    if cmd.amount is None:
        raise InvalidInput.single("ticket_ids", "name the tickets to refund, or an amount")
    try:
        amount = Decimal(cmd.amount)
    except ArithmeticError:
        raise InvalidInput.single("amount.amount", "must be a decimal amount like 12.50") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput.single("amount.amount", "must have at most two decimals")
    if (cmd.currency or currency).upper() != currency:
        raise InvalidInput.single("amount.currency", f"must be the order's currency, {currency}")
    return amount


async def _put_back_on_sale(
    uow: UnitOfWork, order: Order, revoked: Sequence[Ticket], now: dt.datetime, *, correlation_id: str | None
) -> None:
    """Revokes refunded tickets and puts their places back on sale (and out of the buyer's tally),
    offered to the zone's waiting list first."""
    await uow.tickets.revoke([ticket.id for ticket in revoked])
    per_zone: dict[uuid.UUID, int] = {}
    for ticket in revoked:
        per_zone[ticket.zone_id] = per_zone.get(ticket.zone_id, 0) + 1
    await uow.customers.subtract([(order.event_id, order.customer_id, len(revoked))])
    before, after = await uow.inventory.unsell(
        order.session_id, [ItemRequest(zone_id, quantity) for zone_id, quantity in sorted(per_zone.items())]
    )
    # The places go to the zone's waiting list first, in this same transaction.
    served = await serve_waitlists(
        uow, [(order.session_id, zone_id) for zone_id in per_zone], now, correlation_id=correlation_id
    )
    after = [served.get((line.session_id, line.zone_id), line) for line in after]
    transitions = stock_transitions(
        before, after, event_id=order.event_id, event_name=order.event_name, now=now
    )
    if transitions:
        await uow.outbox.add(transitions, correlation_id=correlation_id)


async def advance_cancellations(
    cmd: AdvanceCancellations, uow: UnitOfWork, clock: Clock = system_clock
) -> int:
    """One step of the refund sagas of cancelled events: each paid order gets one refund of what is
    left of it (a unique index keeps it to one, across restarts and replicas), its tickets revoked;
    a saga with no order left is finished. The refund worker sends the refunds. Returns how many
    refunds were requested."""
    now = clock()
    async with uow:
        running = await uow.cancellations.running(limit=cmd.events)
    requested = 0
    for event_id in running:
        async with uow:
            pending = await uow.cancellations.orders_to_refund(event_id, limit=cmd.batch)
            if not pending:
                await uow.cancellations.finish(event_id, now)
            await uow.commit()
        for order_id in pending:
            if await _refund_for_cancellation(order_id, uow, now):
                requested += 1
    return requested


async def _refund_for_cancellation(order_id: uuid.UUID, uow: UnitOfWork, now: dt.datetime) -> bool:
    async with uow:
        order = await uow.orders.get(order_id, for_update=True)
        assert order is not None
        left = await _left_to_refund(uow, order)
        if left <= 0:
            return False
        valid = [t for t in await uow.tickets.for_order(order.id) if t.status is TicketStatus.VALID]
        refund = Refund(
            id=uuid.uuid4(),
            order_id=order.id,
            amount=Money(left, order.total.currency),
            reason=EVENT_CANCELLED,
            status=RefundStatus.REQUESTED,
            requested_at=now,
            ticket_ids=tuple(t.id for t in valid),
        )
        await uow.refunds.add(refund)
        if valid:
            await uow.tickets.revoke([t.id for t in valid])
        await uow.commit()
    return True


async def event_refunds(cmd: GetEventRefunds, uow: UnitOfWork) -> CancellationProgress:
    """How far the refunds of a cancelled event have come, for its organizer or an admin."""
    actor = person(cmd.actor, "follow refunds")
    async with uow:
        event = await uow.catalog.get(cmd.event_id)
        if event is None or not actor.manages(event.organization_id):
            raise EventNotFound(cmd.event_id)
        progress = await uow.cancellations.progress(cmd.event_id)
    if progress is None:
        raise NotCancelled("The event is not cancelled: nothing is being refunded.")
    return progress


# ---------------------------------------------------------------- tickets


@dataclass(frozen=True, slots=True)
class TicketPage:
    tickets: list[Ticket]
    has_more: bool


async def list_my_tickets(cmd: ListMyTickets, uow: UnitOfWork) -> TicketPage:
    actor = person(cmd.actor, "see tickets")
    limit = max(1, min(PAGE_SIZE_MAX, cmd.limit))
    async with uow:
        found = await uow.tickets.for_customer(actor.subject, limit=limit + 1, after=page_after(cmd.after))
    return TicketPage(found[:limit], has_more=len(found) > limit)


async def get_ticket(cmd: GetTicket, uow: UnitOfWork) -> Ticket:
    actor = _reader(cmd.actor, "see tickets")
    async with uow:
        ticket = await uow.tickets.get(cmd.ticket_id)
        order = await uow.orders.get(ticket.order_id) if ticket is not None else None
    if ticket is None or order is None:
        raise TicketNotFound(cmd.ticket_id)
    # Its holder (who bought it, or to whom it was transferred), the organizer, an admin or a service.
    holder = ticket.customer_id == actor.subject and not actor.is_service
    if not holder and not (actor.is_service or actor.manages(order.organization_id)):
        raise TicketNotFound(cmd.ticket_id)
    return ticket


async def ticket_qr_svg(cmd: GetTicket, uow: UnitOfWork, *, printer: TicketPrinter) -> str:
    ticket = await get_ticket(cmd, uow)
    if ticket.status is TicketStatus.REVOKED:
        raise TicketRevoked("The ticket was revoked: it has no QR code any more.")
    # Drawing is CPU work: in a thread, so the event loop keeps answering other calls meanwhile.
    return await asyncio.to_thread(printer.qr_svg, ticket.secret)


async def order_tickets_pdf(cmd: GetOrder, uow: UnitOfWork, *, printer: TicketPrinter) -> tuple[Order, bytes]:
    order = await get_order(cmd, uow)
    async with uow:
        issued: Sequence[Ticket] = await uow.tickets.for_order(order.id)
        event = await uow.catalog.get(order.event_id)
    if not issued:
        raise NotPaid("The order has no tickets: it was not paid.")
    # Printed: the buyer's tickets that still admit someone. Revoked ones (refunded, or transferred:
    # the recipient's new ticket is theirs) are not.
    tickets = [
        t for t in issued if t.customer_id == order.customer_id and t.status is not TicketStatus.REVOKED
    ]
    if not tickets:
        raise TicketRevoked("No ticket of the order admits anyone any more: there is nothing to print.")
    session = event.session(order.session_id) if event is not None else None
    starts_at = session.starts_at if session else None
    pdf = await asyncio.to_thread(printer.order_pdf, order, tickets, session_starts_at=starts_at)
    return order, pdf


def signing_keys(signer: TicketSigner) -> list[dict[str, str]]:
    return signer.public_keys()
