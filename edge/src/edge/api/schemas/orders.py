"""Order, ticket and ticket-signing-key bodies, and their translation from taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from edge.api.schemas.base import Strict
from edge.api.schemas.events import Money
from edge.api.schemas.reservations import UUID_PATTERN, ReservationItemOut
from edge.clients.ticketing import PB_TO_ORDER_STATUS, PB_TO_TICKET_STATUS
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb

PB_TO_REFUND_STATUS: dict[int, Literal["requested", "succeeded", "failed"]] = {
    pb.REFUND_STATUS_REQUESTED: "requested",
    pb.REFUND_STATUS_SUCCEEDED: "succeeded",
    pb.REFUND_STATUS_FAILED: "failed",
}

OrderStatus = Literal[
    "pending_payment", "paid", "partially_refunded", "refunded", "failed", "expired", "cancelled"
]
TicketStatus = Literal["valid", "revoked", "used"]
Locale = Literal["es", "en"]
# One "@", no spaces, a dot in the domain: the shape of an address. Whether it is deliverable is
# ticketing_svc's to check (the edge has no e-mail validator of its own).
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
RETURN_URL_PATTERN = r"^https?://[^\s]+$"


def _when(stamp: object) -> dt.datetime:
    value: dt.datetime = stamp.ToDatetime(tzinfo=dt.UTC)  # type: ignore[attr-defined]
    return value


def _money(money: pb.Money) -> Money:
    return Money(amount=money.amount, currency=money.currency)


# ---------------------------------------------------------------- requests


class BuyerIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Ana Gómez"])
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, examples=["ana.gomez@example.com"])
    locale: Locale | None = Field(
        default=None,
        description="The language of the buyer's e-mails and tickets; by default the request's "
        "`Accept-Language` (`es` or `en`), else `es`.",
    )


class OrderCreate(Strict):
    reservation_id: str = Field(
        pattern=UUID_PATTERN, max_length=36, examples=["9c3e1a7b-5d2f-4e8a-b1c6-0f4d2a8e7b35"]
    )
    buyer: BuyerIn
    return_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=RETURN_URL_PATTERN,
        description="Where the payment page sends the buyer back; `{ORDER_ID}` is replaced by the "
        "order's id. Must be on the web app's origin; by default its order page.",
        examples=["http://127.0.0.1:5173/orders/{ORDER_ID}"],
    )

    def fingerprint(self) -> str:
        """Identifies the request, so an Idempotency-Key reused with another body is caught."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class RefundAmountIn(Strict):
    amount: str = Field(pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$", max_length=13, examples=["12.50"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"], description="The order's currency")


