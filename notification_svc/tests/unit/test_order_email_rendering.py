"""The buyers' e-mails without I/O: which ticketing messages are mailed, the confirmation never
without its tickets, money and instants in the buyer's language, and the MIME shape (each QR code
inline, the PDF attached)."""

from __future__ import annotations

import email
import email.policy
import io
import json
from email.message import EmailMessage
from pathlib import Path

import jsonschema
import pytest
import zxingcpp
from notification_factories import make_order_envelope, make_reservation_envelope, money
from notification_fakes import (
    FakeChannel,
    FakeDirectory,
    FakeRenderer,
    FakeTicketDocuments,
    FakeUnitOfWork,
    clock,
)
from PIL import Image

from notification_svc.adapters.directory import IdentityDirectory
from notification_svc.adapters.email import SmtpEmailSender
from notification_svc.adapters.templates import JinjaRenderer, format_instant, format_money
from notification_svc.adapters.ticketing import qr_content_id, qr_png
from notification_svc.application import handlers
from notification_svc.application.handlers import Acceptance, AttemptOutcome
from notification_svc.application.ports import Contact, Enclosure, OrderTickets, RenderedMessage
from notification_svc.domain import commands
from notification_svc.domain.errors import DeliveryFailed, RecipientUnavailable
from notification_svc.domain.model import NotificationStatus, RecipientRole, RetryPolicy, notifications_for
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla_runtime.messaging.envelope import Envelope

pytestmark = pytest.mark.asyncio(loop_scope="session")
POLICY = RetryPolicy(max_attempts=3)


async def deliver_once(
    envelope: Envelope,
    tickets: FakeTicketDocuments,
    channel: FakeChannel,
    renderer: FakeRenderer | None = None,
) -> handlers.DeliveryAttempt:
    uow = FakeUnitOfWork()
    accepted = await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)
    (notification,) = accepted.pending
    return await handlers.attempt_delivery(
        commands.AttemptDelivery(notification, envelope),
        uow,
        clock,
        directory=FakeDirectory(),
        renderer=renderer or FakeRenderer(),
        channel=channel,
        policy=POLICY,
        tickets=tickets,
    )


SCHEMA = Path(pb.__file__).with_name("messages.schema.json")


@pytest.mark.parametrize(
    "envelope",
    [make_order_envelope(kind) for kind in ("OrderPlaced", "OrderPaid", "OrderPaymentFailed", "OrderExpired")]
    + [make_order_envelope("OrderRefunded", refund={"reason": "sold_out_after_expiry"})]
    + [make_reservation_envelope()],
    ids=lambda envelope: envelope.type,
)
async def test_the_factories_make_messages_ticketings_contract_accepts(envelope: Envelope) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert [error.message for error in validator.iter_errors(envelope.to_dict())] == []


@pytest.mark.parametrize("kind", ["OrderPaid", "OrderPaymentFailed", "OrderExpired", "OrderRefunded"])
async def test_each_order_message_notifies_its_buyer_once(kind: str) -> None:
    envelope = make_order_envelope(kind)
    (notification,) = notifications_for(envelope, clock())
    assert notification.recipient_role is RecipientRole.BUYER
    assert (notification.event_id, notification.name) == (envelope.event_id, envelope.name)


@pytest.mark.parametrize(
    "kind", ["ReservationHeld", "ReservationReleased", "ReservationExpired", "OrderPlaced"]
)
async def test_other_ticketing_messages_are_ignored(kind: str) -> None:
    envelope = (
        make_reservation_envelope(kind) if kind.startswith("Reservation") else make_order_envelope(kind)
    )
    accepted = await handlers.accept_message(commands.AcceptMessage(envelope), FakeUnitOfWork(), clock)
    assert accepted.acceptance is Acceptance.IGNORED


