"""Starts the platform the way `make up` does and checks it through the edge."""

import json
import os
import signal
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from devstack.health import readiness
from devstack.processes import free_port, pid_alive, port_open
from devstack.stack import REPO_ROOT, Ports, Stack

pytestmark = pytest.mark.e2e


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.status, dict(reply.headers), reply.read()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (REPO_ROOT / "frontend" / "node_modules").exists():
        pytest.fail("frontend dependencies are missing: run `make deps` (make test does it first)")
    ports = Ports(**{name: free_port() for name in asdict(Ports())})
    stack = Stack(home=tmp_path_factory.mktemp("stack"), ports=ports, durable=False, progress=lambda _: None)
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
        stack.postgres.destroy()


def test_every_service_and_dependency_is_ready_through_the_edge(stack: Stack) -> None:
    state = readiness(f"http://127.0.0.1:{stack.ports.edge_internal}/readyz")
    assert state["status"] == "ready"
    assert {c["name"]: c["status"] for c in state["checks"]} == {
        "identity_svc": "up",
        "event_svc": "up",
        "notification_svc": "up",
        "ticketing_svc": "up",
        "redis": "up",
    }


def test_edge_serves_its_api_documentation(stack: Stack) -> None:
    base = f"http://127.0.0.1:{stack.ports.edge}"
    status, _, body = get(f"{base}/openapi.json")
    assert status == 200
    assert json.loads(body)["info"]["title"] == "Taquilla API"
    assert get(f"{base}/docs")[0] == 200
    assert get(f"{base}/redoc")[0] == 200


def test_every_service_exposes_prometheus_metrics(stack: Stack) -> None:
    p = stack.ports
    for port in (p.identity_metrics, p.event_metrics, p.notification_metrics, p.ticketing_metrics):
        _, headers, body = get(f"http://127.0.0.1:{port}/metrics")
        assert headers["Content-Type"].startswith("text/plain")
        assert b"taquilla_grpc_server_handled_total" in body
    assert b"taquilla_outbox_backlog" in get(f"http://127.0.0.1:{p.event_metrics}/metrics")[2]
    assert (
        b"taquilla_ticketing_svc_last_sweep_timestamp_seconds"
        in get(f"http://127.0.0.1:{p.ticketing_metrics}/metrics")[2]
    )
    assert b"taquilla_edge_http_requests_total" in get(f"http://127.0.0.1:{p.edge}/metrics")[2]


def test_services_log_json_lines_with_the_service_name(stack: Stack) -> None:
    for service in ("identity_svc", "event_svc", "notification_svc", "ticketing_svc", "edge"):
        lines = [
            line for line in (stack.logs / f"{service}.log").read_text().splitlines() if line.startswith("{")
        ]
        assert lines, f"{service} wrote no JSON log line"
        assert all(json.loads(line)["service"] == service for line in lines)


def test_frontend_dev_server_serves_the_app_and_reaches_the_edge(stack: Stack) -> None:
    status, _, body = get(f"http://127.0.0.1:{stack.ports.frontend}/")
    assert status == 200
    assert b'<div id="root">' in body
    assert readiness(f"http://127.0.0.1:{stack.ports.frontend}/readyz")["status"] == "ready"


def test_a_second_up_starts_nothing_twice(stack: Stack) -> None:
    pids = {f.name: f.read_text() for f in stack.pids.glob("*.pid")}
    stack.up()
    assert {f.name: f.read_text() for f in stack.pids.glob("*.pid")} == pids


def test_sigterm_stops_a_service_gracefully_and_readiness_reports_it(stack: Stack) -> None:
    pid = int((stack.pids / "event_svc.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(pid)
    log = [
        json.loads(line)
        for line in (stack.logs / "event_svc.log").read_text().splitlines()
        if line.startswith("{")
    ]
    messages = [entry["message"] for entry in log]
    assert "draining in-flight gRPC calls" in messages
    assert messages[-1] == "service stopped"
    state = readiness(f"http://127.0.0.1:{stack.ports.edge_internal}/readyz")
    assert state["status"] == "not_ready"
    assert {c["name"]: c["status"] for c in state["checks"]}["event_svc"] == "down"


def test_down_stops_everything_up_started(stack: Stack) -> None:
    stack.down()
    p = stack.ports
    for port in (
        p.edge,
        p.edge_internal,
        p.identity_grpc,
        p.notification_grpc,
        p.ticketing_grpc,
        p.redis,
        p.kafka,
        p.smtp,
        p.postgres,
        p.frontend,
    ):
        assert not port_open(port), f"port {port} is still open after down"
    assert not list(Path(stack.pids).glob("*.pid"))
