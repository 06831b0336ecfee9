"""Request parameters the tests send, shaped as ticketing_svc sends them."""

from __future__ import annotations

from typing import Any


def checkout_params(**overrides: Any) -> dict[str, Any]:
    """A Checkout Session as ticketing_svc opens one: two places at 12.50 EUR."""
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1250,
                    "product_data": {"name": "Concierto · Pista"},
                },
                "quantity": 2,
            }
        ],
        "success_url": "https://shop.example/orders/o-1?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/orders/o-1/cancelled",
        "client_reference_id": "o-1",
        "customer_email": "buyer@example.com",
        "metadata": {"order_id": "o-1"},
        "payment_intent_data": {"metadata": {"order_id": "o-1"}},
    }
    params.update(overrides)
    return params