async def test_a_confirmation_carries_each_tickets_qr_code_then_the_pdf() -> None:
    envelope = make_order_envelope("OrderPaid")
    ticket_ids = [t["id"] for t in envelope.payload["tickets"]]
    tickets, channel, renderer = FakeTicketDocuments(), FakeChannel(), FakeRenderer()
    attempt = await deliver_once(envelope, tickets, channel, renderer)
    assert attempt.outcome is AttemptOutcome.SENT
    assert tickets.asked == [(envelope.payload["order"]["id"], ticket_ids)]
    (message,) = channel.messages
    assert [e.content_id for e in message.enclosures] == [*(f"qr-{i}@test" for i in ticket_ids), ""]
    assert message.enclosures[-1].content_type == "application/pdf"
    assert [t["qr"] for t in renderer.contexts[0]["tickets"]] == [f"qr-{i}@test" for i in ticket_ids]


async def test_a_confirmation_is_not_sent_while_its_tickets_cannot_be_had() -> None:
    envelope = make_order_envelope("OrderPaid")
    channel = FakeChannel()
    attempt = await deliver_once(
        envelope, FakeTicketDocuments(DeliveryFailed("ticketing_svc UNAVAILABLE")), channel
    )
    assert (attempt.outcome, attempt.reason) == (AttemptOutcome.RETRYABLE, "ticketing_svc UNAVAILABLE")
    assert attempt.notification.status is NotificationStatus.PENDING
    assert channel.sent == []


async def test_a_confirmation_whose_order_ticketing_does_not_know_is_given_up() -> None:
    failure = DeliveryFailed("ticketing_svc NOT_FOUND", permanent=True)
    attempt = await deliver_once(
        make_order_envelope("OrderPaid"), FakeTicketDocuments(failure), FakeChannel()
    )
    assert attempt.outcome is AttemptOutcome.GAVE_UP


async def test_only_the_confirmation_asks_ticketing_for_documents() -> None:
    tickets, channel = FakeTicketDocuments(), FakeChannel()
    await deliver_once(make_order_envelope("OrderRefunded"), tickets, channel)
    assert tickets.asked == []
    assert channel.messages[0].enclosures == ()


async def test_a_notification_handled_before_is_not_sent_again() -> None:
    envelope = make_order_envelope("OrderExpired")
    uow, channel = FakeUnitOfWork(), FakeChannel()
    (notification,) = (await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)).pending
    for _ in range(2):  # the second with the stale copy a concurrent consumer would hold
        last = await handlers.attempt_delivery(
            commands.AttemptDelivery(notification, envelope),
            uow,
            clock,
            directory=FakeDirectory(),
            renderer=FakeRenderer(),
            channel=channel,
            policy=POLICY,
            tickets=FakeTicketDocuments(),
        )
    assert last.outcome is AttemptOutcome.HANDLED_BEFORE
    assert len(channel.sent) == 1


async def test_the_buyer_is_whoever_the_order_names() -> None:
    directory = IdentityDirectory("127.0.0.1:1", operations_email="ops@example.org", operations_locale="es")
    envelope = make_order_envelope("OrderExpired", locale="en", email="rita@example.com")
    assert await directory.contact(RecipientRole.BUYER, envelope.payload) == Contact(
        "rita@example.com", "Rita Prueba", "en"
    )
    envelope.payload["order"]["buyer"]["email"] = ""
    with pytest.raises(RecipientUnavailable):
        await directory.contact(RecipientRole.BUYER, envelope.payload)


@pytest.mark.parametrize(
    ("amount", "currency", "language", "written"),
    [
        ("240000.00", "COP", "es", "COP 240.000"),
        ("240000.00", "COP", "en", "COP 240,000"),
        ("1234.50", "EUR", "es", "1.234,50 €"),
        ("1234.50", "EUR", "en", "€1,234.50"),
        ("0.10", "USD", "en", "$0.10"),
        ("99.99", "CLP", "es", "CLP 99,99"),
        ("1000000.05", "MXN", "es", "$1,000,000.05 MXN"),
    ],
)
async def test_money_is_written_as_the_buyers_language_writes_it(
    amount: str, currency: str, language: str, written: str
) -> None:
    assert format_money(money(amount, currency), language) == written


async def test_instants_are_written_to_the_minute_in_utc() -> None:
    assert format_instant("2027-03-01T20:10:59Z", "es") == "01/03/2027 20:10 UTC"
    assert format_instant("2027-03-01T20:10:59Z", "en") == "2027-03-01 20:10 UTC"


