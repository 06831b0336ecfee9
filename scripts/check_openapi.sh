#!/usr/bin/env bash
# Fails when the committed OpenAPI document or the frontend's types generated from it differ from
# what the edge's code makes now. Run with the project's environment: `uv run --frozen scripts/check_openapi.sh`.
set -euo pipefail
# The same openapi-typescript options as the gen:api:types script of frontend/package.json: fields with a
# default stay optional in request bodies (answers list every field as required anyway).
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
python scripts/export_openapi.py "$tmp/openapi.json"
frontend/node_modules/.bin/openapi-typescript "$tmp/openapi.json" -o "$tmp/schema.d.ts" --default-non-nullable false --silent >/dev/null
status=0
for f in openapi.json schema.d.ts; do
  if ! cmp -s "$tmp/$f" "frontend/src/api/$f"; then
    echo "out of date: frontend/src/api/$f" >&2
    diff -u "frontend/src/api/$f" "$tmp/$f" | head -n 20 >&2 || true
    status=1
  fi
done
if [ "$status" -ne 0 ]; then echo "the frontend's API types are out of date: run 'make openapi' and commit the result" >&2; exit 1; fi
echo "the frontend's API types are up to date"
