"""Who the client is: the peer, or what a trusted proxy says the peer was.

The rate limits are per client address, so this decides whether they can be escaped. A client may
write anything in ``X-Forwarded-For``; only what the edge's own proxies (``EDGE_TRUSTED_PROXIES``)
add can be believed, and each proxy adds the address it saw at the right end. So, only when the
direct peer is a trusted proxy, the header is read from the right, skipping trusted proxies: the
first address that is not one of them is the client. Nothing to the left of it is looked at (that
part is whatever the client sent). With no trusted proxy (the default) the peer is the client.

:class:`ClientAddressMiddleware` does this once per request and leaves the answer in
``scope["client"]`` (a trusted proxy that was the peer stays in ``scope["taquilla.peer"]``): every
bucket and every log line that names the client reads it from there. uvicorn's own proxy-header
handling is off (``edge.__main__``), so no other code decides this.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# At most this many X-Forwarded-For entries are read, from the right: a chain of proxies is short,
# and a header of thousands of entries costs no more than this.
MAX_FORWARDED_ENTRIES = 16
# The longest text an address can take: an IPv6 address with brackets, a zone and a port.
_MAX_ENTRY_LENGTH = 64
PEER_KEY = "taquilla.peer"
_FORWARDED_FOR = b"x-forwarded-for"
_FORWARDED_PROTO = b"x-forwarded-proto"


class TrustedProxies:
    """The proxies whose X-Forwarded-For entries are believed: addresses and networks (CIDR)."""

    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        self.networks = tuple(networks)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> TrustedProxies:
        """``["10.0.0.5", "172.31.250.0/28", "fd00::/64"]``; anything else is refused (ValueError)."""
        networks: list[IPNetwork] = []
        for entry in entries:
            text = entry.strip()
            if text == "*":
                raise ValueError("'*' would trust every peer's X-Forwarded-For: name the proxies")
            try:
                network = ipaddress.ip_network(text, strict=True)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or network (CIDR): {exc}") from None
            if network.prefixlen == 0:
                raise ValueError(f"{entry!r} would trust every peer's X-Forwarded-For: name the proxies")
            networks.append(network)
        return cls(networks)

    def __contains__(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def __bool__(self) -> bool:
        return bool(self.networks)


def parse_address(text: str) -> IPAddress | None:
    """The address in one X-Forwarded-For entry, or None when it is not one.

    Takes ``203.0.113.7``, ``2001:db8::1``, ``[2001:db8::1]``, and those with a port
    (``203.0.113.7:4711``, ``[2001:db8::1]:4711``); an IPv4-mapped IPv6 address is its IPv4 address.
    """
    text = text.strip()
    if not text or len(text) > _MAX_ENTRY_LENGTH:
        return None
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]")
        if not bracket or (port and not (port[0] == ":" and port[1:].isdigit())):
            return None
        text = host
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _right_most_entries(values: Sequence[str]) -> list[str]:
    """The X-Forwarded-For entries, right-most first, at most MAX_FORWARDED_ENTRIES of them.

    Repeated header lines count as one list in their order (RFC 9110, section 5.3).
    """
    entries: list[str] = []
    for value in reversed(values):
        for entry in reversed(value.rsplit(",", MAX_FORWARDED_ENTRIES - len(entries))):
            if len(entries) == MAX_FORWARDED_ENTRIES:
                return entries
            entries.append(entry)
    return entries


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: TrustedProxies) -> str:
    """The client's address: the right-most X-Forwarded-For address that is not a trusted proxy,
    when the peer is a trusted proxy; the peer otherwise.

    An entry that is no address ends the walk: the last address a trusted proxy vouched for is used
    (that proxy's own address, at worst), never the entry. When every entry read is a trusted proxy,
    the left-most one read is the client.
    """
    address = parse_address(peer) if peer else None
    if address is None:
        return peer or "unknown"  # not an IP peer (a Unix socket): nothing to resolve
    if address not in trusted or not forwarded_for:
        return str(address)
    for entry in _right_most_entries(forwarded_for):
        hop = parse_address(entry)
        if hop is None:
            break
        address = hop
        if hop not in trusted:
            break
    return str(address)


def bucket_address(address: str) -> str:
    """What a per-address bucket is keyed by: an IPv4 address, or an IPv6 address's /64.

    One IPv6 host usually holds a whole /64 and can pick a fresh address per request.
    """
    parsed = parse_address(address)
    if parsed is None:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((int(parsed) >> 64 << 64, 64)))
    return str(parsed)


def scope_client(scope: Scope) -> str:
    """The client's address of a request that went through :class:`ClientAddressMiddleware`."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class ClientAddressMiddleware:
    """Puts the client's address (:func:`client_address`) in ``scope["client"]``, and the scheme a
    trusted proxy was asked for (``X-Forwarded-Proto``) in ``scope["scheme"]``. Outermost."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if not self.trusted or not peer or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # no proxy to believe: the peer is the client
            return
        peer_address = parse_address(str(peer[0]))
        if peer_address is not None and peer_address in self.trusted:
            scope[PEER_KEY] = peer
            forwarded_for = [v.decode("latin-1") for k, v in scope["headers"] if k == _FORWARDED_FOR]
            client = client_address(str(peer[0]), forwarded_for, self.trusted)
            if client != str(peer_address):
                scope["client"] = (client, 0)
            proto = [v for k, v in scope["headers"] if k == _FORWARDED_PROTO]
            if proto:
                scheme = proto[-1].decode("latin-1").rsplit(",", 1)[-1].strip().lower()
                if scheme in ("http", "https"):
                    scope["scheme"] = scheme if scope["type"] == "http" else scheme.replace("http", "ws")
        await self.app(scope, receive, send)
