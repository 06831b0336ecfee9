"""What the consumer and operators ask notification_svc to do (imperative)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from notification_svc.domain.model import Message, Notification, NotificationStatus


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, as the edge verified it: all notification_svc needs is whether an administrator."""

    subject: uuid.UUID
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class AcceptMessage:
    """Record the notifications a message asks for, once however often it arrives.

    ``replay`` is set when an operator sent the message back from the dead-letter topic: its failed
    notifications get another go.
    """

    envelope: Message
    replay: bool = False


@dataclass(frozen=True, slots=True)
class AttemptDelivery:
    """Try once to deliver a notification, built from the message it was made for."""

    notification: Notification
    envelope: Message


@dataclass(frozen=True, slots=True)
class ListNotifications:
    """A page of notifications, newest first; ``page_token`` is what the previous page returned."""

    actor: Actor | None
    status: NotificationStatus | None = None
    event_id: uuid.UUID | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True, slots=True)
class RetryNotification:
    """Give a failed notification another go, from the message kept when it arrived."""

    actor: Actor | None
    notification_id: uuid.UUID
