"""What the use cases need from the outside world. Adapters implement these; unit tests fake them."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import taquilla_runtime.unit_of_work
from notification_svc.application.webhook_ports import Webhooks
from notification_svc.domain.model import Message, Notification, NotificationStatus, RecipientRole


@dataclass(frozen=True)
class Contact:
    address: str
    name: str
    locale: str


@dataclass(frozen=True)
class Enclosure:
    """A file an e-mail carries: attached, or shown inline where the HTML says ``cid:<content_id>``."""

    content: bytes
    content_type: str  # "image/png", "application/pdf"
    filename: str
    content_id: str = ""  # set for an inline part; empty for an attachment


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    enclosures: tuple[Enclosure, ...] = ()


@dataclass(frozen=True)
class OrderTickets:
    """What an order confirmation carries: the PDF of every ticket, and each ticket's QR code by
    ticket id (inline; a ticket that no longer admits anyone has none)."""

    pdf: Enclosure
    qr_codes: Mapping[str, Enclosure] = field(default_factory=dict)


class Notifications(abc.ABC):
    """Notifications with the messages they were made from (the inbox)."""

    @abc.abstractmethod
    async def for_message(self, message_id: uuid.UUID, *, for_update: bool = False) -> Sequence[Notification]:
        """The message's notifications by id; ``for_update`` locks them until the transaction ends."""

    @abc.abstractmethod
    async def add_all(self, envelope: Message, notifications: Sequence[Notification]) -> bool:
        """Keeps the message and its notifications; False when it was recorded before (unique constraint)."""

    @abc.abstractmethod
    async def envelope(self, message_id: uuid.UUID) -> Message | None:
        """The message as it arrived, or None when it is no longer kept."""

    @abc.abstractmethod
    async def get(self, notification_id: uuid.UUID, *, for_update: bool = False) -> Notification | None:
        """The notification, or None; ``for_update`` locks it until the transaction ends."""

    @abc.abstractmethod
    async def save(self, notification: Notification) -> None:
        """Writes back the notification's status, attempts, last error and update time."""

    @abc.abstractmethod
    async def page(
        self,
        *,
        status: NotificationStatus | None,
        event_id: uuid.UUID | None,
        before: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Notification]:
        """Up to ``limit`` notifications, newest first, older than the given (created_at, id)."""


class UnitOfWork(taquilla_runtime.unit_of_work.UnitOfWork):
    """One transaction over this service's repositories: committed together, or not at all."""

    notifications: Notifications
    webhooks: Webhooks


class Directory(abc.ABC):
    """Who receives a notification, and how to address them."""

    @abc.abstractmethod
    async def contact(self, role: RecipientRole, payload: dict[str, Any]) -> Contact:
        """Raises RecipientUnavailable (skip) or DeliveryFailed (retry)."""


class TicketDocuments(abc.ABC):
    """The tickets of a paid order as the buyer keeps them, from ticketing_svc."""

    @abc.abstractmethod
    async def for_order(self, order_id: str, ticket_ids: Sequence[str]) -> OrderTickets:
        """The order's PDF and its tickets' QR codes; raises DeliveryFailed (retried unless permanent)."""


class Renderer(abc.ABC):
    @abc.abstractmethod
    def render(self, message_type: str, locale: str, context: dict[str, Any]) -> RenderedMessage:
        """The message's subject and bodies in the recipient's language."""


class ChannelSender(abc.ABC):
    @abc.abstractmethod
    async def send(self, notification: Notification, contact: Contact, message: RenderedMessage) -> None:
        """Hands the message to the channel; raises DeliveryFailed."""
