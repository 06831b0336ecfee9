"""The edge's copy of the revoked access tokens, against a real Redis; and the answers the edge gives
while Redis cannot be asked (no access token needed for those)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from redis.asyncio import Redis as RedisClient

from devstack.infra import Redis
from edge.security.revocations import RevokedTokens

pytestmark = pytest.mark.asyncio(loop_scope="session")
EdgeClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]  # conftest's edge_client


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_copy_lists_logouts_until_it_is_too_old_to_vouch(redis_server: Redis) -> None:
    redis = RedisClient.from_url(f"redis://127.0.0.1:{redis_server.port}/12")
    clock = Clock()
    one, other = RevokedTokens(redis, max_age_seconds=30, clock=clock), RevokedTokens(redis, clock=clock)
    jti = str(uuid.uuid4())
    try:
        assert one.revoked(jti) is None  # never read: it cannot tell
        await other.revoke(jti, expires_at=int(time.time()) + 900)  # another edge's logout
        assert await redis.exists(f"revoked:{jti}")  # what the limiter's script reads
        await one.refresh()
        assert one.revoked(jti) is True
        assert one.revoked(str(uuid.uuid4())) is False
        clock.now += 31
        assert one.revoked(jti) is None
    finally:
        await redis.aclose()


async def test_tokens_past_their_expiry_leave_the_set(redis_server: Redis) -> None:
    redis = RedisClient.from_url(f"redis://127.0.0.1:{redis_server.port}/12")
    copy = RevokedTokens(redis)
    jti = str(uuid.uuid4())
    try:
        await copy.revoke(jti, expires_at=1)  # expired long ago (the set keeps it 60 s past expiry)
        await copy.refresh()
        assert copy.revoked(jti) is False
    finally:
        await redis.aclose()


async def test_without_redis_sign_in_and_sign_up_answer_503_and_anonymous_calls_go_on(
    edge_client: EdgeClientFactory,
) -> None:
    async with edge_client() as client:  # Redis is down here
        token = await client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": "a@b.co", "password": "x" * 12}
        )
        register = await client.post(
            "/api/v1/auth/register",
            json={"email": "a@b.co", "password": "Clave-Muy-Larga-Segura", "full_name": "A"},
        )
        discovery = await client.get("/.well-known/oauth-authorization-server")
    assert (token.status_code, token.json()["error"]) == (503, "temporarily_unavailable")
    assert int(token.headers["retry-after"]) >= 1
    assert register.status_code == 503
    assert register.headers["content-type"] == "application/problem+json"
    assert int(register.headers["retry-after"]) >= 1
    assert discovery.status_code == 200
