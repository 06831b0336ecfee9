"""The ledger check that ends every test run finds what it must: a paid order whose tickets do not
add up, tickets of an unpaid order, a refund past what was paid, a zone sold without tickets."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing_factories import buyer, make_event

from devstack.ledger import ledger_problems
from ticketing_svc.adapters.orm import inventory, orders, refunds, reservations, tickets

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


async def test_the_ledger_check_names_every_broken_invariant(
    ticketing_engine: AsyncEngine, ticketing_database_url: str
) -> None:
    event = make_event()
    customer = buyer()
    reservation_id, order_id, zone_id = uuid.uuid4(), uuid.uuid4(), event.zones[0].id
    session_id = event.sessions[0].id
    item = [
        {
            "zoneId": str(zone_id),
            "zoneName": "Pista",
            "quantity": 2,
            "unitPrice": {"amount": "10.00", "currency": "EUR"},
        }
    ]
    common = {"customer_id": customer.subject, "event_id": event.id, "session_id": session_id, "items": item}
    async with ticketing_engine.begin() as connection:
        await connection.execute(
            insert(reservations).values(
                id=reservation_id,
                event_name="E",
                status="purchased",
                quantity=2,
                total_amount=Decimal("20.00"),
                currency="EUR",
                created_at=NOW,
                expires_at=NOW,
                ended_at=NOW,
                **common,
            )
        )
        await connection.execute(
            insert(orders).values(
                id=order_id,
                reservation_id=reservation_id,
                organization_id=event.organization_id,
                event_name="E",
                quantity=2,
                total_amount=Decimal("20.00"),
                refunded_amount=Decimal("0"),
                currency="EUR",
                status="paid",
                buyer_name="A",
                buyer_email="a@example.com",
                buyer_locale="es",
                provider="stripe",
                created_at=NOW,
                pay_by=NOW,
                updated_at=NOW,
                paid_at=NOW,
                **common,
            )
        )
        # One ticket for two places paid, and a line that sold three.
        await connection.execute(
            insert(tickets).values(
                id=uuid.uuid4(),
                order_id=order_id,
                position=0,
                customer_id=customer.subject,
                event_id=event.id,
                event_name="E",
                session_id=session_id,
                zone_id=zone_id,
                zone_name="Pista",
                holder_name="A",
                price_amount=Decimal("10.00"),
                currency="EUR",
                status="valid",
                issued_at=NOW,
                secret=uuid.uuid4().hex,
            )
        )
        await connection.execute(
            insert(inventory).values(
                session_id=session_id, zone_id=zone_id, event_id=event.id, capacity=10, sold=3
            )
        )
        await connection.execute(
            insert(refunds).values(
                id=uuid.uuid4(),
                order_id=order_id,
                amount=Decimal("25.00"),
                currency="EUR",
                reason="x",
                status="requested",
                requested_at=NOW,
            )
        )
    try:
        found = await ledger_problems(ticketing_database_url)
        mine = [line for line in found if str(order_id) in line or str(zone_id) in line]
        assert any(line.startswith("a paid order's tickets do not add up") for line in mine), found
        assert any(line.startswith("an order's refunded amount") for line in mine), found
        assert any(line.startswith("a zone sold more or fewer places") for line in mine), found
        async with ticketing_engine.begin() as connection:
            await connection.execute(
                update(orders).where(orders.c.id == order_id).values(status="expired", paid_at=None)
            )
        found = await ledger_problems(ticketing_database_url)
        assert any(
            line.startswith("an unpaid order has tickets or refunds") and str(order_id) in line
            for line in found
        )
    finally:
        async with ticketing_engine.begin() as connection:
            await connection.execute(delete(refunds).where(refunds.c.order_id == order_id))
            await connection.execute(delete(tickets).where(tickets.c.order_id == order_id))
            await connection.execute(delete(orders).where(orders.c.id == order_id))
            await connection.execute(delete(reservations).where(reservations.c.id == reservation_id))
            await connection.execute(delete(inventory).where(inventory.c.zone_id == zone_id))
    assert not [line for line in await ledger_problems(ticketing_database_url) if str(order_id) in line]
