"""The payment provider: Stripe Checkout through the official ``stripe`` SDK.

Locally and in the tests the same SDK calls go to the PSP simulator (psp_sim/), by pointing the
API base at it; pointing them at Stripe is configuration only (secret key and webhook secrets).
Every create and refund carries an idempotency key derived from our own ids, so a retry after a
lost answer never opens a second payment or refunds twice. Amounts cross this boundary in minor
units; everything else in the service counts in Decimal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable
from typing import TypeVar

import stripe
from stripe.params.checkout import SessionCreateParams

from ticketing_svc.application.ports import PaymentProvider
from ticketing_svc.domain.errors import PaymentProviderUnavailable
from ticketing_svc.domain.orders import (
    Checkout,
    Order,
    PaymentOutcome,
    PaymentState,
    Refund,
    from_minor_units,
    to_minor_units,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

STRIPE_API_BASE = "https://api.stripe.com"
# Stripe refuses a Checkout Session that expires sooner than 30 minutes after its creation; the
# page is closed by us (close_checkout) when the hold ends earlier, and a late payment is settled.
MIN_SESSION_MINUTES = 30


class StripePaymentProvider(PaymentProvider):
    name = "stripe"

    def __init__(
        self, secret_key: str, *, api_base: str = STRIPE_API_BASE, max_network_retries: int = 2
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            http_client=stripe.HTTPXClient(),
            max_network_retries=max_network_retries,
        )

    async def start_checkout(self, order: Order, *, return_url: str, cancel_url: str) -> Checkout:
        expires_at = max(
            order.pay_by, order.created_at + dt.timedelta(minutes=MIN_SESSION_MINUTES, seconds=30)
        )
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": item.unit_price.currency.lower(),
                        "unit_amount": to_minor_units(item.unit_price),
                        "product_data": {"name": f"{order.event_name} · {item.zone_name}"[:250]},
                    },
                    "quantity": item.quantity,
                }
                for item in order.items
            ],
            "success_url": return_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(order.id),
            "customer_email": order.buyer.email,
            "metadata": {"order_id": str(order.id)},
            "payment_intent_data": {"metadata": {"order_id": str(order.id)}},
            "expires_at": int(expires_at.timestamp()),
        }
        session = await self._call(
            self._client.v1.checkout.sessions.create_async(
                params, {"idempotency_key": f"checkout-{order.id}"}
            )
        )
        return Checkout(reference=session.id, url=session.url or "")

    async def payment_state(self, reference: str) -> PaymentState:
        session = await self._call(
            self._client.v1.checkout.sessions.retrieve_async(reference, {"expand": ["payment_intent"]})
        )
        amount = (
            from_minor_units(session.amount_total, session.currency or "")
            if session.amount_total is not None and session.currency
            else None
        )
        if session.payment_status in ("paid", "no_payment_required"):
            return PaymentState(reference, PaymentOutcome.SUCCEEDED, amount)
        intent = session.payment_intent
        if isinstance(intent, str):
            intent = await self._call(self._client.v1.payment_intents.retrieve_async(intent))
        if intent is not None and intent.status == "succeeded":
            return PaymentState(reference, PaymentOutcome.SUCCEEDED, amount)
        if session.status == "expired":
            return PaymentState(reference, PaymentOutcome.EXPIRED, amount)
        error = intent.last_payment_error if intent is not None else None
        if error is not None and intent is not None and intent.status == "requires_payment_method":
            return PaymentState(
                reference, PaymentOutcome.FAILED, amount, failure_code=error.code or "declined"
            )
        return PaymentState(reference, PaymentOutcome.PENDING, amount)

    async def refund(self, reference: str, refund: Refund) -> str:
        session = await self._call(self._client.v1.checkout.sessions.retrieve_async(reference))
        intent = session.payment_intent
        intent_id = intent if isinstance(intent, str) else (intent.id if intent is not None else None)
        if intent_id is None:
            raise PaymentProviderUnavailable("The payment has no charge to refund.")
        created = await self._call(
            self._client.v1.refunds.create_async(
                {
                    "payment_intent": intent_id,
                    "amount": to_minor_units(refund.amount),
                    "metadata": {"order_id": str(refund.order_id), "refund_id": str(refund.id)},
                },
                {"idempotency_key": f"refund-{refund.id}"},
            )
        )
        return str(created.id)

    async def close_checkout(self, reference: str) -> None:
        session = await self._call(self._client.v1.checkout.sessions.retrieve_async(reference))
        if session.status == "open":
            await self._call(self._client.v1.checkout.sessions.expire_async(reference))

    @staticmethod
    async def _call(call: Awaitable[T]) -> T:
        try:
            return await call
        except stripe.APIConnectionError as exc:
            raise PaymentProviderUnavailable("The payment provider did not answer; try again.") from exc
        except stripe.RateLimitError as exc:
            raise PaymentProviderUnavailable("The payment provider is busy; try again.") from exc
        except stripe.StripeError as exc:
            # Never log the request: it holds the buyer's e-mail. The code names the refusal.
            log.warning(
                "payment provider refused a call", extra={"stripe_code": exc.code, "status": exc.http_status}
            )
            raise
