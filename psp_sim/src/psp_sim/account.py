"""One Stripe test-mode account in memory: Checkout Sessions, PaymentIntents, charges, refunds and the
events they raise, with Stripe's rules for each.

Every method is synchronous and touches memory only; callers hold :attr:`Account.lock` around a
request's work so one request's changes and events are never interleaved with another's.
"""

from __future__ import annotations

import asyncio
import copy
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from psp_sim.cards import Behaviour, CardEntry, known_card
from psp_sim.errors import StripeError, invalid, missing

Json = dict[str, Any]
_ALPHABET = string.ascii_letters + string.digits
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 3600
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
# Parameters Stripe accepts on a Checkout Session that change nothing a simulated card payment does.
IGNORED_SESSION_PARAMS = frozenset(
    {
        "expand",
        "locale",
        "payment_method_types",
        "submit_type",
        "billing_address_collection",
        "customer_creation",
        "allow_promotion_codes",
        "ui_mode",
        "phone_number_collection",
        "custom_text",
    }
)
SESSION_PARAMS = frozenset(
    {
        "mode",
        "line_items",
        "success_url",
        "cancel_url",
        "client_reference_id",
        "metadata",
        "expires_at",
        "payment_intent_data",
        "customer_email",
    }
)


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def format_amount(amount: int, currency: str) -> str:
    """``1250, "eur"`` -> ``"12.50 EUR"``; zero-decimal currencies have no minor unit."""
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    return f"{amount // 100}.{amount % 100:02d} {currency.upper()}"


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused a change, as events name it (``request.id``, ``idempotency_key``)."""

    id: str | None = None
    idempotency_key: str | None = None

    def to_json(self) -> Json:
        return {"id": self.id, "idempotency_key": self.idempotency_key}


AUTOMATIC = RequestInfo()


@dataclass
class LineItem:
    id: str
    name: str
    currency: str
    unit_amount: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass
class CheckoutSession:
    id: str
    created: int
    expires_at: int
    line_items: list[LineItem]
    currency: str
    payment_intent: str
    success_url: str | None
    cancel_url: str | None
    client_reference_id: str | None
    customer_email: str | None
    metadata: dict[str, str]
    status: str = "open"  # open | complete | expired
    payment_status: str = "unpaid"  # unpaid | paid

    @property
    def amount_total(self) -> int:
        return sum(item.amount for item in self.line_items)


@dataclass
class PaymentIntent:
    id: str
    created: int
    amount: int
    currency: str
    metadata: dict[str, str]
    description: str | None
    receipt_email: str | None
    status: str = "requires_payment_method"
    latest_charge: str | None = None
    last_payment_error: Json | None = None
    amount_received: int = 0
    canceled_at: int | None = None
    cancellation_reason: str | None = None


@dataclass
class Charge:
    id: str
    created: int
    amount: int
    currency: str
    payment_intent: str
    metadata: dict[str, str]
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    status: str  # succeeded | pending | failed
    failure_code: str | None = None
    failure_message: str | None = None
    amount_refunded: int = 0


@dataclass
class Refund:
    id: str
    created: int
    amount: int
    currency: str
    charge: str
    payment_intent: str
    metadata: dict[str, str]
    reason: str | None
    status: str = "succeeded"


@dataclass
class Event:
    id: str
    type: str
    created: int
    object: Json
    request: RequestInfo
    api_version: str
    previous_attributes: Json | None = None

    def to_json(self, pending_webhooks: int) -> Json:
        data: Json = {"object": self.object}
        if self.previous_attributes is not None:
            data["previous_attributes"] = self.previous_attributes
        return {
            "id": self.id,
            "object": "event",
            "api_version": self.api_version,
            "created": self.created,
            "data": data,
            "livemode": False,
            "pending_webhooks": pending_webhooks,
            "request": self.request.to_json(),
            "type": self.type,
        }


@dataclass
class PaymentOutcome:
    """What a card did to a session: ``behaviour``, and the card error when it was declined."""

    behaviour: Behaviour
    session: CheckoutSession
    payment_intent: PaymentIntent
    error: Json | None = None


@dataclass
class Account:
    """The simulated account; ``publish`` hears of every event as it is raised."""

    base_url: str
    api_version: str
    clock: Callable[[], float]
    publish: Callable[[Event], None] = lambda event: None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sessions: dict[str, CheckoutSession] = field(default_factory=dict)
    payment_intents: dict[str, PaymentIntent] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)

    def now(self) -> int:
        return int(self.clock())

    def reset(self) -> None:
        for table in (self.sessions, self.payment_intents, self.charges, self.refunds, self.events):
            table.clear()

    # ------------------------------------------------------------------------------------------ reading
    def session(self, session_id: str) -> CheckoutSession:
        session = self.sessions.get(session_id)
        if session is None:
            raise missing("checkout.session", session_id, param="session")
        self._expire_if_due(session)
        return session

    def payment_intent(self, intent_id: str) -> PaymentIntent:
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise missing("payment_intent", intent_id, param="intent")
        return intent

    def charge(self, charge_id: str) -> Charge:
        charge = self.charges.get(charge_id)
        if charge is None:
            raise missing("charge", charge_id, param="charge")
        return charge

    def refund(self, refund_id: str) -> Refund:
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise missing("refund", refund_id, param="refund")
        return refund

    def event(self, event_id: str) -> Event:
        event = self.events.get(event_id)
        if event is None:
            raise missing("event", event_id, param="id")
        return event

    # ------------------------------------------------------------------------------- checkout sessions
    def create_session(self, params: Json, request: RequestInfo) -> CheckoutSession:
        unknown = sorted(set(params) - SESSION_PARAMS - IGNORED_SESSION_PARAMS)
        if unknown:
            raise invalid(
                f"Received unknown parameter: {unknown[0]}", param=unknown[0], code="parameter_unknown"
            )
        mode = params.get("mode")
        if not mode:
            raise invalid("Missing required param: mode.", param="mode", code="parameter_missing")
        if mode != "payment":
            raise invalid(f"The payment simulator supports mode=payment only, not {mode!r}.", param="mode")
        if params.get("ui_mode", "hosted") != "hosted":
            raise invalid("The payment simulator supports ui_mode=hosted only.", param="ui_mode")
        items = self._line_items(params.get("line_items"))
        currencies = {item.currency for item in items}
        if len(currencies) > 1:
            raise invalid("All line items must use the same currency.", param="line_items")
        now = self.now()
        expires_at = now + MAX_EXPIRY_SECONDS
        if "expires_at" in params:
            expires_at = _integer(params["expires_at"], "expires_at")
            if not now + MIN_EXPIRY_SECONDS <= expires_at <= now + MAX_EXPIRY_SECONDS:
                raise invalid(
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                    "Checkout Session creation.",
                    param="expires_at",
                    code="parameter_invalid_integer",
                )
        intent_data = params.get("payment_intent_data") or {}
        if not isinstance(intent_data, dict):
            raise invalid("Invalid payment_intent_data: must be an object", param="payment_intent_data")
        customer_email = _optional_text(params, "customer_email", 512)
        client_reference_id = _optional_text(params, "client_reference_id", 200)
        intent = PaymentIntent(
            id=new_id("pi_"),
            created=now,
            amount=sum(item.amount for item in items),
            currency=items[0].currency,
            metadata=_metadata(intent_data.get("metadata"), "payment_intent_data[metadata]"),
            description=_optional_text(intent_data, "description", 1000),
            receipt_email=customer_email,
        )
        session = CheckoutSession(
            id=new_id("cs_test_", 58),
            created=now,
            expires_at=expires_at,
            line_items=items,
            currency=items[0].currency,
            payment_intent=intent.id,
            success_url=_url(params, "success_url"),
            cancel_url=_url(params, "cancel_url"),
            client_reference_id=client_reference_id,
            customer_email=customer_email,
            metadata=_metadata(params.get("metadata"), "metadata"),
        )
        self.payment_intents[intent.id] = intent
        self.sessions[session.id] = session
        return session

    def _line_items(self, raw: Any) -> list[LineItem]:
        if not raw:
            raise invalid(
                "You must provide at least one line item in `payment` mode.",
                param="line_items",
                code="parameter_missing",
            )
        if not isinstance(raw, list):
            raise invalid("Invalid array", param="line_items")
        items = []
        for index, entry in enumerate(raw):
            prefix = f"line_items[{index}]"
            if not isinstance(entry, dict):
                raise invalid("Invalid object", param=prefix)
            if "price" in entry:
                raise invalid(
                    "The payment simulator supports price_data only, not saved prices.",
                    param=f"{prefix}[price]",
                )
            price = entry.get("price_data")
            if not isinstance(price, dict):
                raise invalid(
                    f"Missing required param: {prefix}[price_data].",
                    param=f"{prefix}[price_data]",
                    code="parameter_missing",
                )
            currency = str(price.get("currency", "")).lower()
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise invalid(
                    f"Invalid currency: {currency!r}.",
                    param=f"{prefix}[price_data][currency]",
                    code="parameter_invalid_string",
                )
            if "unit_amount" not in price:
                raise invalid(
                    f"Missing required param: {prefix}[price_data][unit_amount].",
                    param=f"{prefix}[price_data][unit_amount]",
                    code="parameter_missing",
                )
            unit_amount = _integer(price["unit_amount"], f"{prefix}[price_data][unit_amount]", minimum=0)
            product = price.get("product_data")
            name = product.get("name") if isinstance(product, dict) else None
            if not name:
                raise invalid(
                    f"Missing required param: {prefix}[price_data][product_data][name].",
                    param=f"{prefix}[price_data][product_data][name]",
                    code="parameter_missing",
                )
            quantity = _integer(entry.get("quantity", "1"), f"{prefix}[quantity]", minimum=1)
            items.append(LineItem(new_id("li_"), str(name), currency, unit_amount, quantity))
        return items

    def expire_session(self, session_id: str, request: RequestInfo) -> CheckoutSession:
        session = self.session(session_id)
        if session.status != "open":
            raise invalid(
                f'Only Checkout Sessions with a status in ["open"] can be expired. '
                f"This session has status {session.status!r}.",
                param="session",
            )
        self._expire(session, request)
        return session

    def expire_due(self) -> int:
        """Expires every open session whose ``expires_at`` has passed; returns how many."""
        due = [s for s in self.sessions.values() if s.status == "open" and self.now() >= s.expires_at]
        for session in due:
            self._expire(session, AUTOMATIC)
        return len(due)

    def _expire_if_due(self, session: CheckoutSession) -> None:
        if session.status == "open" and self.now() >= session.expires_at:
            self._expire(session, AUTOMATIC)

    def _expire(self, session: CheckoutSession, request: RequestInfo) -> None:
        session.status = "expired"
        intent = self.payment_intents[session.payment_intent]
        if intent.status in {"requires_payment_method", "requires_confirmation"}:
            intent.status = "canceled"
            intent.canceled_at = self.now()
            intent.cancellation_reason = "abandoned"
            self._emit("payment_intent.canceled", self.intent_json(intent), request)
        self._emit("checkout.session.expired", self.session_json(session), request)

    # ------------------------------------------------------------------------------------------ paying
    def pay(self, session_id: str, entry: CardEntry) -> PaymentOutcome:
        """Charges ``entry`` for an open session, with the test card's behaviour."""
        session = self.session(session_id)
        if session.status != "open":
            raise StripeError(
                400,
                f"This Checkout Session is no longer open (status {session.status!r}).",
                code="checkout_session_not_open" if session.status == "complete" else "resource_expired",
                param="session",
            )
        intent = self.payment_intents[session.payment_intent]
        card = known_card(entry)
        now = self.now()
        charge = Charge(
            id=new_id("ch_"),
            created=now,
            amount=intent.amount,
            currency=intent.currency,
            payment_intent=intent.id,
            metadata=dict(intent.metadata),
            brand=entry.brand,
            last4=entry.last4,
            exp_month=entry.exp_month,
            exp_year=entry.exp_year,
            status="succeeded",
        )
        self.charges[charge.id] = charge
        intent.latest_charge = charge.id
        if card.behaviour is Behaviour.DECLINED:
            charge.status = "failed"
            charge.failure_code = card.error_code
            charge.failure_message = card.message
            error: Json = {
                "type": "card_error",
                "code": card.error_code,
                "decline_code": card.decline_code,
                "message": card.message,
                "charge": charge.id,
                "doc_url": f"https://stripe.com/docs/error-codes/{card.error_code.replace('_', '-')}",
                "payment_method": {
                    "object": "payment_method",
                    "type": "card",
                    "card": {"brand": entry.brand, "last4": entry.last4},
                },
            }
            intent.status = "requires_payment_method"
            intent.last_payment_error = error
            self._emit("payment_intent.payment_failed", self.intent_json(intent), AUTOMATIC)
            return PaymentOutcome(card.behaviour, session, intent, error)
        intent.last_payment_error = None
        session.status = "complete"
        if card.behaviour is Behaviour.DELAYED:
            charge.status = "pending"
            intent.status = "processing"
            self._emit("payment_intent.processing", self.intent_json(intent), AUTOMATIC)
            self._emit("checkout.session.completed", self.session_json(session), AUTOMATIC)
            return PaymentOutcome(card.behaviour, session, intent)
        self._succeed(intent, charge)
        session.payment_status = "paid"
        self._emit("payment_intent.succeeded", self.intent_json(intent), AUTOMATIC)
        self._emit("checkout.session.completed", self.session_json(session), AUTOMATIC)
        return PaymentOutcome(card.behaviour, session, intent)

    def settle_delayed(self, intent_id: str) -> None:
        """The delayed payment of ``intent_id`` arrives: the intent succeeds, the session is paid."""
        intent = self.payment_intent(intent_id)
        if intent.status != "processing" or intent.latest_charge is None:
            return
        self._succeed(intent, self.charges[intent.latest_charge])
        self._emit("payment_intent.succeeded", self.intent_json(intent), AUTOMATIC)
        for session in self.sessions.values():
            if session.payment_intent == intent.id:
                session.payment_status = "paid"
                self._emit("checkout.session.async_payment_succeeded", self.session_json(session), AUTOMATIC)

    def _succeed(self, intent: PaymentIntent, charge: Charge) -> None:
        charge.status = "succeeded"
        intent.status = "succeeded"
        intent.amount_received = intent.amount

    # ----------------------------------------------------------------------------------------- refunds
    def create_refund(self, params: Json, request: RequestInfo) -> Refund:
        known = {"payment_intent", "charge", "amount", "metadata", "reason", "expand", "instructions_email"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise invalid(
                f"Received unknown parameter: {unknown[0]}", param=unknown[0], code="parameter_unknown"
            )
        if params.get("payment_intent"):
            intent = self.payment_intent(str(params["payment_intent"]))
            if intent.status != "succeeded" or intent.latest_charge is None:
                raise invalid(
                    f"This PaymentIntent ({intent.id}) does not have a successful charge to refund.",
                    param="payment_intent",
                    code="payment_intent_unexpected_state",
                )
            charge = self.charges[intent.latest_charge]
        elif params.get("charge"):
            charge = self.charge(str(params["charge"]))
            if charge.status != "succeeded":
                raise invalid(f"Charge {charge.id} has not succeeded.", param="charge")
        else:
            raise invalid(
                "One of `charge` or `payment_intent` is required.",
                param="payment_intent",
                code="parameter_missing",
            )
        remaining = charge.amount - charge.amount_refunded
        if remaining <= 0:
            raise invalid(f"Charge {charge.id} has already been refunded.", code="charge_already_refunded")
        amount = remaining
        if "amount" in params:
            amount = _integer(params["amount"], "amount", minimum=1)
            if amount > remaining:
                raise invalid(
                    f"Refund amount ({format_amount(amount, charge.currency)}) is greater than unrefunded "
                    f"amount on charge ({format_amount(remaining, charge.currency)})",
                    param="amount",
                    code="amount_too_large",
                )
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid(
                f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}",
                param="reason",
                code="parameter_invalid_string",
            )
        refund = Refund(
            id=new_id("re_"),
            created=self.now(),
            amount=amount,
            currency=charge.currency,
            charge=charge.id,
            payment_intent=charge.payment_intent,
            metadata=_metadata(params.get("metadata"), "metadata"),
            reason=reason,
        )
        self.refunds[refund.id] = refund
        previous_refunded = charge.amount_refunded
        charge.amount_refunded += amount
        self._emit("refund.created", self.refund_json(refund), request)
        self._emit(
            "charge.refunded",
            self.charge_json(charge),
            request,
            previous_attributes={"amount_refunded": previous_refunded, "refunded": False},
        )
        self._emit("refund.updated", self.refund_json(refund), request)
        return refund

    # -------------------------------------------------------------------------------------- JSON shapes
    def session_json(self, session: CheckoutSession, expand: frozenset[str] = frozenset()) -> Json:
        intent: Any = session.payment_intent
        if "payment_intent" in expand:
            intent = self.intent_json(self.payment_intents[session.payment_intent])
        body: Json = {
            "id": session.id,
            "object": "checkout.session",
            "amount_subtotal": session.amount_total,
            "amount_total": session.amount_total,
            "cancel_url": session.cancel_url,
            "client_reference_id": session.client_reference_id,
            "created": session.created,
            "currency": session.currency,
            "customer_details": ({"email": session.customer_email} if session.customer_email else None),
            "customer_email": session.customer_email,
            "expires_at": session.expires_at,
            "livemode": False,
            "metadata": dict(session.metadata),
            "mode": "payment",
            "payment_intent": intent,
            "payment_method_types": ["card"],
            "payment_status": session.payment_status,
            "status": session.status,
            "success_url": session.success_url,
            "ui_mode": "hosted",
            "url": f"{self.base_url}/pay/{session.id}" if session.status == "open" else None,
        }
        if "line_items" in expand:
            body["line_items"] = {
                "object": "list",
                "data": [_line_item_json(item) for item in session.line_items],
                "has_more": False,
                "url": f"/v1/checkout/sessions/{session.id}/line_items",
            }
        return body

    def intent_json(self, intent: PaymentIntent, expand: frozenset[str] = frozenset()) -> Json:
        latest: Any = intent.latest_charge
        if "latest_charge" in expand and intent.latest_charge is not None:
            latest = self.charge_json(self.charges[intent.latest_charge])
        return {
            "id": intent.id,
            "object": "payment_intent",
            "amount": intent.amount,
            "amount_received": intent.amount_received,
            "canceled_at": intent.canceled_at,
            "cancellation_reason": intent.cancellation_reason,
            "capture_method": "automatic",
            "created": intent.created,
            "currency": intent.currency,
            "description": intent.description,
            "last_payment_error": copy.deepcopy(intent.last_payment_error),
            "latest_charge": latest,
            "livemode": False,
            "metadata": dict(intent.metadata),
            "payment_method_types": ["card"],
            "receipt_email": intent.receipt_email,
            "status": intent.status,
        }

    def charge_json(self, charge: Charge) -> Json:
        return {
            "id": charge.id,
            "object": "charge",
            "amount": charge.amount,
            "amount_captured": charge.amount if charge.status == "succeeded" else 0,
            "amount_refunded": charge.amount_refunded,
            "captured": charge.status == "succeeded",
            "created": charge.created,
            "currency": charge.currency,
            "failure_code": charge.failure_code,
            "failure_message": charge.failure_message,
            "livemode": False,
            "metadata": dict(charge.metadata),
            "paid": charge.status == "succeeded",
            "payment_intent": charge.payment_intent,
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": charge.brand,
                    "last4": charge.last4,
                    "exp_month": charge.exp_month,
                    "exp_year": charge.exp_year,
                },
            },
            "refunded": charge.amount_refunded >= charge.amount > 0,
            "status": charge.status,
        }

    def refund_json(self, refund: Refund) -> Json:
        return {
            "id": refund.id,
            "object": "refund",
            "amount": refund.amount,
            "balance_transaction": None,
            "charge": refund.charge,
            "created": refund.created,
            "currency": refund.currency,
            "metadata": dict(refund.metadata),
            "payment_intent": refund.payment_intent,
            "reason": refund.reason,
            "status": refund.status,
        }

    # ------------------------------------------------------------------------------------------ events
    def _emit(
        self, type: str, obj: Json, request: RequestInfo, previous_attributes: Json | None = None
    ) -> None:
        event = Event(
            id=new_id("evt_"),
            type=type,
            created=self.now(),
            object=copy.deepcopy(obj),
            request=request,
            api_version=self.api_version,
            previous_attributes=previous_attributes,
        )
        self.events[event.id] = event
        self.publish(event)


