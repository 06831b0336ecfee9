"""Write the edge's GraphQL schema (SDL) to edge/graphql/schema.graphql, or check it is up to date.

Building the schema connects nowhere, so this works offline. `make test` runs it with --check,
as it checks the OpenAPI document: a change to the GraphQL types must come with the new schema.

    uv run --frozen python scripts/export_graphql_schema.py [--check] [OUTPUT]
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from edge.graphql.schema import SCHEMA

DEFAULT = Path(__file__).resolve().parent.parent / "edge" / "graphql" / "schema.graphql"


def schema_sdl() -> str:
    return SCHEMA.as_str().rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [arg for arg in argv[1:] if arg != "--check"]
    target = Path(paths[0]) if paths else DEFAULT
    text = schema_sdl()
    if not check:
        target.write_text(text, encoding="utf-8")
        return 0
    committed = target.read_text(encoding="utf-8") if target.exists() else ""
    if committed == text:
        print("the GraphQL schema is up to date")
        return 0
    diff = difflib.unified_diff(committed.splitlines(), text.splitlines(), str(target), "now", lineterm="")
    sys.stderr.write("\n".join(list(diff)[:20]) + "\n")
    sys.stderr.write(f"out of date: {target}: run 'make graphql-schema' and commit the result\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