class RefundCreate(Strict):
    """Either the tickets to refund (each at its price; they are revoked and their places go back on
    sale) or an amount (a goodwill refund; no ticket is revoked)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["ticket_ids"],
                    "properties": {"ticket_ids": {"minItems": 1}, "amount": {"type": "null"}},
                },
                {
                    "required": ["amount"],
                    "properties": {"ticket_ids": {"maxItems": 0}, "amount": {"not": {"type": "null"}}},
                },
            ]
        },
    )

    ticket_ids: list[Annotated[str, Field(pattern=UUID_PATTERN, max_length=36)]] = Field(
        default_factory=list, max_length=100
    )
    amount: RefundAmountIn | None = None
    reason: str = Field(default="", max_length=500, examples=["The buyer cannot attend"])

    @model_validator(mode="after")
    def _one_of(self) -> RefundCreate:
        if bool(self.ticket_ids) == (self.amount is not None):
            raise PydanticCustomError("refund_target", "name either ticket_ids or an amount, not both")
        return self

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


REFUND_EXAMPLES = {
    "tickets": {
        "summary": "Refund two tickets",
        "value": {"ticket_ids": ["0f2d8c1e-7a4b-4c3d-9e5f-1a2b3c4d5e6f"], "reason": "Cannot attend"},
    },
    "amount": {"summary": "A goodwill refund", "value": {"amount": {"amount": "10.00", "currency": "EUR"}}},
}


ORDER_EXAMPLES = {
    "buyer": {
        "summary": "Pay for a held reservation",
        "value": {
            "reservation_id": "9c3e1a7b-5d2f-4e8a-b1c6-0f4d2a8e7b35",
            "buyer": {"name": "Ana Gómez", "email": "ana.gomez@example.com", "locale": "es"},
        },
    }
}


# ---------------------------------------------------------------- responses


class BuyerOut(BaseModel):
    name: str
    email: str
    locale: Locale


class PaymentOut(BaseModel):
    provider: Literal["stripe"] = Field(examples=["stripe"])
    checkout_url: str | None = Field(
        description="The provider's page where the buyer pays, while the order waits for payment"
    )
    failure_code: str | None = Field(
        description="Why the last attempt failed, in the provider's words (`card_declined`)"
    )


class OrderPublic(BaseModel):
    id: str
    status: OrderStatus = Field(
        description="`pending_payment` → `paid` → `partially_refunded` | `refunded`; "
        "`pending_payment` → `failed` (declined; pay again while the hold lasts) | `expired` | `cancelled`"
    )
    reservation_id: str
    event_id: str
    event_name: str
    session_id: str
    items: list[ReservationItemOut]
    total: Money
    refunded: Money = Field(description="What was refunded so far (`0.00` when nothing)")
    buyer: BuyerOut
    payment: PaymentOut
    created_at: dt.datetime
    pay_by: dt.datetime | None = Field(description="Until when the places are held for this payment (UTC)")
    paid_at: dt.datetime | None
    updated_at: dt.datetime
    ticket_ids: list[str] = Field(description="The order's tickets, once paid")

    @classmethod
    def from_pb(cls, order: pb.Order) -> OrderPublic:
        locale = order.buyer.locale if order.buyer.locale in ("es", "en") else "es"
        return cls(
            id=order.id,
            status=PB_TO_ORDER_STATUS[order.status],
            reservation_id=order.reservation_id,
            event_id=order.event_id,
            event_name=order.event_name,
            session_id=order.session_id,
            items=[
                ReservationItemOut(
                    zone_id=item.zone_id,
                    zone_name=item.zone_name,
                    quantity=item.quantity,
                    unit_price=_money(item.unit_price),
                )
                for item in order.items
            ],
            total=_money(order.total),
            refunded=_money(order.refunded),
            buyer=BuyerOut(name=order.buyer.name, email=order.buyer.email, locale=locale),
            payment=PaymentOut(
                provider=order.payment.provider or "stripe",
                checkout_url=order.payment.checkout_url or None,
                failure_code=order.payment.failure_code or None,
            ),
            created_at=_when(order.created_at),
            pay_by=_when(order.pay_by) if order.HasField("pay_by") else None,
            paid_at=_when(order.paid_at) if order.HasField("paid_at") else None,
            updated_at=_when(order.updated_at),
            ticket_ids=list(order.ticket_ids),
        )


RefundStatus = Literal["requested", "succeeded", "failed"]


class RefundOut(BaseModel):
    id: str
    order_id: str
    amount: Money
    status: RefundStatus = Field(
        description="`requested`: sent to the payment provider, which has not confirmed yet (it is asked "
        "again until it does); `succeeded`: confirmed"
    )
    reason: str
    ticket_ids: list[str] = Field(description="The tickets revoked by this refund")
    requested_at: dt.datetime
    settled_at: dt.datetime | None


class RefundResult(BaseModel):
    refund: RefundOut
    order: OrderPublic = Field(description="The order after the refund was decided")

    @classmethod
    def from_pb(cls, reply: pb.RefundOrderResponse) -> RefundResult:
        refund = reply.refund
        return cls(
            refund=RefundOut(
                id=refund.id,
                order_id=refund.order_id,
                amount=_money(refund.amount),
                status=PB_TO_REFUND_STATUS[refund.status],
                reason=refund.reason,
                ticket_ids=list(refund.ticket_ids),
                requested_at=_when(refund.requested_at),
                settled_at=_when(refund.settled_at) if refund.HasField("settled_at") else None,
            ),
            order=OrderPublic.from_pb(reply.order),
        )


class EventRefundsPublic(BaseModel):
    """How far the refunds of a cancelled event have come."""

    event_id: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = Field(description="Set once every paid order has its refund requested")
    orders: int = Field(description="Paid orders of the event")
    requested: int = Field(description="Of them, those whose refund was requested")
    refunded: int = Field(description="Of them, those the payment provider confirmed")
    amount_refunded: Money

    @classmethod
    def from_pb(cls, reply: pb.EventRefunds) -> EventRefundsPublic:
        return cls(
            event_id=reply.event_id,
            started_at=_when(reply.started_at),
            finished_at=_when(reply.finished_at) if reply.HasField("finished_at") else None,
            orders=reply.orders,
            requested=reply.requested,
            refunded=reply.refunded,
            amount_refunded=_money(reply.amount_refunded),
        )


class OrderPage(BaseModel):
    items: list[OrderPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class TicketPublic(BaseModel):
    id: str
    order_id: str
    event_id: str
    event_name: str
    session_id: str
    zone_id: str
    zone_name: str
    holder_name: str
    status: TicketStatus = Field(description="`revoked`: refunded or cancelled; `used`: checked in")
    secret: str | None = Field(
        description="The signed content of the ticket's QR code "
        "(verify it with `/api/v1/ticket-signing-keys`)"
    )
    price: Money
    issued_at: dt.datetime
    revoked_reason: Literal["transferred"] | None = Field(
        default=None,
        description="`transferred`: revoked because it was sent to someone else, who has a new one",
    )

    @classmethod
    def from_pb(cls, ticket: pb.Ticket) -> TicketPublic:
        return cls(
            id=ticket.id,
            order_id=ticket.order_id,
            event_id=ticket.event_id,
            event_name=ticket.event_name,
            session_id=ticket.session_id,
            zone_id=ticket.zone_id,
            zone_name=ticket.zone_name,
            holder_name=ticket.holder_name,
            status=PB_TO_TICKET_STATUS[ticket.status],
            secret=ticket.secret or None,
            price=_money(ticket.price),
            issued_at=_when(ticket.issued_at),
            revoked_reason="transferred" if ticket.revoked_reason == "transferred" else None,
        )


class TicketPage(BaseModel):
    items: list[TicketPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class SigningKeyOut(BaseModel):
    """A public key as a JWK (RFC 8037)."""

    kid: str = Field(examples=["tk-2026-12"])
    kty: str = Field(examples=["OKP"])
    crv: str = Field(examples=["Ed25519"])
    x: str = Field(
        description="The public key, base64url without padding",
        examples=["11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"],
    )
    alg: str = Field(examples=["EdDSA"])
    use: str = Field(examples=["sig"])


class TicketSigningKeysPublic(BaseModel):
    keys: list[SigningKeyOut] = Field(
        description="The key that signs new tickets first, then retired keys whose tickets may still be used"
    )

    @classmethod
    def from_pb(cls, reply: pb.TicketSigningKeys) -> TicketSigningKeysPublic:
        return cls(
            keys=[
                SigningKeyOut(kid=k.kid, kty=k.kty, crv=k.crv, x=k.x, alg=k.alg, use=k.use)
                for k in reply.keys
            ]
        )


class PaymentNoticeReceipt(BaseModel):
    received: bool = Field(examples=[True])
    duplicate: bool = Field(description="The notification was handled before; nothing changed now")
