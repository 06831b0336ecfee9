"""Partners' webhooks, the moving parts: a consumer per topic keeping the messages with a webhook type
(consumer groups notification-svc-webhooks and notification-svc-webhooks-orders, built like the
e-mail consumers on the runtime's EnvelopeConsumer), and the dispatcher, a loop that routes kept
messages to endpoints and attempts the deliveries that are due.

The consumers only write rows (a message once, by its id): a replayed Kafka message changes nothing.
Everything about time lives in the tables (``next_attempt_at``), so the dispatcher survives restarts;
its clock and its sleep are injected, so tests drive it without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import ConsumerRecord
from prometheus_client import Counter, Histogram

from notification_svc.application import webhooks
from notification_svc.application.ports import UnitOfWork
from notification_svc.application.webhook_ports import Organizations, WebhookTransport
from notification_svc.application.webhooks import Clock, system_clock
from notification_svc.domain.webhooks import DeliveryStatus, RetrySchedule
from notification_svc.entrypoints.delivery import Courier
from taquilla_runtime.messaging import consumer
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import Publisher
from taquilla_runtime.messaging.security import PLAINTEXT, KafkaSecurity

log = logging.getLogger(__name__)

KEPT = Counter(
    "taquilla_notification_svc_webhook_messages_total",
    "Messages read by the webhook consumers, by outcome (kept, duplicate, ignored).",
    ["outcome"],
)
ATTEMPTS = Counter(
    "taquilla_notification_svc_webhook_attempts_total",
    "Webhook delivery attempts, by outcome (succeeded, retrying, failed).",
    ["outcome"],
)
ATTEMPT_SECONDS = Histogram(
    "taquilla_notification_svc_webhook_attempt_seconds",
    "Time a partner's endpoint took to answer one webhook (answers only).",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5),
)
DISABLED = Counter(
    "taquilla_notification_svc_webhook_endpoints_disabled_total",
    "Endpoints the platform disabled, by reason (gone, failing).",
    ["reason"],
)


class WebhookConsumer(consumer.EnvelopeConsumer):
    """Keeps the topic's messages that have a webhook type, and learns whose event is whose."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        dead_letters: Publisher,
        *,
        bootstrap_servers: str,
        security: KafkaSecurity = PLAINTEXT,
        topic: str,
        dlq_topic: str,
        group_id: str,
        max_attempts: int,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(
            None,
            dead_letters,
            bootstrap_servers=bootstrap_servers,
            security=security,
            topic=topic,
            dead_letter_topic=dlq_topic,
            group_id=group_id,
            max_attempts=max_attempts,
            span_name="notification_svc webhooks consume",
        )
        self._uow = unit_of_work
        self._wake = wake
        self.topic = topic

    async def process(self, record: ConsumerRecord[Any, Any]) -> str | None:
        return await super().process(record)

    async def handle(self, envelope: Envelope, headers: Mapping[str, str]) -> str:
        kept = await webhooks.keep_message(envelope, self._uow())
        if kept is webhooks.Kept.KEPT:
            self._wake()  # the dispatcher routes it now rather than at its next poll
        return kept.value

    def record_outcome(self, outcome: str) -> None:
        KEPT.labels(outcome).inc()


class WebhookDispatcher:
    """Routes kept messages and attempts due deliveries, ``concurrency`` at a time, until stopped."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        transport: WebhookTransport,
        courier: Courier | None,
        *,
        schedule: RetrySchedule,
        organizations: Organizations | None = None,
        poll_seconds: float = 1.0,
        batch: int = 50,
        concurrency: int = 10,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        clock: Clock = system_clock,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._uow = unit_of_work
        self._transport = transport
        self._courier = courier
        self._schedule = schedule
        self._organizations = organizations
        self._poll = poll_seconds
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._lease = lease
        self._clock = clock
        self._sleep = sleep
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            self._woken.clear()  # a message kept from now on wakes the wait below
            try:
                busy = await self.run_once()
            except Exception:  # the database away: try again at the next poll
                log.exception("webhook dispatch failed; retrying")
                busy = False
            if not busy:
                await self._idle()

    async def _idle(self) -> None:
        if self._sleep is not None:
            await self._sleep(self._poll)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), self._poll)

    async def run_once(self) -> bool:
        """One round: route what can be routed, attempt what is due. True when there was work."""
        routed = await webhooks.route_messages(self._uow(), self._clock, limit=self._batch)
        claimed = await webhooks.claim_due(self._uow(), self._clock, limit=self._batch, lease=self._lease)
        await asyncio.gather(*(self._attempt(c) for c in claimed))
        return bool(routed or claimed)

    async def _attempt(self, claimed: webhooks.Claimed) -> None:
        async with self._slots:
            report = await webhooks.attempt(
                claimed,
                self._uow(),
                self._clock,
                transport=self._transport,
                schedule=self._schedule,
                organizations=self._organizations,
            )
        if report.result.status_code:
            ATTEMPT_SECONDS.observe(report.result.latency_ms / 1000)
        status = report.delivery.status
        ATTEMPTS.labels("retrying" if status is DeliveryStatus.PENDING else status.value).inc()
        if report.disabled is not None:
            reason = report.disabled.disabled_reason.value if report.disabled.disabled_reason else "unknown"
            DISABLED.labels(reason).inc()
            log.warning(
                "webhook endpoint disabled",
                extra={"endpoint_id": str(report.disabled.id), "reason": reason},
            )
            if self._courier is not None:
                for notification in report.notifications:
                    await self._courier.deliver(notification, report.notice_of(notification))
