"""Online check-ins through the edge against a raw grpc.aio unary echo, in one run.

    uv run python bench/checkin/run.py [--tickets 2000] [--connections 32] [--echo-seconds 8] [--no-record]
    (make bench-checkin; takes a few minutes)

It starts the whole platform on free ports (devstack.stack.Stack, throwaway data; the edge's rate
limits raised through ``extra_env`` so no scan is refused for speed, every request still goes
through the limiter). The demo organizer publishes an event of ``--tickets`` places; buyers
registered through the API buy them ten at a time and pay through the payment simulator (its JSON
test control, no browser), until ticketing has issued every ticket. Then:

* **echo**: bench/grpc_versions/rpc_pair.py in this venv, a grpc.aio unary-unary server with empty
  payloads and a load client in its own process (``--echo-concurrency`` calls in flight) for
  ``--echo-seconds``: what one grpc.aio hop costs on this machine. Two rounds, before and after the
  check-ins; their mean counts.
* **check-in**: the demo door staff's ``POST /api/v1/checkins`` (an entry, a fresh nonce) of every
  ticket once, after the purchases' confirmation e-mails (ticket PDFs drawn by ticketing_svc) are
  sent, ``--connections`` keep-alive connections in flight from one process of
  bench/flash_sale/load.py (a lean client: on two cores it competes with the platform): the token
  check, the rate limit in Redis, gRPC to ticketing_svc, which claims the device's nonce, verifies the Ed25519
  signature, reads the ticket and its admission, writes the admission by compare-and-set, marks the
  ticket used and counts the session's people inside, in one transaction. The first 5 % are a
  warm-up, not counted.

Checks: every measured scan answered 200 ``ok``; as many admissions inside as tickets scanned;
one recorded scan per request; a second scan of 100 tickets, all at once, answered
``already_redeemed``. Printed and appended to docs/performance.md: check-ins per second, p50/p99,
echo calls per second and the ratio (target >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import uvloop

from devstack.processes import free_port
from devstack.stack import Ports, Stack
from identity_svc.seed import DEMO_ACCOUNTS

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PAIR = REPO / "bench" / "grpc_versions" / "rpc_pair.py"
LOAD = REPO / "bench" / "flash_sale" / "load.py"
TARGET_RATIO = 0.5
PER_ORDER = 10
STAMP = "%Y-%m-%d %H:%M UTC"


def _flash_sale() -> ModuleType:
    """bench/flash_sale/run.py's helpers (publishing, buyers, the machine's description)."""
    spec = importlib.util.spec_from_file_location("flash_sale_run", REPO / "bench" / "flash_sale" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


flash = _flash_sale()
say = flash.say


def echo_round(seconds: float, concurrency: int) -> float:
    """grpc.aio unary calls per second, server and load client in their own processes."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(PAIR), "serve", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the echo server did not start")
        result = subprocess.run(
            [sys.executable, str(PAIR), "load", str(port), str(seconds), str(concurrency)],
            check=True,
            capture_output=True,
            text=True,
        )
        data: dict[str, float] = json.loads(result.stdout)
        return data["calls"] / data["seconds"]
    finally:
        server.terminate()
        server.wait(timeout=10)


async def sign_in(client: httpx.AsyncClient, role: str) -> str:
    account = next(a for a in DEMO_ACCOUNTS if a.role.value == role)
    reply = await flash.post_checked(
        client,
        "/api/v1/auth/token",
        f"{role} sign-in",
        data={"grant_type": "password", "username": account.email, "password": account.password},
    )
    token: str = reply.json()["access_token"]
    return token


async def post_retrying(client: httpx.AsyncClient, url: str, what: str, **kwargs: Any) -> httpx.Response:
    """A POST with an Idempotency-Key, repeated (bounded, with backoff) while the platform is too
    busy to answer in time: the key makes a repeat return what the first attempt did."""
    headers = {**kwargs.pop("headers", {}), "Idempotency-Key": str(uuid.uuid4())}
    for attempt in range(6):
        reply = await client.post(url, headers=headers, **kwargs)
        if reply.status_code not in (429, 503, 504):
            if reply.is_error:
                raise SystemExit(f"{what} failed: {reply.status_code} {reply.text[:300]}")
            return reply
        await asyncio.sleep(0.5 * 2**attempt)
    raise SystemExit(f"{what} kept failing: {reply.status_code} {reply.text[:300]}")


