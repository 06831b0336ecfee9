"""Orders, tickets and the payment provider's notifications, over REST: routes translate,
ticketing_svc decides.

* ``POST /api/v1/orders`` turns one of my held reservations into an order awaiting payment at the
  provider (``payment.checkout_url``), ``Idempotency-Key`` honoured as for reservations. Refusals are
  problem+json: ``…/reservation-not-held`` (409), ``…/order-exists`` (409, with ``order_id``).
* An order is seen by its buyer, the organizer of its event and admins; a ticket by its holder, the
  organizer and admins; anyone else gets 404, exactly like for one that does not exist.
* ``POST /api/v1/payments/stripe/webhook`` is Stripe's, not a person's: no token, the raw body
  checked against ``Stripe-Signature`` (:mod:`edge.security.stripe_signatures`) before anything is
  parsed or forwarded, then handed to ticketing_svc as the edge itself. It has no rate limit
  (edge.security.middleware explains why) and its answers are never cached.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Body, Header, Path, Query, Request, Response, status
from prometheus_client import Counter

from edge.api.deps import RunningIdempotencyKeys, State, Ticketing, TicketReader, TicketWriter
from edge.api.headers import IDEMPOTENCY_DESCRIPTION, KEY_IN_USE, LOCATION_HEADER, IdempotencyKey
from edge.api.problems import UNAUTHENTICATED, Responses, problem
from edge.api.schemas.orders import (
    ORDER_EXAMPLES,
    REFUND_EXAMPLES,
    EventRefundsPublic,
    OrderCreate,
    OrderPage,
    OrderPublic,
    OrderStatus,
    PaymentNoticeReceipt,
    RefundCreate,
    RefundResult,
    TicketPage,
    TicketPublic,
    TicketSigningKeysPublic,
)
from edge.errors import Problem
from edge.security.stripe_signatures import MAX_HEADER_LENGTH, InvalidSignature, verify
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb

router = APIRouter()

OrderId = Annotated[str, Path(max_length=64, description="Order id (UUID)")]
TicketId = Annotated[str, Path(max_length=64, description="Ticket id (UUID)")]
EventId = Annotated[str, Path(max_length=64, description="Event id (UUID)")]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str, Query(max_length=512, description="`next_cursor` of the previous page")]
StatusFilter = Annotated[
    list[OrderStatus] | None,
    Query(alias="status", max_length=7, description="Only these states (repeatable)"),
]

ORDER_NOT_FOUND: Responses = {404: problem("No such order, or one you may not see")}
TICKET_NOT_FOUND: Responses = {404: problem("No such ticket, or one you may not see")}
PRIVATE_DOCUMENT = "private, max-age=300"
# An SVG is a document that could carry script: served from the API's origin, it may run none.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
MAX_NOTICE_BYTES = 256 * 1024
MAX_NOTICE_FIELD = 255
UNAVAILABLE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.CANCELLED,
    }
)
PAYMENT_NOTICES = Counter(
    "taquilla_edge_payment_notices_total",
    "Payment provider notifications received by the edge, by outcome.",
    ["provider", "outcome"],
)


def order_location(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}"


def preferred_locale(accept_language: str | None) -> Literal["es", "en"]:
    """``es`` or ``en``, whichever the Accept-Language header prefers (RFC 9110 weights); else ``es``."""
    best: tuple[float, int, Literal["es", "en"]] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, *params = (piece.strip() for piece in part.split(";"))
        language = tag.split("-")[0].lower()
        if language not in ("es", "en"):
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight <= 0:
            continue
        chosen: Literal["es", "en"] = "es" if language == "es" else "en"
        candidate = (-weight, position, chosen)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best is not None else "es"


# ---------------------------------------------------------------- orders


@router.post(
    "/api/v1/orders",
    tags=["orders"],
    status_code=status.HTTP_201_CREATED,
    response_model=OrderPublic,
    summary="Check out a held reservation",
    description="Turns one of your held reservations into an order awaiting payment: send the buyer to "
    "`payment.checkout_url`. The hold is extended once to cover the payment (until `pay_by`). The "
    "payment page sends the buyer back to `return_url` (by default the web app's order page). "
    + IDEMPOTENCY_DESCRIPTION,
    responses={
        201: {"description": "Awaiting payment", "headers": LOCATION_HEADER},
        **UNAUTHENTICATED,
        404: problem("No such reservation, or another account's"),
        409: problem(
            "`…/reservation-not-held` (it was released or expired), `…/order-exists` (the reservation "
            "already has an order, named by `order_id`), " + KEY_IN_USE
        ),
        422: problem("Invalid fields (listed in `errors`), or an Idempotency-Key reused with another body"),
    },
)
async def create_order(
    response: Response,
    principal: TicketWriter,
    state: State,
    body: Annotated[OrderCreate, Body(openapi_examples=ORDER_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
    accept_language: Annotated[
        str | None,
        Header(
            alias="Accept-Language", max_length=512, description="The buyer's language when not in the body"
        ),
    ] = None,
) -> OrderPublic:
    buyer = pb.Buyer(
        name=body.buyer.name,
        email=body.buyer.email,
        locale=body.buyer.locale or preferred_locale(accept_language),
    )
    return_url = body.return_url or state.settings.web_app_url.rstrip("/") + "/orders/{ORDER_ID}"
    async with state.running_keys.running(principal, "order", idempotency_key):
        order = await state.ticketing.create_order(
            principal,
            body.reservation_id,
            buyer,
            return_url=return_url,
            idempotency_key=idempotency_key,
            fingerprint=body.fingerprint(),
        )
    response.headers["Location"] = order_location(order.id)
    return OrderPublic.from_pb(order)


@router.get(
    "/api/v1/orders/{order_id}",
    tags=["orders"],
    response_model=OrderPublic,
    summary="One order",
    description="For its buyer, the organizer of its event, or an admin. Poll it after the payment page "
    "to follow `status`.",
    responses={**UNAUTHENTICATED, **ORDER_NOT_FOUND},
)
async def get_order(order_id: OrderId, principal: TicketReader, ticketing: Ticketing) -> OrderPublic:
    return OrderPublic.from_pb(await ticketing.get_order(principal, order_id))


@router.post(
    "/api/v1/orders/{order_id}/refunds",
    tags=["orders"],
    response_model=RefundResult,
    summary="Refund tickets or an amount of a paid order",
    description="For the organizer of the order's event and admins, as often as needed but never past "
    "what was paid. Refunded tickets are revoked at once and their places go back on sale; the money "
    "goes back through the payment provider (`refund.status` is `succeeded` once it confirms, which "
    "is usually at once; otherwise it is asked again until it does). " + IDEMPOTENCY_DESCRIPTION,
    responses={
        **UNAUTHENTICATED,
        403: problem("The buyer of the order, who may not refund it"),
        **ORDER_NOT_FOUND,
        409: problem(
            "`…/not-refundable`: the order is not paid, a ticket is not valid, or the amount passes what is "
            "left to refund (`refundable`); " + KEY_IN_USE
        ),
        422: problem("Invalid fields (listed in `errors`), or an Idempotency-Key reused with another body"),
    },
)
async def refund_order(
    order_id: OrderId,
    principal: TicketWriter,
    ticketing: Ticketing,
    running: RunningIdempotencyKeys,
    body: Annotated[RefundCreate, Body(openapi_examples=REFUND_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
) -> RefundResult:
    amount = pb.Money(amount=body.amount.amount, currency=body.amount.currency) if body.amount else None
    async with running.running(principal, f"refund {order_id}", idempotency_key):
        reply = await ticketing.refund_order(
            principal,
            order_id,
            ticket_ids=body.ticket_ids,
            amount=amount,
            reason=body.reason,
            idempotency_key=idempotency_key,
            fingerprint=body.fingerprint(),
        )
    return RefundResult.from_pb(reply)


@router.get(
    "/api/v1/events/{event_id}/refunds",
    tags=["orders"],
    response_model=EventRefundsPublic,
    summary="Refunds of a cancelled event",
    description="For the event's organizer and admins: cancelling an event refunds every paid order once; "
    "this shows how far that has come.",
    responses={
        **UNAUTHENTICATED,
        404: problem("No such event, or one you do not organize"),
        409: problem("`…/not-cancelled`: the event is not cancelled"),
    },
)
async def event_refunds(
    event_id: EventId, principal: TicketReader, ticketing: Ticketing
) -> EventRefundsPublic:
    return EventRefundsPublic.from_pb(await ticketing.event_refunds(principal, event_id))


@router.get(
    "/api/v1/me/orders",
    tags=["orders"],
    response_model=OrderPage,
    summary="My orders, newest first",
    responses={**UNAUTHENTICATED, 422: problem("Invalid `status`, `limit` or `cursor`")},
)
async def my_orders(
    principal: TicketReader,
    ticketing: Ticketing,
    status_: StatusFilter = None,
    limit: Limit = 20,
    cursor: Cursor = "",
) -> OrderPage:
    reply = await ticketing.list_my_orders(principal, statuses=status_ or [], limit=limit, cursor=cursor)
    return OrderPage(
        items=[OrderPublic.from_pb(o) for o in reply.orders], next_cursor=reply.next_cursor or None
    )


@router.get(
    "/api/v1/events/{event_id}/orders",
    tags=["orders"],
    response_model=OrderPage,
    summary="The orders of an event, newest first",
    description="For the event's organizer and admins: search by buyer name or e-mail (part of it, "
    "any case) or a whole order id, filter by status.",
    responses={
        **UNAUTHENTICATED,
        403: problem("Not the organizer of this event"),
        404: problem("No such event, or another organization's"),
        422: problem("Invalid `q`, `status`, `limit` or `cursor`"),
    },
)
async def event_orders(
    event_id: EventId,
    principal: TicketReader,
    ticketing: Ticketing,
    q: Annotated[str, Query(max_length=200, description="Buyer name or e-mail, or an order id")] = "",
    status_: StatusFilter = None,
    limit: Limit = 20,
    cursor: Cursor = "",
) -> OrderPage:
    reply = await ticketing.list_event_orders(
        principal, event_id, query=q.strip(), statuses=status_ or [], limit=limit, cursor=cursor
    )
    return OrderPage(
        items=[OrderPublic.from_pb(o) for o in reply.orders], next_cursor=reply.next_cursor or None
    )


# ---------------------------------------------------------------- tickets


def _safe_filename(suggested: str, fallback: str) -> str:
    name = "".join(c for c in suggested if c.isascii() and (c.isalnum() or c in "-_.")).strip(".")
    return name[:100] if name else fallback


@router.get(
    "/api/v1/orders/{order_id}/tickets.pdf",
    tags=["tickets"],
    response_class=Response,
    summary="Every ticket of a paid order, printable (PDF)",
    responses={
        200: {
            "description": "The PDF, as an attachment",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Content-Disposition": {"description": "attachment; filename=…", "schema": {"type": "string"}}
            },
        },
        **UNAUTHENTICATED,
        **ORDER_NOT_FOUND,
        409: problem(
            "`…/not-paid`: the order has no tickets (not paid yet, or never); `…/ticket-revoked`: every "
            "ticket of the order was revoked (refunded), so nothing is printed. Revoked tickets are left "
            "out of the PDF."
        ),
    },
)
async def order_tickets_pdf(order_id: OrderId, principal: TicketReader, ticketing: Ticketing) -> Response:
    document = await ticketing.order_tickets_pdf(principal, order_id)
    filename = _safe_filename(document.filename, "taquilla-tickets.pdf")
    return Response(
        content=document.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": PRIVATE_DOCUMENT,
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/api/v1/me/tickets",
    tags=["tickets"],
    response_model=TicketPage,
    summary="My tickets, newest first",
    responses={**UNAUTHENTICATED, 422: problem("Invalid `limit` or `cursor`")},
)
async def my_tickets(
    principal: TicketReader, ticketing: Ticketing, limit: Limit = 20, cursor: Cursor = ""
) -> TicketPage:
    reply = await ticketing.list_my_tickets(principal, limit=limit, cursor=cursor)
    return TicketPage(
        items=[TicketPublic.from_pb(t) for t in reply.tickets], next_cursor=reply.next_cursor or None
    )


@router.get(
    "/api/v1/tickets/{ticket_id}",
    tags=["tickets"],
    response_model=TicketPublic,
    summary="One ticket",
    description="For its holder, the organizer of its event, or an admin.",
    responses={**UNAUTHENTICATED, **TICKET_NOT_FOUND},
)
async def get_ticket(ticket_id: TicketId, principal: TicketReader, ticketing: Ticketing) -> TicketPublic:
    return TicketPublic.from_pb(await ticketing.get_ticket(principal, ticket_id))


@router.get(
    "/api/v1/tickets/{ticket_id}/qr.svg",
    tags=["tickets"],
    response_class=Response,
    summary="A ticket's QR code (SVG)",
    description="What the door scans: the ticket's signed secret as a QR code.",
    responses={
        200: {"description": "The QR code", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
        **UNAUTHENTICATED,
        **TICKET_NOT_FOUND,
        409: problem("`…/ticket-revoked`: the ticket was revoked (refunded): it has no QR code any more"),
    },
)
async def ticket_qr_code(ticket_id: TicketId, principal: TicketReader, ticketing: Ticketing) -> Response:
    document = await ticketing.ticket_qr_code(principal, ticket_id)
    return Response(
        content=document.content,
        media_type="image/svg+xml",
        headers={
            "Cache-Control": PRIVATE_DOCUMENT,
            "Content-Security-Policy": SVG_POLICY,
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/api/v1/ticket-signing-keys",
    tags=["tickets"],
    response_model=TicketSigningKeysPublic,
    summary="The public keys that verify tickets' QR codes",
    description="For door devices, offline: JWKs (Ed25519, RFC 8037), the key that signs new tickets "
    "first. Keys retired by a rotation stay listed while tickets they signed may be used. "
    "Cacheable 5 minutes.",
    responses={
        200: {
            "headers": {"Cache-Control": {"description": "public, max-age=300", "schema": {"type": "string"}}}
        }
    },
)
async def ticket_signing_keys(response: Response, ticketing: Ticketing) -> TicketSigningKeysPublic:
    keys = TicketSigningKeysPublic.from_pb(await ticketing.ticket_signing_keys())
    response.headers["Cache-Control"] = "public, max-age=300"
    return keys


# ---------------------------------------------------------------- the payment provider's notifications


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 past ``limit`` bytes (declared or actually sent)."""
    too_large = Problem(413, f"A notification is at most {limit // 1024} KiB.", slug="content-too-large")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


