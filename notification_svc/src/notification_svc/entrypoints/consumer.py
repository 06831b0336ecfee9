"""The Kafka consumers of taquilla.events.v1 (group notification-svc: the organizers' and operations'
e-mails) and taquilla.ticketing.v1 (group notification-svc-orders: the buyers' e-mails), one
NotificationConsumer each, each with its own dead-letter topic.

The runtime's EnvelopeConsumer does the consuming: offsets committed only after a message's outcome
is durable (delivered, duplicate, ignored or dead-lettered), each partition worked by its own task,
poison messages and messages that ran out of attempts sent to the dead-letter topic with the reason
and attempt count in their headers. Redelivery sends nothing twice (the inbox's primary key). Each
notification is delivered by the Courier (entrypoints/delivery.py), which retries with backoff and
jitter; a message whose notifications failed for good is dead-lettered with the worst failure.
This module adds what is notification_svc's own: the replay header and its metrics.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import ConsumerRecord
from prometheus_client import Counter, Gauge

from notification_svc.application import handlers
from notification_svc.application.handlers import Acceptance, Clock, system_clock
from notification_svc.application.ports import UnitOfWork
from notification_svc.domain.commands import AcceptMessage
from notification_svc.domain.errors import DependencyUnavailable
from notification_svc.domain.model import NotificationStatus
from notification_svc.entrypoints.delivery import Courier
from taquilla_runtime.messaging import consumer
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import Publisher
from taquilla_runtime.messaging.security import PLAINTEXT, KafkaSecurity

CONSUMED = Counter("taquilla_notification_svc_messages_consumed_total", "Messages read from Kafka.")
PROCESSED = Counter(
    "taquilla_notification_svc_messages_processed_total", "Messages handled, by outcome.", ["outcome"]
)
DUPLICATES = Counter("taquilla_notification_svc_duplicates_skipped_total", "Redelivered messages skipped.")
DEAD_LETTERED = Counter(
    "taquilla_notification_svc_dead_lettered_total", "Messages sent to the DLQ.", ["reason"]
)
LAG = Gauge(
    "taquilla_notification_svc_consumer_lag",
    "Messages behind the end of the partition.",
    ["topic", "partition"],
)

REPLAY_HEADER = "x-taquilla-replay"


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"  # every notification of the message is sent or skipped
    DUPLICATE = "duplicate"  # already handled before: nothing sent
    IGNORED = "ignored"  # a type nobody is notified about
    FAILED = "failed"  # some notification failed for good: dead-letter the message


class NotificationConsumer(consumer.EnvelopeConsumer):
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        courier: Courier,
        dead_letters: Publisher,
        *,
        bootstrap_servers: str,
        security: KafkaSecurity = PLAINTEXT,
        topic: str,
        dlq_topic: str,
        group_id: str,
        max_attempts: int,
        clock: Clock = system_clock,
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
            retry_base_seconds=courier.policy.base_seconds,
            retry_max_seconds=courier.policy.max_seconds,
            span_name="notification_svc consume",
        )
        self._uow = unit_of_work
        self._courier = courier
        self._clock = clock
        self.topic = topic

    async def process(self, record: ConsumerRecord[Any, Any]) -> str | None:
        CONSUMED.inc()
        return await super().process(record)

    async def handle(self, envelope: Envelope, headers: Mapping[str, str]) -> Outcome:
        """Delivers the notifications the message asks for, once, however often it is delivered."""
        replay = headers.get(REPLAY_HEADER) == "1"
        accepted = await handlers.accept_message(AcceptMessage(envelope, replay), self._uow(), self._clock)
        if accepted.acceptance is Acceptance.IGNORED:
            return Outcome.IGNORED
        if accepted.acceptance is Acceptance.DUPLICATE:
            return Outcome.DUPLICATE
        try:
            done = [await self._courier.deliver(n, envelope) for n in accepted.pending]
        except DependencyUnavailable as exc:  # the partition waits for it, attempts untouched
            raise consumer.DependencyUnavailable(exc.dependency) from exc
        failures = [n for n in done if n.status is NotificationStatus.FAILED]
        if failures:
            worst = failures[0]
            raise consumer.GaveUp(worst.last_error or "failed", worst.attempts)
        return Outcome.DELIVERED

    def record_outcome(self, outcome: str) -> None:
        if outcome == consumer.Outcome.POISON:
            DEAD_LETTERED.labels("poison").inc()
        elif outcome == consumer.Outcome.DEAD_LETTERED:
            DEAD_LETTERED.labels("exhausted").inc()
            outcome = Outcome.FAILED
        elif outcome == Outcome.DUPLICATE:
            DUPLICATES.inc()
        PROCESSED.labels(outcome).inc()

    def record_lag(self, partition: int, messages: int) -> None:
        LAG.labels(self.topic, str(partition)).set(messages)
