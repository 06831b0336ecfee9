"""Signed QR secrets of tickets: Ed25519 over a compact binary record, base32 for the QR code.

A door device holds only public keys (``TicketKeyRing.public_keys()``, JWK) and checks a ticket
offline; the service holds one active private key and the public keys of retired ones, so tickets
issued before a rotation stay valid until they expire.

The secret, version 1, is the unpadded RFC 4648 base32 (upper case) of these bytes::

    offset  size  field
    0       1     version, 0x01
    1       1     n, the key id's length (1..8)
    2       n     the key id, ASCII [A-Za-z0-9._-]
    2+n     16    ticket id (UUID, raw bytes)
    18+n    16    session id
    34+n    16    zone id
    50+n    4     valid_from, unsigned big-endian seconds since the Unix epoch (UTC)
    54+n    4     valid_until, the same
    58+n    64    Ed25519 signature over bytes 0 .. 57+n

Times are whole seconds, rounded down. The record is 122 + n bytes; with a 2-character key id it is
124 bytes and the secret 199 characters. Base32's alphabet (A-Z, 2-7) is a subset of the QR code's
alphanumeric mode (5.5 bits a character, against 8 in byte mode), so the 199 characters fit a
version 8 symbol (49 x 49 modules) at error correction M, where base64url's 166 characters in byte
mode would need version 9 (measured with segno 1.6: ``segno.make(secret, error="M")``; with an
8-character key id, 208 characters, still version 8). Only the canonical encoding verifies: a
character changed anywhere, even in the unused low bits of the last one, is refused.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = 1
SIGNATURE_SIZE = 64
_KEY_SIZE = 32
_KID = re.compile(r"[A-Za-z0-9._-]{1,8}")
_BASE32 = re.compile(r"[A-Z2-7]+")
_TIMES = struct.Struct(">II")
_BODY_AFTER_KID = 3 * 16 + _TIMES.size
# The longest well-formed secret is 208 characters; anything far longer is refused before decoding.
_MAX_SECRET_CHARS = 256
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)

MALFORMED = "malformed"
UNSUPPORTED_VERSION = "unsupported version"
UNKNOWN_KEY = "unknown key id"
BAD_SIGNATURE = "bad signature"
OUTSIDE_WINDOW = "outside the validity window"


class InvalidTicketSecret(Exception):
    """A secret that does not prove a ticket; ``reason`` says why (one of this module's constants)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TicketOutsideWindow(InvalidTicketSecret):
    """A genuine ticket presented before ``valid_from`` or after ``valid_until``."""

    def __init__(self, claims: TicketClaims) -> None:
        super().__init__(OUTSIDE_WINDOW)
        self.claims = claims


@dataclass(frozen=True)
class TicketClaims:
    """What a secret proves: this ticket admits to this session's zone between the two times (UTC)."""

    ticket_id: uuid.UUID
    session_id: uuid.UUID
    zone_id: uuid.UUID
    valid_from: dt.datetime
    valid_until: dt.datetime


def _seconds(moment: dt.datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    seconds = (moment - _EPOCH) // _SECOND
    if not 0 <= seconds < 2**32:
        raise ValueError(f"{name} is outside 1970-01-01 .. 2106-02-07 (UTC), which a secret can hold")
    return seconds


def _moment(seconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=seconds)


def _encode(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _decode(secret: str) -> bytes:
    if not isinstance(secret, str) or not 0 < len(secret) <= _MAX_SECRET_CHARS:
        raise InvalidTicketSecret(MALFORMED)
    if _BASE32.fullmatch(secret) is None:
        raise InvalidTicketSecret(MALFORMED)
    try:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        raise InvalidTicketSecret(MALFORMED) from None
    # b32decode ignores the unused low bits of the last character; only the canonical text verifies.
    if _encode(raw) != secret:
        raise InvalidTicketSecret(MALFORMED)
    return raw


def _check_kid(kid: str, where: str) -> str:
    if _KID.fullmatch(kid) is None:
        raise ValueError(f"{where}: the key id must be 1 to 8 characters of A-Z a-z 0-9 . _ -")
    return kid


def _key_bytes(text: str, where: str) -> bytes:
    unpadded = text.strip().rstrip("=")
    try:
        raw = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where}: the key is not base64url") from None
    if len(raw) != _KEY_SIZE:
        raise ValueError(f"{where}: the key must be {_KEY_SIZE} raw bytes, got {len(raw)}")
    return raw


def _split(entry: str, where: str) -> tuple[str, str]:
    kid, colon, key = entry.strip().partition(":")
    if not colon:
        raise ValueError(f"{where}: expected '<key id>:<base64url key>'")
    return _check_kid(kid, where), key


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class TicketKeyRing:
    """One active Ed25519 signing key and the public keys that verify: the active one and retired ones."""

    def __init__(
        self,
        active_kid: str,
        active_key: Ed25519PrivateKey,
        retired: Sequence[tuple[str, Ed25519PublicKey]] = (),
    ) -> None:
        self._kid = _check_kid(active_kid, "active ticket key")
        self._private = active_key
        self._verifying: dict[str, Ed25519PublicKey] = {self._kid: active_key.public_key()}
        for kid, public in retired:
            _check_kid(kid, "retired ticket key")
            if kid in self._verifying:
                raise ValueError(f"ticket key id {kid!r} appears twice in the key ring")
            self._verifying[kid] = public

    @classmethod
    def from_config(cls, active: str, retired: Sequence[str] = ()) -> TicketKeyRing:
        """``active`` is ``"<kid>:<base64url 32-byte private seed>"``, each retired one
        ``"<kid>:<base64url 32-byte public key>"``. Errors name the entry, never its key material."""
        if isinstance(retired, str):
            raise ValueError("retired ticket keys must be a sequence of strings, not one string")
        kid, key = _split(active, "active ticket key")
        private = Ed25519PrivateKey.from_private_bytes(_key_bytes(key, f"active ticket key {kid!r}"))
        old: list[tuple[str, Ed25519PublicKey]] = []
        for number, entry in enumerate(retired, start=1):
            where = f"retired ticket key #{number}"
            old_kid, old_key = _split(entry, where)
            raw = _key_bytes(old_key, f"{where} ({old_kid!r})")
            old.append((old_kid, Ed25519PublicKey.from_public_bytes(raw)))
        return cls(kid, private, old)

    @classmethod
    def generate(cls, kid: str) -> TicketKeyRing:
        """A ring with a fresh random key and nothing retired: for tests and development."""
        return cls(kid, Ed25519PrivateKey.generate())

    @property
    def active_kid(self) -> str:
        return self._kid

    def sign(self, claims: TicketClaims) -> str:
        """The QR secret of ``claims``, signed with the active key."""
        start = _seconds(claims.valid_from, "valid_from")
        end = _seconds(claims.valid_until, "valid_until")
        if end < start:
            raise ValueError("valid_until is before valid_from")
        kid = self._kid.encode("ascii")
        body = b"".join(
            (
                bytes((VERSION, len(kid))),
                kid,
                claims.ticket_id.bytes,
                claims.session_id.bytes,
                claims.zone_id.bytes,
                _TIMES.pack(start, end),
            )
        )
        return _encode(body + self._private.sign(body))

    def verify(self, secret: str, *, now: dt.datetime | None = None) -> TicketClaims:
        """The claims ``secret`` proves, or ``InvalidTicketSecret``; with ``now``, also
        ``TicketOutsideWindow`` unless ``valid_from <= now <= valid_until`` (whole seconds)."""
        raw = _decode(secret)
        if raw[0] != VERSION:
            raise InvalidTicketSecret(UNSUPPORTED_VERSION)
        if len(raw) < 2:
            raise InvalidTicketSecret(MALFORMED)
        kid_size = raw[1]
        body_size = 2 + kid_size + _BODY_AFTER_KID
        if not 1 <= kid_size <= 8 or len(raw) != body_size + SIGNATURE_SIZE:
            raise InvalidTicketSecret(MALFORMED)
        kid = raw[2 : 2 + kid_size].decode("latin-1")
        if _KID.fullmatch(kid) is None:
            raise InvalidTicketSecret(MALFORMED)
        public = self._verifying.get(kid)
        if public is None:
            raise InvalidTicketSecret(UNKNOWN_KEY)
        try:
            public.verify(raw[body_size:], raw[:body_size])
        except InvalidSignature:
            raise InvalidTicketSecret(BAD_SIGNATURE) from None
        at = 2 + kid_size
        start, end = _TIMES.unpack_from(raw, at + 48)
        claims = TicketClaims(
            ticket_id=uuid.UUID(bytes=raw[at : at + 16]),
            session_id=uuid.UUID(bytes=raw[at + 16 : at + 32]),
            zone_id=uuid.UUID(bytes=raw[at + 32 : at + 48]),
            valid_from=_moment(start),
            valid_until=_moment(end),
        )
        if now is not None:
            moment = _seconds(now, "now")
            if not start <= moment <= end:
                raise TicketOutsideWindow(claims)
        return claims

    def public_keys(self) -> list[dict[str, str]]:
        """Every verifying key as an Ed25519 JWK (RFC 8037), the active one first."""
        return [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "kid": kid,
                "x": base64.urlsafe_b64encode(_raw_public(public)).decode("ascii").rstrip("="),
                "use": "sig",
                "alg": "EdDSA",
            }
            for kid, public in self._verifying.items()
        ]
