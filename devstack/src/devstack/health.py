"""Reads the edge's readiness report."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def readiness(url: str, timeout: float = 2.0) -> dict[str, Any]:
    """The JSON body of GET /readyz (200 or 503), or {"status": "unreachable"} when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 (local http URL we built)
            body: dict[str, Any] = json.loads(reply.read())
            return body
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
            return body
        except ValueError:
            return {"status": f"http {exc.code}"}
    except (urllib.error.URLError, OSError, ValueError):
        return {"status": "unreachable"}
