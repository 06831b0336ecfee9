"""How services report field-level validation errors over gRPC, and how the edge reads them back.

A service aborts with INVALID_ARGUMENT (or another status) and sends the offending fields as JSON in
the trailing metadata entry ``x-taquilla-field-errors``: ``[{"field": "zones.0.price", "message": "..."}]``.
The edge turns them into the ``errors`` member of its problem+json body.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import NoReturn

import grpc

FIELD_ERRORS_KEY = "x-taquilla-field-errors"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


async def abort_with_field_errors(
    context: grpc.aio.ServicerContext,
    errors: Sequence[FieldError],
    *,
    code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT,
    detail: str = "The request has invalid fields.",
) -> NoReturn:
    context.set_trailing_metadata(((FIELD_ERRORS_KEY, json.dumps([asdict(e) for e in errors])),))
    await context.abort(code, detail)
    raise AssertionError("unreachable: abort raises")  # pragma: no cover


def field_errors_from_trailers(trailers: Iterable[tuple[str, str | bytes]] | None) -> list[dict[str, str]]:
    for key, value in trailers or ():
        if key == FIELD_ERRORS_KEY:
            try:
                items = json.loads(value)
            except ValueError:
                return []
            return [
                {"field": str(item.get("field", "")), "message": str(item.get("message", ""))}
                for item in items
                if isinstance(item, dict)
            ]
    return []
