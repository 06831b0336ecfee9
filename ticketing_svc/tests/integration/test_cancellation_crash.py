"""Cancelling an event refunds every paid order once, across a ticketing_svc killed mid-saga.

Orders are paid through the PSP simulator, the event is cancelled (the saga starts), and the real
service runs as a process that requests and sends the refunds. It is SIGKILLed once some refunds are
confirmed, then started again: at the end every paid order has exactly one cancellation refund in
the database and exactly one refund at the provider (the refund's id is Stripe's idempotency key,
so a request repeated after the kill refunds nothing twice), and the ledger check balances.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from test_orders_payments import notice, order_for, pay
from test_ticketing_crash import TicketingProcess
from ticketing_factories import buyer, catalog_message, make_event

from devstack.infra import PaymentSimulator
from devstack.processes import pid_alive
from devstack.testing import eventually
from ticketing_svc.adapters.orm import orders, refunds
from ticketing_svc.adapters.payments import StripePaymentProvider
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.model import ItemRequest
from ticketing_svc.domain.orders import OrderStatus
from ticketing_svc.entrypoints.catalog_messages import command_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
# More than the refund worker sends in one round (20), so the kill lands before the saga ends.
ORDERS = 30
EDGE = Actor(uuid.uuid5(uuid.NAMESPACE_URL, "taquilla:service:edge"), ActorKind.SERVICE)


@pytest.fixture
def service(
    ticketing_database_url: str, psp_simulator: PaymentSimulator, tmp_path: Path
) -> Iterator[TicketingProcess]:
    process = TicketingProcess(ticketing_database_url, tmp_path / "ticketing.log")
    process.env.update(
        {
            "TICKETING_SVC_STRIPE_API_BASE": psp_simulator.url,
            "TICKETING_SVC_STRIPE_SECRET_KEY": psp_simulator.secret_key,
            "TICKETING_SVC_REFUND_INTERVAL_SECONDS": "0.2",
        }
    )
    try:
        yield process
    finally:
        if process.popen is not None and pid_alive(process.popen.pid):
            os.killpg(process.popen.pid, signal.SIGKILL)
            process.popen.wait(timeout=10)


async def test_a_killed_saga_resumes_and_refunds_each_order_once(
    ticketing_engine: AsyncEngine, psp_simulator: PaymentSimulator, service: TicketingProcess, clock
) -> None:
    use_cases = UseCases(
        ticketing_engine,
        catalog=None,
        clock=clock,
        provider=StripePaymentProvider(psp_simulator.secret_key, api_base=psp_simulator.url),
    )
    event = make_event(capacity=ORDERS * 2)
    command = command_for(catalog_message(event))
    assert command is not None
    await use_cases.follow_catalog(command)
    paid = []
    for _ in range(ORDERS):
        customer = buyer()
        reservation = await use_cases.reserve(
            commands.Reserve(customer, event.sessions[0].id, (ItemRequest(event.zones[0].id, 2),))
        )
        order = await use_cases.create_order(order_for(customer, reservation.id))
        assert order.payment_reference is not None
        pay(psp_simulator, order.payment_reference)
        outcome = await use_cases.handle_payment_notice(notice(order.id, order.payment_reference))
        assert outcome.order is not None
        assert outcome.order.status is OrderStatus.PAID
        paid.append(order.id)

    cancelled = dataclasses.replace(event, status="cancelled", version=event.version + 1)
    command = command_for(catalog_message(cancelled, "EventCancelled"))
    assert command is not None
    await use_cases.follow_catalog(command)  # the saga starts; the service process carries it out

    async def confirmed() -> int:
        async with ticketing_engine.connect() as connection:
            return int(
                await connection.scalar(
                    select(func.count()).where(refunds.c.order_id.in_(paid), refunds.c.status == "succeeded")
                )
                or 0
            )

    service.start()
    await eventually(lambda: _at_least(confirmed, 3), within=60, what="some refunds confirmed")
    await service.kill()
    assert await confirmed() < ORDERS, "the saga ended before the kill: nothing was resumed"
    service.start()
    await eventually(lambda: _at_least(confirmed, ORDERS), within=90, what="every order refunded")

    async with ticketing_engine.connect() as connection:
        per_order = Counter(
            (await connection.scalars(select(refunds.c.order_id).where(refunds.c.order_id.in_(paid)))).all()
        )
        statuses = set((await connection.scalars(select(orders.c.status).where(orders.c.id.in_(paid)))).all())
    assert per_order == Counter(dict.fromkeys(paid, 1))
    assert statuses == {OrderStatus.REFUNDED.value}
    at_the_provider = Counter(
        event["event"]["data"]["object"]["metadata"]["order_id"]
        for event in psp_simulator.events()
        if event["type"] == "refund.created"
        and event["event"]["data"]["object"]["metadata"].get("order_id") in {str(o) for o in paid}
    )
    assert at_the_provider == Counter({str(order_id): 1 for order_id in paid})
    await service.stop()


async def _at_least(count, target: int) -> bool:  # type: ignore[no-untyped-def]
    return await count() >= target
