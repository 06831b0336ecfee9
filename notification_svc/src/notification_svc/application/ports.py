"""What the use cases need from the outside world; adapters implement these."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from notification_svc.domain.model import Notification, NotificationStatus, RecipientRole
from taquilla_runtime.messaging.envelope import Envelope


@dataclass(frozen=True)
class Contact:
    address: str
    name: str
    locale: str


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


class Notifications(Protocol):
    async def for_message(
        self, message_id: uuid.UUID, *, for_update: bool = False
    ) -> Sequence[Notification]: ...
    async def add_all(self, envelope: Envelope, notifications: Sequence[Notification]) -> bool:
        """Keeps the message and its notifications; False when it was recorded before (unique constraint)."""

    async def envelope(self, message_id: uuid.UUID) -> Envelope | None: ...
    async def get(self, notification_id: uuid.UUID, *, for_update: bool = False) -> Notification | None: ...
    async def save(self, notification: Notification) -> None: ...
    async def page(
        self,
        *,
        status: NotificationStatus | None,
        event_id: uuid.UUID | None,
        before: tuple[Any, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Notification]: ...


class UnitOfWork(Protocol):
    @property
    def notifications(self) -> Notifications: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Directory(Protocol):
    async def contact(self, role: RecipientRole, payload: dict[str, Any]) -> Contact:
        """Raises RecipientUnavailable (skip) or DeliveryFailed (retry)."""


class Renderer(Protocol):
    def render(self, message_type: str, locale: str, context: dict[str, Any]) -> RenderedMessage: ...


class ChannelSender(Protocol):
    async def send(self, notification: Notification, contact: Contact, message: RenderedMessage) -> None:
        """Raises DeliveryFailed."""
