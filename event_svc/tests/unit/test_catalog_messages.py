"""Domain events become envelopes: type, key, name, time, correlation id and camelCase payload."""

import uuid

from catalog_factories import NOW, make_event, organizer
from opentelemetry.sdk.trace import TracerProvider

from event_svc.adapters.outbox import current_traceparent, envelope_for
from event_svc.domain.commands import SalesInput, SessionChanges
from event_svc.domain.events import EventCreated, SessionChanged
from taquilla_runtime.messaging.envelope import Envelope


def test_an_event_created_message_carries_the_event_snapshot() -> None:
    event = make_event(actor=organizer())
    correlation = str(uuid.uuid4())
    envelope = envelope_for(EventCreated(event.snapshot(), NOW), correlation)
    assert envelope.type == "EventCreated"
    assert envelope.event_id == event.id
    assert envelope.name == event.name
    assert envelope.occurred_at == NOW
    assert str(envelope.correlation_id) == correlation
    payload = envelope.payload["event"]
    assert payload["id"] == str(event.id)
    assert payload["createdBy"] == str(event.created_by)
    assert payload["venue"]["city"] == event.venue.city
    assert payload["status"] == "draft"
    assert payload["startsAt"] == "2030-01-31T12:00:00Z"
    assert payload["zones"][1]["price"] == {"amount": "900.50", "currency": "MXN"}
    assert payload["capacity"] == 120
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope


def test_the_message_carries_payment_minutes_reentry_and_transfers() -> None:
    event = make_event(
        actor=organizer(),
        sales=SalesInput(payment_minutes=20, reentry_allowed=True, transfers_allowed=False),
    )
    sales = envelope_for(EventCreated(event.snapshot(), NOW), None).payload["event"]["sales"]
    assert (sales["paymentMinutes"], sales["reentryAllowed"], sales["transfersAllowed"]) == (20, True, False)


def test_a_session_change_names_the_session_and_the_event_version() -> None:
    event = make_event(publish=True)
    session = event.update_session(event.sessions[0].id, SessionChanges(title="Matiné"), NOW)
    message = event.events[-1]
    assert isinstance(message, SessionChanged)
    envelope = envelope_for(message, None)
    assert envelope.type == "SessionChanged"
    assert envelope.payload["change"] == "updated"
    assert envelope.payload["eventVersion"] == event.version
    assert envelope.payload["session"]["id"] == str(session.id)
    assert envelope.payload["session"]["title"] == "Matiné"


def test_the_traceparent_comes_from_the_current_span() -> None:
    assert current_traceparent() is None
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("rpc") as span:
        context = span.get_span_context()
        flags = int(context.trace_flags)
        assert current_traceparent() == f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"