class NotAStripeEvent(ValueError):
    """A body, signed or not, without the shape of a Stripe event."""


def _text(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_NOTICE_FIELD:
        raise NotAStripeEvent
    return value


def parse_stripe_event(payload: bytes) -> pb.PaymentNotice:
    """The notice ticketing_svc needs from a Stripe event (``id``, ``type``, ``data.object.id``
    and ``data.object.metadata.order_id`` when there is one); :class:`NotAStripeEvent` otherwise."""
    try:
        event: Any = json.loads(payload)
    except ValueError:  # json.JSONDecodeError, UnicodeDecodeError
        raise NotAStripeEvent from None
    if not isinstance(event, dict):
        raise NotAStripeEvent
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise NotAStripeEvent
    metadata = obj.get("metadata")
    order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
    notice_id, notice_type, object_id = _text(event.get("id")), _text(event.get("type")), _text(obj.get("id"))
    if not notice_id or not notice_type:
        raise NotAStripeEvent
    return pb.PaymentNotice(
        provider="stripe",
        notice_id=notice_id,
        notice_type=notice_type,
        object_id=object_id,
        order_id=_text(order_id) if order_id is not None else "",
    )


@router.post(
    "/api/v1/payments/stripe/webhook",
    tags=["payments"],
    response_model=PaymentNoticeReceipt,
    summary="Stripe's notifications (webhook endpoint)",
    description="For Stripe only, no token. The raw body (a Stripe event, at most 256 KiB) must be signed in "
    '`Stripe-Signature` (`t=<unix time>,v1=<HMAC-SHA256 hex of "{t}.{body}">`) by one of the endpoint\'s '
    "secrets, within 5 minutes of now; otherwise `400` and nothing happens. Every verified event is handed "
    "to ticketing, which ignores what does not concern it and anything it saw before (`duplicate`). "
    "`503` when ticketing cannot be reached: Stripe retries. No rate limit applies.",
    responses={
        200: {"description": "Received (handled now, or before: `duplicate`)"},
        400: problem("`…/invalid-signature`: missing, malformed, stale or not ours; or not a Stripe event"),
        413: problem("Larger than 256 KiB"),
        503: problem("Ticketing cannot take it now: retry later"),
    },
    openapi_extra={
        "parameters": [
            {
                "name": "Stripe-Signature",
                "in": "header",
                "required": True,
                "description": "`t=<unix time>,v1=<signature>[,v1=<signature>…]`",
                "schema": {"type": "string", "maxLength": MAX_HEADER_LENGTH},
            }
        ],
        "requestBody": {
            "required": True,
            "description": "A Stripe event, exactly as Stripe sent it (its bytes are what is signed)",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": True},
                    "example": {
                        "id": "evt_1QxYz2AbCdEf",
                        "object": "event",
                        "type": "checkout.session.completed",
                        "data": {
                            "object": {
                                "id": "cs_test_a1B2c3",
                                "object": "checkout.session",
                                "metadata": {"order_id": "3f2d5b1c-9e77-4a5e-9a61-0b7c1f0e8f3e"},
                            }
                        },
                    },
                }
            },
        },
    },
)
async def stripe_webhook(request: Request, response: Response, state: State) -> PaymentNoticeReceipt:
    response.headers["Cache-Control"] = "no-store"
    payload = await _read_body(request, MAX_NOTICE_BYTES)
    secrets = [secret.get_secret_value() for secret in state.settings.stripe_webhook_secrets]
    try:
        verify(payload, request.headers.get("stripe-signature"), secrets)
    except InvalidSignature as exc:
        PAYMENT_NOTICES.labels("stripe", "invalid_signature").inc()
        raise Problem(400, str(exc), title="Invalid signature", slug="invalid-signature") from None
    try:
        notice = parse_stripe_event(payload)
    except NotAStripeEvent:
        PAYMENT_NOTICES.labels("stripe", "invalid_event").inc()
        raise Problem(400, "The body is not a Stripe event.", slug="invalid-notice") from None
    try:
        result = await state.ticketing.handle_payment_notice(notice)
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in UNAVAILABLE_CODES:
            PAYMENT_NOTICES.labels("stripe", "refused").inc()
            raise
        PAYMENT_NOTICES.labels("stripe", "unavailable").inc()
        # Any answer but a 2xx makes Stripe retry (for days, with backoff): nothing is lost.
        raise Problem(
            503, "Ticketing cannot take the notification now; retry later.", headers={"Retry-After": "30"}
        ) from None
    PAYMENT_NOTICES.labels("stripe", "duplicate" if result.duplicate else "handled").inc()
    return PaymentNoticeReceipt(received=True, duplicate=result.duplicate)
