"""The cached event listing through the edge against a minimal FastAPI app, in one run on this machine.

    uv run python bench/edge_listing/run.py [--rounds 3] [--seconds 8] [--connections 64] [--no-record]
    (make bench)

It starts the whole platform on free ports (devstack.stack.Stack, throwaway data), publishes a page
of events, signs in the demo customer and reads ``GET /api/v1/events?limit=20`` once so the answer is
cached. Then wrk (one thread, ``--connections`` keep-alive connections) measures:

* **edge**: that request with ``Authorization: Bearer`` through the real edge, so the token is
  verified and the rate limit applied (Redis) on every request, and the answer comes from the Redis
  cache (the customer's limit is raised so that no request is refused);
* **raw**: a minimal FastAPI app (bench/edge_listing/raw_app.py) returning the same JSON bytes,
  served with the same uvicorn settings as the edge.

Rounds alternate (raw, edge, raw, edge, ...) after a warm-up, so drift in the machine's load hits
both alike; medians are reported. The result is printed and appended to docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from devstack.processes import free_port, port_open, wait_until
from devstack.stack import Ports, Stack
from identity_svc.seed import DEMO_ACCOUNTS

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PATH = "/api/v1/events?limit=20"
TARGET_RATIO = 0.6
TARGET_P99_FACTOR = 2.0


@dataclass
class Round:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us_per_request: float  # of the server process alone: robust to other load on the machine


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def account(role: str) -> tuple[str, str]:
    found = next(a for a in DEMO_ACCOUNTS if a.role.value == role)
    return found.email, found.password


def sign_in(client: httpx.Client, role: str) -> str:
    email, password = account(role)
    reply = client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    reply.raise_for_status()
    token: str = reply.json()["access_token"]
    return token


def publish_events(client: httpx.Client, token: str, count: int) -> None:
    """A realistic page: events with accents, several cities and prices, published."""
    cities = ("Bogotá", "Medellín", "Ciudad de México", "Guadalajara", "Lima")
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    events = []
    for index in range(count):
        starts = start + dt.timedelta(days=index)
        events.append(
            {
                "name": f"Concierto de Música Andina n.º {index + 1}",
                "description": "Una noche con artistas invitados. Puertas a las 19:00.",
                "category": "concert",
                "venue": {
                    "name": f"Teatro Colón {uuid.uuid4().hex[:6]}",
                    "city": cities[index % len(cities)],
                    "address": "Carrera 7 # 10-20",
                    "latitude": 4.5981,
                    "longitude": -74.0758,
                },
                "image_url": "https://images.example.com/taquilla/andina.jpg",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + dt.timedelta(hours=3)).isoformat(),
                "timezone": "America/Bogota",
                "zones": [
                    {
                        "name": "General",
                        "price": {"amount": f"{45000 + 500 * index}.00", "currency": "COP"},
                        "capacity": 800,
                    },
                    {"name": "Palco", "price": {"amount": "180000.00", "currency": "COP"}, "capacity": 40},
                ],
                "publish": True,
            }
        )
    reply = client.post(
        "/api/v1/events:batch", json={"events": events}, headers={"Authorization": f"Bearer {token}"}
    )
    reply.raise_for_status()


def wrk(url: str, token: str, seconds: float, connections: int, server_pid: int) -> Round:
    cpu_before = cpu_seconds(server_pid)
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "5s",
            "-s",
            str(HERE / "report.lua"),
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    cpu = cpu_seconds(server_pid) - cpu_before
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    errors = int(data["errors"]) + int(data["non_2xx"])
    return Round(
        requests_per_second=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        cpu_us_per_request=cpu / max(1, data["requests"]) * 1e6,
    )


def start_raw(port: int, body: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "raw_app.py"), str(port), str(body)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_until(lambda: port_open(port), timeout=30, what="the raw FastAPI app", log=log)
    return process


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    node = platform.node() or "unknown"
    return (
        f"{node}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.platform()}"
    )


def report(args: argparse.Namespace, raw: list[Round], edge: list[Round], body_bytes: int) -> str:
    raw_rps, edge_rps = (
        statistics.median(r.requests_per_second for r in raw),
        statistics.median(r.requests_per_second for r in edge),
    )
    raw_p99, edge_p99 = statistics.median(r.p99_ms for r in raw), statistics.median(r.p99_ms for r in edge)
    ratio, p99_factor = edge_rps / raw_rps, edge_p99 / raw_p99
    ratio_met = "met" if ratio >= TARGET_RATIO else "NOT met"
    p99_met = "met" if p99_factor <= TARGET_P99_FACTOR else "NOT met"
    verdict = (
        f"throughput ratio {ratio:.2f} (target >= {TARGET_RATIO}: {ratio_met}), "
        f"edge p99 = {p99_factor:.2f} x raw p99 (target <= {TARGET_P99_FACTOR:g} x: {p99_met})"
    )
    lines = [
        f"### Cached event listing through the edge vs. a minimal FastAPI app ({dt.date.today()})",
        "",
        f"Machine: {machine()}. Command: `make bench` (`uv run python bench/edge_listing/run.py`): "
        f"wrk, 1 thread, {args.connections} keep-alive connections, {args.rounds} alternating rounds of "
        f"{args.seconds:g} s after a warm-up, `GET {PATH}` ({body_bytes:,} bytes of JSON). The edge verifies "
        "the bearer token and applies the rate limit in Redis on every request and answers from the Redis "
        "cache; the raw app returns the same bytes; both run under uvicorn with the edge's settings (uvloop, "
        "httptools, 1 worker), on the same machine as wrk, Redis and the rest of the platform.",
        "",
        "| target | median req/s | median p50 (ms) | median p99 (ms) | server CPU per request (µs) "
        "| rounds (req/s) | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rs in (("raw FastAPI", raw), ("edge (auth + rate limit + cache)", edge)):
        rps, p50, p99 = (
            statistics.median(getattr(r, f) for r in rs) for f in ("requests_per_second", "p50_ms", "p99_ms")
        )
        cpu = statistics.median(r.cpu_us_per_request for r in rs)
        each = ", ".join(f"{r.requests_per_second:,.0f}" for r in rs)
        errors = sum(r.errors for r in rs)
        lines.append(f"| {name} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {cpu:,.0f} | {each} | {errors} |")
    lines += ["", f"Result: {verdict}."]
    return "\n".join(lines) + "\n"


def prepare(edge_url: str, events: int) -> tuple[str, bytes]:
    """Publishes the events, signs the customer in and caches the page; returns the token and the page."""
    with httpx.Client(base_url=edge_url, timeout=30) as client:
        publish_events(client, sign_in(client, "organizer"), events)
        token = sign_in(client, "customer")
        headers = {"Authorization": f"Bearer {token}"}
        first, second = client.get(PATH, headers=headers), client.get(PATH, headers=headers)
        for reply in (first, second):
            reply.raise_for_status()
        if second.headers.get("x-cache") != "hit" or "ratelimit-limit" not in second.headers:
            raise SystemExit(f"the edge does not answer from its cache with a rate limit: {second.headers}")
    return token, second.content


def measure(
    urls: dict[str, str], pids: dict[str, int], token: str, args: argparse.Namespace
) -> dict[str, list[Round]]:
    print(f"warming up ({args.warmup:g} s each)", flush=True)
    for name, url in urls.items():
        wrk(url, token, args.warmup, args.connections, pids[name])
    results: dict[str, list[Round]] = {name: [] for name in urls}
    for number in range(1, args.rounds + 1):
        for name, url in urls.items():
            result = wrk(url, token, args.seconds, args.connections, pids[name])
            results[name].append(result)
            print(
                f"  round {number}/{args.rounds} {name:>4}: {result.requests_per_second:,.0f} req/s, "
                f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                f"{result.cpu_us_per_request:,.0f} µs CPU/request, errors {result.errors}",
                flush=True,
            )
            time.sleep(0.5)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--events", type=int, default=40, help="published events in the catalog")
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/performance.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make deps does this)")

    home = Path(tempfile.mkdtemp(prefix="taquilla-bench-"))
    ports = Ports(**{name: free_port() for name in asdict(Ports())})
    stack = Stack(
        home=home,
        ports=ports,
        durable=False,
        with_frontend=False,
        progress=lambda line: print(f"  {line}", flush=True),
        extra_env={
            # The measured user may send as much as wrk can: every request still goes through the limiter.
            "EDGE_RATE_LIMIT_USER": "1000000000/60",
            "EDGE_LOG_LEVEL": "WARNING",
            "EDGE_CACHE_TTL_SECONDS": "600",
        },
    )
    raw_process: subprocess.Popen[bytes] | None = None
    try:
        print("starting the platform", flush=True)
        stack.up()
        edge_url = f"http://127.0.0.1:{ports.edge}"
        token, body = prepare(edge_url, args.events)
        (home / "events.json").write_bytes(body)
        raw_port = free_port()
        raw_process = start_raw(raw_port, home / "events.json", home / "logs" / "raw.log")
        urls = {"raw": f"http://127.0.0.1:{raw_port}{PATH}", "edge": f"{edge_url}{PATH}"}
        with httpx.Client(timeout=10) as client:
            if client.get(urls["raw"]).content != body:
                raise SystemExit("the raw app does not return the edge's JSON")
        pids = {"raw": raw_process.pid, "edge": int((home / "pids" / "edge.pid").read_text())}
        results = measure(urls, pids, token, args)
    finally:
        if raw_process is not None:
            raw_process.terminate()
            raw_process.wait(timeout=10)
        stack.down()
        stack.postgres.destroy()
        shutil.rmtree(home, ignore_errors=True)

    text = report(args, results["raw"], results["edge"], len(body))
    print("\n" + text)
    if not args.no_record:
        performance = REPO / "docs" / "performance.md"
        with performance.open("a") as out:
            out.write("\n" + text)
        print(f"appended to {performance.relative_to(REPO)}")


if __name__ == "__main__":
    main()
