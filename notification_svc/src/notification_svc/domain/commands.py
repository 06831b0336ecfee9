"""What the consumer and operators ask notification_svc to do (imperative)."""

from __future__ import annotations

import datetime as dt
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


# ---------------------------------------------------------------- webhooks


@dataclass(frozen=True, slots=True)
class WebhookActor:
    """Who manages webhooks, as the edge verified them: an organizer or a partner's API client of
    one organization (``organization_id``), or an administrator (any organization)."""

    subject: uuid.UUID
    organization_id: uuid.UUID | None
    is_admin: bool = False
    is_person: bool = True  # False for an API client (it has no mailbox)


@dataclass(frozen=True, slots=True)
class CreateEndpoint:
    actor: WebhookActor
    url: str
    types: tuple[str, ...]
    description: str = ""
    organization_id: uuid.UUID | None = None  # administrators name the organization


@dataclass(frozen=True, slots=True)
class UpdateEndpoint:
    """Only the fields that are not None change; ``enabled`` turns the endpoint on or off."""

    actor: WebhookActor
    endpoint_id: uuid.UUID
    url: str | None = None
    types: tuple[str, ...] | None = None
    description: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class EndpointCommand:
    """Read, delete or rotate the secret of one endpoint."""

    actor: WebhookActor
    endpoint_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListEndpoints:
    actor: WebhookActor
    organization_id: uuid.UUID | None = None  # administrators: one organization, or every one
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True, slots=True)
class ListDeliveries:
    actor: WebhookActor
    endpoint_id: uuid.UUID
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True, slots=True)
class Redeliver:
    actor: WebhookActor
    endpoint_id: uuid.UUID
    delivery_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class RedeliverRange:
    """Every delivery to the endpoint created in [since, until) is attempted again."""

    actor: WebhookActor
    endpoint_id: uuid.UUID
    since: dt.datetime
    until: dt.datetime