def _line_item_json(item: LineItem) -> Json:
    return {
        "id": item.id,
        "object": "item",
        "amount_subtotal": item.amount,
        "amount_total": item.amount,
        "currency": item.currency,
        "description": item.name,
        "price": {"object": "price", "currency": item.currency, "unit_amount": item.unit_amount},
        "quantity": item.quantity,
    }


def _integer(value: Any, param: str, *, minimum: int | None = None) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"-?\d+", text):
        raise invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")
    number = int(text)
    if minimum is not None and number < minimum:
        raise invalid(
            f"This value must be greater than or equal to {minimum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    return number


def _optional_text(params: Json, name: str, max_length: int) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {name}", param=name, code="parameter_invalid_string")
    if len(value) > max_length:
        raise invalid(
            f"Invalid string: must be at most {max_length} characters", param=name, code="string_length"
        )
    return value


def _url(params: Json, name: str) -> str | None:
    value = _optional_text(params, name, 5000)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise invalid("Not a valid URL", param=name, code="url_invalid")
    return value


def _metadata(raw: Any, param: str) -> dict[str, str]:
    """Stripe's metadata rules: at most 50 keys of up to 40 characters, values of up to 500."""
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid("Invalid object", param=param)
    metadata = {str(key): str(value) for key, value in raw.items() if value != ""}
    if len(metadata) > 50:
        raise invalid("Invalid metadata: metadata can have up to 50 keys", param=param)
    for key, value in metadata.items():
        if len(key) > 40:
            raise invalid("Invalid metadata: keys can be up to 40 characters long", param=f"{param}[{key}]")
        if len(value) > 500:
            raise invalid(
                "Invalid metadata: values can be up to 500 characters long", param=f"{param}[{key}]"
            )
    return metadata
