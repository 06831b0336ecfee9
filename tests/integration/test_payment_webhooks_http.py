"""The payment provider misbehaving, through the running platform: its webhooks duplicated,
reordered, late or lost on the way to the edge (the simulator's switches). Whatever arrives, and in
whatever order, every paid order ends paid with one set of tickets (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devstack.infra import PaymentSimulator
from devstack.testing import eventually
from tests.conftest import Platform
from tests.integration.test_orders_http import (
    WEBHOOK,
    checkout,
    customer,
    held,
    pay_at_the_hosted_page,
    simulator_events,
)
from tests.integration.test_reservations_http import published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
GOOD, DECLINED = "4242424242424242", "4000000000000002"


@pytest.fixture
def simulator(platform: Platform) -> Iterator[PaymentSimulator]:
    """The platform's simulator, its webhook switches put back to normal after each test."""
    stack = platform.stack
    controls = PaymentSimulator(stack.ports.psp_sim, stack.logs / "psp_sim.log")
    try:
        yield controls
    finally:
        controls.set_webhooks(duplicate=0, reorder=False, delay_seconds=0, drop=0)


async def new_order(edge: httpx.AsyncClient, places: int = 2) -> tuple[dict[str, str], dict[str, Any]]:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event, (0, places))
    reply = await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))
    assert reply.status_code == 201, reply.text
    return me, reply.json()


async def settled(
    edge: httpx.AsyncClient, me: dict[str, str], order: dict[str, Any], status: str
) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        current: dict[str, Any] = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        return current if current["status"] == status else None

    return await eventually(reached, within=30, what=f"the order {status}")


def deliveries(platform: Platform, order_id: str, event_type: str) -> list[dict[str, Any]]:
    found = [e for e in simulator_events(platform, order_id) if e["type"] == event_type]
    return [d for e in found for d in e["deliveries"]]


def answered_ok(delivery: dict[str, Any]) -> bool:
    return any(a["url"].endswith(WEBHOOK) and a["status_code"] == 200 for a in delivery["attempts"])


async def test_duplicated_webhooks_issue_the_tickets_once(
    edge: httpx.AsyncClient, platform: Platform, simulator: PaymentSimulator
) -> None:
    simulator.set_webhooks(duplicate=2)
    me, order = await new_order(edge, places=2)
    assert (await pay_at_the_hosted_page(order["payment"]["checkout_url"], GOOD)).status_code < 400
    paid = await settled(edge, me, order, "paid")

    def all_copies_taken() -> list[dict[str, Any]] | None:
        copies = deliveries(platform, order["id"], "checkout.session.completed")
        return copies if len(copies) == 3 and all(answered_ok(d) for d in copies) else None

    await eventually(all_copies_taken, within=30, what="three copies of the notification answered 200")
    again = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
    assert again["ticket_ids"] == paid["ticket_ids"]
    assert len(paid["ticket_ids"]) == 2
    mine = (await edge.get("/api/v1/me/tickets", headers=me)).json()["items"]
    assert len(mine) == 2


async def test_a_decline_delivered_after_the_payment_does_not_undo_it(
    edge: httpx.AsyncClient, platform: Platform, simulator: PaymentSimulator
) -> None:
    simulator.set_webhooks(reorder=True)  # hold everything, then deliver newest first
    me, order = await new_order(edge, places=1)
    assert (await pay_at_the_hosted_page(order["payment"]["checkout_url"], DECLINED)).status_code == 402
    assert (await pay_at_the_hosted_page(order["payment"]["checkout_url"], GOOD)).status_code < 400
    assert simulator.release_held_webhooks() >= 2
    paid = await settled(edge, me, order, "paid")

    def every_decline_answered() -> bool:
        copies = deliveries(platform, order["id"], "payment_intent.payment_failed")
        return bool(copies) and all(answered_ok(d) for d in copies)

    await eventually(every_decline_answered, within=30, what="the late decline delivered")
    after = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
    assert after["status"] == "paid"
    assert after["payment"]["failure_code"] is None
    assert after["ticket_ids"] == paid["ticket_ids"]


async def test_a_late_webhook_still_pays_the_order(
    edge: httpx.AsyncClient, platform: Platform, simulator: PaymentSimulator
) -> None:
    simulator.set_webhooks(delay_seconds=2)
    me, order = await new_order(edge, places=1)
    assert (await pay_at_the_hosted_page(order["payment"]["checkout_url"], GOOD)).status_code < 400
    paid = await settled(edge, me, order, "paid")
    assert len(paid["ticket_ids"]) == 1


async def test_a_lost_webhook_is_made_up_by_the_reconciliation(
    edge: httpx.AsyncClient, platform: Platform, simulator: PaymentSimulator
) -> None:
    simulator.set_webhooks(drop=1000)  # every notification lost on the way
    me, order = await new_order(edge, places=2)
    assert (await pay_at_the_hosted_page(order["payment"]["checkout_url"], GOOD)).status_code < 400
    paid = await settled(edge, me, order, "paid")
    assert len(paid["ticket_ids"]) == 2
    sent = deliveries(platform, order["id"], "checkout.session.completed")
    assert sent
    assert all(d["state"] == "dropped" for d in sent), sent
