"""Partners' webhooks: which platform messages become which webhook, the stable body they carry,
how it is signed (Standard Webhooks, https://www.standardwebhooks.com), and the lives of an endpoint
and of one delivery to it (retries with exponential backoff for a bounded window, then given up).

Plain Python: the HTTP call, the address checks and the storage live in adapters.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import json
import random
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from notification_svc.domain.model import Message

# Platform message type -> webhook type. Everything else on the topics is read and ignored.
WEBHOOK_TYPES: Mapping[str, str] = {
    "EventPublished": "event.published",
    "EventUpdated": "event.updated",
    "EventCancelled": "event.cancelled",
    "OrderPaid": "order.paid",
    "OrderRefunded": "order.refunded",
    "TicketCheckedIn": "ticket.checked_in",
}
KNOWN_TYPES: frozenset[str] = frozenset(WEBHOOK_TYPES.values())
# Catalog messages that say which organization an event belongs to (the event -> organization map).
OWNERSHIP_TYPES = frozenset({"EventCreated", "EventPublished", "EventUpdated", "EventCancelled"})

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix, not a secret)
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes
RESPONSE_KEPT_BYTES = 1024  # of each response, what the delivery log keeps


class WebhookError(Exception):
    pass


class EndpointNotFound(WebhookError):
    pass


class DeliveryNotFound(WebhookError):
    pass


class InvalidEndpoint(WebhookError, ValueError):
    """A field the caller sent is not acceptable: ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


class TargetRefused(WebhookError):
    """The endpoint's address may not be called (not https, private, loopback, metadata...)."""


class AttemptFailed(WebhookError):
    """The receiver could not be reached, or did not answer in time: ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- signing


def new_secret() -> str:
    """A fresh signing secret as partners see it: ``whsec_`` and the base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (its base64-decoded bytes, as the reference libraries)."""
    raw = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """Every signing secret's signature, space-separated (two during a rotation)."""
    return " ".join(signature(s, webhook_id, timestamp, body) for s in secrets_)


def webhook_id(message_id: uuid.UUID) -> str:
    """The ``webhook-id`` of a platform message: the same on every attempt and redelivery, no dots."""
    return f"msg_{message_id.hex}"


