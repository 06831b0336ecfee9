#!/usr/bin/env bash
# Fails when the committed generated code differs from what the pinned grpcio-tools makes of the .proto files.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
scripts/gen_protos.sh "$tmp" >/dev/null
status=0
while IFS= read -r f; do
  rel="${f#"$tmp"/}"
  if ! cmp -s "$f" "protos/$rel"; then echo "out of date: protos/$rel" >&2; status=1; fi
done < <(find "$tmp" -type f | sort)
while IFS= read -r f; do
  rel="${f#protos/}"
  [ -f "$tmp/$rel" ] || { echo "stale generated file (no .proto makes it): $f" >&2; status=1; }
done < <(find protos/taquilla -type f \( -name '*_pb2*.py' -o -name '*_pb2*.pyi' \) | sort)
if [ "$status" -ne 0 ]; then echo "generated gRPC code is out of date: run 'make protos' and commit the result" >&2; exit 1; fi
echo "generated gRPC code is up to date"
