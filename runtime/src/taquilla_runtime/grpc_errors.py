"""How services report field-level validation errors over gRPC, and how the edge reads them back.

A service aborts with INVALID_ARGUMENT (or another status) and sends the offending fields as JSON in
the trailing metadata entry ``x-taquilla-field-errors``:
``[{"field": "zones.0.price", "code": "out_of_range", "message": "..."}]``. The ``code`` is a stable
machine word a client translates (the message is English, for developers); ``invalid`` when a service
names nothing more precise. The edge turns them into the ``errors`` member of its problem+json body.

A failure that callers must tell apart from others with the same status (a sold-out zone and an
event not on sale are both FAILED_PRECONDITION) names its problem in the trailing metadata entry
``x-taquilla-problem``: ``{"type": "sold-out", "extensions": {"zones": [...]}}``. The edge makes the
type the last segment of the problem's ``type`` URI and adds the extensions as members of the body.

Each servicer maps its domain errors to these once, in a subclass of :class:`ErrorsAsStatus`.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, NoReturn

import grpc

# PostgreSQL's answers that mean "busy, try again": a lock not had within lock_timeout, a statement
# cut by statement_timeout, a serialization failure, a deadlock victim.
TRANSIENT_SQLSTATES = frozenset({"55P03", "57014", "40001", "40P01"})
FIELD_ERRORS_KEY = "x-taquilla-field-errors"
PROBLEM_KEY = "x-taquilla-problem"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"


# gRPC refuses trailing metadata over 8 KiB by default (grpc.max_metadata_size) with RESOURCE_EXHAUSTED,
# which would turn a request with hundreds of invalid items into "busy". The field errors stay well
# under it: the first ones that fit, then one entry saying how many more there are.
FIELD_ERRORS_MAX_BYTES = 6 * 1024


def encode_field_errors(errors: Sequence[FieldError], limit: int = FIELD_ERRORS_MAX_BYTES) -> str:
    """The trailer's JSON: every error when they fit in ``limit`` bytes, else the first ones and a
    last entry (field ``*``, code ``too_many_errors``) counting those left out."""
    items = [asdict(e) for e in errors]
    encoded = json.dumps(items)
    if len(encoded.encode()) <= limit:
        return encoded
    kept: list[dict[str, str]] = []
    size = 2  # the brackets
    for item in items:
        size += len(json.dumps(item).encode()) + 2
        if size > limit - 200:  # room for the closing entry
            break
        kept.append(item)
    left_out = len(items) - len(kept)
    kept.append(asdict(FieldError("*", f"and {left_out} more invalid fields", "too_many_errors")))
    return json.dumps(kept)


async def abort_with_field_errors(
    context: grpc.aio.ServicerContext,
    errors: Sequence[FieldError],
    *,
    code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT,
    detail: str = "The request has invalid fields.",
) -> NoReturn:
    context.set_trailing_metadata(((FIELD_ERRORS_KEY, encode_field_errors(errors)),))
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
                {
                    "field": str(item.get("field", "")),
                    "code": str(item.get("code") or "invalid"),
                    "message": str(item.get("message", "")),
                }
                for item in items
                if isinstance(item, dict)
            ]
    return []


@dataclass(frozen=True, slots=True)
class NamedProblem:
    """A problem type (``sold-out``) and the members it adds to the problem+json body."""

    type: str
    extensions: dict[str, object]


async def abort_with_problem(
    context: grpc.aio.ServicerContext, code: grpc.StatusCode, detail: str, problem: NamedProblem
) -> NoReturn:
    context.set_trailing_metadata(
        ((PROBLEM_KEY, json.dumps({"type": problem.type, "extensions": problem.extensions})),)
    )
    await context.abort(code, detail)
    raise AssertionError("unreachable: abort raises")  # pragma: no cover


def problem_from_trailers(trailers: Iterable[tuple[str, str | bytes]] | None) -> NamedProblem | None:
    for key, value in trailers or ():
        if key != PROBLEM_KEY:
            continue
        try:
            data = json.loads(value)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return None
        extensions = data.get("extensions")
        return NamedProblem(data["type"], extensions if isinstance(extensions, dict) else {})
    return None


class ErrorsAsStatus(abc.ABC):
    """``async with ErrorsAsStatus(context):`` around a call aborts it with the status that the
    service's :meth:`abort_for` gives the error raised; an error it does not map propagates (UNKNOWN,
    logged by the server interceptor)."""

    def __init__(self, context: Any) -> None:  # grpc.aio.ServicerContext (grpc ships no type information)
        self._context = context

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if exc is not None:
            await self.abort_for(self._context, exc)
            if is_transient_database_error(exc):
                # Contention, not a fault: UNAVAILABLE, so callers (and the edge's 503) retry.
                await self._context.abort(grpc.StatusCode.UNAVAILABLE, "The service is busy; try again.")

    @abc.abstractmethod
    async def abort_for(self, context: Any, exc: BaseException) -> None:
        """Aborts the call with the status that matches `exc`; returns when none does."""


def is_transient_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` (a SQLAlchemy error, or what it wraps) is PostgreSQL saying "try again"."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for name in ("sqlstate", "pgcode"):
            code = getattr(current, name, None)
            if isinstance(code, str) and code in TRANSIENT_SQLSTATES:
                return True
        current = getattr(current, "orig", None) or current.__cause__
    return False
