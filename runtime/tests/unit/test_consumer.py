"""What EnvelopeConsumer does with one record, without a broker: the outcome it names, what it
dead-letters, and the hooks a service overrides."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from taquilla_runtime.messaging.consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    DependencyUnavailable,
    EnvelopeConsumer,
    GaveUp,
    Outcome,
    PoisonMessage,
)
from taquilla_runtime.messaging.envelope import Envelope

pytestmark = pytest.mark.asyncio(loop_scope="session")


class DeadLetters:
    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, dict[str, bytes]]] = []

    async def publish(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.published.append((topic, value, dict(headers)))


class Recording(EnvelopeConsumer):
    """A service's consumer that reads a header, names its outcomes and keeps its own record."""

    def __init__(self, dead_letters: DeadLetters, fail_with: Exception | None = None) -> None:
        super().__init__(
            None,
            dead_letters,
            bootstrap_servers="unused:9092",
            topic="events",
            dead_letter_topic="events.dlq",
            group_id=f"group-{uuid.uuid4().hex[:6]}",
            max_attempts=1,
            retry_base_seconds=0.001,
            retry_max_seconds=0.005,
        )
        self.fail_with = fail_with
        self.failures: list[Exception] = []
        self.seen: list[str | None] = []
        self.outcomes: list[str] = []

    async def handle(self, envelope: Envelope, headers: Mapping[str, str]) -> str | None:
        self.seen.append(headers.get("x-test"))
        if self.failures:
            raise self.failures.pop(0)
        if self.fail_with is not None:
            raise self.fail_with
        return "greeted"

    def record_outcome(self, outcome: str) -> None:
        self.outcomes.append(outcome)


def make_envelope() -> Envelope:
    return Envelope.new(event_id=uuid.uuid4(), name="Festival", type="EventCreated", payload={})


def record(value: bytes, headers: list[tuple[str, bytes]] | None = None) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic="events",
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value),
        headers=headers or [],
    )


def consumed(group: str, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("taquilla_consumer_messages_total", {"group": group, "outcome": outcome})
        or 0.0
    )


async def test_a_plain_handler_is_called_with_the_envelope_and_the_message_counts_handled() -> None:
    handled: list[Envelope] = []

    async def handle(envelope: Envelope) -> None:
        handled.append(envelope)

    envelope = make_envelope()
    worker = EnvelopeConsumer(
        handle,
        DeadLetters(),
        bootstrap_servers="unused:9092",
        topic="events",
        dead_letter_topic="events.dlq",
        group_id="plain",
    )
    before = consumed("plain", "handled")
    assert await worker.process(record(envelope.to_bytes())) == Outcome.HANDLED
    assert handled == [envelope]
    assert consumed("plain", "handled") == before + 1


async def test_a_subclass_reads_the_headers_and_names_its_outcome() -> None:
    worker = Recording(DeadLetters())
    outcome = await worker.process(record(make_envelope().to_bytes(), [("x-test", b"yes")]))
    assert (outcome, worker.seen, worker.outcomes) == ("greeted", ["yes"], ["greeted"])


async def test_a_handler_that_gave_up_has_its_message_dead_lettered_with_its_reason_and_attempts() -> None:
    dead_letters = DeadLetters()
    worker = Recording(dead_letters, GaveUp("SMTP 550", attempts=3))
    assert await worker.process(record(make_envelope().to_bytes())) == Outcome.DEAD_LETTERED
    ((topic, _, headers),) = dead_letters.published
    assert (topic, headers[ERROR_HEADER], headers[ATTEMPTS_HEADER]) == ("events.dlq", b"SMTP 550", b"3")
    assert worker.outcomes == [Outcome.DEAD_LETTERED]


async def test_a_poison_message_is_dead_lettered_without_attempts() -> None:
    dead_letters = DeadLetters()
    worker = Recording(dead_letters)
    assert await worker.process(record(b"{not json")) == Outcome.POISON
    assert dead_letters.published[0][2][ATTEMPTS_HEADER] == b"0"
    assert (worker.seen, worker.outcomes) == ([], [Outcome.POISON])
    worker.fail_with = PoisonMessage("unreadable")
    assert await worker.process(record(make_envelope().to_bytes())) == Outcome.POISON
    assert dead_letters.published[1][2][ERROR_HEADER] == b"poison: unreadable"


async def test_a_failure_on_the_last_attempt_is_dead_lettered_with_the_error_type() -> None:
    dead_letters = DeadLetters()
    worker = Recording(dead_letters, LookupError("no such zone"))
    assert await worker.process(record(make_envelope().to_bytes())) == Outcome.DEAD_LETTERED
    assert dead_letters.published[0][2][ERROR_HEADER] == b"LookupError"


async def test_a_dependency_away_pauses_the_record_without_using_up_its_attempts() -> None:
    dead_letters = DeadLetters()
    worker = Recording(dead_letters)  # one attempt only: any counted failure would dead-letter it
    worker.failures = [
        DependencyUnavailable("identity_svc"),
        ConnectionError("database away"),
        OperationalError("SELECT 1", {}, ConnectionRefusedError()),
        DependencyUnavailable("identity_svc"),
    ]
    waits_before = waits(worker, "identity_svc")

    assert await worker.process(record(make_envelope().to_bytes())) == "greeted"

    assert dead_letters.published == []
    assert len(worker.seen) == 5
    assert waits(worker, "identity_svc") - waits_before == 2
    assert waits(worker, "database") == 2


def waits(worker: Recording, dependency: str) -> float:
    labels = {"group": worker._group_id, "dependency": dependency}
    return REGISTRY.get_sample_value("taquilla_consumer_dependency_waits_total", labels) or 0.0
