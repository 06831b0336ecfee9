"""The entrypoints' side of delivery: attempts repeated with backoff, metrics, and what the consumer
does with each message's outcome. Sleeping is recorded, never waited for."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import ConsumerRecord
from notification_fakes import (
    FakeChannel,
    FakeDirectory,
    FakeRenderer,
    FakeTicketDocuments,
    FakeUnitOfWork,
    clock,
    make_envelope,
)
from prometheus_client import REGISTRY

from notification_svc.domain.errors import DeliveryFailed
from notification_svc.domain.model import NotificationStatus, RecipientRole, RetryPolicy
from notification_svc.entrypoints.consumer import NotificationConsumer, Outcome
from notification_svc.entrypoints.delivery import Courier
from taquilla_runtime.messaging import consumer as runtime
from taquilla_runtime.messaging.consumer import ATTEMPTS_HEADER, ERROR_HEADER
from taquilla_runtime.messaging.envelope import Envelope

pytestmark = pytest.mark.asyncio(loop_scope="session")
POLICY = RetryPolicy(max_attempts=3, base_seconds=0.5, max_seconds=30.0)
ORG = RecipientRole.ORGANIZER


class RecordedSleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class DeadLetters:
    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, list[tuple[str, bytes]]]] = []

    async def publish(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.published.append((topic, value, headers))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def courier(
    uow: FakeUnitOfWork, channel: FakeChannel, sleeps: RecordedSleeps, directory: FakeDirectory | None = None
) -> Courier:
    return Courier(
        lambda: uow,
        directory=directory or FakeDirectory(),
        renderer=FakeRenderer(),
        channel=channel,
        policy=POLICY,
        tickets=FakeTicketDocuments(),
        clock=clock,
        sleep=sleeps,
    )


def consumer(uow: FakeUnitOfWork, deliveries: Courier, dead_letters: DeadLetters) -> NotificationConsumer:
    return NotificationConsumer(
        lambda: uow,
        deliveries,
        dead_letters,
        bootstrap_servers="unused:9092",
        topic="events",
        dlq_topic="events.dlq",
        group_id="notification-svc",
        max_attempts=POLICY.max_attempts,
        clock=clock,
    )


def record(envelope: Envelope, offset: int = 0) -> ConsumerRecord[Any, Any]:
    value = envelope.to_bytes()
    return ConsumerRecord(
        topic="events",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=str(envelope.event_id).encode(),
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=envelope.kafka_headers(),
    )


async def test_a_refused_send_is_tried_again_after_a_growing_jittered_backoff_until_sent() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    sleeps = RecordedSleeps()
    channel = FakeChannel(DeliveryFailed("SMTP 451"), DeliveryFailed("SMTP 451"))
    sent = metric("taquilla_notification_svc_notifications_sent_total", type="EventCreated", channel="email")
    retries = metric("taquilla_notification_svc_retries_total")
    timed = metric("taquilla_notification_svc_send_seconds_count", channel="email")
    outcome = await consumer(uow, courier(uow, channel, sleeps), DeadLetters()).process(record(envelope))
    assert outcome == Outcome.DELIVERED
    assert uow.statuses(envelope) == [(ORG, NotificationStatus.SENT, 3)]
    assert len(sleeps.delays) == 2
    assert 0.25 <= sleeps.delays[0] <= 0.5
    assert 0.5 <= sleeps.delays[1] <= 1.0
    assert metric("taquilla_notification_svc_retries_total") == retries + 2
    assert (
        metric("taquilla_notification_svc_notifications_sent_total", type="EventCreated", channel="email")
        == sent + 1
    )
    assert metric("taquilla_notification_svc_send_seconds_count", channel="email") == timed + 1


async def test_a_notification_out_of_attempts_is_counted_failed_and_its_message_dead_lettered() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    sleeps = RecordedSleeps()
    dead_letters = DeadLetters()
    failed = metric(
        "taquilla_notification_svc_notifications_failed_total", type="EventCreated", channel="email"
    )
    channel = FakeChannel(*(DeliveryFailed("SMTP unavailable (OSError)") for _ in range(POLICY.max_attempts)))
    processed = metric("taquilla_notification_svc_messages_processed_total", outcome="failed")
    exhausted = metric("taquilla_notification_svc_dead_lettered_total", reason="exhausted")
    outcome = await consumer(uow, courier(uow, channel, sleeps), dead_letters).process(record(envelope))
    assert outcome == runtime.Outcome.DEAD_LETTERED
    assert metric("taquilla_notification_svc_messages_processed_total", outcome="failed") == processed + 1
    assert metric("taquilla_notification_svc_dead_lettered_total", reason="exhausted") == exhausted + 1
    assert len(sleeps.delays) == POLICY.max_attempts - 1, "no wait after the last attempt"
    assert uow.statuses(envelope) == [(ORG, NotificationStatus.FAILED, 3)]
    assert (
        metric("taquilla_notification_svc_notifications_failed_total", type="EventCreated", channel="email")
        == failed + 1
    )
    ((topic, value, headers),) = dead_letters.published
    assert (topic, Envelope.from_bytes(value)) == ("events.dlq", envelope)
    assert dict(headers)[ATTEMPTS_HEADER] == b"3"
    assert dict(headers)[ERROR_HEADER] == b"SMTP unavailable (OSError)"


async def test_a_permanent_refusal_is_not_retried() -> None:
    uow = FakeUnitOfWork()
    sleeps = RecordedSleeps()
    envelope = make_envelope()
    channel = FakeChannel(DeliveryFailed("SMTP 550", permanent=True))
    dead_letters = DeadLetters()
    outcome = await consumer(uow, courier(uow, channel, sleeps), dead_letters).process(record(envelope))
    assert outcome == runtime.Outcome.DEAD_LETTERED
    assert uow.statuses(envelope) == [(ORG, NotificationStatus.FAILED, 1)]
    assert dict(dead_letters.published[0][2])[ATTEMPTS_HEADER] == b"1"
    assert sleeps.delays == []


async def test_a_redelivered_message_is_counted_a_duplicate_and_sends_nothing() -> None:
    uow = FakeUnitOfWork()
    channel = FakeChannel()
    envelope = make_envelope()
    worker = consumer(uow, courier(uow, channel, RecordedSleeps()), DeadLetters())
    duplicates = metric("taquilla_notification_svc_duplicates_skipped_total")
    assert await worker.process(record(envelope, 0)) == Outcome.DELIVERED
    assert await worker.process(record(envelope, 1)) == Outcome.DUPLICATE
    assert len(channel.sent) == 1
    assert metric("taquilla_notification_svc_duplicates_skipped_total") == duplicates + 1


async def test_an_unreachable_recipient_is_skipped_and_the_message_counts_as_delivered() -> None:
    uow = FakeUnitOfWork()
    channel = FakeChannel()
    envelope = make_envelope("EventPublished")
    directory = FakeDirectory(unavailable=[ORG])
    worker = consumer(uow, courier(uow, channel, RecordedSleeps(), directory), DeadLetters())
    assert await worker.process(record(envelope)) == Outcome.DELIVERED
    assert sorted(uow.statuses(envelope)) == sorted(
        [(ORG, NotificationStatus.SKIPPED, 0), (RecipientRole.OPERATIONS, NotificationStatus.SENT, 1)]
    )


async def test_ignored_types_are_acknowledged_without_recording_or_sending() -> None:
    uow = FakeUnitOfWork()
    channel = FakeChannel()
    worker = consumer(uow, courier(uow, channel, RecordedSleeps()), DeadLetters())
    assert await worker.process(record(make_envelope("EventUpdated"))) == Outcome.IGNORED
    assert (uow.stored, channel.sent) == ({}, [])


async def test_a_poison_message_is_counted_and_dead_lettered_under_poison() -> None:
    uow = FakeUnitOfWork()
    dead_letters = DeadLetters()
    worker = consumer(uow, courier(uow, FakeChannel(), RecordedSleeps()), dead_letters)
    consumed = metric("taquilla_notification_svc_messages_consumed_total")
    processed = metric("taquilla_notification_svc_messages_processed_total", outcome="poison")
    poisoned = metric("taquilla_notification_svc_dead_lettered_total", reason="poison")
    poison = record(make_envelope())
    poison.value = b"{not json"
    assert await worker.process(poison) == runtime.Outcome.POISON
    assert dict(dead_letters.published[0][2])[ERROR_HEADER] == b"poison: not JSON"
    assert metric("taquilla_notification_svc_messages_consumed_total") == consumed + 1
    assert metric("taquilla_notification_svc_messages_processed_total", outcome="poison") == processed + 1
    assert metric("taquilla_notification_svc_dead_lettered_total", reason="poison") == poisoned + 1


async def test_the_lag_is_reported_per_partition_for_the_dashboards() -> None:
    uow = FakeUnitOfWork()
    worker = consumer(uow, courier(uow, FakeChannel(), RecordedSleeps()), DeadLetters())
    worker.record_lag(3, 42)
    assert metric("taquilla_notification_svc_consumer_lag", topic="events", partition="3") == 42
