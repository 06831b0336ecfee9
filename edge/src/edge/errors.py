"""RFC 9457 problem+json for every error the edge returns, and the single gRPC → HTTP status mapping.

Nothing internal (stack traces, SQL, exception classes, addresses) ever reaches a response: unknown
failures become a generic 500 whose body carries only the correlation id to quote to support.
"""

from __future__ import annotations

import functools
import logging
import re
from http import HTTPStatus
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from edge.clients.events import StaleVersion
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.grpc_errors import field_errors_from_trailers, problem_from_trailers

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://taquilla.dev/problems/"
# RFC 6749's token endpoint answers its own JSON errors, invalid form fields included (section 5.2).
OAUTH_TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 (a path)

GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    # A service shedding load (identity_svc checking too many passwords at once): try again shortly.
    grpc.StatusCode.RESOURCE_EXHAUSTED: 503,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
}


def http_status_for(code: grpc.StatusCode) -> int:
    return GRPC_TO_HTTP.get(code, 500)


class Problem(Exception):
    """An error the edge answers with as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        slug: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title or str(status))
        self.status = status
        self.title = title or _phrase(status)
        self.detail = detail
        self.slug = slug or self.title.lower().replace(" ", "-")
        self.errors = errors
        self.headers = headers or {}
        # Members the problem type adds to the body (e.g. a sold-out zone's places left).
        self.extensions = extensions or {}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Client Closed Request" if status == 499 else "Error"


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "instance": request.url.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors:
        body["errors"] = problem.errors
    for name, value in problem.extensions.items():
        body.setdefault(name, value)
    correlation_id = get_correlation_id()
    if correlation_id:
        body["correlation_id"] = correlation_id
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


# The stable ``code`` of a field error for each pydantic error type (the ``message`` stays English, for
# developers; clients translate the code). Services send their own codes through the trailer.
_CODE_BY_PYDANTIC_TYPE: dict[str, str] = {
    "missing": "required",
    "string_too_short": "too_short",
    "too_short": "too_short",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "uuid_parsing": "invalid_uuid",
    "uuid_type": "invalid_uuid",
    "uuid_version": "invalid_uuid",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "int_parsing": "not_a_number",
    "int_type": "not_a_number",
    "int_from_float": "not_a_number",
    "float_parsing": "not_a_number",
    "float_type": "not_a_number",
    "decimal_parsing": "not_a_number",
    "decimal_type": "not_a_number",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "extra_forbidden": "unknown_field",
}


def field_error_code(pydantic_type: str) -> str:
    """The stable code of a pydantic error type: formats (dates, e-mails, patterns) are ``invalid_format``."""
    return _CODE_BY_PYDANTIC_TYPE.get(pydantic_type, "invalid_format")


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        errors.append(
            {
                "field": ".".join(location) or "body",
                "code": field_error_code(str(error.get("type", ""))),
                "message": str(error.get("msg", "invalid value")),
            }
        )
    return errors


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods of the resource at ``path``, from the routes the OpenAPI document lists: those of
    the route written exactly so (``/api/v1/events/search``), else of every template it fits."""
    literal, templates = _route_index(app)
    methods = literal.get(path, set())
    if not methods:
        methods = {method for pattern, given in templates if pattern.fullmatch(path) for method in given}
    return _http_order(methods)


def literal_route_methods(app: FastAPI, path: str) -> list[str]:
    """The methods of the route whose path is exactly ``path``, with no parameter in it."""
    return _http_order(_route_index(app)[0].get(path, set()))


@functools.lru_cache(maxsize=4)  # one app per process; tests build a few
def _route_index(app: FastAPI) -> tuple[dict[str, set[str]], list[tuple[re.Pattern[str], set[str]]]]:
    """The document's paths, read once per app: literal ones by path, templated ones as patterns."""
    literal: dict[str, set[str]] = {}
    templates: list[tuple[re.Pattern[str], set[str]]] = []
    for path, item in app.openapi()["paths"].items():
        methods = {method.upper() for method in item if method != "parameters"}
        if "{" in path:
            templates.append((re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))), methods))
        else:
            literal[path] = methods
    return literal, templates


def _http_order(methods: set[str]) -> list[str]:
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return sorted(methods, key=lambda m: order.index(m) if m in order else len(order))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        literal = literal_route_methods(app, request.url.path)
        if literal and request.method not in literal:
            # PATCH /api/v1/events/search reached PATCH /api/v1/events/{event_id} with the id
            # "search": the resource it names is the literal route's, which has no PATCH.
            return problem_response(request, Problem(405, headers={"Allow": ", ".join(literal)}))
        if request.url.path == OAUTH_TOKEN_PATH:
            fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
            return JSONResponse(
                {"error": "invalid_request", "error_description": f"invalid {', '.join(fields) or 'form'}"},
                status_code=400,
                headers={"Cache-Control": "no-store"},
            )
        return problem_response(
            request,
            Problem(
                422, "The request has invalid fields.", slug="validation-error", errors=_field_errors(exc)
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = (
            exc.detail if isinstance(exc.detail, str) and exc.detail != _phrase(exc.status_code) else None
        )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # FastAPI routes one method each: the router's Allow names the first route whose path
            # matched, not every method the resource has (RFC 9110 15.5.6 asks for all of them).
            headers["Allow"] = ", ".join(allowed_methods(app, request.url.path))
        return problem_response(request, Problem(exc.status_code, detail, headers=headers))

    @app.exception_handler(StaleVersion)
    async def on_stale_version(request: Request, exc: StaleVersion) -> JSONResponse:
        # If-Match named a version the resource has moved on from (event_svc's ABORTED).
        return problem_response(request, Problem(412, str(exc), slug="precondition-failed"))

    @app.exception_handler(grpc.aio.AioRpcError)
    async def on_grpc(request: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        status = http_status_for(exc.code())
        # Service messages for client errors are written for callers; server-side ones are not shown.
        client_error = 400 <= status < 500 and status != 499
        detail = exc.details() if client_error else None
        errors = field_errors_from_trailers(exc.trailing_metadata()) if client_error else None
        named = problem_from_trailers(exc.trailing_metadata()) if client_error else None
        if status >= 500:
            log.warning("service call failed", extra={"grpc_code": exc.code().name, "path": request.url.path})
        if exc.code() is grpc.StatusCode.RESOURCE_EXHAUSTED:
            return problem_response(
                request,
                Problem(503, "Too busy right now: try again in a moment.", headers={"Retry-After": "1"}),
            )
        if named is not None:
            return problem_response(
                request,
                Problem(
                    status,
                    detail,
                    title=named.type.replace("-", " ").capitalize(),
                    slug=named.type,
                    errors=errors or None,
                    extensions=named.extensions,
                ),
            )
        return problem_response(request, Problem(status, detail, errors=errors or None))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            request, Problem(500, "Something went wrong on our side. Quote the correlation id.")
        )
