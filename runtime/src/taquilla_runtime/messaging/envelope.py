"""The envelope every Kafka message on the platform uses.

On the wire it is one JSON object::

    {"messageId": uuid, "eventId": uuid, "name": str, "occurredAt": ISO-8601 UTC, "correlationId": uuid,
     "version": 1, "type": str, "payload": {...}}

Consumers call :meth:`Envelope.from_bytes`, which raises :class:`InvalidEnvelope` with a reason for
anything that is not exactly that, so poison messages can be dead-lettered with an explanation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

SUPPORTED_VERSIONS = frozenset({1})
_FIELDS = ("messageId", "eventId", "name", "occurredAt", "correlationId", "version", "type", "payload")


class InvalidEnvelope(ValueError):
    """The bytes are not a message this platform understands; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class Envelope:
    message_id: uuid.UUID
    event_id: uuid.UUID
    name: str
    occurred_at: dt.datetime
    correlation_id: uuid.UUID
    type: str
    payload: dict[str, Any]
    version: int = 1

    @classmethod
    def new(
        cls,
        *,
        event_id: uuid.UUID,
        name: str,
        type: str,
        payload: dict[str, Any],
        correlation_id: uuid.UUID | str | None = None,
        occurred_at: dt.datetime | None = None,
    ) -> Envelope:
        return cls(
            message_id=uuid.uuid4(),
            event_id=event_id,
            name=name,
            occurred_at=(occurred_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
            correlation_id=uuid.UUID(str(correlation_id)) if correlation_id else uuid.uuid4(),
            type=type,
            payload=payload,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "messageId": str(self.message_id),
            "eventId": str(self.event_id),
            "name": self.name,
            "occurredAt": self.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "correlationId": str(self.correlation_id),
            "version": self.version,
            "type": self.type,
            "payload": self.payload,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> Envelope:
        if raw is None:
            raise InvalidEnvelope("empty message")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InvalidEnvelope("not JSON") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        if not isinstance(data, dict):
            raise InvalidEnvelope("not a JSON object")
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise InvalidEnvelope(f"missing fields: {', '.join(missing)}")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise InvalidEnvelope(f"unknown fields: {', '.join(unknown)}")
        version = data["version"]
        if not isinstance(version, int) or isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
            raise InvalidEnvelope(f"unsupported version: {version!r}")
        for name in ("name", "type"):
            if not isinstance(data[name], str) or not data[name]:
                raise InvalidEnvelope(f"{name} must be a non-empty string")
        if not isinstance(data["payload"], dict):
            raise InvalidEnvelope("payload must be a JSON object")
        try:
            ids = {name: uuid.UUID(data[name]) for name in ("messageId", "eventId", "correlationId")}
        except (TypeError, ValueError, AttributeError):
            raise InvalidEnvelope("messageId, eventId and correlationId must be UUIDs") from None
        try:
            occurred_at = dt.datetime.fromisoformat(str(data["occurredAt"]).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidEnvelope("occurredAt must be an ISO-8601 timestamp") from None
        if occurred_at.tzinfo is None:
            raise InvalidEnvelope("occurredAt must carry a UTC offset")
        return cls(
            message_id=ids["messageId"],
            event_id=ids["eventId"],
            name=data["name"],
            occurred_at=occurred_at.astimezone(dt.UTC),
            correlation_id=ids["correlationId"],
            type=data["type"],
            payload=data["payload"],
            version=version,
        )

    def kafka_headers(self, traceparent: str | None = None) -> list[tuple[str, bytes]]:
        headers = [("type", self.type.encode()), ("correlation-id", str(self.correlation_id).encode())]
        if traceparent:
            headers.append(("traceparent", traceparent.encode()))
        return headers
