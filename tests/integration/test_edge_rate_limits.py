"""Rate limits under concurrency, their headers, and the edge without Redis."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path

import httpx
import pytest

from devstack.infra import Redis
from devstack.processes import free_port
from devstack.testing import eventually
from edge.app import create_app
from edge.config import EdgeSettings
from tests.conftest import USER_LIMIT, Platform, bearer, login_as, new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_counts_exactly_under_200_concurrent_requests(edge: httpx.AsyncClient) -> None:
    _, _, tokens = await new_customer(edge)
    headers = bearer(tokens["access_token"])
    replies = await asyncio.gather(*(edge.get("/api/v1/users/me", headers=headers) for _ in range(200)))
    assert {r.status_code for r in replies} == {200}
    remaining = sorted(int(r.headers["ratelimit-remaining"]) for r in replies)
    assert remaining == list(range(USER_LIMIT - 200, USER_LIMIT)), "every request counted exactly once"
    assert {r.headers["ratelimit-limit"] for r in replies} == {str(USER_LIMIT)}


async def test_refuses_exactly_the_requests_over_the_limit_with_retry_after(edge: httpx.AsyncClient) -> None:
    _, _, tokens = await new_customer(edge)
    headers = bearer(tokens["access_token"])
    replies = await asyncio.gather(
        *(edge.get("/api/v1/users/me", headers=headers) for _ in range(USER_LIMIT + 20))
    )
    statuses = [r.status_code for r in replies]
    assert statuses.count(200) == USER_LIMIT
    assert statuses.count(429) == 20
    refused = next(r for r in replies if r.status_code == 429)
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.json()["status"] == 429
    # Another user is not affected by this user's bucket.
    _, _, other = await new_customer(edge)
    assert (await edge.get("/api/v1/users/me", headers=bearer(other["access_token"]))).status_code == 200


async def test_every_api_response_carries_rate_limit_headers_and_auth_is_limited_separately(
    edge: httpx.AsyncClient,
) -> None:
    anonymous = await edge.get("/.well-known/jwks.json")
    token = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "a@b.co", "password": "x"}
    )
    for reply in (anonymous, token):
        assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(reply.headers)
    assert "ratelimit-limit" not in (await edge.get("/healthz")).headers


async def _edge_without_redis_limits(platform: Platform, redis_url: str, **limits: str) -> httpx.AsyncClient:
    settings = EdgeSettings(
        identity_svc_address=platform.env("EDGE_IDENTITY_SVC_ADDRESS"),
        event_svc_address=platform.env("EDGE_EVENT_SVC_ADDRESS"),
        notification_svc_address=platform.env("EDGE_NOTIFICATION_SVC_ADDRESS"),
        public_url=platform.env("EDGE_PUBLIC_URL"),
        redis_url=redis_url,
        **limits,
    )
    app = create_app(settings)
    context = app.router.lifespan_context(app)
    await context.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge.test")
    client._lifespan = context  # type: ignore[attr-defined]
    client._app = app  # type: ignore[attr-defined]
    return client


async def test_without_redis_it_fails_closed_where_it_matters_and_limits_again_when_it_returns(
    platform: Platform, edge: httpx.AsyncClient, tmp_path: Path
) -> None:
    redis = Redis(free_port(), tmp_path / "redis")
    redis.start()
    _, _, tokens = await new_customer(edge)
    _, _, logged_out = await new_customer(edge)
    client = await _edge_without_redis_limits(
        platform,
        f"redis://127.0.0.1:{redis.port}/0",
        rate_limit_user="3/60",
        # The copy of the revoked tokens is read often and trusted briefly, so the test sees both sides.
        revocation_refresh_seconds="0.2",
        revocation_copy_max_age_seconds="3",
    )
    headers, gone = bearer(tokens["access_token"]), bearer(logged_out["access_token"])
    try:
        statuses = [(await client.get("/api/v1/users/me", headers=headers)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await client.post("/api/v1/auth/logout", headers=gone, json={})).status_code == 204

        revocations = client._app.state.edge.guard.revocations  # type: ignore[attr-defined]
        jti = json.loads(base64.urlsafe_b64decode(logged_out["access_token"].split(".")[1] + "=="))["jti"]
        await eventually(lambda: revocations.revoked(jti), within=10, what="the edge's copy of the logout")
        redis.stop()

        # Within the copy's age: a bearer token it vouches for is served (unlimited), a logged-out
        # one stays refused; anonymous catalog reads go on; signing in, up and out waits for Redis.
        served = await client.get("/api/v1/users/me", headers=headers)
        assert served.status_code == 200
        assert "ratelimit-limit" not in served.headers
        refused = await client.get("/api/v1/users/me", headers=gone)
        assert refused.status_code == 401, "a logged-out token must not come back while Redis is away"
        assert (await client.get("/api/v1/events")).status_code == 200
        sign_in = await client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": "a@b.co", "password": "x" * 12}
        )
        assert (sign_in.status_code, sign_in.json()["error"]) == (503, "temporarily_unavailable")
        assert int(sign_in.headers["retry-after"]) >= 1
        sign_up = await client.post(
            "/api/v1/auth/register",
            json={
                "email": f"x-{uuid.uuid4().hex[:6]}@example.com",
                "password": "Clave-Muy-Larga-Segura",
                "full_name": "X",
            },
        )
        assert sign_up.status_code == 503
        assert sign_up.headers["content-type"] == "application/problem+json"
        assert int(sign_up.headers["retry-after"]) >= 1

        # Once the copy is too old to vouch for anyone, bearer requests wait for Redis too.
        async def refused_for_want_of_a_check() -> bool:
            return (await client.get("/api/v1/users/me", headers=headers)).status_code == 503

        await eventually(
            refused_for_want_of_a_check, within=15, what="a bearer request refused once the copy aged"
        )
        late = await client.get("/api/v1/users/me", headers=headers)
        assert late.headers["content-type"] == "application/problem+json"
        assert int(late.headers["retry-after"]) >= 1
        assert (await client.get("/api/v1/events")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert "taquilla_edge_ratelimit_unavailable_total" in metrics
        readiness = (await client.get("http://edge.test:8001/readyz")).json()  # the internal port
        assert {c["name"]: c["status"] for c in readiness["checks"]}["redis"] == "down"

        redis.start()

        async def limited_again() -> bool:
            return "ratelimit-limit" in (await client.get("/api/v1/users/me", headers=headers)).headers

        await eventually(limited_again, within=15, what="limits once Redis is back")
    finally:
        redis.stop()
        await client._lifespan.__aexit__(None, None, None)  # type: ignore[attr-defined]
        await client.aclose()


async def test_an_unreachable_identity_service_means_503_not_a_stack_trace(platform: Platform) -> None:
    settings = EdgeSettings(
        identity_svc_address=f"127.0.0.1:{free_port()}",
        # A working Redis (a database of its own), so the 503s below are identity's, not the limiter's.
        redis_url=platform.env("EDGE_REDIS_URL").rsplit("/", 1)[0] + "/13",
        grpc_deadline_seconds=1,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge.test") as client:
            reply = await client.post(
                "/api/v1/auth/register",
                json={
                    "email": f"x-{uuid.uuid4().hex[:6]}@example.com",
                    "password": "Clave-Muy-Larga-Segura",
                    "full_name": "X",
                },
            )
            token = await client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": "a@b.co", "password": "whatever-long"},
            )
    assert reply.status_code == 503
    assert reply.headers["content-type"] == "application/problem+json"
    assert "127.0.0.1" not in reply.text
    assert token.status_code == 503
    assert token.json()["error"] == "temporarily_unavailable"


async def test_api_clients_are_limited_by_their_tier(edge: httpx.AsyncClient) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    limits = {}
    for tier in ("standard", "partner"):
        created = (
            await edge.post(
                "/api/v1/admin/api-clients",
                headers=admin,
                json={"name": f"Partner {tier}", "scopes": ["events:read"], "rate_limit_tier": tier},
            )
        ).json()
        granted = await edge.post(
            "/api/v1/auth/token",
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(created["client_id"], created["client_secret"]),
        )
        reply = await edge.get("/.well-known/jwks.json", headers=bearer(granted.json()["access_token"]))
        limits[tier] = int(reply.headers["ratelimit-limit"])
    defaults = EdgeSettings()  # the test platform keeps the default client tiers
    expected = {
        "standard": defaults.rate_limit_client_standard,
        "partner": defaults.rate_limit_client_partner,
    }
    assert limits == {tier: int(limit.split("/")[0]) for tier, limit in expected.items()}
