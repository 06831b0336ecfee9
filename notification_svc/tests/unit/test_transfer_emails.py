"""The e-mails of a ticket transfer without I/O: the recipient is sent the link (with its token),
and once the ticket is taken both sides are told, each in their own words and language, once."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from notification_fakes import FakeChannel, FakeDirectory, FakeTicketDocuments, FakeUnitOfWork, clock

from notification_svc.adapters.directory import transfer_party
from notification_svc.adapters.templates import JinjaRenderer
from notification_svc.application import handlers
from notification_svc.application.handlers import Acceptance, AttemptOutcome
from notification_svc.domain import commands
from notification_svc.domain.errors import RecipientUnavailable
from notification_svc.domain.model import RecipientRole, RetryPolicy, notifications_for
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla_runtime.messaging.envelope import Envelope

pytestmark = pytest.mark.asyncio(loop_scope="session")
SCHEMA = Path(pb.__file__).with_name("messages.schema.json")
TOKEN = "k3Y-secret_link_token_0123456789abcdefABCDEF"
WEB = "https://tickets.example.org"


def make_transfer_envelope(kind: str = "TicketTransferOffered", *, locale: str = "es") -> Envelope:
    accepted = kind == "TicketTransferred"
    transfer: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "ticketId": str(uuid.uuid4()),
        "newTicketId": str(uuid.uuid4()) if accepted else None,
        "orderId": str(uuid.uuid4()),
        "sessionId": str(uuid.uuid4()),
        "status": "accepted" if accepted else "pending",
        "sender": {"name": "Ana Núñez", "email": "ana@example.com", "locale": "es"},
        "recipient": {
            "name": "Bruno Díaz" if accepted else "",
            "email": "bruno@example.com",
            "locale": locale,
        },
        "createdAt": "2027-03-01T20:00:00Z",
        "expiresAt": "2027-03-08T20:00:00Z",
        "acceptedAt": "2027-03-02T10:00:00Z" if accepted else None,
    }
    ticket = {
        "id": transfer["newTicketId"] or transfer["ticketId"],
        "zoneId": str(uuid.uuid4()),
        "zoneName": "Platea",
        "holderName": "Bruno Díaz" if accepted else "Ana Núñez",
        "price": {"amount": "120000.00", "currency": "COP"},
        "status": "valid",
    }
    payload: dict[str, Any] = {"transfer": transfer, "ticket": ticket}
    if not accepted:
        payload["token"] = TOKEN
    return Envelope.new(event_id=uuid.uuid4(), name="Festival del Caribe", type=kind, payload=payload)


@pytest.mark.parametrize("kind", ["TicketTransferOffered", "TicketTransferred"])
async def test_the_factory_makes_messages_ticketings_contract_accepts(kind: str) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    errors = [e.message for e in validator.iter_errors(make_transfer_envelope(kind).to_dict())]
    assert errors == []


async def test_an_offer_mails_the_recipient_and_a_taken_ticket_mails_both_sides() -> None:
    offered = notifications_for(make_transfer_envelope("TicketTransferOffered"), clock())
    transferred = notifications_for(make_transfer_envelope("TicketTransferred"), clock())

    assert [n.recipient_role for n in offered] == [RecipientRole.RECIPIENT]
    assert [n.recipient_role for n in transferred] == [RecipientRole.SENDER, RecipientRole.RECIPIENT]


def render(envelope: Envelope, role: RecipientRole, locale: str) -> Any:
    contact = transfer_party(role, envelope.payload)
    context = handlers._context(envelope, contact.name, role=role.value)
    return JinjaRenderer(web_app_url=WEB + "/").render(envelope.type, locale, context)


@pytest.mark.parametrize(
    ("locale", "subject", "says"),
    [
        ("es", "Te enviaron una entrada para «Festival del Caribe»", "Ana Núñez te envió una entrada"),
        ("en", 'You were sent a ticket for "Festival del Caribe"', "Ana Núñez sent you a ticket"),
    ],
)
async def test_the_offer_links_to_the_transfer_with_its_token(locale: str, subject: str, says: str) -> None:
    envelope = make_transfer_envelope(locale=locale)
    message = render(envelope, RecipientRole.RECIPIENT, locale)

    link = f"{WEB}/transfers/{envelope.payload['transfer']['id']}?token={TOKEN}"
    assert message.subject == subject
    assert says in message.text
    assert link in message.text
    assert f'href="{link}"' in message.html
    assert "bruno@example.com" in message.text


@pytest.mark.parametrize(
    ("role", "locale", "says"),
    [
        (RecipientRole.SENDER, "es", "Bruno Díaz (bruno@example.com) aceptó la entrada"),
        (RecipientRole.SENDER, "en", "Bruno Díaz (bruno@example.com) took the ticket"),
        (RecipientRole.RECIPIENT, "es", "ya es tuya, a tu nombre"),
        (RecipientRole.RECIPIENT, "en", "is yours now, in your name"),
    ],
)
async def test_a_taken_ticket_tells_each_side_its_part(role: RecipientRole, locale: str, says: str) -> None:
    message = render(make_transfer_envelope("TicketTransferred"), role, locale)

    assert says in message.text
    assert f"{WEB}/me/tickets" in message.text
    assert TOKEN not in message.text


async def test_each_side_is_mailed_once_however_often_the_message_arrives() -> None:
    envelope = make_transfer_envelope("TicketTransferred", locale="en")
    uow, channel = FakeUnitOfWork(), FakeChannel()
    accepted = await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)
    for notification in accepted.pending:
        attempt = await handlers.attempt_delivery(
            commands.AttemptDelivery(notification, envelope),
            uow,
            clock,
            directory=FakeDirectory(),
            renderer=JinjaRenderer(web_app_url=WEB),
            channel=channel,
            policy=RetryPolicy(),
            tickets=FakeTicketDocuments(),
        )
        assert attempt.outcome is AttemptOutcome.SENT

    again = await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)

    assert again.acceptance is Acceptance.DUPLICATE
    assert sorted(address for _, address, _ in channel.sent) == ["ana@example.com", "bruno@example.com"]


async def test_a_transfer_without_an_address_is_skipped() -> None:
    envelope = make_transfer_envelope()
    envelope.payload["transfer"]["recipient"]["email"] = ""
    with pytest.raises(RecipientUnavailable):
        transfer_party(RecipientRole.RECIPIENT, envelope.payload)
