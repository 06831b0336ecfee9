"""Which domain events notify whom, and the life of one notification."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol


class Message(Protocol):
    """What notifications are made from: a message of another service, as the domain reads it.

    The platform's envelope (``taquilla_runtime.messaging.envelope.Envelope``) is one; the domain
    names only the fields it reads, so it does not depend on the messaging code.
    """

    @property
    def message_id(self) -> uuid.UUID: ...
    @property
    def event_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def occurred_at(self) -> dt.datetime: ...
    @property
    def correlation_id(self) -> uuid.UUID: ...
    @property
    def type(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def version(self) -> int: ...


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class RecipientRole(enum.StrEnum):
    ORGANIZER = "organizer"  # the user who created the event
    OPERATIONS = "operations"  # the configured operations mailbox
    BUYER = "buyer"  # who placed the order, at the address the order names (taquilla.ticketing.v1)
    SENDER = "sender"  # who sent a ticket, at their account's address the transfer names
    RECIPIENT = "recipient"  # to whom a ticket was sent, at the address the transfer names
    # The account a waiting list's offer is for (taquilla.ticketing.v1 WaitlistOffered), at the
    # address and in the language of its account (looked up in identity_svc).
    CUSTOMER = "customer"
    ACCOUNT_HOLDER = "account_holder"  # the account the message names (taquilla.identity.v1)
    # Who registered a webhook endpoint that was just disabled (the operations mailbox when an API
    # client registered it: it has no address).
    ENDPOINT_OWNER = "endpoint_owner"


class SendingState(enum.StrEnum):
    IDLE = "idle"
    BUSY = "busy"  # another attempt holds a live sending lease
    INTERRUPTED = "interrupted"  # its holder died between handing it over and recording the outcome


INTERRUPTED_REASON = "interrupted while being sent: it may have been delivered; retry to send it again"


class Channel(enum.StrEnum):
    EMAIL = "email"


# Domain-event types that cause notifications, and who receives each. Every other type (the
# ticketing topic's ReservationHeld, ZoneSoldOut, ...) is read and ignored.
AUDIENCES: dict[str, tuple[RecipientRole, ...]] = {
    "EventCreated": (RecipientRole.ORGANIZER,),
    "EventPublished": (RecipientRole.ORGANIZER, RecipientRole.OPERATIONS),
    "OrderPaid": (RecipientRole.BUYER,),
    "OrderPaymentFailed": (RecipientRole.BUYER,),
    "OrderExpired": (RecipientRole.BUYER,),
    "OrderRefunded": (RecipientRole.BUYER,),
    "TicketTransferOffered": (RecipientRole.RECIPIENT,),
    "TicketTransferred": (RecipientRole.SENDER, RecipientRole.RECIPIENT),
    "WaitlistOffered": (RecipientRole.CUSTOMER,),
    "RegistrationAttempted": (RecipientRole.ACCOUNT_HOLDER,),
    # notification_svc's own: a partner's webhook endpoint was disabled (410 Gone, or failing for a day).
    "WebhookEndpointDisabled": (RecipientRole.ENDPOINT_OWNER,),
}

# Messages whose e-mail carries the order's tickets (each QR code and the PDF): it is never sent
# without them, so while ticketing_svc cannot hand them over the delivery fails and is retried.
ENCLOSES_TICKETS = frozenset({"OrderPaid"})


def payload_sha256(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Notification:
    id: uuid.UUID
    message_id: uuid.UUID
    event_id: uuid.UUID
    name: str
    type: str
    occurred_at: dt.datetime
    correlation_id: uuid.UUID
    payload_sha256: str
    recipient_role: RecipientRole
    channel: Channel
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    updated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # The sending lease: when an attempt handed the notification to its channel, until it records
    # how that ended. Committed before the channel is called, so a process that dies in between
    # leaves it behind, and nobody sends the notification again blindly.
    sending_since: dt.datetime | None = None

    @property
    def done(self) -> bool:
        return self.status in (NotificationStatus.SENT, NotificationStatus.SKIPPED)

    def begin_sending(self, now: dt.datetime) -> None:
        self.sending_since = now
        self.updated_at = now

    def sending_state(self, now: dt.datetime, lease: dt.timedelta) -> SendingState:
        """Whether an earlier attempt is handing this notification to its channel right now
        (``BUSY``), died while doing so (``INTERRUPTED``: it may have been delivered), or neither."""
        if self.sending_since is None:
            return SendingState.IDLE
        return SendingState.BUSY if now < self.sending_since + lease else SendingState.INTERRUPTED

    def record_sent(self, now: dt.datetime) -> None:
        self.attempts += 1
        self.status = NotificationStatus.SENT
        self.last_error = None
        self.sending_since = None
        self.updated_at = now

    def record_failure(self, reason: str, now: dt.datetime) -> None:
        self.attempts += 1
        self.last_error = reason[:500]
        self.sending_since = None
        self.updated_at = now

    def give_up(self, now: dt.datetime) -> None:
        self.status = NotificationStatus.FAILED
        self.sending_since = None
        self.updated_at = now

    def give_up_interrupted(self, now: dt.datetime) -> None:
        """The attempt that held the lease never said how the send ended: the e-mail may have been
        delivered. It is not sent again on its own (that could deliver it twice); it is FAILED with
        this reason, for an operator to retry (the same Message-ID) if the recipient did not get it."""
        self.last_error = INTERRUPTED_REASON
        self.give_up(now)

    def skip(self, reason: str, now: dt.datetime) -> None:
        self.status = NotificationStatus.SKIPPED
        self.last_error = reason[:500]
        self.sending_since = None
        self.updated_at = now

    def reopen(self, now: dt.datetime) -> None:
        """An operator asked for another try of a failed notification."""
        self.status = NotificationStatus.PENDING
        self.sending_since = None
        self.updated_at = now


def notifications_for(envelope: Message, now: dt.datetime | None = None) -> list[Notification]:
    """The notifications a message asks for (none for types nobody is told about), created ``now``."""
    at = now if now is not None else dt.datetime.now(dt.UTC)
    return [
        Notification(
            id=uuid.uuid5(envelope.message_id, f"{role.value}:{Channel.EMAIL.value}"),
            message_id=envelope.message_id,
            event_id=envelope.event_id,
            name=envelope.name,
            type=envelope.type,
            occurred_at=envelope.occurred_at,
            correlation_id=envelope.correlation_id,
            payload_sha256=payload_sha256(envelope.payload),
            recipient_role=role,
            channel=Channel.EMAIL,
            created_at=at,
            updated_at=at,
        )
        for role in AUDIENCES.get(envelope.type, ())
    ]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and delay."""

    max_attempts: int = 5
    base_seconds: float = 0.5
    max_seconds: float = 30.0
    # How long an attempt may take to hand a notification to its channel: a sending lease older
    # than this was left by a process that died (longer than the channel's own timeout).
    sending_lease_seconds: float = 120.0

    @property
    def sending_lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.sending_lease_seconds)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failure (1-based)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not cryptography)
