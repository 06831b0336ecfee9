"""Who the client is: a spoofed X-Forwarded-For escapes no limit, and sign-ins are throttled per username.

Each test starts its own edge process (``python -m edge``, uvicorn as in production) in front of the
test platform's services, with small limits and its own Redis database, so its buckets start empty
and the shared platform's generous limits do not apply. Every request comes from 127.0.0.1.
"""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

import httpx
import pytest
import redis

from devstack.processes import Process, free_port, port_open, wait_until
from tests.conftest import Platform

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = "/api/v1/auth/token"
_databases = count(5)  # Redis databases 5, 6, …: the platform's edge uses 0


@contextmanager
def running_edge(platform: Platform, **settings: str) -> Iterator[tuple[str, str]]:
    """(base URL, Redis URL) of an edge process with these EDGE_* settings."""
    port = free_port()
    redis_url = platform.env("EDGE_REDIS_URL").rsplit("/", 1)[0] + f"/{next(_databases)}"
    env = {
        **platform.stack.service_env(),
        "EDGE_PORT": str(port),
        "EDGE_INTERNAL_PORT": str(free_port()),  # the platform's edge has its own
        "EDGE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "EDGE_REDIS_URL": redis_url,
        **{f"EDGE_{name.upper()}": value for name, value in settings.items()},
    }
    log = platform.stack.logs / f"edge-forwarded-{port}.log"
    process = Process("edge-forwarded", [sys.executable, "-m", "edge"], log=log, env=env)
    process.start()
    try:
        wait_until(lambda: port_open(port), timeout=30, what="the test's edge", log=log)
        yield f"http://127.0.0.1:{port}", redis_url
    finally:
        process.stop()


def fake_address() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def forwarded(value: str) -> dict[str, str]:
    return {"X-Forwarded-For": value}


def wrong_password(username: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": "Not-The-Password-42"}


def unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:10]}@example.com"


# What a client credentials request without credentials costs: nothing but the edge (401 at once).
NO_CLIENT = {"grant_type": "client_credentials"}


async def test_a_fresh_spoofed_x_forwarded_for_per_request_does_not_escape_the_per_ip_auth_limit(
    platform: Platform,
) -> None:
    # The default: no proxy is trusted, so the peer (127.0.0.1) is the client, whatever it claims.
    with running_edge(platform, rate_limit_auth="5/3600") as (url, _):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            statuses = [
                (
                    await client.post(
                        TOKEN, data=wrong_password(unknown_email()), headers=forwarded(fake_address())
                    )
                ).status_code
                for _ in range(8)
            ]
            register = await client.post(
                "/api/v1/auth/register",
                json={"email": unknown_email(), "password": "Clave-Muy-Larga-Segura", "full_name": "X"},
                headers={**forwarded(fake_address()), "X-Real-IP": fake_address()},
            )
    assert statuses[:5] == [400] * 5, "wrong passwords are refused (invalid_grant) until the limit"
    assert statuses[5:] == [429] * 3, "a fresh X-Forwarded-For per request must not open a new bucket"
    assert register.status_code == 429, "registration shares the per-IP auth bucket"
    assert register.headers["content-type"] == "application/problem+json"
    assert int(register.headers["retry-after"]) >= 1


@pytest.fixture(scope="module")
def behind_trusted_proxy(platform: Platform) -> Iterator[tuple[str, str]]:
    """An edge that trusts 127.0.0.1 as its proxy (as Compose's edge trusts the frontend's nginx)."""
    with running_edge(
        platform, trusted_proxies="127.0.0.1", rate_limit_auth="3/3600", rate_limit_username="4/900"
    ) as edge:
        yield edge


