"""Every field error carries a stable ``code`` a client can translate, whatever rejected the field: the
edge's own validation (pydantic) or a service (through the field-errors trailer)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.infra import Redis
from edge.errors import field_error_code
from taquilla_runtime.grpc_errors import FIELD_ERRORS_KEY, field_errors_from_trailers

ASYNC = pytest.mark.asyncio(loop_scope="session")


@ASYNC
async def test_a_malformed_id_in_the_path_is_invalid_uuid(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.get("/api/v1/events/not-a-uuid")
    assert reply.status_code == 422
    body = reply.json()
    assert body["type"] == "https://taquilla.dev/problems/validation-error"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("path.event_id", "invalid_uuid")]


@ASYNC
async def test_missing_unknown_and_malformed_fields_each_have_their_code(
    edge_client, redis_server: Redis
) -> None:  # type: ignore[no-untyped-def]
    # Sign-up needs the rate limiter's Redis (without it /api/v1/auth/* answers 503 before validating).
    async with edge_client(redis_url=f"redis://127.0.0.1:{redis_server.port}/13") as client:
        reply = await client.post(
            "/api/v1/auth/register", json={"email": "ana@example.com", "full_name": "Ana", "role": "admin"}
        )
    assert reply.status_code == 422
    codes = {e["field"]: e["code"] for e in reply.json()["errors"]}
    assert codes["password"] == "required"
    assert codes["role"] == "unknown_field"


def test_pydantic_error_types_map_to_the_documented_codes() -> None:
    assert [
        field_error_code(t)
        for t in ("missing", "string_too_short", "string_too_long", "uuid_parsing", "greater_than_equal")
    ] == ["required", "too_short", "too_long", "invalid_uuid", "out_of_range"]
    assert [field_error_code(t) for t in ("literal_error", "enum", "int_parsing", "extra_forbidden")] == [
        "invalid_choice",
        "invalid_choice",
        "not_a_number",
        "unknown_field",
    ]
    assert field_error_code("datetime_from_date_parsing") == "invalid_format"


def test_a_service_field_error_keeps_its_code_and_an_older_one_without_a_code_reads_as_invalid() -> None:
    trailer = json.dumps(
        [
            {"field": "password", "code": "weak_password", "message": "is too common"},
            {"field": "name", "message": "must not be empty"},
        ]
    )
    assert field_errors_from_trailers([(FIELD_ERRORS_KEY, trailer)]) == [
        {"field": "password", "code": "weak_password", "message": "is too common"},
        {"field": "name", "code": "invalid", "message": "must not be empty"},
    ]


@ASYNC
async def test_the_openapi_documents_the_code_of_a_field_error(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    code = document["components"]["schemas"]["FieldErrorOut"]["properties"]["code"]
    for documented in ("invalid_uuid", "weak_password", "required", "invalid"):
        assert f"`{documented}`" in code["description"]
