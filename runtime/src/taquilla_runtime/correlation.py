"""The correlation id that follows one request across HTTP, gRPC, Kafka and logs."""

from __future__ import annotations

import contextvars
import re
import uuid

HTTP_HEADER = "X-Correlation-ID"
GRPC_METADATA_KEY = "x-correlation-id"
KAFKA_HEADER = "correlation-id"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
# Only UUIDs are kept: the id travels in every message envelope, which promises a UUID, and free text
# could smuggle newlines or markup into logs and headers.
_ACCEPTABLE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def accept_or_new(candidate: str | None) -> str:
    """Keeps a caller's correlation id when it is well formed, otherwise makes a fresh one."""
    if candidate and _ACCEPTABLE.match(candidate):
        return candidate.lower()
    return new_correlation_id()


def get_correlation_id() -> str | None:
    return _current.get()


def set_correlation_id(value: str | None) -> contextvars.Token[str | None]:
    return _current.set(value)


def reset_correlation_id(token: contextvars.Token[str | None]) -> None:
    _current.reset(token)
