"""``python -m psp_sim.probe URL``: exit 0 when URL answers 200 (the container's healthcheck)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else "http://127.0.0.1:12111/healthz"
    if not url.startswith(("http://", "https://")):
        print(f"not an http URL: {url}", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(url, timeout=3) as reply:  # noqa: S310 (http(s) checked above)
            return 0 if reply.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
