"""Orders, tickets and Stripe's webhook through the running edge (issue 15).

The edge validates and authenticates on its own; everything else is ticketing_svc's answer, through
the platform as `make up` runs it, the payment simulator included for the journey that pays.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from devstack.testing import eventually
from edge.config import DEVELOPMENT_STRIPE_WEBHOOK_SECRET
from edge.security.stripe_signatures import sign
from tests.conftest import Platform, bearer, new_customer, new_organizer
from tests.integration.test_reservations_http import hold, published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM = "application/problem+json"
PROBLEMS = "https://taquilla.dev/problems/"
WEBHOOK = "/api/v1/payments/stripe/webhook"


async def customer(edge: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    email, _, tokens = await new_customer(edge)
    return email, bearer(tokens["access_token"])


async def held(
    edge: httpx.AsyncClient, me: dict[str, str], event: dict[str, Any], *items: tuple[int, int]
) -> dict[str, Any]:
    reply = await edge.post("/api/v1/reservations", headers=me, json=hold(event, *(items or ((0, 2),))))
    assert reply.status_code == 201, reply.text
    reservation: dict[str, Any] = reply.json()
    return reservation


def checkout(reservation: dict[str, Any], email: str, **fields: Any) -> dict[str, Any]:
    return {"reservation_id": reservation["id"], "buyer": {"name": "Rita Prueba", "email": email}, **fields}


def fields_of(reply: httpx.Response) -> set[str]:
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == PROBLEM
    return {error["field"] for error in reply.json()["errors"]}


# ---------------------------------------------------------------- the edge alone: tokens and fields


async def test_orders_and_tickets_need_a_token(edge: httpx.AsyncClient) -> None:
    some = str(uuid.uuid4())
    for method, path in [
        ("POST", "/api/v1/orders"),
        ("GET", f"/api/v1/orders/{some}"),
        ("GET", "/api/v1/me/orders"),
        ("GET", f"/api/v1/events/{some}/orders"),
        ("GET", "/api/v1/me/tickets"),
        ("GET", f"/api/v1/tickets/{some}"),
        ("GET", f"/api/v1/tickets/{some}/qr.svg"),
        ("GET", f"/api/v1/orders/{some}/tickets.pdf"),
    ]:
        reply = await edge.request(method, path, json={} if method == "POST" else None)
        assert reply.status_code == 401, (method, path, reply.text)
        assert reply.headers["content-type"] == PROBLEM


async def test_an_order_body_is_checked_field_by_field(edge: httpx.AsyncClient) -> None:
    email, me = await customer(edge)
    reservation = {"id": str(uuid.uuid4())}
    assert fields_of(await edge.post("/api/v1/orders", headers=me, json={})) == {"reservation_id", "buyer"}
    bad = [
        ({"reservation_id": "x"}, "reservation_id"),
        ({"buyer": {"name": "", "email": email}}, "buyer.name"),
        ({"buyer": {"name": "n" * 201, "email": email}}, "buyer.name"),
        ({"buyer": {"name": "Rita", "email": "not-an-address"}}, "buyer.email"),
        ({"buyer": {"name": "Rita", "email": "a" * 250 + "@x.es"}}, "buyer.email"),
        ({"buyer": {"name": "Rita", "email": email, "locale": "fr"}}, "buyer.locale"),
        ({"buyer": {"name": "Rita", "email": email, "vip": True}}, "buyer.vip"),
        ({"return_url": "javascript:alert(1)"}, "return_url"),
        ({"return_url": "https://x.es/" + "a" * 2048}, "return_url"),
        ({"total": {"amount": "0.01", "currency": "EUR"}}, "total"),
    ]
    for change, field in bad:
        body = {**checkout(reservation, email), **change}
        assert fields_of(await edge.post("/api/v1/orders", headers=me, json=body)) == {field}, change


async def test_order_lists_check_their_filters(edge: httpx.AsyncClient) -> None:
    _, me = await customer(edge)
    some_event = f"/api/v1/events/{uuid.uuid4()}/orders"
    assert fields_of(await edge.get("/api/v1/me/orders", headers=me, params={"status": "lost"})) == {
        "query.status.0"
    }
    assert fields_of(await edge.get("/api/v1/me/orders", headers=me, params={"limit": 101})) == {
        "query.limit"
    }
    assert fields_of(await edge.get("/api/v1/me/tickets", headers=me, params={"limit": 0})) == {"query.limit"}
    assert fields_of(await edge.get(some_event, headers=me, params={"q": "q" * 201})) == {"query.q"}
    assert fields_of(await edge.get(some_event, headers=me, params={"cursor": "c" * 513})) == {"query.cursor"}


async def test_a_forged_or_stale_notification_is_400(edge: httpx.AsyncClient, platform: Platform) -> None:
    payload = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_x"}},
        }
    ).encode()
    now = int(time.time())
    for signature in (
        None,
        f"t={now},v1={sign(payload, 'whsec_forged', now)}",
        f"t={now - 600},v1={sign(payload, webhook_secret(platform), now - 600)}",
    ):
        headers = {"Stripe-Signature": signature} if signature else {}
        reply = await edge.post(WEBHOOK, content=payload, headers=headers)
        assert reply.status_code == 400, reply.text
        assert reply.json()["type"] == PROBLEMS + "invalid-signature"


# ---------------------------------------------------------------- ticketing_svc's answers


def webhook_secret(platform: Platform) -> str:
    configured = platform.stack.service_env().get("EDGE_STRIPE_WEBHOOK_SECRETS", "")
    first = (json.loads(configured)[0] if configured.startswith("[") else configured.split(",")[0]).strip()
    return first or DEVELOPMENT_STRIPE_WEBHOOK_SECRET


async def test_a_buyer_checks_out_a_held_reservation(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    event = await published_event(edge, organizer=organizer)
    email, me = await customer(edge)
    reservation = await held(edge, me, event, (0, 2), (1, 1))

    created = await edge.post(
        "/api/v1/orders",
        headers={**me, "Accept-Language": "en-GB,en;q=0.9"},
        json=checkout(reservation, email),
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert created.headers["location"] == f"/api/v1/orders/{order['id']}"
    assert order["status"] == "pending_payment"
    assert (order["reservation_id"], order["event_id"], order["session_id"]) == (
        reservation["id"],
        event["id"],
        reservation["session_id"],
    )
    assert order["event_name"] == event["name"]
    assert order["items"] == reservation["items"]
    assert order["total"] == reservation["total"] == {"amount": "155.50", "currency": "EUR"}
    assert order["refunded"] == {"amount": "0.00", "currency": "EUR"}
    assert order["buyer"] == {"name": "Rita Prueba", "email": email, "locale": "en"}
    assert order["payment"]["provider"] == "stripe"
    assert order["payment"]["checkout_url"].startswith("http")
    assert order["payment"]["failure_code"] is None
    assert order["paid_at"] is None
    assert order["ticket_ids"] == []
    assert dt.datetime.fromisoformat(order["pay_by"]) >= dt.datetime.fromisoformat(reservation["expires_at"])

    again = await edge.get(created.headers["location"], headers=me)
    assert again.status_code == 200, again.text
    assert again.json() == order
    mine = await edge.get("/api/v1/me/orders", headers=me, params={"status": "pending_payment"})
    assert [o["id"] for o in mine.json()["items"]] == [order["id"]]
    assert (await edge.get("/api/v1/me/orders", headers=me, params={"status": "paid"})).json()["items"] == []

    by_email = await edge.get(
        f"/api/v1/events/{event['id']}/orders", headers=organizer, params={"q": email.upper()}
    )
    assert by_email.status_code == 200, by_email.text
    assert [o["id"] for o in by_email.json()["items"]] == [order["id"]]
    by_id = await edge.get(
        f"/api/v1/events/{event['id']}/orders", headers=organizer, params={"q": order["id"]}
    )
    assert [o["id"] for o in by_id.json()["items"]] == [order["id"]]
    assert (await edge.get(created.headers["location"], headers=organizer)).status_code == 200


async def test_the_buyers_locale_defaults_to_spanish(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event)
    created = await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))
    assert created.status_code == 201, created.text
    assert created.json()["buyer"]["locale"] == "es"


async def test_an_idempotency_key_returns_the_first_order(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event)
    keyed = {**me, "Idempotency-Key": str(uuid.uuid4())}
    first = await edge.post("/api/v1/orders", headers=keyed, json=checkout(reservation, email))
    repeat = await edge.post("/api/v1/orders", headers=keyed, json=checkout(reservation, email))
    assert (first.status_code, repeat.status_code) == (201, 201), repeat.text
    assert repeat.json()["id"] == first.json()["id"]
    assert repeat.headers["location"] == first.headers["location"]
    other_body = checkout(reservation, email, buyer={"name": "Otra Persona", "email": email})
    assert (await edge.post("/api/v1/orders", headers=keyed, json=other_body)).status_code == 422


async def test_a_reservation_is_ordered_once_and_only_while_held(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event)
    first = await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))
    assert first.status_code == 201, first.text

    second = await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))
    assert second.status_code == 409, second.text
    assert second.headers["content-type"] == PROBLEM
    assert second.json()["type"] == PROBLEMS + "order-exists"
    assert second.json()["order_id"] == first.json()["id"]

    released = await held(edge, me, event, (1, 1))
    assert (await edge.delete(f"/api/v1/reservations/{released['id']}", headers=me)).status_code == 204
    ended = await edge.post("/api/v1/orders", headers=me, json=checkout(released, email))
    assert ended.status_code == 409, ended.text
    assert ended.json()["type"] == PROBLEMS + "reservation-not-held"


async def test_another_accounts_order_and_reservation_answer_404(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event)
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    stranger_email, stranger = await customer(edge)
    assert (await edge.get(f"/api/v1/orders/{order['id']}", headers=stranger)).status_code == 404
    assert (await edge.get(f"/api/v1/orders/{order['id']}/tickets.pdf", headers=stranger)).status_code == 404
    assert (await edge.get("/api/v1/me/orders", headers=stranger)).json()["items"] == []
    taken = await edge.post("/api/v1/orders", headers=stranger, json=checkout(reservation, stranger_email))
    assert taken.status_code == 404, taken.text
    assert (await edge.get(f"/api/v1/orders/{uuid.uuid4()}", headers=me)).status_code == 404
    assert (await edge.get("/api/v1/orders/not-a-uuid", headers=me)).status_code == 404
    other_organizer = await new_organizer(edge)
    listing = await edge.get(f"/api/v1/events/{event['id']}/orders", headers=other_organizer)
    assert listing.status_code in (403, 404), listing.text
    assert (await edge.get(f"/api/v1/events/{event['id']}/orders", headers=stranger)).status_code in (
        403,
        404,
    )


async def test_an_unpaid_order_has_no_tickets_pdf(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event)
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    pdf = await edge.get(f"/api/v1/orders/{order['id']}/tickets.pdf", headers=me)
    assert pdf.status_code == 409, pdf.text
    assert pdf.json()["type"] == PROBLEMS + "not-paid"


async def test_tickets_of_nobody_are_404_and_a_new_account_has_none(edge: httpx.AsyncClient) -> None:
    _, me = await customer(edge)
    mine = await edge.get("/api/v1/me/tickets", headers=me)
    assert mine.status_code == 200, mine.text
    assert mine.json() == {"items": [], "next_cursor": None}
    nobody = f"/api/v1/tickets/{uuid.uuid4()}"
    assert (await edge.get(nobody, headers=me)).status_code == 404
    assert (await edge.get(f"{nobody}/qr.svg", headers=me)).status_code == 404


async def test_ticket_signing_keys_are_public_and_cacheable(edge: httpx.AsyncClient) -> None:
    reply = await edge.get("/api/v1/ticket-signing-keys")
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "public, max-age=300"
    keys = reply.json()["keys"]
    assert keys
    assert {(k["kty"], k["crv"], k["alg"], k["use"]) for k in keys} == {("OKP", "Ed25519", "EdDSA", "sig")}
    assert len({k["kid"] for k in keys}) == len(keys)


async def test_a_verified_notification_reaches_ticketing_once(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    # An event type ticketing does not act on: received, remembered, and a repeat is a duplicate.
    payload = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"id": f"cus_{uuid.uuid4().hex[:14]}", "object": "customer"}},
        }
    ).encode()

    def signed() -> dict[str, str]:
        now = int(time.time())
        return {"Stripe-Signature": f"t={now},v1={sign(payload, webhook_secret(platform), now)}"}

    first = await edge.post(WEBHOOK, content=payload, headers=signed())
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "duplicate": False}
    again = await edge.post(WEBHOOK, content=payload, headers=signed())
    assert again.json() == {"received": True, "duplicate": True}


# ---------------------------------------------------------------- paying, through the payment simulator


async def pay_at_the_hosted_page(checkout_url: str, card: str) -> httpx.Response:
    """What a buyer does on the simulator's payment page: the card form, sent."""
    form = {"card_number": card, "expiry": "12 / 34", "cvc": "123", "name": "Rita Prueba"}
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(checkout_url, data=form)


