"""Refunds through the running edge: an organizer refunds tickets or amounts of a paid order, and
cancelling an event refunds every paid order once (issue 15). Payments go through the simulator's
hosted page and its signed webhooks, as a buyer's would."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from devstack.testing import eventually
from tests.conftest import new_organizer
from tests.integration.test_orders_http import checkout, customer, held, pay_at_the_hosted_page
from tests.integration.test_reservations_http import published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEMS = "https://taquilla.dev/problems/"


async def paid_order(
    edge: httpx.AsyncClient, event: dict[str, Any], places: int
) -> tuple[dict[str, str], dict[str, Any]]:
    email, me = await customer(edge)
    reservation = await held(edge, me, event, (0, places))
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    paying = await pay_at_the_hosted_page(order["payment"]["checkout_url"], "4242424242424242")
    assert paying.status_code < 400, paying.text

    async def paid() -> dict[str, Any] | None:
        current: dict[str, Any] = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        return current if current["status"] == "paid" else None

    return me, await eventually(paid, within=30, what="the order paid through the simulator's webhook")


async def test_an_organizer_refunds_a_ticket_and_the_buyer_sees_it_revoked(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    event = await published_event(edge, general=5, organizer=organizer)
    me, order = await paid_order(edge, event, 2)
    refunds = f"/api/v1/orders/{order['id']}/refunds"

    both = await edge.post(
        refunds,
        headers=organizer,
        json={"ticket_ids": order["ticket_ids"], "amount": {"amount": "1.00", "currency": "EUR"}},
    )
    assert both.status_code == 422, both.text
    assert (await edge.post(refunds, headers=organizer, json={})).status_code == 422
    assert (
        await edge.post(refunds, headers=me, json={"ticket_ids": order["ticket_ids"][:1]})
    ).status_code == 403
    stranger = await new_organizer(edge)
    assert (
        await edge.post(refunds, headers=stranger, json={"ticket_ids": order["ticket_ids"][:1]})
    ).status_code == 404

    key = {"Idempotency-Key": "refund-ticket-1", **organizer}
    first = await edge.post(
        refunds, headers=key, json={"ticket_ids": order["ticket_ids"][:1], "reason": "No puede ir"}
    )
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["refund"]["status"] == "succeeded"
    assert result["refund"]["amount"] == {"amount": "30.00", "currency": "EUR"}
    assert result["order"]["status"] == "partially_refunded"
    assert result["order"]["refunded"]["amount"] == "30.00"
    replay = await edge.post(
        refunds, headers=key, json={"ticket_ids": order["ticket_ids"][:1], "reason": "No puede ir"}
    )
    assert replay.json()["refund"]["id"] == result["refund"]["id"]

    ticket = (await edge.get(f"/api/v1/tickets/{order['ticket_ids'][0]}", headers=me)).json()
    assert ticket["status"] == "revoked"
    assert ticket["secret"] is None
    # A revoked ticket's QR code is not drawn any more, and the order's PDF prints the other one only.
    revoked_qr = await edge.get(f"/api/v1/tickets/{order['ticket_ids'][0]}/qr.svg", headers=me)
    assert (revoked_qr.status_code, revoked_qr.json()["type"]) == (409, PROBLEMS + "ticket-revoked")
    kept_qr = await edge.get(f"/api/v1/tickets/{order['ticket_ids'][1]}/qr.svg", headers=me)
    assert (kept_qr.status_code, kept_qr.headers["content-type"]) == (200, "image/svg+xml")
    pdf = await edge.get(f"/api/v1/orders/{order['id']}/tickets.pdf", headers=me)
    assert pdf.status_code == 200, pdf.text
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    assert len(pages) == 1
    assert order["ticket_ids"][1] in pages[0].extract_text().replace("\n", "")
    too_much = await edge.post(
        refunds, headers=organizer, json={"amount": {"amount": "30.01", "currency": "EUR"}}
    )
    assert too_much.status_code == 409, too_much.text
    assert too_much.json()["type"] == PROBLEMS + "not-refundable"
    assert too_much.json()["refundable"] == {"amount": "30.00", "currency": "EUR"}
    rest = await edge.post(
        refunds, headers=organizer, json={"amount": {"amount": "30.00", "currency": "EUR"}}
    )
    assert rest.json()["order"]["status"] == "refunded"


async def test_cancelling_an_event_refunds_every_paid_order(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    event = await published_event(edge, general=6, organizer=organizer)
    buyers = [await paid_order(edge, event, places) for places in (1, 2)]
    progress = f"/api/v1/events/{event['id']}/refunds"
    not_yet = await edge.get(progress, headers=organizer)
    assert not_yet.status_code == 409, not_yet.text
    assert not_yet.json()["type"] == PROBLEMS + "not-cancelled"

    cancelled = await edge.post(
        f"/api/v1/events/{event['id']}/cancel", headers=organizer, json={"reason": "Lluvia"}
    )
    assert cancelled.status_code == 200, cancelled.text

    async def done() -> dict[str, Any] | None:
        reply = await edge.get(progress, headers=organizer)
        body: dict[str, Any] = reply.json()
        return body if reply.status_code == 200 and body["refunded"] == 2 and body["finished_at"] else None

    final = await eventually(done, within=60, what="every paid order of the cancelled event refunded")
    assert (final["orders"], final["requested"]) == (2, 2)
    assert final["amount_refunded"] == {"amount": "90.00", "currency": "EUR"}
    for me, order in buyers:
        now = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        assert now["status"] == "refunded"
    assert (await edge.get(progress, headers=buyers[0][0])).status_code == 404
