"""Write the edge's OpenAPI document as stable, sorted JSON, without starting any server.

Building the app connects nowhere (clients are opened in the lifespan, which never runs here), so
this works offline. The frontend's API types are generated from the result (`make openapi`).

    uv run --frozen python scripts/export_openapi.py [OUTPUT]   # stdout without OUTPUT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from edge.app import create_app


def openapi_json() -> str:
    document = create_app().openapi()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    text = openapi_json()
    if len(argv) > 1:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
