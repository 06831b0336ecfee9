"""Request and response headers that several routers document the same way."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header

LOCATION_HEADER: dict[str, Any] = {
    "Location": {"description": "Where the new resource lives", "schema": {"type": "string"}}
}
IDEMPOTENCY_DESCRIPTION = (
    "Makes retries safe: a repeat with the same key within 24 hours returns the first response "
    "(same status and body) without creating anything; the same key with a different body answers 422; "
    "a repeat while the first request is still running answers 409 `…/idempotency-key-in-use` at once, "
    "with `Retry-After`. Keys belong to the caller; 1-255 visible ASCII characters, e.g. a UUID."
)
# Appended to a route's documented 409 answers.
KEY_IN_USE = (
    "`…/idempotency-key-in-use` (a request with the same `Idempotency-Key` is still running: retry "
    "after `Retry-After` seconds to get its result)"
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description=IDEMPOTENCY_DESCRIPTION,
        examples=["4f5b8e1c-2d3a-4b6c-9e8f-7a6b5c4d3e2f"],
    ),
]
