"""Webhooks: signed like Stripe's (checked by the SDK's own verifier), delivered at least once, and
the switches that make them arrive twice, late, out of order or not at all."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe
from psp_sim_receiver import Receiver
from psp_sim_requests import checkout_params

from devstack.infra import PaymentSimulator
from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAID_EVENTS = ["payment_intent.succeeded", "checkout.session.completed"]


async def paid_session(simulator: PaymentSimulator, client: stripe.StripeClient) -> str:
    session = await client.v1.checkout.sessions.create_async(checkout_params())
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        reply = await http.post(
            f"/_sim/checkout/sessions/{session.id}/pay", json={"card": "4242424242424242"}
        )
    assert reply.status_code == 200, reply.text
    return session.id


def verified(simulator: PaymentSimulator, receiver: Receiver) -> list[stripe.Event]:
    """Every accepted delivery, each verified and parsed by the SDK exactly as a receiver would."""
    return [
        stripe.Webhook.construct_event(d.body, d.signature, simulator.webhook_secret)
        for d in receiver.accepted()
    ]


def types(events: list[stripe.Event]) -> list[str]:
    return [event.type for event in events]


async def received(receiver: Receiver, count: int) -> None:
    await eventually(lambda: len(receiver.accepted()) >= count, within=15, what=f"{count} deliveries")


async def test_events_are_delivered_signed_exactly_like_stripe(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    session_id = await paid_session(simulator, client)

    await received(receiver, 2)

    events = verified(simulator, receiver)
    assert sorted(types(events)) == sorted(PAID_EVENTS)
    completed = next(e for e in events if e.type == "checkout.session.completed")
    assert completed.id.startswith("evt_")
    assert completed.object == "event"
    assert completed.livemode is False
    assert completed.api_version
    assert completed.created > 0
    assert completed.data.object["id"] == session_id
    assert completed.data.object["payment_status"] == "paid"
    assert completed.data.object["metadata"].to_dict() == {"order_id": "o-1"}
    succeeded = next(e for e in events if e.type == "payment_intent.succeeded")
    assert succeeded.data.object["status"] == "succeeded"
    assert succeeded.data.object["metadata"].to_dict() == {"order_id": "o-1"}


async def test_a_signature_made_with_another_secret_does_not_verify(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    simulator.set_webhooks(secret="whsec_another_endpoint")
    await paid_session(simulator, client)

    await received(receiver, 2)

    delivery = receiver.accepted()[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, delivery.signature, simulator.webhook_secret)
    assert stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_another_endpoint")


async def test_a_delivery_is_retried_until_the_endpoint_answers_2xx(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    receiver.failures_left = 3
    await client.v1.checkout.sessions.expire_async(
        (await client.v1.checkout.sessions.create_async(checkout_params())).id
    )

    await received(receiver, 2)

    assert sorted(types(verified(simulator, receiver))) == [
        "checkout.session.expired",
        "payment_intent.canceled",
    ]
    assert [d.status for d in receiver.deliveries].count(500) == 3
    attempts = [a["status_code"] for e in simulator.events() for d in e["deliveries"] for a in d["attempts"]]
    assert sorted(attempts) == [200, 200, 500, 500, 500]
    assert all(d["state"] == "delivered" for e in simulator.events() for d in e["deliveries"])


async def test_duplicate_sends_every_event_that_many_extra_times(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    simulator.set_webhooks(duplicate=2)

    await paid_session(simulator, client)

    await received(receiver, 6)
    events = verified(simulator, receiver)
    assert sorted(types(events)) == sorted(PAID_EVENTS * 3)
    assert len({event.id for event in events}) == 2, "a duplicate is the same event, not a new one"


async def test_reorder_holds_events_and_delivers_them_newest_first(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    simulator.set_webhooks(reorder=True)
    await paid_session(simulator, client)
    raised = [event["type"] for event in simulator.events()]
    assert raised == PAID_EVENTS
    assert [d["state"] for e in simulator.events() for d in e["deliveries"]] == ["held", "held"]

    assert simulator.set_webhooks(reorder=False)["reorder"] is False

    await received(receiver, 2)
    assert types(verified(simulator, receiver)) == list(reversed(raised))


async def test_delay_holds_each_delivery_back(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    simulator.set_webhooks(delay_seconds=3)

    await paid_session(simulator, client)

    deliveries = [d for e in simulator.events() for d in e["deliveries"]]
    assert [(d["state"], d["attempts"]) for d in deliveries] == [("scheduled", []), ("scheduled", [])]
    await received(receiver, 2)


async def test_drop_loses_the_next_deliveries_for_good_until_resent(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    simulator.set_webhooks(drop=1)

    await paid_session(simulator, client)

    await received(receiver, 1)
    report = simulator.events()
    dropped = [e for e in report if e["deliveries"][0]["state"] == "dropped"]
    assert [e["type"] for e in dropped] == ["payment_intent.succeeded"]
    assert dropped[0]["deliveries"][0]["attempts"] == [], "a dropped delivery is not retried"
    assert simulator.set_webhooks()["drop"] == 0
    assert types(verified(simulator, receiver)) == ["checkout.session.completed"]

    async with httpx.AsyncClient(base_url=simulator.url) as http:
        resent = await http.post(f"/_sim/events/{dropped[0]['id']}/resend")
    assert resent.status_code == 200

    await received(receiver, 2)
    assert sorted(types(verified(simulator, receiver))) == sorted(PAID_EVENTS)


async def test_refunds_raise_refund_and_charge_events(
    simulator: PaymentSimulator, client: stripe.StripeClient, receiver: Receiver
) -> None:
    session_id = await paid_session(simulator, client)
    session = await client.v1.checkout.sessions.retrieve_async(session_id)
    await received(receiver, 2)
    receiver.clear()

    refund = await client.v1.refunds.create_async(
        {"payment_intent": str(session.payment_intent), "amount": 500}, {"idempotency_key": "refund-r-1"}
    )

    await received(receiver, 3)
    events = verified(simulator, receiver)
    assert sorted(types(events)) == ["charge.refunded", "refund.created", "refund.updated"]
    charge: dict[str, Any] = next(e for e in events if e.type == "charge.refunded").data.object
    assert (charge["amount_refunded"], charge["refunded"]) == (500, False)
    created = next(e for e in events if e.type == "refund.created")
    assert created.data.object["id"] == refund.id
    assert created.request is not None
    assert created.request["idempotency_key"] == "refund-r-1"


async def test_events_are_kept_when_no_endpoint_is_configured(
    simulator: PaymentSimulator, client: stripe.StripeClient
) -> None:
    await paid_session(simulator, client)

    report = simulator.events()

    assert [e["type"] for e in report] == PAID_EVENTS
    assert [d["state"] for e in report for d in e["deliveries"]] == ["not_sent", "not_sent"]
    event = await client.v1.events.retrieve_async(report[0]["id"])
    assert event.type == "payment_intent.succeeded"
    assert event.data.object["status"] == "succeeded"
