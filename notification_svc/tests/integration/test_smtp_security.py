"""Mail over a protected SMTP connection: STARTTLS or TLS from the first byte, with AUTH, against a
real SMTP server that verifies both; and production refusing plain SMTP to another machine."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from devstack.processes import free_port
from notification_svc.adapters.email import SmtpEmailSender
from notification_svc.application.ports import Contact, RenderedMessage
from notification_svc.config import Settings
from notification_svc.domain.errors import DeliveryFailed
from notification_svc.domain.model import Channel, Notification, RecipientRole

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    # The implicitly-TLS server cannot tell aiosmtpd that its connection is TLS, hence its warning.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]
USER, PASSWORD = "taquilla", "Relay-Password-For-Tests"
DATABASE_URL = "postgresql+asyncpg://notification_svc:A-Real-Secret-9@db.internal:5432/taquilla_notifications"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp.crt", directory / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class Inbox:
    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.append(envelope.rcpt_tos[0])
        return "250 OK"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("smtp-tls"))


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=server_context(certificate),
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,  # the whole connection is TLS: aiosmtpd cannot tell on its own
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def send(sender: SmtpEmailSender, to: str) -> None:
    notification = Notification(
        id=uuid.uuid4(),
        message_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        name="account",
        type="RegistrationAttempted",
        occurred_at=dt.datetime.now(dt.UTC),
        correlation_id=uuid.uuid4(),
        payload_sha256="0" * 64,
        recipient_role=RecipientRole.ACCOUNT_HOLDER,
        channel=Channel.EMAIL,
    )
    await sender.send(notification, Contact(to, "Rita", "es"), RenderedMessage("Hola", "Hola", "<p>Hola</p>"))


def sender(port: int, certificate: tuple[Path, Path], **options: Any) -> SmtpEmailSender:
    return SmtpEmailSender(
        "127.0.0.1", port, "Taquilla <no-reply@example.org>", ca_file=str(certificate[0]), **options
    )


async def test_starttls_with_authentication_delivers(
    starttls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = starttls_server
    await send(
        sender(port, certificate, security="starttls", username=USER, password=PASSWORD), "a@example.com"
    )
    assert inbox.accepted == ["a@example.com"]


async def test_a_server_requiring_starttls_refuses_plain_smtp_and_a_wrong_password(
    starttls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = starttls_server
    with pytest.raises(DeliveryFailed):
        await send(
            sender(port, certificate, security="none", username=USER, password=PASSWORD), "b@example.com"
        )
    with pytest.raises(DeliveryFailed):
        await send(
            sender(port, certificate, security="starttls", username=USER, password="wrong"), "c@example.com"
        )
    assert inbox.accepted == []


async def test_tls_from_the_first_byte_with_authentication_delivers(
    tls_server: tuple[Inbox, int], certificate: tuple[Path, Path]
) -> None:
    inbox, port = tls_server
    await send(sender(port, certificate, security="tls", username=USER, password=PASSWORD), "d@example.com")
    assert inbox.accepted == ["d@example.com"]


async def test_a_certificate_nobody_vouches_for_is_refused(tls_server: tuple[Inbox, int]) -> None:
    inbox, port = tls_server
    untrusted = SmtpEmailSender(
        "127.0.0.1", port, "x@example.org", security="tls", username=USER, password=PASSWORD
    )
    with pytest.raises(DeliveryFailed):
        await send(untrusted, "e@example.com")
    assert inbox.accepted == []


def settings(**overrides: Any) -> Settings:
    secrets = {"principal_secrets": ["the-platform-principal-secret-0123456789"]}  # production's check
    return Settings(database_url=DATABASE_URL, **secrets | overrides)


async def test_production_refuses_plain_smtp_to_another_machine() -> None:
    with pytest.raises(ValidationError, match="smtp_security"):
        settings(environment="production", smtp_host="smtp.example.org")
    assert settings(environment="production", smtp_host="smtp.example.org", smtp_security="starttls")
    assert settings(environment="production", smtp_host="127.0.0.1")  # a local relay
    assert settings(smtp_host="smtp.example.org")  # development: the sink is wherever it is


async def test_a_username_needs_a_password() -> None:
    with pytest.raises(ValidationError, match="smtp_password"):
        settings(smtp_username="taquilla")
