"""Delivering one notification to the end: attempts through the handler, backoff with jitter between
them, and the delivery metrics. The Kafka consumer and the operators' retry RPC both deliver here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Histogram

from notification_svc.application import handlers
from notification_svc.application.handlers import AttemptOutcome, Clock, system_clock
from notification_svc.application.ports import (
    ChannelSender,
    Contact,
    Directory,
    RenderedMessage,
    Renderer,
    TicketDocuments,
    UnitOfWork,
)
from notification_svc.domain.commands import AttemptDelivery
from notification_svc.domain.model import Message, Notification, RetryPolicy

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


class TimedChannel(ChannelSender):
    """Observes how long the channel takes to accept a notification (successful sends only)."""

    def __init__(self, channel: ChannelSender) -> None:
        self._channel = channel

    async def send(self, notification: Notification, contact: Contact, message: RenderedMessage) -> None:
        started = time.perf_counter()
        await self._channel.send(notification, contact, message)
        SEND_SECONDS.labels(notification.channel.value).observe(time.perf_counter() - started)


class Courier:
    """Delivers a notification: tries, waits with backoff and jitter, and tries again, until it is
    sent, skipped, or given up (then FAILED). The policy bounds the attempts and the waits."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        directory: Directory,
        renderer: Renderer,
        channel: ChannelSender,
        policy: RetryPolicy,
        tickets: TicketDocuments,
        clock: Clock = system_clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._uow = unit_of_work
        self._directory = directory
        self._renderer = renderer
        self._channel = TimedChannel(channel)
        self._tickets = tickets
        self.policy = policy
        self._clock = clock
        self._sleep = sleep

    async def deliver(self, notification: Notification, envelope: Message) -> Notification:
        """The notification as it was left: SENT, SKIPPED or FAILED."""
        busy = 0
        while True:
            attempt = await handlers.attempt_delivery(
                AttemptDelivery(notification, envelope),
                self._uow(),
                self._clock,
                directory=self._directory,
                renderer=self._renderer,
                channel=self._channel,
                policy=self.policy,
                tickets=self._tickets,
            )
            notification = attempt.notification
            details = {
                "notification_id": str(notification.id),
                "attempts": notification.attempts,
                "reason": attempt.reason,
            }
            match attempt.outcome:
                case AttemptOutcome.SENT:
                    SENT.labels(notification.type, notification.channel.value).inc()
                    return notification
                case AttemptOutcome.SKIPPED | AttemptOutcome.HANDLED_BEFORE:
                    return notification
                case AttemptOutcome.GAVE_UP:
                    FAILED.labels(notification.type, notification.channel.value).inc()
                    log.warning("notification failed for good", extra=details)
                    return notification
                case AttemptOutcome.RETRYABLE:
                    RETRIES.inc()
                    log.info("delivery attempt failed; will retry", extra=details)
                    await self._sleep(self.policy.delay(notification.attempts))
                case AttemptOutcome.BUSY:  # another attempt holds the sending lease: not counted
                    busy += 1
                    log.info("another attempt is sending it; waiting", extra=details)
                    await self._sleep(self.policy.delay(busy))
