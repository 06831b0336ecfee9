"""Email over SMTP (aiosmtplib): one channel behind the ChannelSender interface.

``security`` is how the connection is protected: ``none`` (plain, for a local relay or sink),
``starttls`` (plain, then upgraded before anything is sent: usually port 587) or ``tls`` (TLS from the
first byte: usually port 465). With TLS the server's certificate is verified against the system's
authorities, or ``ca_file`` when given. ``username`` and ``password`` sign in (AUTH) when set.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

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
        security: Literal["none", "starttls", "tls"] = "none",
        username: str = "",
        password: str = "",
        ca_file: str = "",
    ) -> None:
        self._security = security
        self._username = username or None
        self._password = password or None
        self._ca_file = ca_file or None
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
        inline = [e for e in message.enclosures if e.content_id]
        attached = [e for e in message.enclosures if not e.content_id]
        if inline:
            # multipart/related around the HTML: its <img src="cid:..."> find the images inside it.
            html = next(part for part in email.iter_parts() if part.get_content_type() == "text/html")
            for image in inline:
                maintype, subtype = image.content_type.split("/", 1)
                html.add_related(
                    image.content,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{image.content_id}>",
                    filename=image.filename,
                    disposition="inline",
                )
        for enclosure in attached:
            maintype, subtype = enclosure.content_type.split("/", 1)
            email.add_attachment(
                enclosure.content, maintype=maintype, subtype=subtype, filename=enclosure.filename
            )
        return email

    async def send(self, notification: Notification, contact: Contact, message: RenderedMessage) -> None:
        try:
            await aiosmtplib.send(
                self.build(notification, contact, message),
                hostname=self._host,
                port=self._port,
                timeout=self._timeout,
                start_tls=self._security == "starttls",
                use_tls=self._security == "tls",
                cert_bundle=self._ca_file,
                username=self._username,
                password=self._password,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx: try again later; 5xx: the server will never take it.
            raise DeliveryFailed(f"SMTP {exc.code}", permanent=exc.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"SMTP unavailable ({type(exc).__name__})") from None
