"""The simulator's Stripe API, through the official SDK's async methods, as ticketing_svc calls it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
import stripe
from psp_sim_requests import checkout_params

from devstack.infra import PaymentSimulator
from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

GOOD = "4242424242424242"
DECLINED = "4000000000000002"
DELAYED = "4000000000000077"


async def pay(simulator: PaymentSimulator, session_id: str, card: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        return await http.post(f"/_sim/checkout/sessions/{session_id}/pay", json={"card": card})


async def card_form(
    simulator: PaymentSimulator, session_id: str, number: str, **fields: str
) -> httpx.Response:
    form = {"card_number": number, "expiry": "12 / 34", "cvc": "123", "name": "Ana Buyer", **fields}
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        return await http.post(f"/pay/{session_id}", data=form)


async def test_a_session_paid_with_4242_is_complete_and_its_payment_intent_succeeded(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.amount_total, session.currency) == (
        "open",
        "unpaid",
        2500,
        "eur",
    )
    assert session.url == f"{simulator.url}/pay/{session.id}"
    assert session.client_reference_id == "o-1"
    assert session.metadata.to_dict() == {"order_id": "o-1"}
    assert isinstance(session.payment_intent, str)
    assert session.payment_intent.startswith("pi_")
    intent = await client.v1.payment_intents.retrieve_async(session.payment_intent)
    assert (intent.status, intent.amount, intent.currency) == ("requires_payment_method", 2500, "eur")
    assert intent.metadata.to_dict() == {"order_id": "o-1"}

    reply = await pay(simulator, session.id, GOOD)

    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "succeeds"
    paid = await client.v1.checkout.sessions.retrieve_async(session.id, {"expand": ["payment_intent"]})
    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    assert isinstance(paid.payment_intent, stripe.PaymentIntent)
    assert paid.payment_intent.status == "succeeded"
    assert paid.payment_intent.amount_received == 2500
    assert paid.payment_intent.latest_charge is not None


async def test_the_hosted_page_shows_the_decline_and_takes_a_retry(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())
    async with httpx.AsyncClient() as http:
        page = await http.get(session.url or "")
    assert page.status_code == 200
    assert "25.00 EUR" in page.text
    assert "Concierto · Pista" in page.text
    assert 'autocomplete="cc-number"' in page.text
    assert "4242 4242 4242 4242" in page.text
    assert f'href="{checkout_params()["cancel_url"]}"' in page.text

    declined = await card_form(simulator, session.id, "4000 0000 0000 0002")

    assert declined.status_code == 402
    assert 'role="alert"' in declined.text
    assert "Your card was declined." in declined.text
    assert '<form method="post"' in declined.text, "the buyer can try again"
    assert "4000 0000 0000 0002" not in declined.text.split("Test cards")[0], "the number is not echoed"
    intent = await client.v1.payment_intents.retrieve_async(str(session.payment_intent))
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert (intent.last_payment_error.code, intent.last_payment_error.decline_code) == (
        "card_declined",
        "generic_decline",
    )
    still_open = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert (still_open.status, still_open.payment_status) == ("open", "unpaid")

    accepted = await card_form(simulator, session.id, "4242 4242 4242 4242")

    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"https://shop.example/orders/o-1?session={session.id}"
    intent = await client.v1.payment_intents.retrieve_async(str(session.payment_intent))
    assert (intent.status, intent.last_payment_error) == ("succeeded", None)
    async with httpx.AsyncClient() as http:
        closed = await http.get(f"{simulator.url}/pay/{session.id}")
    assert "This order is paid" in closed.text


async def test_a_typo_in_the_card_is_shown_on_the_field_without_charging(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())

    reply = await card_form(simulator, session.id, "4242 4242 4242 4241")

    assert reply.status_code == 400
    assert "Your card number is incorrect." in reply.text
    assert re.search(r'id="card_number"[^>]*aria-invalid="true"', reply.text)
    intent = await client.v1.payment_intents.retrieve_async(str(session.payment_intent))
    assert (intent.status, intent.latest_charge) == ("requires_payment_method", None)


async def test_a_delayed_card_completes_the_session_unpaid_and_pays_it_later(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())

    reply = await pay(simulator, session.id, DELAYED)

    assert reply.status_code == 200, reply.text
    at_once = reply.json()
    assert at_once["outcome"] == "delayed"
    assert (at_once["checkout_session"]["status"], at_once["checkout_session"]["payment_status"]) == (
        "complete",
        "unpaid",
    )
    assert at_once["payment_intent"]["status"] == "processing"

    async def paid() -> bool:
        current = await client.v1.checkout.sessions.retrieve_async(session.id)
        return current.payment_status == "paid"

    await eventually(paid, within=15, what="the delayed payment settles")
    intent = await client.v1.payment_intents.retrieve_async(str(session.payment_intent))
    assert intent.status == "succeeded"
    types = [event["type"] for event in simulator.events()]
    assert types.index("checkout.session.completed") < types.index("checkout.session.async_payment_succeeded")


async def test_an_idempotent_create_is_replayed_and_a_reuse_with_other_parameters_refused(
    client: stripe.StripeClient,
) -> None:
    first = await client.v1.checkout.sessions.create_async(checkout_params(), {"idempotency_key": "order-7"})
    again = await client.v1.checkout.sessions.create_async(checkout_params(), {"idempotency_key": "order-7"})

    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"

    with pytest.raises(stripe.IdempotencyError) as refused:
        await client.v1.checkout.sessions.create_async(
            checkout_params(client_reference_id="o-2"), {"idempotency_key": "order-7"}
        )
    assert refused.value.http_status == 400
    assert refused.value.error is not None
    assert refused.value.error.type == "idempotency_error"
    other = await client.v1.checkout.sessions.create_async(checkout_params(), {"idempotency_key": "order-8"})
    assert other.id != first.id


async def test_refunds_take_part_then_the_rest_and_refuse_more_than_was_paid(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())
    await pay(simulator, session.id, GOOD)
    intent_id = str(session.payment_intent)

    part = await client.v1.refunds.create_async(
        {
            "payment_intent": intent_id,
            "amount": 1000,
            "metadata": {"refund_id": "r-1"},
            "reason": "requested_by_customer",
        }
    )
    assert part.id.startswith("re_")
    assert (part.status, part.amount, part.payment_intent) == ("succeeded", 1000, intent_id)
    assert part.metadata.to_dict() == {"refund_id": "r-1"}
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        await client.v1.refunds.create_async({"payment_intent": intent_id, "amount": 1501})
    assert (too_much.value.http_status, too_much.value.code, too_much.value.param) == (
        400,
        "amount_too_large",
        "amount",
    )

    rest = await client.v1.refunds.create_async({"payment_intent": intent_id})
    assert rest.amount == 1500

    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        await client.v1.refunds.create_async({"payment_intent": intent_id, "amount": 1})
    assert (nothing_left.value.http_status, nothing_left.value.code) == (400, "charge_already_refunded")
    fetched = await client.v1.refunds.retrieve_async(part.id)
    assert fetched.amount == 1000
    charge_events = [e["event"] for e in simulator.events() if e["type"] == "charge.refunded"]
    assert [e["data"]["object"]["amount_refunded"] for e in charge_events] == [1000, 2500]


async def test_a_payment_not_yet_made_cannot_be_refunded(client: stripe.StripeClient) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())

    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.refunds.create_async({"payment_intent": str(session.payment_intent)})

    assert refused.value.http_status == 400
    assert refused.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize("key", ["sk_test_somebody_else", ""])
async def test_a_wrong_or_missing_api_key_is_refused_with_401(simulator: PaymentSimulator, key: str) -> None:
    client = stripe.StripeClient(
        key or "sk_test_x", base_addresses={"api": simulator.url}, http_client=stripe.HTTPXClient()
    )
    if key:
        with pytest.raises(stripe.AuthenticationError) as refused:
            await client.v1.checkout.sessions.create_async(checkout_params())
        assert refused.value.http_status == 401
        assert "sk_test_somebody_else" not in str(refused.value), "the key is redacted"
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        reply = await http.get(
            "/v1/payment_intents/pi_1", headers={} if not key else {"Authorization": f"Bearer {key}"}
        )
    assert reply.status_code == 401
    assert reply.json()["error"]["type"] == "invalid_request_error"


async def test_unknown_objects_are_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await client.v1.checkout.sessions.retrieve_async("cs_test_nothing")

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"line_items": None}, "line_items"),
        ({"mode": "subscription"}, "mode"),
        ({"success_url": "not a url"}, "success_url"),
        ({"expires_at": 1}, "expires_at"),
        ({"discounts": [{"coupon": "x"}]}, "discounts"),
    ],
)
async def test_a_session_stripe_would_refuse_is_refused(
    client: stripe.StripeClient, overrides: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.checkout.sessions.create_async(checkout_params(**overrides))

    assert refused.value.http_status == 400
    assert refused.value.param == param


async def test_an_expired_session_takes_no_payment(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())

    expired = await client.v1.checkout.sessions.expire_async(session.id)

    assert (expired.status, expired.url) == ("expired", None)
    intent = await client.v1.payment_intents.retrieve_async(str(session.payment_intent))
    assert intent.status == "canceled"
    reply = await pay(simulator, session.id, GOOD)
    assert reply.status_code == 400
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{simulator.url}/pay/{session.id}")
    assert page.status_code == 410
    assert "expired" in page.text
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.checkout.sessions.expire_async(session.id)


async def test_card_numbers_never_reach_the_log(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    session = await client.v1.checkout.sessions.create_async(checkout_params())
    await card_form(simulator, session.id, "4000 0000 0000 0002")
    await card_form(simulator, session.id, "4242 4242 4242 4242")

    log_text = simulator.log.read_text()

    assert '"last4": "4242"' in log_text
    assert "4242424242424242" not in log_text
    assert "4242 4242 4242 4242" not in log_text
    assert "4000000000000002" not in log_text


async def test_concurrent_requests_with_one_idempotency_key_open_one_session(
    client: stripe.StripeClient,
) -> None:
    sessions = await asyncio.gather(
        *(
            client.v1.checkout.sessions.create_async(checkout_params(), {"idempotency_key": "order-burst"})
            for _ in range(8)
        )
    )

    assert len({session.id for session in sessions}) == 1


async def test_a_session_expires_by_itself_at_expires_at(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    created = await client.v1.checkout.sessions.create_async(checkout_params())
    session = await client.v1.checkout.sessions.create_async(
        checkout_params(expires_at=created.created + 31 * 60)
    )
    assert session.expires_at == created.created + 31 * 60

    simulator.advance_clock(32 * 60)

    current = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert current.status == "expired"
    untouched = await client.v1.checkout.sessions.retrieve_async(created.id)
    assert untouched.status == "open", "the default is 24 hours"
    assert "checkout.session.expired" in [event["type"] for event in simulator.events()]
