"""Calling a partner's webhook endpoint without letting it reach inside the platform (SSRF guard).

The host is resolved once; every address it resolves to must be public (no loopback, private,
link-local, CGNAT, multicast, reserved or unspecified address, nor the IPv6 forms of those: IPv4-mapped,
6to4, Teredo, NAT64, unique-local); the connection is then made to that validated address, with the
original host name in the Host header and as TLS SNI (the certificate is checked against it), so a
DNS answer that changes between the check and the connect (rebinding) is never used. Redirects are
not followed (a 3xx is a failed attempt), the whole attempt has a deadline, and at most
``MAX_RESPONSE_BYTES`` of the answer are read.

Only a development setting (``allow_private``) lets a test point an endpoint at 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from notification_svc.application.webhook_ports import WebhookTransport
from notification_svc.domain.webhooks import AttemptFailed, AttemptResult, InvalidEndpoint, TargetRefused

MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_URL_LENGTH = 2048

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


# In order: the first that matches names the refusal (a metadata address is also link-local).
_REFUSALS: tuple[tuple[Callable[[IpAddress], bool], str], ...] = (
    (lambda a: a in _METADATA, "a cloud metadata address"),
    (lambda a: a.is_loopback, "a loopback address"),
    (lambda a: a.is_unspecified, "an unspecified address"),
    (lambda a: a.is_link_local, "a link-local address"),
    (lambda a: a.is_multicast, "a multicast address"),
    (lambda a: isinstance(a, ipaddress.IPv4Address) and a in _CGNAT, "a shared (CGNAT) address"),
    (lambda a: a.is_private, "a private address"),
    (lambda a: a.is_reserved or not a.is_global, "a reserved address"),
)


def refusal(address: IpAddress) -> str | None:
    """Why a connection to ``address`` is refused, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            why = refusal(embedded)
            return f"{why} (inside an IPv6 address)" if why else None
    for refused, why in _REFUSALS:
        if refused(address):
            return why
    return None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_target(url: str, *, require_https: bool, allow_private: bool) -> Target:
    """The URL's parts, or InvalidEndpoint("url", why) for one that may never be called."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidEndpoint("url", f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidEndpoint("url", "is not a URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidEndpoint("url", "must be an absolute http(s) URL")
    if parts.scheme != "https" and require_https:
        raise InvalidEndpoint("url", "must use https")
    if parts.username is not None or parts.password is not None:
        raise InvalidEndpoint("url", "must not carry credentials")
    if parts.fragment:
        raise InvalidEndpoint("url", "must not have a fragment")
    host = parts.hostname.lower()
    if any(c.isspace() for c in url):
        raise InvalidEndpoint("url", "must not contain spaces")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not allow_private and (why := refusal(literal)):
        raise InvalidEndpoint("url", f"points at {why}")
    if literal is None and not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise InvalidEndpoint("url", "points at this machine")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def validated_address(target: Target, resolver: Resolver, *, allow_private: bool) -> str:
    """The one address to connect to: resolved once, every answer checked (TargetRefused)."""
    try:
        answers = await resolver(target.host, target.port)
    except OSError as exc:
        raise TargetRefused(f"{target.host} does not resolve ({exc.__class__.__name__})") from None
    if not answers:
        raise TargetRefused(f"{target.host} does not resolve")
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
    if not allow_private:
        for address in addresses:
            if why := refusal(address):
                raise TargetRefused(f"{target.host} resolves to {why}")
    return str(addresses[0])


class GuardedTransport(WebhookTransport):
    """POSTs a webhook: the SSRF checks above, a deadline, a capped read, no redirects."""

    def __init__(
        self,
        *,
        require_https: bool,
        allow_private: bool,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        resolver: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._require_https = require_https
        self._allow_private = allow_private
        self._timeout = timeout
        self._resolver = resolver
        self._ssl = ssl_context or ssl.create_default_context()

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptResult:
        started = time.perf_counter()
        try:
            target = parse_target(url, require_https=self._require_https, allow_private=self._allow_private)
        except InvalidEndpoint as exc:
            raise TargetRefused(f"the URL {exc.message}") from None
        try:
            async with asyncio.timeout(self._timeout):
                address = await validated_address(target, self._resolver, allow_private=self._allow_private)
                status, response = await self._exchange(target, address, headers, body)
        except TimeoutError:
            raise AttemptFailed(f"no answer within {self._timeout:g} s") from None
        except ssl.SSLError as exc:
            raise AttemptFailed(f"TLS failed: {exc.reason or exc.__class__.__name__}") from None
        except OSError as exc:
            raise AttemptFailed(f"connection failed: {exc.strerror or exc.__class__.__name__}") from None
        latency = int((time.perf_counter() - started) * 1000)
        return AttemptResult(status, latency, response.decode("utf-8", "replace"))

    async def _exchange(
        self, target: Target, address: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes]:
        tls = target.scheme == "https"
        reader, writer = await asyncio.open_connection(
            address,
            target.port,
            ssl=self._ssl if tls else None,
            server_hostname=target.host if tls else None,
        )
        try:
            head = [
                f"POST {target.path} HTTP/1.1",
                f"Host: {target.host_header}",
                "User-Agent: Taquilla-Webhooks/1",
                "Content-Type: application/json",
                f"Content-Length: {len(body)}",
                "Connection: close",
                *(f"{name}: {value}" for name, value in headers.items()),
            ]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            raw = await _read_capped(reader, MAX_RESPONSE_BYTES)
        finally:
            writer.close()
        return _parse_response(raw)


async def _read_capped(reader: asyncio.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await reader.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _parse_response(raw: bytes) -> tuple[int, bytes]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise AttemptFailed("the answer is not HTTP")
    chunked = b"transfer-encoding: chunked" in head.lower()
    return int(parts[1]), _dechunk(rest) if chunked else rest


def _dechunk(data: bytes) -> bytes:
    """The body of a chunked answer, as far as it was read."""
    out = bytearray()
    while data:
        size_line, sep, data = data.partition(b"\r\n")
        if not sep:
            break
        try:
            size = int(size_line.split(b";", 1)[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)
