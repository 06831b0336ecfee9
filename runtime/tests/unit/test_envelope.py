import datetime as dt
import json
import uuid

import pytest

from taquilla_runtime.messaging.envelope import Envelope, InvalidEnvelope


def make_envelope(**overrides: object) -> Envelope:
    fields: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "name": "Festival de Música",
        "type": "EventCreated",
        "payload": {"status": "draft"},
        "correlation_id": uuid.uuid4(),
    }
    fields.update(overrides)
    return Envelope.new(**fields)  # type: ignore[arg-type]


def test_round_trips_through_bytes_with_the_documented_field_names() -> None:
    envelope = make_envelope()
    wire = json.loads(envelope.to_bytes())
    assert list(wire) == [
        "messageId",
        "eventId",
        "name",
        "occurredAt",
        "correlationId",
        "version",
        "type",
        "payload",
    ]
    assert wire["version"] == 1
    assert wire["occurredAt"].endswith("Z")
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope


def test_stores_occurred_at_in_utc() -> None:
    bogota = dt.timezone(dt.timedelta(hours=-5))
    envelope = make_envelope(occurred_at=dt.datetime(2026, 12, 1, 20, 0, tzinfo=bogota))
    assert envelope.occurred_at == dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)


def test_keeps_accents_readable_on_the_wire() -> None:
    assert "Música".encode() in make_envelope().to_bytes()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe", "not JSON"),
        (None, "empty message"),
    ],
)
def test_rejects_bytes_that_are_not_an_envelope(raw: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidEnvelope) as error:
        Envelope.from_bytes(raw)
    assert error.value.reason == reason


@pytest.mark.parametrize(
    ("change", "reason_start"),
    [
        (lambda d: d.pop("messageId"), "missing fields: messageId"),
        (lambda d: d.update(extra=1), "unknown fields: extra"),
        (lambda d: d.update(version=2), "unsupported version"),
        (lambda d: d.update(version=True), "unsupported version"),
        (lambda d: d.update(eventId="42"), "messageId, eventId and correlationId must be UUIDs"),
        (lambda d: d.update(occurredAt="yesterday"), "occurredAt must be an ISO-8601 timestamp"),
        (lambda d: d.update(occurredAt="2026-01-01T10:00:00"), "occurredAt must carry a UTC offset"),
        (lambda d: d.update(payload=[1]), "payload must be a JSON object"),
        (lambda d: d.update(type=""), "type must be a non-empty string"),
    ],
)
def test_rejects_envelopes_with_a_reason(change, reason_start: str) -> None:  # type: ignore[no-untyped-def]
    data = make_envelope().to_dict()
    change(data)
    with pytest.raises(InvalidEnvelope) as error:
        Envelope.from_bytes(json.dumps(data).encode())
    assert error.value.reason.startswith(reason_start)


def test_kafka_headers_carry_type_correlation_and_trace() -> None:
    envelope = make_envelope()
    headers = dict(envelope.kafka_headers("00-" + "a" * 32 + "-" + "b" * 16 + "-01"))
    assert headers["type"] == b"EventCreated"
    assert headers["correlation-id"] == str(envelope.correlation_id).encode()
    assert headers["traceparent"].startswith(b"00-")