async def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(
    behind_trusted_proxy: tuple[str, str],
) -> None:
    url, _ = behind_trusted_proxy
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def remaining(x_forwarded_for: str) -> str:
            reply = await client.post(TOKEN, data=NO_CLIENT, headers=forwarded(x_forwarded_for))
            return "429" if reply.status_code == 429 else reply.headers["ratelimit-remaining"]

        # What the client wrote (left) changes every time; what the proxy appended (right) does not.
        spoofed = [await remaining(f"{fake_address()}, 203.0.113.7") for _ in range(4)]
        assert spoofed == ["2", "1", "0", "429"]
        assert await remaining("203.0.113.8") == "2", "another client has its own bucket"
        # Trusted hops are skipped from the right: the client is the address before them.
        assert await remaining("198.51.100.10, 127.0.0.1") == "2"
        assert await remaining("198.51.100.10") == "1"
        # An IPv6 client's bucket is its /64: one host can take any address of its prefix.
        assert await remaining("2001:db8:1:2::1") == "2"
        assert await remaining("2001:db8:1:2:ffff::9") == "1"
        assert await remaining("2001:db8:1:3::1") == "2"
        # Garbage a trusted proxy passed on is no address: the proxy's own bucket is used instead.
        assert await remaining("not-an-address") == "2"
        assert await remaining("203.0.113.9, garbage, 127.0.0.1") == "1"


async def test_sign_ins_are_throttled_per_username_across_addresses(
    behind_trusted_proxy: tuple[str, str],
) -> None:
    url, redis_url = behind_trusted_proxy
    target = unknown_email()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        # Four addresses, one attempt each: no per-IP bucket (3 per hour) gets near its limit.
        tried = [
            await client.post(TOKEN, data=wrong_password(target), headers=forwarded(fake_address()))
            for _ in range(4)
        ]
        # The fifth attempt on that username, written differently, from yet another address.
        refused = await client.post(
            TOKEN, data=wrong_password(f"  {target.upper()} "), headers=forwarded(fake_address())
        )
        other = await client.post(
            TOKEN, data=wrong_password(unknown_email()), headers=forwarded(fake_address())
        )
    assert [r.status_code for r in tried] == [400] * 4
    assert {r.json()["error"] for r in tried} == {"invalid_grant"}
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-limit"] == "4"
    assert target not in refused.text
    assert other.status_code == 400, "another username is not affected"
    # The answers carry the address's bucket, never how many attempts a username has left.
    assert {r.headers["ratelimit-limit"] for r in tried} == {"3"}
    # The bucket is keyed by a digest: Redis never holds the username.
    store = redis.Redis.from_url(redis_url)
    try:
        keys = [key.decode() for key in store.scan_iter(count=1000)]
    finally:
        store.close()
    assert any(key.startswith("rl:auth:username:") for key in keys)
    assert not [key for key in keys if "@" in key or target.split("@")[0] in key]


async def test_an_owner_signing_in_successfully_is_not_throttled(
    behind_trusted_proxy: tuple[str, str],
) -> None:
    url, _ = behind_trusted_proxy
    email, password = unknown_email(), f"Viaje-{uuid.uuid4().hex[:6]}-Montana-Lago"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": password, "full_name": "Rita Prueba"},
            headers=forwarded(fake_address()),
        )
        assert registered.status_code == 202, registered.text
        right = {"grant_type": "password", "username": email, "password": password}
        # More sign-ins than the username's bucket holds (4): a successful one gives its attempt back.
        signed_in = [
            (await client.post(TOKEN, data=right, headers=forwarded(fake_address()))).status_code
            for _ in range(6)
        ]
        wrong = [
            (
                await client.post(TOKEN, data=wrong_password(email), headers=forwarded(fake_address()))
            ).status_code
            for _ in range(5)
        ]
        after = await client.post(TOKEN, data=right, headers=forwarded(fake_address()))
    assert signed_in == [200] * 6
    # Four failures spend the bucket; the fifth attempt is refused, and so is the right password
    # until the bucket refills (identity_svc's lockout would also refuse it by then).
    assert wrong == [400, 400, 400, 400, 429]
    assert after.status_code == 429
