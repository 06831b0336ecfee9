#!/usr/bin/env bash
# Generates Python code and .pyi stubs next to every .proto under protos/taquilla with the pinned grpcio-tools.
# Usage: scripts/gen_protos.sh [OUTPUT_DIR]   (default: protos, i.e. in place); run inside the project venv
# (`uv run scripts/gen_protos.sh`, as `make protos` does) so the pinned grpcio-tools is used.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-protos}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
mapfile -t files < <(cd protos && find taquilla -name '*.proto' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no .proto files under protos/taquilla" >&2; exit 1; fi
(cd protos && ${PYTHON:-python} -m grpc_tools.protoc -I . \
    --python_out="$out" --grpc_python_out="$out" \
    --mypy_out="quiet:$out" --mypy_grpc_out="quiet:$out" "${files[@]}")
echo "generated code for ${#files[@]} proto file(s) into $out/"