async def buy_tickets(
    client: httpx.AsyncClient, sim_url: str, event: Any, buyers: list[Any], parallel: int
) -> None:
    """Every buyer reserves ten places, orders them and pays at the simulator."""
    zone_id = event.zones[0][0]

    async def buy(buyer: Any) -> None:
        headers = {"Authorization": f"Bearer {buyer.access_token}"}
        held = await post_retrying(
            client,
            "/api/v1/reservations",
            "a reservation",
            json={"session_id": event.session_id, "items": [{"zone_id": zone_id, "quantity": PER_ORDER}]},
            headers=headers,
        )
        order = await post_retrying(
            client,
            "/api/v1/orders",
            "an order",
            json={
                "reservation_id": held.json()["id"],
                "buyer": {"name": "Asistente de Prueba", "email": buyer.email},
            },
            headers=headers,
        )
        checkout = order.json()["payment"]["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
        async with httpx.AsyncClient(base_url=sim_url, timeout=60) as sim:
            paid = await sim.post(f"/_sim/checkout/sessions/{checkout}/pay", json={"card": flash.PAYING_CARD})
        if paid.status_code != 200:
            raise SystemExit(f"paying failed: {paid.status_code} {paid.text[:200]}")

    await flash.bounded(buyers, buy, parallel=parallel, what="bought and paid", every=50)


async def issued_secrets(admin_dsn: str, session_id: str, expected: int, seconds: float) -> list[str]:
    connection = await asyncpg.connect(admin_dsn)
    try:
        deadline = time.monotonic() + seconds
        while True:
            rows = await connection.fetch(
                "SELECT secret FROM ticketing.tickets WHERE session_id = $1 ORDER BY id",
                uuid.UUID(session_id),
            )
            if len(rows) >= expected or time.monotonic() > deadline:
                return [row["secret"] for row in rows]
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def scan_all(
    client: httpx.AsyncClient, token: str, session_id: str, secrets: list[str], connections: int
) -> tuple[float, list[float], dict[str, int]]:
    """Scans every secret once; returns the seconds taken, the latencies (ms) and the answers."""
    queue = iter(secrets)
    latencies: list[float] = []
    answers: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"}

    async def door(number: int) -> None:
        for secret in queue:
            body = {
                "secret": secret,
                "session_id": session_id,
                "device_id": f"bench-door-{number}",
                "nonce": uuid.uuid4().hex,
            }
            sent = time.perf_counter()
            try:
                reply = await client.post("/api/v1/checkins", json=body, headers=headers)
            except httpx.HTTPError as exc:
                answers[type(exc).__name__] = answers.get(type(exc).__name__, 0) + 1
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            key = reply.json()["result"] if reply.status_code == 200 else str(reply.status_code)
            answers[key] = answers.get(key, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(door(n) for n in range(connections)))
    return time.perf_counter() - started, latencies, answers


def load_generator(
    work: Path, port: int, token: str, session_id: str, secrets: list[str], connections: int
) -> tuple[float, list[float], dict[str, int], float]:
    """Scans every secret once from bench/flash_sale/load.py, a lean client in its own process (on two
    cores the client competes with the platform for CPU); returns the seconds taken, the latencies
    (ms), the answers and the client's CPU seconds."""
    plan, results = work / "checkin-plan.json", work / "checkin-results.json"
    requests = [
        [
            index,
            0,
            json.dumps(
                {
                    "secret": s,
                    "session_id": session_id,
                    "device_id": f"door-{index % 8}",
                    "nonce": uuid.uuid4().hex,
                }
            ),
        ]
        for index, s in enumerate(secrets)
    ]
    plan.write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "port": port,
                "path": "/api/v1/checkins",
                "tokens": [token],
                "requests": requests,
                "connections": connections,
                "max_seconds": 900,
                "timeout": 60,
            }
        )
    )
    command = [sys.executable, str(LOAD), str(plan), str(results)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "READY":
            break
    process.stdin.write("GO\n")
    process.stdin.flush()
    process.stdout.read()
    if process.wait(timeout=960) != 0:
        raise SystemExit("the load generator failed")
    data = json.loads(results.read_text())
    rows = data["rows"]
    answers: dict[str, int] = {}
    for _, status, _, _, detail in rows:
        # load.py keeps the start of a 200's body: "{'result': 'ok', ..."
        key = detail.split("'result': '", 1)[1].split("'", 1)[0] if status == 200 else f"{status} {detail}"
        answers[key] = answers.get(key, 0) + 1
    seconds = max(row[2] for row in rows) - data["started"]
    return seconds, [row[3] / 1000 for row in rows], answers, float(data["cpu_seconds"])


async def settled(stack: Stack, seconds: float) -> float:
    """Waits until the purchases' aftermath is over (notification_svc mailing the tickets, which asks
    ticketing_svc for their PDFs and QR codes): both use less than 5 % of a core over 2 s, or
    ``seconds`` passed. Returns the seconds waited."""
    meter = flash.CpuMeter(stack.home, stack.postgres.data_dir, ("ticketing_svc", "notification_svc"))
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        before = meter.snapshot()
        await asyncio.sleep(2)
        used = flash.CpuMeter.used(before, meter.snapshot())
        if used.get("ticketing_svc", 0) + used.get("notification_svc", 0) < 0.1:
            break
    return time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def bench(stack: Stack, args: argparse.Namespace) -> tuple[str, bool]:
    ports = stack.ports
    edge_url = f"http://127.0.0.1:{ports.edge}"
    sim_url = f"http://127.0.0.1:{ports.psp_sim}"
    admin_dsn = stack.postgres.admin_dsn(flash.TICKETING.database)
    orders = args.tickets // PER_ORDER
    limits = httpx.Limits(
        max_connections=args.connections * 2, max_keepalive_connections=args.connections * 2
    )
    async with httpx.AsyncClient(base_url=edge_url, timeout=60, limits=limits) as client:
        organizer, staff = await sign_in(client, "organizer"), await sign_in(client, "staff")
        say(f"publishing an event of {args.tickets} places")
        event = await flash.publish_event(
            client, organizer, "Puertas abiertas", [("Pista", args.tickets)], admin_dsn
        )
        say(f"registering {orders} buyers")
        buyers = await flash.register_buyers(client, orders, args.setup_parallel)
        say(f"buying {args.tickets} tickets ({PER_ORDER} an order), paid through the simulator")
        await buy_tickets(client, sim_url, event, buyers, args.setup_parallel)
        secrets = await issued_secrets(admin_dsn, event.session_id, args.tickets, args.wait)
        if len(secrets) < args.tickets:
            raise SystemExit(f"only {len(secrets)} of {args.tickets} tickets were issued")

        say("waiting for the confirmation e-mails (ticket PDFs) to be sent")
        waited = await settled(stack, args.wait)
        say(f"  quiet after {waited:.0f} s")
        say(f"echo round 1 ({args.echo_seconds:.0f} s)")
        echoes = [echo_round(args.echo_seconds, args.echo_concurrency)]
        warm = max(1, len(secrets) // 20)
        say(f"warming up: {warm} check-ins")
        await scan_all(client, staff, event.session_id, secrets[:warm], args.connections)
        measured = secrets[warm:]
        say(f"measuring: {len(measured)} check-ins, {args.connections} in flight")
        meter = flash.CpuMeter(stack.home, stack.postgres.data_dir)
        before = meter.snapshot()
        seconds, latencies, answers, client_cpu = await asyncio.to_thread(
            load_generator, stack.home, ports.edge, staff, event.session_id, measured, args.connections
        )
        cpu = flash.CpuMeter.used(before, meter.snapshot())
        say(f"echo round 2 ({args.echo_seconds:.0f} s)")
        echoes.append(echo_round(args.echo_seconds, args.echo_concurrency))
        again_seconds, _, again = await scan_all(client, staff, event.session_id, measured[:100], 100)

    connection = await asyncpg.connect(admin_dsn)
    try:
        inside = await connection.fetchval(
            "SELECT count(*) FROM ticketing.admissions WHERE session_id = $1 AND inside",
            uuid.UUID(event.session_id),
        )
        recorded = await connection.fetchval(
            "SELECT count(*) FROM ticketing.checkins WHERE session_id = $1", uuid.UUID(event.session_id)
        )
    finally:
        await connection.close()

    rate = len(measured) / seconds
    echo = statistics.mean(echoes)
    ratio = rate / echo
    checks = [
        ("every measured scan answered 200 ok", answers == {"ok": len(measured)}, str(answers)),
        ("admissions inside == tickets scanned", inside == len(secrets), f"{inside} of {len(secrets)}"),
        (
            "one recorded scan per request",
            recorded == len(secrets) + 100,
            f"{recorded} rows for {len(secrets) + 100} requests",
        ),
        ("a second scan is already_redeemed", again == {"already_redeemed": 100}, str(again)),
    ]
    ok = all(passed for _, passed, _ in checks)
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    lines = [
        f"## Check-in through the edge vs. a raw grpc.aio echo ({time.strftime(STAMP, time.gmtime())})",
        "",
        f"`make bench-checkin` (bench/checkin/run.py) on {flash.machine()}. The platform on free ports "
        f"(devstack Stack, throwaway data, rate limits raised). {args.tickets:,} tickets of one session, "
        f"bought {PER_ORDER} an order and paid through the payment simulator; the demo door staff scans "
        f"each once (`POST /api/v1/checkins`, an entry, a fresh nonce per scan) once the purchases' "
        f"confirmation e-mails are sent ({waited:.0f} s after the last ticket), {args.connections} "
        f"keep-alive connections from one load-generator process (bench/flash_sale/load.py, asyncio "
        f"streams; {client_cpu / len(measured) * 1e6:,.0f} µs of its CPU per scan), the first {warm} "
        "scans a warm-up (httpx). The echo is "
        f"bench/grpc_versions/rpc_pair.py (grpc.aio unary-unary, empty payloads, {args.echo_concurrency} "
        f"in flight, server and client in their own processes), {args.echo_seconds:.0f} s before and "
        "after the check-ins, on the same cores.",
        "",
        "| what | requests | per second | p50 (ms) | p99 (ms) |",
        "|---|---|---|---|---|",
        f"| check-in through the edge | {len(measured):,} | {rate:,.0f} | {percentile(latencies, 0.5):.1f} "
        f"| {percentile(latencies, 0.99):.1f} |",
        f"| grpc.aio unary echo (mean of 2 rounds: {', '.join(f'{e:,.0f}' for e in echoes)}) | | "
        f"{echo:,.0f} | | |",
        "",
        "Check-ins: "
        + flash.cpu_breakdown(cpu, client_cpu, seconds, len(measured), "check-in", "load generator")
        + ".",
        "",
        "Checks: "
        + "; ".join(f"{name} {'ok' if passed else 'FAILED'} ({detail})" for name, passed, detail in checks)
        + f". 100 second scans at once took {again_seconds:.2f} s.",
        "",
        f"Result: check-ins / echo {ratio:.3f} (target >= {TARGET_RATIO}: {verdict}).",
        "",
    ]
    return "\n".join(lines), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000, help=f"a multiple of {PER_ORDER}")
    parser.add_argument("--connections", type=int, default=32, help="check-ins in flight")
    parser.add_argument("--echo-seconds", type=float, default=8.0)
    parser.add_argument("--echo-concurrency", type=int, default=100)
    parser.add_argument("--setup-parallel", type=int, default=8)
    parser.add_argument("--wait", type=float, default=180.0, help="seconds to wait for the tickets")
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/performance.md")
    args = parser.parse_args()
    if args.tickets % PER_ORDER or args.tickets < 200:
        raise SystemExit(f"--tickets must be a multiple of {PER_ORDER}, at least 200")

    home = Path(tempfile.mkdtemp(prefix="taquilla-checkin-"))
    ports = Ports(**{name: free_port() for name in asdict(Ports())})
    limit = "1000000000/60"
    stack = Stack(
        home=home,
        ports=ports,
        durable=False,
        with_frontend=False,
        progress=lambda line: say(f"  {line}"),
        extra_env={
            "EDGE_RATE_LIMIT_AUTH": limit,
            "EDGE_RATE_LIMIT_USER": limit,
            "EDGE_RATE_LIMIT_ANONYMOUS": limit,
            "EDGE_LOG_LEVEL": "WARNING",
        },
    )
    try:
        say("starting the platform")
        stack.up()
        text, ok = uvloop.run(bench(stack, args))
    finally:
        stack.down()
        stack.postgres.destroy()
        shutil.rmtree(home, ignore_errors=True)

    say("\n" + text)
    if not args.no_record:
        performance = REPO / "docs" / "performance.md"
        with performance.open("a") as out:
            out.write("\n" + text)
        say(f"appended to {performance.relative_to(REPO)}")
    if not ok:
        say("a check failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
