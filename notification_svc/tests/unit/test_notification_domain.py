import uuid

import pytest

from notification_svc.adapters.templates import JinjaRenderer
from notification_svc.domain.model import (
    NotificationStatus,
    RecipientRole,
    RetryPolicy,
    notifications_for,
    payload_sha256,
)
from taquilla_runtime.messaging.envelope import Envelope


def make_envelope(kind: str = "EventCreated") -> Envelope:
    event = {
        "name": "Obra <Hamlet> & Co",
        "startsAt": "2027-01-01T20:00:00Z",
        "timezone": "America/Bogota",
        "capacity": 10,
        "venue": {"name": "Teatro", "city": "Medellín"},
        "zones": [{"name": "Platea", "price": {"amount": "50.00", "currency": "USD"}, "capacity": 10}],
    }
    return Envelope.new(event_id=uuid.uuid4(), name=event["name"], type=kind, payload={"event": event})


def test_created_events_notify_the_organizer_and_published_ones_operations_too() -> None:
    assert [n.recipient_role for n in notifications_for(make_envelope("EventCreated"))] == [
        RecipientRole.ORGANIZER
    ]
    assert [n.recipient_role for n in notifications_for(make_envelope("EventPublished"))] == [
        RecipientRole.ORGANIZER,
        RecipientRole.OPERATIONS,
    ]
    assert notifications_for(make_envelope("EventUpdated")) == []


def test_notification_ids_are_stable_for_the_same_message() -> None:
    envelope = make_envelope()
    assert [n.id for n in notifications_for(envelope)] == [n.id for n in notifications_for(envelope)]
    assert notifications_for(envelope)[0].status is NotificationStatus.PENDING


def test_payload_hash_ignores_key_order() -> None:
    assert payload_sha256({"a": 1, "b": [1, 2]}) == payload_sha256({"b": [1, 2], "a": 1})
    assert payload_sha256({"a": 1}) != payload_sha256({"a": 2})


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(attempt: int) -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=0.5, max_seconds=8)
    ceiling = min(8, 0.5 * 2 ** (attempt - 1))
    for _ in range(20):
        assert ceiling / 2 <= policy.delay(attempt) <= ceiling


def test_renders_spanish_and_english_and_escapes_html() -> None:
    renderer = JinjaRenderer("es")
    envelope = make_envelope()
    context = {
        "event": envelope.payload["event"],
        "recipient_name": "Olga",
        "starts_at": "2027-01-01T20:00:00Z",
    }
    spanish = renderer.render("EventCreated", "es", context)
    english = renderer.render("EventCreated", "en-US", context)
    assert "borrador" in spanish.text
    assert "draft" in english.text
    assert "&lt;Hamlet&gt; &amp; Co" in spanish.html
    assert "<Hamlet> & Co" in spanish.text
    assert renderer.render("EventCreated", "fr", context).subject == spanish.subject
