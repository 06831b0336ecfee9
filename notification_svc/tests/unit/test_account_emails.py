"""The account holders' e-mails without I/O: someone tried to register with their address
(RegistrationAttempted on taquilla.identity.v1)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import pytest
from notification_fakes import FakeUnitOfWork, clock

from notification_svc.adapters.directory import IdentityDirectory
from notification_svc.adapters.templates import JinjaRenderer
from notification_svc.application import handlers
from notification_svc.application.handlers import Acceptance
from notification_svc.domain import commands
from notification_svc.domain.errors import RecipientUnavailable
from notification_svc.domain.model import RecipientRole, notifications_for
from taquilla.identity.v1 import identity_service_pb2 as pb
from taquilla_runtime.messaging.envelope import Envelope

pytestmark = pytest.mark.asyncio(loop_scope="session")


SCHEMA = Path(pb.__file__).with_name("messages.schema.json")


def attempt(user_id: uuid.UUID | None = None) -> Envelope:
    """A message as identity_svc publishes it (taquilla.identity.v1)."""
    user_id = user_id or uuid.uuid4()
    return Envelope.new(
        event_id=user_id,
        name="account",
        type="RegistrationAttempted",
        payload={"user": {"id": str(user_id)}},
        occurred_at=clock(),
    )


async def test_the_sample_is_a_message_identitys_contract_accepts() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert [error.message for error in validator.iter_errors(attempt().to_dict())] == []


async def test_a_registration_attempt_notifies_the_accounts_holder_once() -> None:
    envelope = attempt()
    (notification,) = notifications_for(envelope, clock())
    assert notification.recipient_role is RecipientRole.ACCOUNT_HOLDER
    uow = FakeUnitOfWork()
    first = await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)
    assert first.acceptance is Acceptance.DELIVER
    for pending in first.pending:
        pending.record_sent(clock())
        async with uow:
            await uow.notifications.save(pending)
            await uow.commit()
    again = await handlers.accept_message(commands.AcceptMessage(envelope), uow, clock)
    assert again.acceptance is Acceptance.DUPLICATE


@pytest.mark.parametrize(
    ("locale", "subject", "says"),
    [
        ("es", "Alguien intentó registrarse con tu dirección", "No cambió nada"),
        ("en", "Someone tried to register with your address", "Nothing was changed"),
    ],
)
async def test_the_mail_reads_in_the_holders_language_and_links_the_sign_in(
    locale: str, subject: str, says: str
) -> None:
    envelope = attempt()
    context = handlers._context(envelope, "Rita Prueba")
    message = JinjaRenderer(web_app_url="https://tickets.example.org/").render(
        "RegistrationAttempted", locale, context
    )
    assert message.subject == subject
    assert says in message.text
    assert "Rita Prueba" in message.text
    assert "https://tickets.example.org/login" in message.text
    assert 'href="https://tickets.example.org/login"' in message.html


async def test_a_message_naming_no_account_reaches_nobody() -> None:
    directory = IdentityDirectory("127.0.0.1:1", operations_email="ops@example.org", operations_locale="es")
    with pytest.raises(RecipientUnavailable):
        await directory.contact(RecipientRole.ACCOUNT_HOLDER, {"user": {"id": "not-a-uuid"}})
    with pytest.raises(RecipientUnavailable):
        await directory.contact(RecipientRole.ACCOUNT_HOLDER, {})
