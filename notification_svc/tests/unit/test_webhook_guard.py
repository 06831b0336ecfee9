"""The SSRF guard of webhook calls: every refused address (a fake resolver), rebinding, the https rule,
and one real connection to a receiver on 127.0.0.1 (allowed only with allow_private)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from notification_svc.adapters.webhook_http import (
    GuardedTransport,
    parse_target,
    refusal,
    validated_address,
)
from notification_svc.config import Settings
from notification_svc.domain.webhooks import AttemptFailed, InvalidEndpoint, TargetRefused

REFUSED = [
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "169.254.1.1", "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "::ffff:169.254.169.254", "2002:7f00:1::", "64:ff9b::a9fe:a9fe", "fd00:ec2::254",
]  # fmt: skip
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_refuses_addresses_inside_or_reserved(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_allows_public_unicast_addresses(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_the_metadata_address_is_named_as_such() -> None:
    assert refusal(ipaddress.ip_address("169.254.169.254")) == "a cloud metadata address"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # not https
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/x",
        "https://hooks.example.com/x#frag",
        "/relative",
        "https://hooks.example.com:99999/x",
    ],
)
def test_registration_refuses_urls_that_may_never_be_called(url: str) -> None:
    with pytest.raises(InvalidEndpoint):
        parse_target(url, require_https=True, allow_private=False)


def test_plain_http_and_local_receivers_only_with_the_development_settings() -> None:
    target = parse_target("http://127.0.0.1:8080/hook?x=1", require_https=False, allow_private=True)
    assert (target.host, target.port, target.path, target.host_header) == (
        "127.0.0.1", 8080, "/hook?x=1", "127.0.0.1:8080"
    )  # fmt: skip


def resolver(*answers: str):  # type: ignore[no-untyped-def]
    calls: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return list(answers)

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.asyncio(loop_scope="session")
async def test_a_name_resolving_to_any_private_address_is_refused() -> None:
    target = parse_target("https://hooks.example.com/x", require_https=True, allow_private=False)
    for answers in (["10.0.0.5"], ["93.184.216.34", "127.0.0.1"], ["::ffff:169.254.169.254"], []):
        with pytest.raises(TargetRefused):
            await validated_address(target, resolver(*answers), allow_private=False)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_public_name_resolves_once_to_the_address_connected_to() -> None:
    target = parse_target("https://hooks.example.com/x", require_https=True, allow_private=False)
    resolve = resolver("93.184.216.34")
    assert await validated_address(target, resolve, allow_private=False) == "93.184.216.34"
    assert resolve.calls == ["hooks.example.com"]  # type: ignore[attr-defined]


@pytest.mark.asyncio(loop_scope="session")
async def test_rebinding_cannot_reach_a_private_address_after_the_check() -> None:
    """The transport resolves once and connects to that address: a second, private answer is never
    asked for. Here the only answer is private, so nothing is connected to at all."""
    transport = GuardedTransport(require_https=True, allow_private=False, resolver=resolver("127.0.0.1"))
    with pytest.raises(TargetRefused):
        await transport.post("https://rebind.example.com/x", {}, b"{}")


@pytest.mark.asyncio(loop_scope="session")
async def test_the_transport_refuses_plain_http_outside_development() -> None:
    transport = GuardedTransport(require_https=True, allow_private=False, resolver=resolver("93.184.216.34"))
    with pytest.raises(TargetRefused):
        await transport.post("http://hooks.example.com/x", {}, b"{}")


# ---------------------------------------------------------------- one real connection


class Receiver:
    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.status = b"200 OK"
        self.body = b"thanks"
        self.stall = False

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        self.requests.append(head + await reader.readexactly(length))
        if self.stall:
            await asyncio.Event().wait()  # never answers: the client's timeout must end it
        writer.write(b"HTTP/1.1 " + self.status + b"\r\nLocation: http://10.0.0.1/\r\n\r\n" + self.body)
        await writer.drain()
        writer.close()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, int]]:
    state = Receiver()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield state, port
        server.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_local_receiver_is_refused_without_the_development_setting(
    receiver: tuple[Receiver, int],
) -> None:
    state, port = receiver
    transport = GuardedTransport(require_https=False, allow_private=False)
    with pytest.raises(TargetRefused):
        await transport.post(f"http://127.0.0.1:{port}/hook", {}, b"{}")
    assert state.requests == []


@pytest.mark.asyncio(loop_scope="session")
async def test_posts_to_a_local_receiver_caps_the_answer_and_follows_no_redirect(
    receiver: tuple[Receiver, int],
) -> None:
    state, port = receiver
    state.status = b"302 Found"
    state.body = b"y" * 200_000
    transport = GuardedTransport(require_https=False, allow_private=True)
    result = await transport.post(f"http://127.0.0.1:{port}/hook", {"webhook-id": "msg_1"}, b'{"a":1}')
    assert result.status_code == 302
    assert not result.succeeded
    assert len(result.response) <= 64 * 1024
    assert len(state.requests) == 1
    assert b"webhook-id: msg_1" in state.requests[0]
    assert state.requests[0].endswith(b'{"a":1}')
    assert f"Host: 127.0.0.1:{port}".encode() in state.requests[0]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt(
    receiver: tuple[Receiver, int],
) -> None:
    state, port = receiver
    state.stall = True
    transport = GuardedTransport(require_https=False, allow_private=True, timeout=0.2)
    with pytest.raises(AttemptFailed):
        await transport.post(f"http://127.0.0.1:{port}/hook", {}, b"{}")


@pytest.mark.parametrize("environment", ["test", "production"])
def test_private_targets_are_a_development_setting_only(environment: str) -> None:
    with pytest.raises(ValueError, match="development only"):
        Settings(
            environment=environment,
            database_url="postgresql+asyncpg://notification_svc:s3cret-value@db/taquilla_notifications",
            webhooks_allow_private_targets=True,
            smtp_security="tls",
            principal_secrets=["the-platform-principal-secret-0123456789"],  # production's own check
        )
