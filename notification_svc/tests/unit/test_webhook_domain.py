"""Webhooks' signing (Standard Webhooks), bodies, endpoints and retry schedule: the domain alone."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from notification_factories import make_order_envelope

from devstack.samples import catalog_message
from notification_svc.domain.webhooks import (
    KNOWN_TYPES,
    AttemptResult,
    Delivery,
    DeliveryStatus,
    DisabledReason,
    Endpoint,
    EndpointStatus,
    InvalidEndpoint,
    RetrySchedule,
    new_secret,
    note_attempt,
    organization_of,
    signature,
    signature_header,
    validate_types,
    webhook_body,
    webhook_id,
)
from taquilla_runtime.messaging.envelope import Envelope

NOW = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)
TICKETING_SCHEMA = Path(__file__).resolve().parents[3] / "protos/taquilla/ticketing/v1/messages.schema.json"
SCHEDULE = RetrySchedule(jitter=lambda low, high: high)

# The Admission of taquilla.ticketing.v1's TicketCheckedIn, as agreed for the message (the producer
# lands on another branch): the payload below must be valid against it.
_UUID = {"type": "string", "format": "uuid"}
ADMISSION_ONLY = {
    "type": "object",
    "required": ["admission"],
    "additionalProperties": False,
    "properties": {
        "admission": {
            "type": "object",
            "required": [
                "ticketId", "orderId", "sessionId", "zoneId", "direction", "scannedAt", "deviceId",
                "doubleAdmission",
            ],
            "additionalProperties": False,
            "properties": {
                "ticketId": _UUID, "orderId": _UUID, "sessionId": _UUID, "zoneId": _UUID,
                "direction": {"enum": ["entry", "exit"]},
                "scannedAt": {"type": "string", "pattern": "Z$"},
                "deviceId": {"type": "string", "minLength": 1, "maxLength": 128},
                "doubleAdmission": {"type": "boolean"},
            },
        }
    },
}  # fmt: skip


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiving side as the specification's reference libraries verify."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}".encode()
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for versioned in headers["webhook-signature"].split(" "):
        version, sig = versioned.split(",")
        if version == "v1" and hmac.compare_digest(expected, base64.b64decode(sig)):
            return True
    return False


def make_endpoint(**overrides: Any) -> Endpoint:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "organization_id": uuid.uuid4(),
        "url": "https://hooks.example.com/taquilla",
        "types": frozenset({"order.paid"}),
        "description": "",
        "secret": new_secret(),
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(overrides)
    return Endpoint(**values)


def make_delivery(**overrides: Any) -> Delivery:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "endpoint_id": uuid.uuid4(),
        "message_id": uuid.uuid4(),
        "webhook_type": "order.paid",
        "body": b"{}",
        "created_at": NOW,
        "next_attempt_at": NOW,
    }
    values.update(overrides)
    return Delivery(**values)


def checkin_envelope() -> Envelope:
    payload = {
        "admission": {
            "ticketId": str(uuid.uuid4()),
            "orderId": str(uuid.uuid4()),
            "sessionId": str(uuid.uuid4()),
            "zoneId": str(uuid.uuid4()),
            "direction": "entry",
            "scannedAt": "2027-03-01T20:15:00Z",
            "deviceId": "door-3",
            "doubleAdmission": False,
        }
    }
    return Envelope.new(event_id=uuid.uuid4(), name="Concierto", type="TicketCheckedIn", payload=payload)


# ---------------------------------------------------------------- signing


def test_signs_as_the_specification_test_vector() -> None:
    body = b'{"test": 2432232314}'
    assert (
        signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_new_secrets_are_whsec_base64_of_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != new_secret()


def test_a_rotation_signs_with_both_secrets_until_the_overlap_ends() -> None:
    endpoint = make_endpoint()
    old = endpoint.secret
    endpoint.rotate(new_secret(), NOW, dt.timedelta(hours=24))
    body = b'{"type":"order.paid"}'
    during = signature_header(endpoint.signing_secrets(NOW + dt.timedelta(hours=1)), "msg_1", 1, body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": during}
    assert len(during.split(" ")) == 2
    assert verify(old, headers, body)
    assert verify(endpoint.secret, headers, body)
    after = signature_header(endpoint.signing_secrets(NOW + dt.timedelta(hours=24)), "msg_1", 1, body)
    assert not verify(old, {**headers, "webhook-signature": after}, body)


def test_the_webhook_id_has_no_dots_and_is_the_same_for_the_same_message() -> None:
    message_id = uuid.uuid4()
    assert webhook_id(message_id) == webhook_id(message_id) == f"msg_{message_id.hex}"
    assert "." not in webhook_id(message_id)


# ---------------------------------------------------------------- bodies


def test_an_order_paid_webhook_carries_the_order_without_the_buyer() -> None:
    envelope = make_order_envelope("OrderPaid", email="ana@example.org")
    body = json.loads(webhook_body(envelope))
    assert body["type"] == "order.paid"
    assert body["timestamp"].endswith("Z")
    order = body["data"]["order"]
    assert order["id"] == envelope.payload["order"]["id"]
    assert order["eventId"] == str(envelope.event_id)
    assert order["total"] == envelope.payload["order"]["total"]
    text = webhook_body(envelope).decode()
    assert "ana@example.org" not in text
    assert "buyer" not in text
    assert "customerId" not in text
    assert "holderName" not in text
    assert "Ana Prueba" not in text


def test_an_order_refunded_webhook_carries_the_refund() -> None:
    envelope = make_order_envelope("OrderRefunded")
    body = json.loads(webhook_body(envelope))
    assert body["type"] == "order.refunded"
    assert body["data"]["refund"] == envelope.payload["refund"]


def test_catalog_messages_become_event_webhooks() -> None:
    for kind, webhook_type in [
        ("EventPublished", "event.published"),
        ("EventUpdated", "event.updated"),
        ("EventCancelled", "event.cancelled"),
    ]:
        envelope = catalog_message(kind)
        body = json.loads(webhook_body(envelope))
        assert body["type"] == webhook_type
        assert body["data"]["event"]["id"] == envelope.payload["event"]["id"]
        assert "createdBy" not in body["data"]["event"]


def test_a_check_in_from_a_schema_valid_payload_becomes_ticket_checked_in() -> None:
    envelope = checkin_envelope()
    jsonschema.validate(envelope.payload, ADMISSION_ONLY)
    schema = json.loads(TICKETING_SCHEMA.read_text())
    if "TicketCheckedIn" in schema["$defs"]["Envelope"]["properties"]["type"]["enum"]:
        # Once the producer's schema is here, the whole message is checked against it as well.
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
            json.loads(envelope.to_bytes())
        )
    body = json.loads(webhook_body(envelope))
    assert body["type"] == "ticket.checked_in"
    assert body["data"]["admission"] == {**envelope.payload["admission"], "eventId": str(envelope.event_id)}
    assert organization_of(envelope) is None  # the event -> organization map answers for it


def test_orders_and_catalog_messages_name_their_organization() -> None:
    order = make_order_envelope("OrderPaid")
    assert organization_of(order) == uuid.UUID(order.payload["order"]["organizationId"])
    event = catalog_message("EventCreated")
    assert organization_of(event) == uuid.UUID(event.payload["event"]["organizationId"])


def test_unknown_types_are_refused() -> None:
    assert validate_types(["order.paid"]) == {"order.paid"}
    assert "ticket.checked_in" in KNOWN_TYPES
    with pytest.raises(InvalidEndpoint):
        validate_types(["order.stolen"])
    with pytest.raises(InvalidEndpoint):
        validate_types([])


# ---------------------------------------------------------------- retries and disabling


def test_backoff_doubles_up_to_its_ceiling() -> None:
    delays = [SCHEDULE.delay(n).total_seconds() for n in (1, 2, 3, 30)]
    assert delays == [5.0, 10.0, 20.0, 3 * 3600.0]


def test_a_failed_attempt_waits_and_a_success_ends_the_delivery() -> None:
    delivery = make_delivery()
    delivery.record(AttemptResult(503, 40, "busy"), NOW, SCHEDULE)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=5)
    delivery.record(AttemptResult(200, 40, "x" * 3000), NOW + dt.timedelta(seconds=5), SCHEDULE)
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert len(delivery.last_response or "") == 1024


def test_a_delivery_is_given_up_when_its_retry_window_closes() -> None:
    delivery = make_delivery()
    delivery.record(AttemptResult(500, 1), NOW + dt.timedelta(hours=23, minutes=59, seconds=58), SCHEDULE)
    assert delivery.status is DeliveryStatus.FAILED


def test_410_fails_the_delivery_and_disables_the_endpoint() -> None:
    endpoint, delivery = make_endpoint(), make_delivery()
    gone = AttemptResult(410, 3)
    delivery.record(gone, NOW, SCHEDULE)
    assert delivery.status is DeliveryStatus.FAILED
    assert note_attempt(endpoint, gone, NOW, SCHEDULE)
    assert endpoint.status is EndpointStatus.DISABLED
    assert endpoint.disabled_reason is DisabledReason.GONE


def test_an_endpoint_failing_for_24_hours_without_a_success_is_disabled() -> None:
    endpoint = make_endpoint()
    failed = AttemptResult(500, 3)
    assert not note_attempt(endpoint, failed, NOW, SCHEDULE)
    assert not note_attempt(endpoint, AttemptResult(200, 3), NOW + dt.timedelta(hours=1), SCHEDULE)
    assert not note_attempt(endpoint, failed, NOW + dt.timedelta(hours=2), SCHEDULE)
    assert not note_attempt(endpoint, failed, NOW + dt.timedelta(hours=25), SCHEDULE)
    assert note_attempt(endpoint, failed, NOW + dt.timedelta(hours=26), SCHEDULE)
    assert endpoint.disabled_reason is DisabledReason.FAILING


def test_the_partners_documented_verification_accepts_what_is_sent() -> None:
    """docs/webhooks.md's Python sample, run as written, against a signature made here."""
    docs = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text()
    sample = docs.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(sample, namespace)  # our own documentation
    endpoint = make_endpoint()
    body = webhook_body(make_order_envelope("OrderPaid"))
    stamp = int(dt.datetime.now(dt.UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature_header([endpoint.secret], "msg_1", stamp, body),
    }
    assert namespace["verify"](endpoint.secret, headers, body)
    assert not namespace["verify"](new_secret(), headers, body)
    assert not namespace["verify"](endpoint.secret, headers, body + b" ")
