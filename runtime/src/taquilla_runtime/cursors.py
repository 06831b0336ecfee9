"""Opaque page cursors: a JSON list of a listing's position, URL-safe base64 without padding.

Every keyset-paginated listing hands out cursors made here and reads them back here, so a cursor
looks and fails the same way in every service.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

CURSOR_MAX_LENGTH = 512


class InvalidCursor(ValueError):
    """The cursor was not made by :func:`encode_cursor`, or was altered."""


def encode_cursor(position: list[Any]) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    """The position a cursor holds, which must be a list of ``length`` values."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise InvalidCursor("cursor too long")
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("not a cursor of this listing") from None
    if not isinstance(position, list) or len(position) != length:
        raise InvalidCursor("not a cursor of this listing")
    return position