# ---------------------------------------------------------------- bodies


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _pick(source: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {name: source.get(name) for name in names}


_EVENT_FIELDS = (
    "id", "organizationId", "name", "category", "status", "startsAt", "endsAt", "timezone",
    "capacity", "publishedAt", "cancelledAt",
)  # fmt: skip
_SESSION_FIELDS = ("id", "title", "startsAt", "endsAt", "place", "status", "capacity")
_ORDER_FIELDS = (
    "id", "sessionId", "status", "total", "refunded", "createdAt", "paidAt", "ticketIds",
)  # fmt: skip
_ITEM_FIELDS = ("zoneId", "zoneName", "quantity", "unitPrice")
_TICKET_FIELDS = ("id", "zoneId", "zoneName", "price", "status")
_ADMISSION_FIELDS = (
    "ticketId", "orderId", "sessionId", "zoneId", "direction", "scannedAt", "deviceId", "doubleAdmission",
)  # fmt: skip


def _event(event: Mapping[str, Any]) -> dict[str, Any]:
    venue = event.get("venue") or {}
    return {
        **_pick(event, _EVENT_FIELDS),
        "venue": _pick(venue, ("name", "city", "address")),
        "sessions": [_pick(s, _SESSION_FIELDS) for s in event.get("sessions") or () if not s.get("removed")],
    }


def _order(order: Mapping[str, Any], event_id: uuid.UUID) -> dict[str, Any]:
    # Never the buyer (name, e-mail, language) nor their account id: see docs/webhooks.md.
    return {
        **_pick(order, _ORDER_FIELDS),
        "eventId": str(event_id),
        "items": [_pick(item, _ITEM_FIELDS) for item in order.get("items") or ()],
    }


def webhook_data(message: Message) -> dict[str, Any]:
    """The ``data`` of a message's webhook: documented in docs/webhooks.md, changed only additively."""
    payload = message.payload
    match message.type:
        case "EventPublished":
            return {"event": _event(payload["event"])}
        case "EventUpdated":
            return {"event": _event(payload["event"]), "changed": list(payload.get("changed") or ())}
        case "EventCancelled":
            return {"event": _event(payload["event"]), "reason": payload.get("reason", "")}
        case "OrderPaid":
            return {
                "order": _order(payload["order"], message.event_id),
                # holderName is left out: a name the buyer typed, personal data.
                "tickets": [_pick(t, _TICKET_FIELDS) for t in payload.get("tickets") or ()],
            }
        case "OrderRefunded":
            refund = payload.get("refund") or {}
            return {
                "order": _order(payload["order"], message.event_id),
                "refund": _pick(refund, ("amount", "reason", "ticketIds")),
            }
        case "TicketCheckedIn":
            admission = _pick(payload["admission"], _ADMISSION_FIELDS)
            return {"admission": {**admission, "eventId": str(message.event_id)}}
    raise ValueError(f"no webhook for {message.type}")


def webhook_body(message: Message) -> bytes:
    """The exact bytes sent (and signed): ``{"type", "timestamp", "data"}``, compact JSON."""
    body = {
        "type": WEBHOOK_TYPES[message.type],
        "timestamp": _instant(message.occurred_at),
        "data": webhook_data(message),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def organization_of(message: Message) -> uuid.UUID | None:
    """The organization a message says it belongs to, when it says it (catalog and order messages);
    None for the others (a check-in names only the event: the event -> organization map answers)."""
    payload = message.payload
    owner = (payload.get("event") or {}).get("organizationId") or (payload.get("order") or {}).get(
        "organizationId"
    )
    try:
        return uuid.UUID(str(owner)) if owner else None
    except ValueError:
        return None


# ---------------------------------------------------------------- endpoints


class EndpointStatus(enum.StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DisabledReason(enum.StrEnum):
    MANUAL = "manual"  # an organizer or partner turned it off
    GONE = "gone"  # the receiver answered 410 Gone
    FAILING = "failing"  # every attempt failed for the whole failure window


@dataclass
class Endpoint:
    id: uuid.UUID
    organization_id: uuid.UUID
    url: str
    types: frozenset[str]
    description: str
    secret: str
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: uuid.UUID | None = None  # the person who registered it (None: an API client)
    status: EndpointStatus = EndpointStatus.ENABLED
    disabled_reason: DisabledReason | None = None
    previous_secret: str | None = None
    previous_secret_until: dt.datetime | None = None
    failing_since: dt.datetime | None = None  # the first failed attempt after the last success

    def wants(self, webhook_type: str) -> bool:
        return self.status is EndpointStatus.ENABLED and webhook_type in self.types

    def signing_secrets(self, now: dt.datetime) -> list[str]:
        """The current secret, and the previous one while its overlap lasts."""
        live = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            live.append(self.previous_secret)
        return live

    def rotate(self, secret: str, now: dt.datetime, overlap: dt.timedelta) -> None:
        self.previous_secret = self.secret
        self.previous_secret_until = now + overlap
        self.secret = secret
        self.updated_at = now

    def disable(self, reason: DisabledReason, now: dt.datetime) -> bool:
        """False when it was disabled already."""
        if self.status is EndpointStatus.DISABLED:
            return False
        self.status = EndpointStatus.DISABLED
        self.disabled_reason = reason
        self.updated_at = now
        return True

    def enable(self, now: dt.datetime) -> None:
        self.status = EndpointStatus.ENABLED
        self.disabled_reason = None
        self.failing_since = None
        self.updated_at = now


def validate_types(types: Iterable[str]) -> frozenset[str]:
    wanted = frozenset(types)
    if not wanted:
        raise InvalidEndpoint("types", "name at least one message type")
    unknown = sorted(wanted - KNOWN_TYPES)
    if unknown:
        raise InvalidEndpoint("types", f"unknown message types: {', '.join(unknown)}")
    return wanted


# ---------------------------------------------------------------- deliveries


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # given up: out of the retry window, 410, or its endpoint was disabled


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt got: a status code (0 when no answer) and the start of the body."""

    status_code: int
    latency_ms: int
    response: str = ""
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


@dataclass
class Delivery:
    """One message to one endpoint: unique per (endpoint, message), so a replayed message is not
    delivered twice; attempted until it succeeds or its retry window closes."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    message_id: uuid.UUID
    webhook_type: str
    body: bytes
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_attempt_at: dt.datetime | None = None
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    last_response: str | None = None
    last_error: str | None = None
    # When this run of attempts began: creation, or an operator's redelivery (the window restarts).
    window_start: dt.datetime | None = None

    @property
    def webhook_id(self) -> str:
        return webhook_id(self.message_id)

    def record(self, result: AttemptResult, now: dt.datetime, policy: RetrySchedule) -> None:
        self.attempts += 1
        self.last_attempt_at = now
        self.last_status_code = result.status_code or None
        self.last_latency_ms = result.latency_ms
        self.last_response = result.response[:RESPONSE_KEPT_BYTES]
        self.last_error = result.error[:500] if result.error else None
        if result.succeeded:
            self.status = DeliveryStatus.SUCCEEDED
            return
        start = self.window_start or self.created_at
        following = now + policy.delay(self.attempts)
        if result.gone or following >= start + policy.window:
            self.status = DeliveryStatus.FAILED
        else:
            self.next_attempt_at = following

    def give_up(self, reason: str) -> None:
        self.status = DeliveryStatus.FAILED
        self.last_error = reason

    def redeliver(self, now: dt.datetime) -> None:
        self.status = DeliveryStatus.PENDING
        self.next_attempt_at = now
        self.window_start = now


@dataclass(frozen=True)
class RetrySchedule:
    """Exponential backoff with jitter for up to ``window``; an endpoint whose every attempt failed
    for ``disable_after`` is disabled."""

    base_seconds: float = 5.0
    max_seconds: float = 3 * 3600.0
    window: dt.timedelta = dt.timedelta(hours=24)
    disable_after: dt.timedelta = dt.timedelta(hours=24)
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)

    def delay(self, attempt: int) -> dt.timedelta:
        """The wait after the ``attempt``-th failure (1-based): doubling, capped, 80-100 % of it."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(attempt - 1, 40))
        return dt.timedelta(seconds=self.jitter(ceiling * 0.8, ceiling))


def note_attempt(endpoint: Endpoint, result: AttemptResult, now: dt.datetime, policy: RetrySchedule) -> bool:
    """Updates the endpoint's failing streak; True when this attempt disables it (410, or failing
    without a success for ``policy.disable_after``)."""
    if result.succeeded:
        endpoint.failing_since = None
        return False
    if result.gone:
        return endpoint.disable(DisabledReason.GONE, now)
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        return False
    if now - endpoint.failing_since >= policy.disable_after:
        return endpoint.disable(DisabledReason.FAILING, now)
    return False


# ---------------------------------------------------------------- telling the organization


DISABLED_NOTICE = "WebhookEndpointDisabled"


@dataclass(frozen=True)
class NoticeRecipient:
    """An account the e-mail about a disabled endpoint goes to: an organizer of the endpoint's
    organization as identity_svc names them, or the account that registered it (no ``address``:
    looked up when the e-mail is sent)."""

    user_id: uuid.UUID
    address: str = ""
    name: str = ""
    locale: str = ""


@dataclass(frozen=True)
class DisabledNotice:
    """The message an e-mail about a disabled endpoint is made from (a ``Message`` of this service's
    own: its id is derived from the endpoint, the moment and the recipient, so recording it twice
    records it once, and each recipient gets it once)."""

    message_id: uuid.UUID
    event_id: uuid.UUID  # the endpoint's id: the notification is about no catalog event
    name: str
    occurred_at: dt.datetime
    correlation_id: uuid.UUID
    payload: dict[str, Any]
    type: str = DISABLED_NOTICE
    version: int = 1

    @classmethod
    def of(
        cls, endpoint: Endpoint, now: dt.datetime, recipient: NoticeRecipient | None = None
    ) -> DisabledNotice:
        moment = f"disabled:{now.isoformat()}"
        message_id = uuid.uuid5(endpoint.id, moment if recipient is None else f"{moment}:{recipient.user_id}")
        payload: dict[str, Any] = {
            "endpoint": {
                "id": str(endpoint.id),
                "organizationId": str(endpoint.organization_id),
                "url": endpoint.url,
                "reason": endpoint.disabled_reason.value if endpoint.disabled_reason else "",
                "createdBy": str(endpoint.created_by) if endpoint.created_by else None,
            }
        }
        if recipient is not None:
            payload["recipient"] = {
                "id": str(recipient.user_id),
                "email": recipient.address,
                "name": recipient.name,
                "locale": recipient.locale,
            }
        return cls(
            message_id=message_id,
            event_id=endpoint.id,
            name=endpoint.url,
            occurred_at=now,
            correlation_id=uuid.uuid5(endpoint.id, moment),
            payload=payload,
        )


def disabled_notices(
    endpoint: Endpoint, now: dt.datetime, organizers: Sequence[NoticeRecipient]
) -> list[DisabledNotice]:
    """One message per account to tell that the endpoint was disabled: every organizer of its
    organization, and the account that registered it when it is not one of them. Without organizers,
    the one message of old: to the account that registered it, or the operations mailbox."""
    if not organizers:
        return [DisabledNotice.of(endpoint, now)]
    unique = list({member.user_id: member for member in organizers}.values())
    if endpoint.created_by is not None and endpoint.created_by not in {m.user_id for m in unique}:
        unique.append(NoticeRecipient(endpoint.created_by))
    return [DisabledNotice.of(endpoint, now, member) for member in unique]