def simulator_events(platform: Platform, order_id: str) -> list[dict[str, Any]]:
    """The simulator's events about one order, each with its deliveries to the edge."""
    url = f"http://127.0.0.1:{platform.stack.ports.psp_sim}/_sim/events"
    events: list[dict[str, Any]] = httpx.get(url, timeout=10).json()["data"]
    return [
        e for e in events if (e["event"]["data"]["object"].get("metadata") or {}).get("order_id") == order_id
    ]


async def test_a_paid_order_has_its_tickets_qr_codes_and_pdf(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event, (0, 2))
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    paying = await pay_at_the_hosted_page(order["payment"]["checkout_url"], "4242424242424242")
    assert paying.status_code < 400, paying.text

    async def paid() -> dict[str, Any] | None:
        current: dict[str, Any] = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        return current if current["status"] == "paid" else None

    order = await eventually(paid, within=30, what="the order paid through the simulator's webhook")
    assert order["paid_at"] is not None
    # Paid by the notification the simulator signed and sent to the edge's endpoint, which took it.
    completed = [
        e for e in simulator_events(platform, order["id"]) if e["type"] == "checkout.session.completed"
    ]
    assert completed, "the simulator sent no checkout.session.completed for the order"
    attempts = [a for d in completed[0]["deliveries"] for a in d["attempts"]]
    assert any(a["url"].endswith(WEBHOOK) and a["status_code"] == 200 for a in attempts), attempts
    assert len(order["ticket_ids"]) == 2

    mine = (await edge.get("/api/v1/me/tickets", headers=me)).json()["items"]
    assert sorted(t["id"] for t in mine) == sorted(order["ticket_ids"])
    ticket = (await edge.get(f"/api/v1/tickets/{order['ticket_ids'][0]}", headers=me)).json()
    assert (ticket["order_id"], ticket["status"], ticket["zone_name"]) == (order["id"], "valid", "General")
    assert ticket["secret"]

    qr = await edge.get(f"/api/v1/tickets/{ticket['id']}/qr.svg", headers=me)
    assert qr.status_code == 200, qr.text
    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.headers["cache-control"] == "private, max-age=300"
    assert b"<svg" in qr.content

    pdf = await edge.get(f"/api/v1/orders/{order['id']}/tickets.pdf", headers=me)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment; filename=")
    assert pdf.headers["cache-control"].startswith("private")
    assert pdf.content.startswith(b"%PDF")

    stranger = (await customer(edge))[1]
    assert (await edge.get(f"/api/v1/tickets/{ticket['id']}", headers=stranger)).status_code == 404
    reservation_now = (await edge.get(f"/api/v1/reservations/{reservation['id']}", headers=me)).json()
    assert reservation_now["status"] == "purchased"


async def test_a_declined_card_fails_the_order_and_the_buyer_may_pay_again(edge: httpx.AsyncClient) -> None:
    event = await published_event(edge)
    email, me = await customer(edge)
    reservation = await held(edge, me, event, (0, 1))
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    paying = await pay_at_the_hosted_page(order["payment"]["checkout_url"], "4000000000000002")
    assert paying.status_code == 402, paying.status_code  # the page shows the decline

    async def failed() -> dict[str, Any] | None:
        current: dict[str, Any] = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        return current if current["status"] == "failed" else None

    declined = await eventually(failed, within=30, what="the order failed by the simulator's webhook")
    assert declined["payment"]["failure_code"] == "card_declined"
    assert declined["ticket_ids"] == []
    assert declined["payment"]["checkout_url"]
