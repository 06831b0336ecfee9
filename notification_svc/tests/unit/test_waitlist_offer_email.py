"""The e-mail of a waiting list's offer: sent to the offer's account, in its language, with a link
to check the held places out, and the message's shape checked against ticketing's contract."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from notification_factories import make_offer_envelope
from notification_fakes import (
    CUSTOMER,
    FakeChannel,
    FakeDirectory,
    FakeRenderer,
    FakeTicketDocuments,
    FakeUnitOfWork,
    clock,
)

from notification_svc.adapters.directory import IdentityDirectory
from notification_svc.adapters.templates import JinjaRenderer
from notification_svc.application import handlers
from notification_svc.domain import commands
from notification_svc.domain.errors import RecipientUnavailable
from notification_svc.domain.model import RecipientRole, RetryPolicy, notifications_for
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb

pytestmark = pytest.mark.asyncio(loop_scope="session")
SCHEMA = Path(pb.__file__).with_name("messages.schema.json")


async def test_the_factory_makes_an_offer_ticketings_contract_accepts() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert [e.message for e in validator.iter_errors(make_offer_envelope().to_dict())] == []


async def test_an_offer_is_mailed_once_to_the_account_it_is_for() -> None:
    envelope = make_offer_envelope()
    [notification] = notifications_for(envelope)
    assert notification.recipient_role is RecipientRole.CUSTOMER
    uow = FakeUnitOfWork()
    first = await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)
    again = await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)
    # Recorded once: a redelivery before the first delivery finds the same notification pending.
    assert [n.id for n in again.pending] == [n.id for n in first.pending] == [notification.id]


async def test_an_offer_naming_no_account_reaches_nobody() -> None:
    directory = IdentityDirectory("127.0.0.1:1", operations_email="ops@example.org", operations_locale="es")
    envelope = make_offer_envelope(customer_id="not-an-account")
    with pytest.raises(RecipientUnavailable):
        await directory.contact(RecipientRole.CUSTOMER, envelope.payload)


@pytest.mark.parametrize(
    ("locale", "subject", "says"),
    [
        ("es", "Hay lugares para ti en «Festival", "te guardamos 2 lugares en Platea"),
        ("en", 'Places are waiting for you at "Festival', "we are holding 2 places in Platea"),
    ],
)
async def test_the_offer_mail_says_what_is_held_until_when_and_links_the_checkout(
    locale: str, subject: str, says: str
) -> None:
    envelope = make_offer_envelope()
    context = handlers._context(envelope, "Rita Prueba")
    message = JinjaRenderer(web_app_url="https://tickets.example.org/").render(
        "WaitlistOffered", locale, context
    )
    checkout = f"https://tickets.example.org/checkout/{envelope.payload['offer']['reservationId']}"
    assert subject in message.subject
    assert says in message.text
    assert "20:10 UTC" in message.text
    assert checkout in message.text
    assert f'href="{checkout}"' in message.html


async def test_the_offer_mail_is_delivered_to_the_accounts_address() -> None:
    envelope = make_offer_envelope()
    uow, channel = FakeUnitOfWork(), FakeChannel()
    (notification,) = (await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)).pending
    attempt = await handlers.attempt_delivery(
        commands.AttemptDelivery(notification, envelope),
        uow,
        clock,
        directory=FakeDirectory(),
        renderer=FakeRenderer(),
        channel=channel,
        policy=RetryPolicy(max_attempts=3),
        tickets=FakeTicketDocuments(),
    )
    assert attempt.outcome is handlers.AttemptOutcome.SENT
    assert [address for _, address, _ in channel.sent] == [CUSTOMER.address]
