"""The edge answers as its OpenAPI document says: schemathesis runs every check against a platform of
its own, as an organizer and as an administrator, and must find nothing.

The platform is this module's own (not the session's shared one): the run changes the demo data the
document's examples name, and it needs rate limits no other test should have. Its examples and
coverage phases are deterministic (documented examples, then the boundaries of every schema: too
long, too large, wrong types, missing fields, undeclared methods), so a failure reproduces. What
the schema cannot state, and so may refuse a schema-valid request, is listed per operation, each
with its reason, in schemathesis.toml beside this file.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest

from devstack.processes import free_port
from devstack.stack import Ports, Stack
from tests.conftest import DEMO_PASSWORDS, PLATFORM_ENV

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "frontend" / "src" / "api" / "openapi.json"
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def own_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ports = Ports(**{name: free_port() for name in asdict(Ports())})
    stack = Stack(
        home=tmp_path_factory.mktemp("conformance"),
        ports=ports,
        durable=False,
        with_frontend=False,
        progress=lambda _: None,
        extra_env={**PLATFORM_ENV, "EDGE_RATE_LIMIT_USER": "1000000/60"},
    )
    try:
        stack.up()
        yield f"http://127.0.0.1:{ports.edge}"
    finally:
        stack.down()
        stack.postgres.destroy()


def access_token(edge: str, role: str) -> str:
    email, password = DEMO_PASSWORDS[role]
    reply = httpx.post(
        f"{edge}/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["access_token"]
    return token


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/events", "GET, POST"),
        ("OPTIONS", "/api/v1/events/5e1d0000-0000-4000-8000-000000000101", "GET, PATCH, DELETE"),
        ("PATCH", "/api/v1/events/search", "GET"),
    ],
)
def test_a_method_the_resource_lacks_gets_405_listing_every_method_it_has(
    own_platform: str, method: str, path: str, allow: str
) -> None:
    token = access_token(own_platform, "organizer")
    reply = httpx.request(
        method, own_platform + path, headers={"Authorization": f"Bearer {token}"}, json={}, timeout=30
    )
    assert reply.status_code == 405, reply.text
    assert reply.headers["allow"] == allow
    assert reply.headers["content-type"] == "application/problem+json"


# The organizer first: the administrator's run may deactivate or demote the demo accounts the
# document's examples name.
@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_the_api_answers_as_its_openapi_document_says(own_platform: str, role: str, tmp_path: Path) -> None:
    token = access_token(own_platform, role)
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        str(DOCUMENT),
        "--url",
        own_platform,
        "--checks",
        "all",
        "--phases",
        "examples,coverage",
        "--generation-deterministic",
        "--seed",
        "1",
        # One worker: with threads, CPython 3.11's compiler now and then stops schemathesis with
        # "AST constructor recursion depth mismatch" (a runtime error, not a finding).
        "--workers",
        "1",
        # A loaded CI machine answers slowly now and then; a slow answer is not what this checks.
        "--request-timeout",
        "60",
        "--header",
        f"Authorization: Bearer {token}",
        # Signing out would revoke the token the rest of the run uses; the logout route has its own tests.
        "--exclude-path",
        "/api/v1/auth/logout",
        "--report-dir",
        str(tmp_path),
        "--no-color",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    output = run.stdout.replace(token, "[token]")
    (tmp_path / "schemathesis.txt").write_text(output)
    failures = output[output.find("=====") :] if "=====" in output else output
    assert run.returncode == 0, f"{failures[:12000]}\n(whole output: {tmp_path / 'schemathesis.txt'})"
