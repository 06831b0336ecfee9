"""How every router documents its errors: RFC 9457 problem documents (``application/problem+json``).

The documents themselves are written by :mod:`edge.errors`; this module only describes them in the
OpenAPI, the same way for every route: ``responses={**UNAUTHENTICATED, 404: problem("No such user")}``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from edge.errors import PROBLEM_JSON


class FieldErrorOut(BaseModel):
    """One invalid field: ``code`` is stable and meant to be translated; ``message`` is English."""

    field: str = Field(examples=["zones.0.price.amount"])
    code: str = Field(
        default="invalid",
        examples=["out_of_range"],
        description=(
            "Stable machine code of the error, for clients to translate: `required`, `too_short`, "
            "`too_long`, `invalid_format`, `invalid_uuid`, `invalid_choice`, `out_of_range`, "
            "`not_a_number`, `unknown_field`, `not_found`, `weak_password`, `contains_personal_data`, "
            "`organization_required`, `organization_not_allowed`, `incorrect` (a wrong current password), "
            "`locked` (too many wrong ones: wait), `too_many_errors` (field `*`: the last entry of a list "
            "cut short, with how many more were left out), or `invalid` when nothing more "
            "precise applies. New codes may be added: treat an unknown one as `invalid`."
        ),
    )
    message: str = Field(
        examples=['must be a decimal string >= 0 with at most 2 decimals, e.g. "25.00"'],
        description="English explanation for developers; not meant to be shown to buyers as is.",
    )


class ProblemDetails(BaseModel):
    """RFC 9457 problem document (``application/problem+json``)."""

    type: str = Field(
        examples=["https://taquilla.dev/problems/unprocessable-content"],
        description=(
            "Stable URI naming the problem; its last segment (`validation-error`, `sold-out`, "
            "`cannot-change-own-account`, `not-found`...) is what clients translate. `detail` is English."
        ),
    )
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["The request has invalid fields."])
    instance: str = Field(examples=["/api/v1/events"])
    errors: list[FieldErrorOut] | None = None
    correlation_id: str | None = Field(default=None, examples=["6d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"])


Responses = dict[int | str, dict[str, Any]]


def problem(description: str, model: type[BaseModel] = ProblemDetails) -> dict[str, Any]:
    """One documented error response: ``description``, with a body of ``model`` as problem+json."""
    return {
        "model": model,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }


UNAUTHENTICATED: Responses = {401: problem("No valid access token")}
NOT_AN_ADMINISTRATOR: Responses = {403: problem("Not an administrator")}


# What any route may answer besides what it documents itself: the middleware and the error handlers
# answer these on every route (see edge.errors and edge.middleware).
SHARED: Responses = {
    401: problem("The access token sent is not valid (expired, revoked, malformed)"),
    429: problem("Rate limit reached; `Retry-After` says when to try again"),
    503: problem("A service or the rate limiter is unavailable right now; `Retry-After` says when to retry"),
}
UNPARSABLE_BODY = problem("The body is not JSON (or not a form, where one is expected)")
INVALID_REQUEST = problem("Invalid fields (`errors` names each with a stable `code`)")
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}
}


PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDetails"}


def document_shared_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Completes the OpenAPI document with what every route may answer, the same way for all.

    Error bodies are ``application/problem+json`` only (FastAPI also lists ``application/json`` for a
    response model, and its own 422 says ``HTTPValidationError``, which the edge never sends); each
    route gains the shared 401, 429 and 503, a 400 for an unparsable body where it takes one, and a
    422 where it takes parameters or a body. The token endpoint keeps its RFC 6749 JSON errors.
    """
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                _problem_json_only(operation.setdefault("responses", {}))
                _add_shared(operation)
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'/{unused}"' not in text:
            schemas.pop(unused, None)
    return document


def _problem_json_only(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        content = response.get("content", {})
        if not status.isdigit() or int(status) < 400:
            continue
        if PROBLEM_JSON in content:
            content.pop("application/json", None)
        elif (
            content.get("application/json", {})
            .get("schema", {})
            .get("$ref", "")
            .endswith("/HTTPValidationError")
        ):
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}


def _add_shared(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    wanted: Responses = dict(SHARED)
    if "requestBody" in operation:
        wanted[400] = UNPARSABLE_BODY
    if "requestBody" in operation or operation.get("parameters"):
        wanted[422] = INVALID_REQUEST
    for status_code, response in wanted.items():
        if str(status_code) not in responses:
            responses[str(status_code)] = {
                "description": response["description"],
                "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
                **({"headers": RETRY_AFTER} if status_code in (429, 503) else {}),
            }
