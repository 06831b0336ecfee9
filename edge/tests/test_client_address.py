"""Who the client is (edge.security.client_address) and the token endpoint's body (edge.security.throttle)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

import edge.__main__
from devstack.infra import Redis
from edge.config import EdgeSettings
from edge.security.client_address import (
    MAX_FORWARDED_ENTRIES,
    PEER_KEY,
    ClientAddressMiddleware,
    TrustedProxies,
    bucket_address,
    client_address,
    parse_address,
)
from edge.security.throttle import MAX_TOKEN_BODY, normalize_username, username_bucket

EdgeClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]  # conftest's edge_client
PROXIES = TrustedProxies.parse(["10.0.0.5", "172.16.0.0/12", "fd00:1::/64"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("203.0.113.7:4711", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:4711", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", None),
        ("unknown", None),
        ("_hidden", None),
        ("203.0.113.7:", None),
        ("203.0.113.7:http", None),
        ("[2001:db8::1", None),
        ("[2001:db8::1]x", None),
        ("256.1.1.1", None),
        ("1" * 100, None),
        ("203.0.113.0/24", None),
    ],
)
def test_parse_address(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed is not None else None) == expected


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    assert client_address("198.51.100.1", ["1.2.3.4"], PROXIES) == "198.51.100.1"
    assert client_address("198.51.100.1", ["1.2.3.4, 10.0.0.5"], PROXIES) == "198.51.100.1"
    assert client_address("198.51.100.1", ["1.2.3.4"], TrustedProxies()) == "198.51.100.1"
    assert client_address("2001:db8::9", ["1.2.3.4"], PROXIES) == "2001:db8::9"


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() -> None:
    assert client_address("10.0.0.5", ["203.0.113.7"], PROXIES) == "203.0.113.7"
    # What the client wrote itself is left of what the proxy added: never read.
    assert client_address("10.0.0.5", ["6.6.6.6, 203.0.113.7"], PROXIES) == "203.0.113.7"
    # Trusted hops (addresses, CIDR networks, IPv6) are skipped from the right.
    assert client_address("172.20.0.3", ["6.6.6.6, 203.0.113.7, 10.0.0.5, 172.31.9.9"], PROXIES) == (
        "203.0.113.7"
    )
    assert client_address("fd00:1::2", ["2001:db8::7, fd00:1::3"], PROXIES) == "2001:db8::7"
    assert client_address("10.0.0.5", ["[2001:db8::7]:443"], PROXIES) == "2001:db8::7"
    # Repeated header lines are one list, in order.
    assert client_address("10.0.0.5", ["6.6.6.6", "203.0.113.7, 10.0.0.5"], PROXIES) == "203.0.113.7"
    # 172.15.x is outside 172.16.0.0/12: a client.
    assert client_address("10.0.0.5", ["172.15.0.1"], PROXIES) == "172.15.0.1"


def test_no_header_or_an_empty_one_leaves_the_proxy_as_the_client() -> None:
    assert client_address("10.0.0.5", [], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", [""], PROXIES) == "10.0.0.5"


def test_garbage_ends_the_walk_at_the_last_address_a_trusted_proxy_vouched_for() -> None:
    assert client_address("10.0.0.5", ["garbage"], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", ["203.0.113.7, garbage"], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", ["203.0.113.7, garbage, 172.16.0.9"], PROXIES) == "172.16.0.9"
    assert client_address("10.0.0.5", ["garbage, 203.0.113.7"], PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.5", ["203.0.113.7,,"], PROXIES) == "10.0.0.5"


def test_at_most_a_bounded_number_of_entries_is_read() -> None:
    # All trusted: the left-most one read is the client; nothing further left is looked at.
    hops = [f"172.16.0.{n}" for n in range(1, 250)]
    assert (
        client_address("10.0.0.5", [", ".join(["203.0.113.7", *hops])], PROXIES)
        == (hops[-MAX_FORWARDED_ENTRIES])
    )
    # Split over many header lines, the same.
    assert client_address("10.0.0.5", ["203.0.113.7", *hops], PROXIES) == hops[-MAX_FORWARDED_ENTRIES]
    within = [f"172.16.0.{n}" for n in range(1, MAX_FORWARDED_ENTRIES)]
    assert client_address("10.0.0.5", [", ".join(["203.0.113.7", *within])], PROXIES) == "203.0.113.7"
    # A huge header of junk costs the same as a short one and changes nothing.
    assert client_address("10.0.0.5", ["x," * 100_000 + "203.0.113.7"], PROXIES) == "203.0.113.7"


def test_a_peer_that_is_not_an_ip_address_is_kept() -> None:
    assert client_address(None, ["203.0.113.7"], PROXIES) == "unknown"
    assert client_address("/run/edge.sock", ["203.0.113.7"], PROXIES) == "/run/edge.sock"


def test_ipv6_clients_share_a_bucket_per_64() -> None:
    assert bucket_address("2001:db8:1:2::1") == bucket_address("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert bucket_address("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert bucket_address("2001:db8:1:3::1") != bucket_address("2001:db8:1:2::1")
    assert bucket_address("203.0.113.7") == "203.0.113.7"
    assert bucket_address("::ffff:203.0.113.7") == "203.0.113.7"
    assert bucket_address("unknown") == "unknown"


@pytest.mark.parametrize("entry", ["*", "0.0.0.0/0", "::/0", "10.0.0.1/8", "edge-proxy", "10.0.0.300"])
def test_trusting_everyone_or_something_unclear_is_refused(entry: str) -> None:
    with pytest.raises(ValueError, match=entry.replace("*", r"\*")):
        TrustedProxies.parse([entry])
    with pytest.raises(ValidationError):
        EdgeSettings(trusted_proxies=[entry])


def test_settings_take_a_comma_separated_or_json_list_and_trust_nobody_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert EdgeSettings().trusted_proxies == []
    monkeypatch.setenv("EDGE_TRUSTED_PROXIES", "172.31.250.10, fd00::/64")
    assert EdgeSettings().trusted_proxies == ["172.31.250.10", "fd00::/64"]
    monkeypatch.setenv("EDGE_TRUSTED_PROXIES", '["10.0.0.5"]')
    assert EdgeSettings().trusted_proxies == ["10.0.0.5"]
    monkeypatch.setenv("EDGE_TRUSTED_PROXIES", "")
    assert EdgeSettings().trusted_proxies == []


def test_the_old_forwarded_allow_ips_setting_stops_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_FORWARDED_ALLOW_IPS", "*")
    with pytest.raises(ValidationError, match="EDGE_TRUSTED_PROXIES"):
        EdgeSettings()


def test_uvicorn_leaves_forwarded_headers_to_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_TRUSTED_PROXIES", "172.31.250.10")
    config = edge.__main__.server_config(EdgeSettings())
    assert config.proxy_headers is False
    assert config.forwarded_allow_ips == "172.31.250.10"


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = f"{scope['client'][0]} {scope['scheme']} {scope.get(PEER_KEY, ('-',))[0]}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def _seen(trusted: list[str], peer: str, headers: dict[str, str]) -> str:
    app = ClientAddressMiddleware(_echo, trusted=TrustedProxies.parse(trusted))
    transport = httpx.ASGITransport(app=app, client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://edge.test") as client:
        return (await client.get("/", headers=headers)).text


@pytest.mark.asyncio(loop_scope="session")
async def test_the_middleware_puts_the_client_in_the_scope() -> None:
    spoof = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"}
    assert await _seen([], "198.51.100.1", spoof) == "198.51.100.1 http -"
    assert await _seen(["10.0.0.5"], "198.51.100.1", spoof) == "198.51.100.1 http -"
    assert await _seen(["10.0.0.5"], "10.0.0.5", spoof) == "6.6.6.6 https 10.0.0.5"
    assert await _seen(["10.0.0.5"], "10.0.0.5", {"X-Forwarded-Proto": "gopher"}) == "10.0.0.5 http 10.0.0.5"


# ---------------------------------------------------------------------------------------- the token endpoint


def test_a_username_bucket_is_a_digest_that_merges_what_identity_merges() -> None:
    bucket = username_bucket("Ana.Perez@Example.com")
    assert bucket.startswith("auth:username:")
    assert "ana" not in bucket.lower().removeprefix("auth:username:")
    assert username_bucket("  ana.perez@example.com ") == bucket
    assert username_bucket("\uff21\uff2e\uff21.perez@example.com") == bucket  # full-width letters: NFKC
    assert username_bucket("ana.perez@example.org") != bucket
    assert normalize_username(" Ana@Example.COM\t") == "ana@example.com"


def redis_url(server: Redis) -> str:
    # The token endpoint needs Redis (without it the edge refuses sign-ins with 503); a database of
    # these tests' own keeps their address's bucket apart from other tests'.
    return f"redis://127.0.0.1:{server.port}/14"


@pytest.mark.asyncio(loop_scope="session")
async def test_the_route_still_reads_the_token_request_the_throttle_read(
    edge_client: EdgeClientFactory, redis_server: Redis
) -> None:
    async with edge_client(redis_url=redis_url(redis_server)) as client:
        # identity_svc is down here: 503 means the route got both fields (400 invalid_request if not).
        urlencoded = await client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": "a@b.co", "password": "pw-long"}
        )
        multipart = await client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "a@b.co", "password": "pw-long"},
            files={"unused": ("x.txt", b"x")},
        )
        # Without `refresh_token` the refresh cookie is read, which needs the CSRF header; none came.
        refresh = await client.post(
            "/api/v1/auth/token", data={"grant_type": "refresh_token"}, headers={"X-Taquilla-CSRF": "1"}
        )
    assert urlencoded.status_code == 503, urlencoded.text
    assert urlencoded.json()["error"] == "temporarily_unavailable"
    assert multipart.status_code == 503, multipart.text
    assert refresh.status_code == 400
    assert refresh.json()["error_description"] == "refresh_token is required"


@pytest.mark.asyncio(loop_scope="session")
async def test_a_username_sent_twice_is_refused(edge_client: EdgeClientFactory, redis_server: Redis) -> None:
    async with edge_client(redis_url=redis_url(redis_server)) as client:
        reply = await client.post(
            "/api/v1/auth/token",
            content=b"grant_type=password&username=a%40b.co&username=victim%40b.co&password=pw-long",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_request"
    assert reply.headers["cache-control"] == "no-store"


@pytest.mark.asyncio(loop_scope="session")
async def test_a_token_request_larger_than_the_bound_is_refused(
    edge_client: EdgeClientFactory, redis_server: Redis
) -> None:
    padding = "x" * MAX_TOKEN_BODY
    async with edge_client(redis_url=redis_url(redis_server)) as client:
        declared = await client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "a@b.co", "password": "pw", "pad": padding},
        )

        async def chunks() -> Any:
            yield b"grant_type=password&username=a%40b.co&pad="
            for _ in range(MAX_TOKEN_BODY // 1024 + 1):
                yield b"x" * 1024

        streamed = await client.post(
            "/api/v1/auth/token",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    for reply in (declared, streamed):
        assert reply.status_code == 413
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["type"].endswith("/content-too-large")
