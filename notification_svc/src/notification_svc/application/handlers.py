"""Notification use cases: deliver what a message asks for exactly once, list and retry failures."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import enum
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Histogram

from notification_svc.application.ports import ChannelSender, Directory, Renderer, UnitOfWorkFactory
from notification_svc.domain.errors import (
    DeliveryFailed,
    NotAllowed,
    NotificationNotFound,
    NotRetryable,
    RecipientUnavailable,
)
from notification_svc.domain.model import Notification, NotificationStatus, RetryPolicy, notifications_for
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.principal import Principal

log = logging.getLogger(__name__)

SENT = Counter(
    "taquilla_notification_svc_notifications_sent_total", "Notifications delivered.", ["type", "channel"]
)
FAILED = Counter(
    "taquilla_notification_svc_notifications_failed_total", "Notifications given up.", ["type", "channel"]
)
RETRIES = Counter(
    "taquilla_notification_svc_retries_total", "Delivery attempts that failed and were retried."
)
SEND_SECONDS = Histogram(
    "taquilla_notification_svc_send_seconds",
    "Time to hand one notification to its channel.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"  # every notification of the message is sent or skipped
    DUPLICATE = "duplicate"  # already handled before: nothing sent
    IGNORED = "ignored"  # a type nobody is notified about
    FAILED = "failed"  # some notification failed for good: dead-letter the message


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory
    directory: Directory
    renderer: Renderer
    channel: ChannelSender
    retry: RetryPolicy


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _record(deps: Deps, envelope: Envelope, *, replay: bool) -> list[Notification]:
    """Records the message's notifications (the unique constraint makes this the idempotency check);
    returns those still to deliver."""
    planned = notifications_for(envelope)
    if not planned:
        return []
    async with deps.uow() as uow:
        existing = list(await uow.notifications.for_message(envelope.message_id, for_update=True))
        if not existing:
            if await uow.notifications.add_all(envelope, planned):
                await uow.commit()
                return planned
            existing = list(await uow.notifications.for_message(envelope.message_id, for_update=True))
        if replay:  # an operator replayed it from the dead-letter topic: failed ones get another go
            for notification in existing:
                if notification.status is NotificationStatus.FAILED:
                    notification.reopen(_now())
                    await uow.notifications.save(notification)
            await uow.commit()
        # PENDING ones survived a crash between recording and delivering: deliver them now.
        return [n for n in existing if n.status is NotificationStatus.PENDING]


def _context(envelope: Envelope, recipient_name: str) -> dict[str, Any]:
    event = envelope.payload.get("event", {})
    return {
        "event": event,
        "recipient_name": recipient_name,
        "starts_at": event.get("startsAt", ""),
        "type": envelope.type,
        "correlation_id": str(envelope.correlation_id),
    }


async def _save(deps: Deps, notification: Notification) -> None:
    async with deps.uow() as uow:
        await uow.notifications.save(notification)
        await uow.commit()


async def deliver(deps: Deps, notification: Notification, envelope: Envelope) -> bool:
    """Tries until sent, skipped, or out of attempts (then FAILED); True unless it failed."""
    while True:
        try:
            contact = await deps.directory.contact(notification.recipient_role, envelope.payload)
            message = deps.renderer.render(envelope.type, contact.locale, _context(envelope, contact.name))
            started = time.perf_counter()
            await deps.channel.send(notification, contact, message)
            SEND_SECONDS.labels(notification.channel.value).observe(time.perf_counter() - started)
        except RecipientUnavailable as exc:
            notification.skip(str(exc), _now())
            await _save(deps, notification)
            return True
        except Exception as exc:  # channel, template or directory failure: retry with backoff
            permanent = isinstance(exc, DeliveryFailed) and exc.permanent
            reason = exc.reason if isinstance(exc, DeliveryFailed) else type(exc).__name__
            notification.record_failure(reason, _now())
            if permanent or notification.attempts >= deps.retry.max_attempts:
                notification.give_up(_now())
                await _save(deps, notification)
                FAILED.labels(notification.type, notification.channel.value).inc()
                log.warning(
                    "notification failed for good",
                    extra={
                        "notification_id": str(notification.id),
                        "attempts": notification.attempts,
                        "reason": reason,
                    },
                )
                return False
            await _save(deps, notification)
            RETRIES.inc()
            log.info(
                "delivery attempt failed; will retry",
                extra={
                    "notification_id": str(notification.id),
                    "attempts": notification.attempts,
                    "reason": reason,
                },
            )
            await asyncio.sleep(deps.retry.delay(notification.attempts))
            continue
        notification.record_sent(_now())
        await _save(deps, notification)
        SENT.labels(notification.type, notification.channel.value).inc()
        return True


async def handle_message(deps: Deps, envelope: Envelope, *, replay: bool = False) -> Result:
    """Delivers the notifications a message asks for, once, however often it is delivered."""
    if not notifications_for(envelope):
        return Result(Outcome.IGNORED)
    todo = await _record(deps, envelope, replay=replay)
    if not todo:
        return Result(Outcome.DUPLICATE)
    failures = [n for n in todo if not await deliver(deps, n, envelope)]
    if failures:
        worst = failures[0]
        return Result(Outcome.FAILED, attempts=worst.attempts, error=worst.last_error)
    return Result(Outcome.DELIVERED, attempts=max(n.attempts for n in todo))


# --------------------------------------------------------------------------------------- operators
def _require_admin(principal: Principal | None) -> None:
    if principal is None or not principal.is_admin:
        raise NotAllowed("administrators only")


def _cursor(notification: Notification) -> str:
    raw = json.dumps([notification.created_at.isoformat(), str(notification.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _uncursor(token: str) -> tuple[dt.datetime, uuid.UUID] | None:
    if not token:
        return None
    try:
        created_at, notification_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return dt.datetime.fromisoformat(created_at), uuid.UUID(notification_id)
    except (ValueError, TypeError):
        raise ValueError("cursor") from None


async def list_notifications(
    deps: Deps,
    principal: Principal | None,
    *,
    status: NotificationStatus | None,
    event_id: uuid.UUID | None,
    page_size: int,
    page_token: str,
) -> tuple[Sequence[Notification], str]:
    _require_admin(principal)
    limit = page_size or 50
    async with deps.uow() as uow:
        rows = await uow.notifications.page(
            status=status, event_id=event_id, before=_uncursor(page_token), limit=limit + 1
        )
    page = list(rows[:limit])
    return page, (_cursor(page[-1]) if len(rows) > limit else "")


async def retry_notification(
    deps: Deps, principal: Principal | None, *, notification_id: uuid.UUID
) -> Notification:
    """Sends a failed notification again now, from the message kept when it arrived."""
    _require_admin(principal)
    async with deps.uow() as uow:
        notification = await uow.notifications.get(notification_id, for_update=True)
        if notification is None:
            raise NotificationNotFound("notification not found")
        if notification.status is not NotificationStatus.FAILED:
            raise NotRetryable(
                f"only failed notifications can be retried; this one is {notification.status.value}"
            )
        envelope = await uow.notifications.envelope(notification.message_id)
        if envelope is None:
            raise NotRetryable("the original message is no longer kept")
        notification.reopen(_now())
        await uow.notifications.save(notification)
        await uow.commit()
    await deliver(deps, notification, envelope)
    return notification
