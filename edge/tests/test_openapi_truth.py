"""The OpenAPI document says what the edge answers: every error as problem+json, the answers every
route may give (401, 429, 503; 400 and 422 where a route takes input), and every input bounded.
tests/integration/test_openapi_conformance.py checks the running platform against the document."""

from __future__ import annotations

from typing import Any

import pytest

ASYNC = pytest.mark.asyncio(loop_scope="session")
METHODS = {"get", "put", "post", "patch", "delete"}


async def document(edge_client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        body: dict[str, Any] = (await client.get("/openapi.json")).json()
    return body


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in METHODS and path.startswith("/api/")
    ]


@ASYNC
async def test_every_route_documents_the_answers_any_route_may_give(edge_client) -> None:  # type: ignore[no-untyped-def]
    doc = await document(edge_client)
    missing = []
    for method, path, operation in operations(doc):
        wanted = {"401", "429", "503"}
        if "requestBody" in operation:
            wanted |= {"400", "422"}
        if operation.get("parameters"):
            wanted.add("422")
        lacking = wanted - set(operation["responses"])
        if lacking:
            missing.append(f"{method} {path}: {sorted(lacking)}")
    assert missing == []


@ASYNC
async def test_errors_are_documented_as_problem_json_only_except_the_token_endpoints(edge_client) -> None:  # type: ignore[no-untyped-def]
    doc = await document(edge_client)
    wrong = []
    for method, path, operation in operations(doc):
        for status, response in operation["responses"].items():
            types = set(response.get("content", {}))
            if int(status) >= 400 and types and types != {"application/problem+json"}:
                if path in {"/api/v1/auth/token", "/api/v1/auth/authorize"} and status in {"400", "401"}:
                    assert types == {"application/json"}  # RFC 6749's error bodies
                    continue
                wrong.append(f"{method} {path} {status}: {sorted(types)}")
    assert wrong == []
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def unbounded(schema: dict[str, Any], where: str, schemas: dict[str, Any], seen: frozenset[str]) -> list[str]:
    """Integers without both limits, strings without a length, pattern or choice, unbounded lists."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else unbounded(schemas[name], name, schemas, seen | {name})
    found = [
        problem
        for key in ("anyOf", "oneOf", "allOf")
        for part in schema.get(key, [])
        for problem in unbounded(part, where, schemas, seen)
    ]
    kind = schema.get("type")
    if kind in {"integer", "number"} and not (
        {"minimum", "exclusiveMinimum"} & set(schema) and {"maximum", "exclusiveMaximum"} & set(schema)
    ):
        found.append(f"{where}: {kind} without both limits")
    bounded_string = {"maxLength", "enum", "const", "pattern"} & set(schema) or schema.get("format") in {
        "uuid",
        "date-time",
        "date",
        "binary",
    }
    if kind == "string" and not bounded_string:
        found.append(f"{where}: string without a bound")
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: list without maxItems")
        found += unbounded(schema.get("items", {}), f"{where}[]", schemas, seen)
    for name, part in schema.get("properties", {}).items():
        found += unbounded(part, f"{where}.{name}", schemas, seen)
    return found


@ASYNC
async def test_every_integer_string_and_list_a_client_sends_is_bounded(edge_client) -> None:  # type: ignore[no-untyped-def]
    doc = await document(edge_client)
    schemas = doc["components"]["schemas"]
    found = []
    for method, path, operation in operations(doc):
        for parameter in operation.get("parameters", []):
            found += unbounded(
                parameter["schema"], f"{method} {path} {parameter['name']}", schemas, frozenset()
            )
        for content in operation.get("requestBody", {}).get("content", {}).values():
            found += unbounded(content["schema"], f"{method} {path} body", schemas, frozenset())
    assert found == []
