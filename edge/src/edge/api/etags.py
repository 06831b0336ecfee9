"""ETags and the conditional requests that use them: ``If-Match`` (optimistic locking of changes)
and ``If-None-Match`` (304 for a client that already has the answer).

An event's ETag is its version (``"3"``): a change sends it back in ``If-Match`` and event_svc
refuses it (ABORTED) when the event moved on; the client raises that as
:class:`edge.clients.events.StaleVersion` and :mod:`edge.errors` answers 412, for every route.
Cached reads name their exact bytes instead (:func:`body_etag`).
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from fastapi import Header
from starlette.responses import Response

from edge.cache.store import Cached
from edge.errors import Problem

JSON = "application/json"
ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": "The event's version, for `If-Match`", "schema": {"type": "string"}}
}
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=64,
        description='The ETag of the version you edited, e.g. `"3"`.',
        examples=['"3"'],
    ),
]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=256)]
_VERSION_ETAG = re.compile(r'^"(\d{1,18})"$')


def etag(version: int) -> str:
    """The ETag of an event at ``version``."""
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version named by If-Match: 428 when required and missing (or ``*``), 412 when unusable."""
    value = (if_match or "").strip()
    if not value or value == "*":
        if required:
            raise Problem(
                428,
                "Send If-Match with the ETag of the event you edited (from GET or your last change), "
                "so you never overwrite someone else's change.",
                slug="precondition-required",
            )
        return None
    match = _VERSION_ETAG.match(value)
    if match is None:
        raise Problem(412, 'If-Match must be the event\'s ETag, e.g. "3".', slug="precondition-failed")
    return int(match.group(1))


def body_etag(body: bytes) -> str:
    """A strong ETag naming exactly these bytes."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match names this ETag (or ``*``); weak comparison, as RFC 9110 asks for GET."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    return any(
        value.strip() == "*" or value.strip().removeprefix("W/") == wanted
        for value in if_none_match.split(",")
    )


def conditional_json(cached: Cached, if_none_match: str | None, *, shared: bool) -> Response:
    """200 with the body, or 304 when the client already has it; ETag and cache headers either way."""
    headers = {
        "ETag": cached.etag,
        # Clients may keep it, but must ask again (cheaply, with If-None-Match) before reusing it.
        "Cache-Control": "public, no-cache" if shared else "private, no-cache",
        "X-Cache": cached.result,
    }
    if matches(if_none_match, cached.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=cached.body, media_type=JSON, headers=headers)
