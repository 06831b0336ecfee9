"""How every router documents its errors: RFC 9457 problem documents (``application/problem+json``).

The documents themselves are written by :mod:`edge.errors`; this module only describes them in the
OpenAPI, the same way for every route: ``responses={**UNAUTHENTICATED, 404: problem("No such user")}``.
"""

from __future__ import annotations

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
            "`locked` (too many wrong ones: wait), or `invalid` when nothing more "
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
