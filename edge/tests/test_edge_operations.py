"""The edge's operational surface: liveness, readiness, docs, errors and correlation ids."""

import pytest

from devstack.infra import Redis
from edge.errors import GRPC_TO_HTTP, http_status_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEM_KEYS = {"type", "title", "status", "instance"}


async def test_healthz_answers_while_every_dependency_is_down(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "alive"}


INTERNAL = "http://edge.test:8001"  # the internal port (EDGE_INTERNAL_PORT's default); the public one is 80


async def test_readyz_lists_each_dependency_as_down_without_internal_addresses_on_the_internal_port(
    edge_client,
) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.get(f"{INTERNAL}/readyz")
    assert reply.status_code == 503
    body = reply.json()
    assert body["status"] == "not_ready"
    assert [(c["name"], c["status"]) for c in body["checks"]] == [
        ("identity_svc", "down"),
        ("event_svc", "down"),
        ("notification_svc", "down"),
        ("ticketing_svc", "down"),
        ("redis", "down"),
    ]
    assert "127.0.0.1" not in reply.text


async def test_public_readyz_says_only_whether_the_edge_is_ready(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.get("/readyz")
    assert (reply.status_code, reply.json()) == (503, {"status": "not_ready"})


async def test_public_readyz_is_rate_limited_but_the_internal_one_is_not(  # type: ignore[no-untyped-def]
    edge_client, redis_server: Redis
) -> None:
    redis = f"redis://127.0.0.1:{redis_server.port}/15"
    async with edge_client(redis_url=redis, rate_limit_anonymous="3/3600") as client:
        public = [(await client.get("/readyz")).status_code for _ in range(4)]
        internal = [(await client.get(f"{INTERNAL}/readyz")).status_code for _ in range(4)]
    assert public == [503, 503, 503, 429]
    assert 429 not in internal


async def test_readyz_reports_redis_up_when_it_answers(edge_client, redis_server: Redis) -> None:  # type: ignore[no-untyped-def]
    async with edge_client(redis_url=f"redis://127.0.0.1:{redis_server.port}/0") as client:
        body = (await client.get(f"{INTERNAL}/readyz")).json()
    assert {c["name"]: c["status"] for c in body["checks"]}["redis"] == "up"


async def test_serves_openapi_swagger_and_redoc(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        spec = (await client.get("/openapi.json")).json()
        assert {"/healthz", "/readyz"} <= set(spec["paths"])
        assert "swagger-ui" in (await client.get("/docs")).text
        assert "redoc" in (await client.get("/redoc")).text.lower()


PRODUCTION = {
    "environment": "production",
    "stripe_webhook_secrets": ["whsec_" + "p" * 32],
    "principal_secrets": ["p" * 40],
}


async def test_production_serves_no_swagger_or_redoc_but_keeps_the_openapi_document(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client(**PRODUCTION) as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/redoc")).status_code == 404
        assert (await client.get("/docs/oauth2-redirect")).status_code == 404
        assert "/api/v1/events" in (await client.get("/openapi.json")).json()["paths"]


async def test_behind_tls_every_answer_carries_hsts(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client(public_url="https://tickets.example.org") as client:
        for reply in (await client.get("/healthz"), await client.get("/nowhere")):
            assert reply.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    async with edge_client(public_url="https://tickets.example.org", hsts_max_age_seconds=0) as client:
        assert "strict-transport-security" not in (await client.get("/healthz")).headers


async def test_over_plain_http_there_is_no_hsts(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        assert "strict-transport-security" not in (await client.get("/healthz")).headers


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nowhere", 404), ("POST", "/healthz", 405)])
async def test_answers_unknown_routes_and_methods_with_problem_json(
    edge_client, method: str, path: str, status: int
) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.request(method, path)
    assert reply.status_code == status
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["correlation_id"] == reply.headers["x-correlation-id"]


async def test_hides_internal_details_of_unexpected_errors(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        reply = await client.get("/boom")
    assert reply.status_code == 500
    assert reply.headers["content-type"] == "application/problem+json"
    for leak in ("db.internal", "SELECT", "RuntimeError", "Traceback", "5432"):
        assert leak not in reply.text


async def test_echoes_a_uuid_correlation_id_and_replaces_anything_else(edge_client) -> None:  # type: ignore[no-untyped-def]
    given = "6d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
    async with edge_client() as client:
        kept = await client.get("/healthz", headers={"X-Correlation-ID": given})
        replaced = await client.get("/healthz", headers={"X-Correlation-ID": "<script>"})
    assert kept.headers["x-correlation-id"] == given
    assert replaced.headers["x-correlation-id"] not in ("<script>", given)
    assert len(replaced.headers["x-correlation-id"]) == 36


async def test_exposes_request_metrics_by_route_template(edge_client) -> None:  # type: ignore[no-untyped-def]
    async with edge_client() as client:
        await client.get("/healthz")
        await client.get("/nowhere/123")
        text = (await client.get("/metrics")).text
    assert 'taquilla_edge_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "/nowhere/123" not in text


async def test_maps_grpc_status_codes_to_http_once() -> None:
    import grpc

    expected = {
        grpc.StatusCode.NOT_FOUND: 404,
        grpc.StatusCode.INVALID_ARGUMENT: 422,
        grpc.StatusCode.FAILED_PRECONDITION: 409,
        grpc.StatusCode.PERMISSION_DENIED: 403,
        grpc.StatusCode.UNAUTHENTICATED: 401,
        grpc.StatusCode.ALREADY_EXISTS: 409,
        grpc.StatusCode.ABORTED: 409,
        grpc.StatusCode.RESOURCE_EXHAUSTED: 503,
        grpc.StatusCode.UNAVAILABLE: 503,
        grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    }
    for code, status in expected.items():
        assert http_status_for(code) == status
    assert http_status_for(grpc.StatusCode.INTERNAL) == 500
    assert set(expected) <= set(GRPC_TO_HTTP)
