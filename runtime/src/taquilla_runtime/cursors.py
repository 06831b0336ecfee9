"""Opaque page cursors: a JSON value naming where a page ended, URL-safe base64 without padding.

Every keyset-paginated listing hands out cursors made here and reads them back here, so a cursor
looks and fails the same way in every service; what the value holds is the listing's business.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

CURSOR_MAX_LENGTH = 1024


class InvalidCursor(ValueError):
    """The cursor was not made by :func:`encode_cursor`, or was altered."""


def encode_cursor(position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The value a cursor holds; InvalidCursor for anything :func:`encode_cursor` did not make."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise InvalidCursor("cursor too long")
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("not a cursor of this listing") from None
