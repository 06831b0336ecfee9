"""All SQL of orders, tickets, refunds and the payment provider's notices.

Every method runs on the unit of work's connection and never commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from taquilla_runtime.audit import note_organization
from ticketing_svc.adapters.orm import cancellations, orders, payment_notices, refunds, tickets
from ticketing_svc.adapters.repository import items_document, items_from_document
from ticketing_svc.application.ports import Cancellations, Orders, PaymentNotices, Refunds, Tickets
from ticketing_svc.domain.errors import IdempotencyConflict, OrderExists, TicketsAlreadyIssued
from ticketing_svc.domain.model import Money
from ticketing_svc.domain.orders import (
    EVENT_CANCELLED,
    Buyer,
    CancellationProgress,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
    Ticket,
    TicketStatus,
)

# Orders the reconciliation asks the provider about (they may still turn into a payment).
_UNSETTLED = ("pending_payment", "failed", "expired", "cancelled")


def _order(row: Any, ticket_ids: Sequence[uuid.UUID] = ()) -> Order:
    return Order(
        id=row.id,
        reservation_id=row.reservation_id,
        customer_id=row.customer_id,
        event_id=row.event_id,
        organization_id=row.organization_id,
        event_name=row.event_name,
        session_id=row.session_id,
        items=items_from_document(row.items),
        buyer=Buyer(row.buyer_name, row.buyer_email, row.buyer_locale),
        status=OrderStatus(row.status),
        created_at=row.created_at,
        pay_by=row.pay_by,
        updated_at=row.updated_at,
        provider=row.provider,
        payment_reference=row.payment_reference,
        checkout_url=row.checkout_url,
        failure_code=row.failure_code,
        paid_at=row.paid_at,
        refunded=Decimal(row.refunded_amount),
        ticket_ids=tuple(ticket_ids),
    )


_ORDER_COLUMNS = tuple(
    column
    for column in orders.c
    if column.name not in ("idempotency_key", "request_fingerprint", "reconciled_at")
)


class SqlOrders(Orders):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, order: Order, *, idempotency_key: str | None, fingerprint: str | None) -> None:
        note_organization(order.organization_id)  # a buyer's order belongs to the event's organization
        total = order.total
        values = {
            "id": order.id,
            "reservation_id": order.reservation_id,
            "customer_id": order.customer_id,
            "event_id": order.event_id,
            "organization_id": order.organization_id,
            "event_name": order.event_name,
            "session_id": order.session_id,
            "items": items_document(order.items),
            "quantity": order.quantity,
            "total_amount": total.amount,
            "refunded_amount": order.refunded,
            "currency": total.currency,
            "status": order.status.value,
            "buyer_name": order.buyer.name,
            "buyer_email": order.buyer.email,
            "buyer_locale": order.buyer.locale,
            "provider": order.provider,
            "payment_reference": order.payment_reference,
            "checkout_url": order.checkout_url,
            "created_at": order.created_at,
            "pay_by": order.pay_by,
            "updated_at": order.updated_at,
            "idempotency_key": idempotency_key,
            "request_fingerprint": fingerprint,
        }
        statement = insert(orders).values(values)
        if idempotency_key is not None:
            # A twin request with the same key waits here for the first one's outcome.
            statement = statement.on_conflict_do_nothing(
                index_elements=[orders.c.customer_id, orders.c.idempotency_key],
                index_where=orders.c.idempotency_key.is_not(None),
            )
        try:
            async with self._connection.begin_nested():
                stored = await self._connection.scalar(statement.returning(orders.c.id))
        except IntegrityError as exc:
            if "reservation_id" not in str(exc.orig):
                raise
            existing = await self._connection.scalar(
                select(orders.c.id).where(orders.c.reservation_id == order.reservation_id)
            )
            raise OrderExists(existing or order.id) from None
        if stored is None:
            raise IdempotencyConflict

    async def by_idempotency_key(self, customer_id: uuid.UUID, key: str) -> tuple[Order, str] | None:
        row = (
            await self._connection.execute(
                select(*_ORDER_COLUMNS, orders.c.request_fingerprint).where(
                    orders.c.customer_id == customer_id, orders.c.idempotency_key == key
                )
            )
        ).one_or_none()
        if row is None:
            return None
        return await self._with_tickets(row), row.request_fingerprint or ""

    async def _with_tickets(self, row: Any) -> Order:
        ids = (
            await self._connection.scalars(
                select(tickets.c.id).where(tickets.c.order_id == row.id).order_by(tickets.c.position)
            )
        ).all()
        return _order(row, ids)

    async def _one(self, query: Select[Any], *, for_update: bool) -> Order | None:
        if for_update:
            query = query.with_for_update(of=orders)
        row = (await self._connection.execute(query)).one_or_none()
        return await self._with_tickets(row) if row is not None else None

    async def get(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        return await self._one(select(*_ORDER_COLUMNS).where(orders.c.id == order_id), for_update=for_update)

    async def by_reservation(self, reservation_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        return await self._one(
            select(*_ORDER_COLUMNS).where(orders.c.reservation_id == reservation_id), for_update=for_update
        )

    async def by_payment_reference(self, reference: str) -> Order | None:
        return await self._one(
            select(*_ORDER_COLUMNS).where(orders.c.payment_reference == reference), for_update=False
        )

    async def save(self, order: Order) -> None:
        note_organization(order.organization_id)
        await self._connection.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(
                status=order.status.value,
                payment_reference=order.payment_reference,
                checkout_url=order.checkout_url,
                failure_code=order.failure_code,
                paid_at=order.paid_at,
                refunded_amount=order.refunded,
                updated_at=order.updated_at,
            )
        )

    def _page(
        self,
        query: Select[Any],
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[OrderStatus],
    ) -> Select[Any]:
        if statuses:
            query = query.where(orders.c.status.in_([s.value for s in statuses]))
        if after is not None:
            query = query.where(
                tuple_(orders.c.created_at, orders.c.id) < tuple_(literal(after[0]), literal(after[1]))
            )
        return query.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)

    async def _many(self, query: Select[Any]) -> list[Order]:
        rows = (await self._connection.execute(query)).all()
        if not rows:
            return []
        ticket_rows = await self._connection.execute(
            select(tickets.c.order_id, tickets.c.id)
            .where(tickets.c.order_id.in_([row.id for row in rows]))
            .order_by(tickets.c.order_id, tickets.c.position)
        )
        ids: dict[uuid.UUID, list[uuid.UUID]] = {}
        for ticket in ticket_rows:
            ids.setdefault(ticket.order_id, []).append(ticket.id)
        return [_order(row, ids.get(row.id, ())) for row in rows]

    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[OrderStatus],
    ) -> list[Order]:
        query = select(*_ORDER_COLUMNS).where(orders.c.customer_id == customer_id)
        return await self._many(self._page(query, limit=limit, after=after, statuses=statuses))

    async def for_event(
        self,
        event_id: uuid.UUID,
        *,
        query: str | None,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
        statuses: Sequence[OrderStatus],
    ) -> list[Order]:
        found = select(*_ORDER_COLUMNS).where(orders.c.event_id == event_id)
        if query:
            try:
                found = found.where(orders.c.id == uuid.UUID(query))
            except ValueError:
                pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                found = found.where(
                    or_(
                        orders.c.buyer_name.ilike(pattern, escape="\\"),
                        orders.c.buyer_email.ilike(pattern, escape="\\"),
                    )
                )
        return await self._many(self._page(found, limit=limit, after=after, statuses=statuses))

    async def unsettled(
        self, *, created_before: dt.datetime, created_after: dt.datetime, limit: int
    ) -> list[Order]:
        query = (
            select(*_ORDER_COLUMNS)
            .where(
                orders.c.status.in_(_UNSETTLED),
                orders.c.payment_reference.is_not(None),
                orders.c.created_at < created_before,
                orders.c.created_at > created_after,
                or_(orders.c.reconciled_at.is_(None), orders.c.reconciled_at < created_before),
            )
            .order_by(orders.c.reconciled_at.asc().nulls_first(), orders.c.created_at)
            .limit(limit)
        )
        return await self._many(query)

    async def reconciled(self, order_id: uuid.UUID, at: dt.datetime) -> None:
        await self._connection.execute(update(orders).where(orders.c.id == order_id).values(reconciled_at=at))


def _ticket(row: Any) -> Ticket:
    return Ticket(
        id=row.id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        event_id=row.event_id,
        event_name=row.event_name,
        session_id=row.session_id,
        zone_id=row.zone_id,
        zone_name=row.zone_name,
        holder_name=row.holder_name,
        price=Money(Decimal(row.price_amount), row.currency),
        status=TicketStatus(row.status),
        issued_at=row.issued_at,
        secret=row.secret,
        position=row.position,
        revoked_reason=row.revoked_reason,
    )


class SqlTickets(Tickets):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, issued: Sequence[Ticket]) -> None:
        if not issued:
            return
        rows = [
            {
                "id": t.id,
                "order_id": t.order_id,
                "position": t.position,
                "customer_id": t.customer_id,
                "event_id": t.event_id,
                "event_name": t.event_name,
                "session_id": t.session_id,
                "zone_id": t.zone_id,
                "zone_name": t.zone_name,
                "holder_name": t.holder_name,
                "price_amount": t.price.amount,
                "currency": t.price.currency,
                "status": t.status.value,
                "issued_at": t.issued_at,
                "secret": t.secret,
                "revoked_reason": t.revoked_reason,
            }
            for t in issued
        ]
        try:
            async with self._connection.begin_nested():
                await self._connection.execute(insert(tickets), rows)
        except IntegrityError as exc:
            if "uq_tickets_order_position" in str(exc.orig):
                raise TicketsAlreadyIssued from None
            raise

    async def get(self, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None:
        query = select(tickets).where(tickets.c.id == ticket_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).one_or_none()
        return _ticket(row) if row is not None else None

    async def revoke(self, ticket_ids: Sequence[uuid.UUID], *, reason: str | None = None) -> None:
        if ticket_ids:
            await self._connection.execute(
                update(tickets)
                .where(tickets.c.id.in_(list(ticket_ids)))
                .values(status=TicketStatus.REVOKED.value, revoked_reason=reason)
            )

    async def next_position(self, order_id: uuid.UUID) -> int:
        last = await self._connection.scalar(
            select(func.max(tickets.c.position)).where(tickets.c.order_id == order_id)
        )
        return 0 if last is None else int(last) + 1

    async def for_order(self, order_id: uuid.UUID) -> list[Ticket]:
        rows = await self._connection.execute(
            select(tickets).where(tickets.c.order_id == order_id).order_by(tickets.c.position)
        )
        return [_ticket(row) for row in rows]

    async def for_customer(
        self, customer_id: uuid.UUID, *, limit: int, after: tuple[dt.datetime, uuid.UUID] | None
    ) -> list[Ticket]:
        query = select(tickets).where(tickets.c.customer_id == customer_id)
        if after is not None:
            query = query.where(
                tuple_(tickets.c.issued_at, tickets.c.id) < tuple_(literal(after[0]), literal(after[1]))
            )
        query = query.order_by(tickets.c.issued_at.desc(), tickets.c.id.desc()).limit(limit)
        return [_ticket(row) for row in await self._connection.execute(query)]


def _refund(row: Any) -> Refund:
    return Refund(
        id=row.id,
        order_id=row.order_id,
        amount=Money(Decimal(row.amount), row.currency),
        reason=row.reason,
        status=RefundStatus(row.status),
        requested_at=row.requested_at,
        provider_refund_id=row.provider_refund_id,
        settled_at=row.settled_at,
        ticket_ids=tuple(uuid.UUID(t) for t in row.ticket_ids),
    )


class SqlRefunds(Refunds):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(
        self, refund: Refund, *, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> None:
        statement = insert(refunds).values(
            id=refund.id,
            order_id=refund.order_id,
            amount=refund.amount.amount,
            currency=refund.amount.currency,
            reason=refund.reason,
            status=refund.status.value,
            ticket_ids=[str(t) for t in refund.ticket_ids],
            requested_at=refund.requested_at,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        if idempotency_key is None:
            await self._connection.execute(statement)
            return
        stored = await self._connection.scalar(
            statement.on_conflict_do_nothing(
                index_elements=[refunds.c.order_id, refunds.c.idempotency_key],
                index_where=refunds.c.idempotency_key.is_not(None),
            ).returning(refunds.c.id)
        )
        if stored is None:
            raise IdempotencyConflict

    async def by_idempotency_key(self, order_id: uuid.UUID, key: str) -> tuple[Refund, str] | None:
        row = (
            await self._connection.execute(
                select(refunds).where(refunds.c.order_id == order_id, refunds.c.idempotency_key == key)
            )
        ).one_or_none()
        return (_refund(row), row.request_fingerprint or "") if row is not None else None

    async def get(self, refund_id: uuid.UUID, *, for_update: bool = False) -> Refund | None:
        query = select(refunds).where(refunds.c.id == refund_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._connection.execute(query)).one_or_none()
        return _refund(row) if row is not None else None

    async def by_provider_id(self, provider_refund_id: str) -> Refund | None:
        row = (
            await self._connection.execute(
                select(refunds).where(refunds.c.provider_refund_id == provider_refund_id)
            )
        ).one_or_none()
        return _refund(row) if row is not None else None

    async def requested(self, *, limit: int) -> list[Refund]:
        rows = await self._connection.execute(
            select(refunds)
            .where(refunds.c.status == RefundStatus.REQUESTED.value)
            .order_by(refunds.c.requested_at)
            .limit(limit)
        )
        return [_refund(row) for row in rows]

    async def save(self, refund: Refund) -> None:
        await self._connection.execute(
            update(refunds)
            .where(refunds.c.id == refund.id)
            .values(
                status=refund.status.value,
                provider_refund_id=refund.provider_refund_id,
                settled_at=refund.settled_at,
            )
        )

    async def for_order(self, order_id: uuid.UUID) -> list[Refund]:
        rows = await self._connection.execute(
            select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.requested_at)
        )
        return [_refund(row) for row in rows]


class SqlPaymentNotices(PaymentNotices):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def first_time(self, provider: str, notice_id: str, *, notice_type: str) -> bool:
        stored = await self._connection.scalar(
            insert(payment_notices)
            .values(provider=provider, notice_id=notice_id, notice_type=notice_type, received_at=func.now())
            .on_conflict_do_nothing(index_elements=[payment_notices.c.provider, payment_notices.c.notice_id])
            .returning(payment_notices.c.notice_id)
        )
        return stored is not None

    async def forget(self, *, received_before: dt.datetime) -> int:
        result = await self._connection.execute(
            delete(payment_notices).where(payment_notices.c.received_at < received_before)
        )
        return result.rowcount


class SqlCancellations(Cancellations):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def start(self, event_id: uuid.UUID, now: dt.datetime) -> bool:
        stored = await self._connection.scalar(
            insert(cancellations)
            .values(event_id=event_id, started_at=now)
            .on_conflict_do_nothing(index_elements=[cancellations.c.event_id])
            .returning(cancellations.c.event_id)
        )
        return stored is not None

    async def running(self, *, limit: int) -> list[uuid.UUID]:
        rows = await self._connection.scalars(
            select(cancellations.c.event_id)
            .where(cancellations.c.finished_at.is_(None))
            .order_by(cancellations.c.started_at)
            .limit(limit)
        )
        return list(rows.all())

    async def finish(self, event_id: uuid.UUID, now: dt.datetime) -> None:
        await self._connection.execute(
            update(cancellations).where(cancellations.c.event_id == event_id).values(finished_at=now)
        )

    async def orders_to_refund(self, event_id: uuid.UUID, *, limit: int) -> list[uuid.UUID]:
        requested = (
            select(func.coalesce(func.sum(refunds.c.amount), 0))
            .where(refunds.c.order_id == orders.c.id, refunds.c.status == RefundStatus.REQUESTED.value)
            .scalar_subquery()
        )
        cancelled = select(refunds.c.id).where(
            refunds.c.order_id == orders.c.id, refunds.c.reason == EVENT_CANCELLED
        )
        rows = await self._connection.scalars(
            select(orders.c.id)
            .where(
                orders.c.event_id == event_id,
                orders.c.status.in_([OrderStatus.PAID.value, OrderStatus.PARTIALLY_REFUNDED.value]),
                ~cancelled.exists(),
                orders.c.refunded_amount + requested < orders.c.total_amount,
            )
            .order_by(orders.c.created_at, orders.c.id)
            .limit(limit)
        )
        return list(rows.all())

    async def progress(self, event_id: uuid.UUID) -> CancellationProgress | None:
        saga = (
            await self._connection.execute(select(cancellations).where(cancellations.c.event_id == event_id))
        ).one_or_none()
        if saga is None:
            return None
        paid = (
            await self._connection.execute(
                select(func.count(), func.min(orders.c.currency)).where(
                    orders.c.event_id == event_id, orders.c.paid_at.is_not(None)
                )
            )
        ).one()
        done = (
            await self._connection.execute(
                select(
                    func.count(),
                    func.count().filter(refunds.c.status == RefundStatus.SUCCEEDED.value),
                    func.coalesce(
                        func.sum(refunds.c.amount).filter(refunds.c.status == RefundStatus.SUCCEEDED.value), 0
                    ),
                )
                .select_from(refunds.join(orders, orders.c.id == refunds.c.order_id))
                .where(orders.c.event_id == event_id, refunds.c.reason == EVENT_CANCELLED)
            )
        ).one()
        return CancellationProgress(
            event_id=event_id,
            started_at=saga.started_at,
            finished_at=saga.finished_at,
            orders=int(paid[0]),
            requested=int(done[0]),
            refunded=int(done[1]),
            amount_refunded=Decimal(done[2]),
            currency=paid[1],
        )
