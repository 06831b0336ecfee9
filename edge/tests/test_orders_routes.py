"""The order, ticket and payment routes as the edge alone answers them: documented in the OpenAPI,
closed to callers without a token, and the buyer's language read from Accept-Language.

What ticketing_svc answers is tested through the running platform (tests/integration/test_orders_http.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from edge.api.routes.orders import NotAStripeEvent, parse_stripe_event, preferred_locale

PROBLEM_JSON = "application/problem+json"
ORDER = "/api/v1/orders/3f2d5b1c-9e77-4a5e-9a61-0b7c1f0e8f3e"
TICKET = "/api/v1/tickets/0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77"
EVENT = "/api/v1/events/5a1e6f0c-2b7d-4c1a-8e3f-9d0b2c4e6a81"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "es"),
        ("", "es"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8,es;q=0.7", "en"),
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("en;q=0.5,es;q=0.8", "es"),
        ("en;q=0,es;q=0.1", "es"),
        ("en;q=0", "es"),
        ("de, fr", "es"),
        ("EN-us", "en"),
        ("en;q=nonsense,es;q=0.2", "es"),
    ],
)
def test_the_buyers_language_comes_from_accept_language_else_spanish(header: str | None, locale: str) -> None:
    assert preferred_locale(header) == locale


def test_a_stripe_event_becomes_a_payment_notice() -> None:
    notice = parse_stripe_event(
        b'{"id":"evt_1","type":"payment_intent.payment_failed",'
        b'"data":{"object":{"id":"pi_1","metadata":{"order_id":"o-1"}}}}'
    )
    assert (notice.provider, notice.notice_id, notice.notice_type, notice.object_id, notice.order_id) == (
        "stripe",
        "evt_1",
        "payment_intent.payment_failed",
        "pi_1",
        "o-1",
    )
    assert parse_stripe_event(b'{"id":"evt_2","type":"x","data":{"object":{"id":"re_1"}}}').order_id == ""


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"null",
        b'{"id":"evt_1","type":"x"}',
        b'{"id":"evt_1","type":"x","data":{"object":"cs_1"}}',
        b'{"id":1,"type":"x","data":{"object":{"id":"cs_1"}}}',
        b'{"id":"","type":"x","data":{"object":{"id":"cs_1"}}}',
        b'{"id":"evt_1","type":"x","data":{"object":{"id":"cs_1","metadata":{"order_id":7}}}}',
        b'{"id":"' + b"e" * 300 + b'","type":"x","data":{"object":{"id":"cs_1"}}}',
        b"\xff\xfe",
    ],
)
def test_a_body_without_the_shape_of_a_stripe_event_is_refused(payload: bytes) -> None:
    with pytest.raises(NotAStripeEvent):
        parse_stripe_event(payload)


async def spec(edge_client: Any) -> dict[str, Any]:
    async with edge_client() as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


@pytest.mark.asyncio(loop_scope="session")
async def test_the_openapi_documents_every_order_ticket_and_payment_route(edge_client) -> None:  # type: ignore[no-untyped-def]
    paths = (await spec(edge_client))["paths"]
    expected = {
        "/api/v1/orders": {"post"},
        "/api/v1/orders/{order_id}": {"get"},
        "/api/v1/me/orders": {"get"},
        "/api/v1/events/{event_id}/orders": {"get"},
        "/api/v1/me/tickets": {"get"},
        "/api/v1/tickets/{ticket_id}": {"get"},
        "/api/v1/tickets/{ticket_id}/qr.svg": {"get"},
        "/api/v1/orders/{order_id}/tickets.pdf": {"get"},
        "/api/v1/ticket-signing-keys": {"get"},
        "/api/v1/payments/stripe/webhook": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
    create = paths["/api/v1/orders"]["post"]
    assert {"201", "401", "404", "409", "422"} <= set(create["responses"])
    assert "reservation-not-held" in create["responses"]["409"]["description"]
    assert PROBLEM_JSON in create["responses"]["409"]["content"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    pdf = paths["/api/v1/orders/{order_id}/tickets.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert "not-paid" in pdf["responses"]["409"]["description"]
    qr = paths["/api/v1/tickets/{ticket_id}/qr.svg"]["get"]
    assert "image/svg+xml" in qr["responses"]["200"]["content"]
    webhook = paths["/api/v1/payments/stripe/webhook"]["post"]
    assert "security" not in webhook
    assert {"400", "413", "503"} <= set(webhook["responses"])
    assert "Stripe-Signature" in {p["name"] for p in webhook["parameters"]}


@pytest.mark.asyncio(loop_scope="session")
async def test_order_bodies_bound_every_string(edge_client) -> None:  # type: ignore[no-untyped-def]
    schemas = (await spec(edge_client))["components"]["schemas"]
    buyer = schemas["BuyerIn"]["properties"]
    assert (buyer["name"]["minLength"], buyer["name"]["maxLength"], buyer["email"]["maxLength"]) == (
        1,
        200,
        254,
    )
    order = schemas["OrderCreate"]["properties"]
    assert order["reservation_id"]["maxLength"] == 36
    assert order["return_url"]["anyOf"][0]["maxLength"] == 2048
    assert schemas["OrderCreate"]["additionalProperties"] is False


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/orders"),
        ("GET", ORDER),
        ("GET", "/api/v1/me/orders"),
        ("GET", f"{EVENT}/orders"),
        ("GET", "/api/v1/me/tickets"),
        ("GET", TICKET),
        ("GET", f"{TICKET}/qr.svg"),
        ("GET", f"{ORDER}/tickets.pdf"),
    ],
)
async def test_orders_and_tickets_need_a_token(edge_client, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.request(method, path, json={} if method == "POST" else None)
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"] == PROBLEM_JSON
    assert reply.headers["www-authenticate"].startswith("Bearer")
