"""Email over SMTP (aiosmtplib): one channel behind the ChannelSender interface."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from notification_svc.application.ports import ChannelSender, Contact, RenderedMessage
from notification_svc.domain.errors import DeliveryFailed
from notification_svc.domain.model import Notification


class SmtpEmailSender(ChannelSender):
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        timeout: float = 10.0,
        message_domain: str = "taquilla.local",
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout
        self._domain = message_domain

    def build(self, notification: Notification, contact: Contact, message: RenderedMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = contact.address
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        # Stable per notification: a resend after an uncertain delivery is recognizable as the same mail.
        email["Message-ID"] = f"<{notification.id}@{self._domain}>"
        email["X-Taquilla-Correlation-ID"] = str(notification.correlation_id)
        email.set_content(message.text)
        email.add_alternative(message.html, subtype="html")
        return email

    async def send(self, notification: Notification, contact: Contact, message: RenderedMessage) -> None:
        try:
            await aiosmtplib.send(
                self.build(notification, contact, message),
                hostname=self._host,
                port=self._port,
                timeout=self._timeout,
                start_tls=False,
                use_tls=False,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx: try again later; 5xx: the server will never take it.
            raise DeliveryFailed(f"SMTP {exc.code}", permanent=exc.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"SMTP unavailable ({type(exc).__name__})") from None
