"""Stripe's webhook signatures, checked the way Stripe's own libraries check them.

Stripe sends ``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]``: each ``v1`` is the
HMAC-SHA256, keyed by an endpoint's signing secret, of ``"{t}.{raw body}"`` (several ``v1`` while
Stripe itself rolls a secret). A notification is accepted when some ``v1`` matches the HMAC under
one of our secrets (two during our own rotation), compared in constant time, and ``t`` is within
the tolerance of now, either side: an old notification replayed, or one stamped in the future, is
refused. Anything else (no header, no ``t``, no ``v1``, a header too long to be Stripe's) is refused
without computing anything.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

TOLERANCE_SECONDS = 300
# Stripe's header is well under 1 KiB; a longer one, or one with many signatures, is not Stripe's,
# and bounding both bounds the work a forged request can cause.
MAX_HEADER_LENGTH = 2048
MAX_SIGNATURES = 8


class InvalidSignature(Exception):
    """The notification is not (or no longer) signed by one of our secrets; the message says why,
    in words safe to show to the caller."""


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > MAX_HEADER_LENGTH:
        raise InvalidSignature("The Stripe-Signature header is too long.")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise InvalidSignature("The Stripe-Signature timestamp is not a Unix time.")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature("The Stripe-Signature header needs a timestamp (t) and a v1 signature.")
    if len(signatures) > MAX_SIGNATURES:
        raise InvalidSignature("The Stripe-Signature header holds too many signatures.")
    return timestamp, signatures


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The v1 signature of ``payload`` at ``timestamp`` (hex), as Stripe computes it."""
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(
    payload: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Returns the signature's timestamp, or raises :class:`InvalidSignature`.

    ``payload`` is the request body exactly as received (never re-serialised JSON).
    """
    if not header:
        raise InvalidSignature("The Stripe-Signature header is missing.")
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature("The Stripe-Signature timestamp is outside the tolerance.")
    expected = [sign(payload, secret, timestamp) for secret in secrets if secret]
    # Every pair is compared (no early exit), each in constant time: the answer's timing says
    # nothing about which signature, or how much of it, was right.
    matched = False
    for candidate in signatures:
        given = candidate.lower().encode("ascii", "replace")
        for wanted in expected:
            matched |= hmac.compare_digest(given, wanted.encode())
    if not matched:
        raise InvalidSignature("No signature matches the payload under the webhook's secrets.")
    return timestamp
