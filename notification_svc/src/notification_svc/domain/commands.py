"""What the consumer and operators ask notification_svc to do (imperative)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from notification_svc.domain.model import Notification, NotificationStatus
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.principal import Principal


@dataclass(frozen=True, slots=True)
class AcceptMessage:
    """Record the notifications a message asks for, once however often it arrives.

    ``replay`` is set when an operator sent the message back from the dead-letter topic: its failed
    notifications get another go.
    """

    envelope: Envelope
    replay: bool = False


@dataclass(frozen=True, slots=True)
class AttemptDelivery:
    """Try once to deliver a notification, built from the message it was made for."""

    notification: Notification
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class ListNotifications:
    """A page of notifications, newest first; ``page_token`` is what the previous page returned."""

    principal: Principal | None
    status: NotificationStatus | None = None
    event_id: uuid.UUID | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True, slots=True)
class RetryNotification:
    """Give a failed notification another go, from the message kept when it arrived."""

    principal: Principal | None
    notification_id: uuid.UUID
