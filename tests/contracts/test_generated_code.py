"""Generated gRPC code is committed and must match the .proto files (ADR 0002)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / "scripts" / "check_protos.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )


def test_committed_generated_code_matches_the_protos() -> None:
    result = run_check(REPO)
    assert result.returncode == 0, result.stderr


def test_the_check_fails_when_a_proto_changes_without_regenerating(tmp_path: Path) -> None:
    shutil.copytree(REPO / "scripts", tmp_path / "scripts")
    shutil.copytree(REPO / "protos" / "taquilla", tmp_path / "protos" / "taquilla")
    proto = tmp_path / "protos" / "taquilla" / "events" / "v1" / "event_service.proto"
    proto.write_text(
        proto.read_text() + "\n// A message nobody regenerated.\nmessage Drift { string id = 1; }\n"
    )
    result = run_check(tmp_path)
    assert result.returncode == 1
    assert "out of date: protos/taquilla/events/v1/event_service_pb2.py" in result.stderr
    assert "make protos" in result.stderr


def test_every_service_has_a_versioned_package_whose_path_mirrors_it() -> None:
    for context in ("events", "identity", "notifications"):
        protos = list((REPO / "protos" / "taquilla" / context / "v1").glob("*.proto"))
        assert protos, context
        for proto in protos:
            assert f"package taquilla.{context}.v1;" in proto.read_text()