def render(
    kind: str, locale: str, envelope: Envelope | None = None, enclosed: OrderTickets | None = None
) -> RenderedMessage:
    envelope = envelope or make_order_envelope(kind, locale=locale)
    context = handlers._context(envelope, "Rita Prueba", enclosed)
    return JinjaRenderer(web_app_url="https://tickets.example.org/").render(kind, locale, context)


@pytest.mark.parametrize(
    ("kind", "locale", "subject", "says"),
    [
        ("OrderPaid", "es", "Tus entradas para «Festival", "Total: COP 240.000"),
        ("OrderPaid", "en", 'Your tickets for "Festival', "Total: COP 240,000"),
        ("OrderPaymentFailed", "es", "fue rechazado", "hasta el 01/03/2027 20:10 UTC"),
        ("OrderPaymentFailed", "en", "was declined", "until 2027-03-01 20:10 UTC"),
        ("OrderExpired", "es", "venció", "volvieron a la venta"),
        ("OrderExpired", "en", "expired", "back on sale"),
        ("OrderRefunded", "es", "Te reembolsamos", "Te reembolsamos COP 120.000"),
        ("OrderRefunded", "en", "We refunded", "We refunded COP 120,000"),
    ],
)
async def test_each_order_mail_reads_in_the_buyers_language_and_links_the_order(
    kind: str, locale: str, subject: str, says: str
) -> None:
    envelope = make_order_envelope(kind, locale=locale)
    message = render(kind, locale, envelope)
    order_url = f"https://tickets.example.org/orders/{envelope.payload['order']['id']}"
    assert subject in message.subject
    assert says in message.text
    assert order_url in message.text
    assert f'href="{order_url}"' in message.html


async def test_an_unknown_language_reads_in_spanish() -> None:
    assert "Tu pedido" in render("OrderExpired", "fr").subject


async def test_a_refund_says_how_much_was_refunded_so_far() -> None:
    envelope = make_order_envelope("OrderRefunded", locale="en")
    envelope.payload["order"]["refunded"] = money("180000.00")
    assert "(COP 180,000 of COP 240,000 refunded so far)" in render("OrderRefunded", "en", envelope).text


@pytest.mark.parametrize(
    ("locale", "explains"), [("es", "ya se habían vendido"), ("en", "they had been sold")]
)
async def test_a_refund_of_a_payment_that_came_after_the_hold_explains_why(
    locale: str, explains: str
) -> None:
    refund = {"amount": money("240000.00"), "reason": "sold_out_after_expiry"}
    envelope = make_order_envelope("OrderRefunded", locale=locale, refund=refund)
    message = render("OrderRefunded", locale, envelope)
    assert explains in message.text
    assert explains in message.html
    assert "240" in message.text


def decode_qr(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_the_mail_shows_each_qr_code_inline_and_attaches_the_pdf() -> None:
    envelope = make_order_envelope("OrderPaid", locale="en")
    ids = [t["id"] for t in envelope.payload["tickets"]]
    qr_codes = [
        Enclosure(qr_png(f"secret-{i}"), "image/png", f"ticket-{i}.png", qr_content_id(i)) for i in ids
    ]
    pdf = Enclosure(b"%PDF-1.4 tickets", "application/pdf", "taquilla-order.pdf")
    message = render("OrderPaid", "en", envelope, OrderTickets(pdf, dict(zip(ids, qr_codes, strict=True))))
    message = RenderedMessage(message.subject, message.text, message.html, (*qr_codes, pdf))
    (notification,) = notifications_for(envelope, clock())
    built = SmtpEmailSender("127.0.0.1", 1, "Taquilla <no-reply@example.org>").build(
        notification, Contact("rita@example.com", "Rita Prueba", "en"), message
    )
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert [str(p["Content-ID"]) for p in images] == [f"<qr-{i}@taquilla.local>" for i in ids]
    for ticket_id, image in zip(ids, images, strict=True):
        assert f'src="cid:qr-{ticket_id}@taquilla.local"' in html
        assert decode_qr(image.get_content()) == [f"secret-{ticket_id}"]
    (attached,) = [p for p in parsed.walk() if p.get_content_disposition() == "attachment"]
    assert (attached.get_content_type(), attached.get_filename()) == ("application/pdf", "taquilla-order.pdf")
    assert attached.get_content() == b"%PDF-1.4 tickets"
