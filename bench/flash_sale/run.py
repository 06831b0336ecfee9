"""A flash sale through the edge against a bare conditional UPDATE in PostgreSQL, in one run.

    uv run python bench/flash_sale/run.py [--buyers 2000] [--capacity 5000] [--connections 64]
        [--processes 2] [--demand 10] [--checkout-orders 1000] [--checkout-parallel 32] [--no-record]
    (make bench-sale; takes several minutes)

It starts the whole platform on free ports (devstack.stack.Stack, throwaway data; the edge's rate
limits raised through ``extra_env`` so that no buyer is refused for speed, every request still goes
through the limiter), registers ``--buyers`` customers through the API and signs each one in. An
organizer publishes three events through the API (holds last 30 minutes, the longest allowed, so
none expires before the checks): a small warm-up event, one with a single zone of ``--capacity``
places, and one with five zones of ``--capacity / 5`` places each; the sale starts once ticketing's
copy of the catalog has the event published.

* **raw**: asyncpg, ``--connections`` coroutines each on its own connection, deciding with one
  ``UPDATE … SET held = held + q WHERE … AND capacity - held - sold >= q`` per request (its own
  commit) on one row of a scratch table in the same PostgreSQL cluster and database as ticketing.
  Three rounds (before, between and after the platform's sales); the median counts.
* **one zone**: ``POST /api/v1/reservations`` for 1-4 places (uniform) by distinct signed-in buyers
  (tokens rotate), with an ``Idempotency-Key`` as the web app sends, over ``--connections``
  keep-alive connections from ``--processes`` load-generator processes (bench/flash_sale/load.py),
  until the demand (places asked for) is ``--demand`` times the capacity. The full path: token
  check, rate limit in Redis, gRPC to ticketing_svc, one transaction with the reservation, the
  customer's tally, the conditional UPDATE and the outbox message.
* **five zones**: the same requests (count, quantities, connections) spread round-robin over the five
  zones of one event, so each zone sees the same demand relative to its capacity and the outcome mix
  is the one of the single zone: only the number of rows the sale contends on changes.
* **checkout** (held -> paid -> tickets; after the last raw round, so that its payments, tickets and
  confirmation e-mails disturb none of the figures above): ``--checkout-orders`` holds of the one-zone
  sale, picked at random, each taken through checkout by its own buyer, ``--checkout-parallel`` at a
  time: ``POST /api/v1/orders`` through the edge (ticketing_svc opens a Checkout Session at the
  payment simulator psp_sim, which the Stack starts, with the ``stripe`` SDK; an answer that does not
  say whether the order was made, 503, 504 or none, is asked again with the same Idempotency-Key, at
  most three attempts, and counted in the report), then the simulator's
  JSON test control pays it with 4242 4242 4242 4242 (``POST /_sim/checkout/sessions/{id}/pay``, no
  browser) and the moment that call returned is recorded. The simulator sends its signed webhooks to
  the edge, which verifies them and hands them to ticketing_svc, which marks the order paid and issues
  its tickets in one transaction (``ticketing.orders.paid_at``). The bench polls the database until
  every paid order has its ``paid_at`` (at most ``--checkout-wait`` seconds), then reports payment
  confirmation -> tickets issued (``paid_at`` minus the pay call's return) p50/p99/max, and paid
  orders per minute (paid orders / (last ``paid_at`` - first pay call)). Checks: every order created
  (201) and paid at the simulator, every paid order marked paid, tickets == places for every paid
  order, no order with two sets of tickets, the zone sold exactly the places paid, the ledger balances
  (``devstack.ledger.ledger_problems``), and the simulator's succeeded payments == paid orders.

A decision is a 201 (held) or a 409 sold-out. Printed and appended to docs/performance.md: decisions
per second, their ratio, p50/p99, tickets held per minute, CPU used per component, and the checks
(read in ``taquilla_ticketing``): every zone holds exactly its capacity, nothing oversold, each 201
is exactly one reservation row with the places it asked for, no counter ever negative (sampled
during the sale and constrained by the table), one ReservationHeld message in the outbox per hold,
every request decided. The process exits with 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import uvloop

from devstack.infra import SERVICE_DATABASES
from devstack.ledger import ledger_problems
from devstack.processes import free_port
from devstack.stack import Ports, Stack
from identity_svc.seed import DEMO_ACCOUNTS

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESERVATIONS = "/api/v1/reservations"
TARGET_RATIO = 0.40
TARGET_FIVE_ZONES = 1.5
SOLD_OUT = "sold-out"
TICKETING = next(db for db in SERVICE_DATABASES if db.service == "ticketing_svc")
COMPONENTS = ("edge", "ticketing_svc", "redis", "identity_svc", "event_svc", "notification_svc", "broker")


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- CPU accounting


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / os.sysconf("SC_CLK_TCK"), total / os.sysconf("SC_CLK_TCK")


def postgres_pids(data_dir: Path) -> list[int]:
    """The postmaster and its children (backends of every service, and the raw baseline's)."""
    master = int((data_dir / "postmaster.pid").read_text().split()[0])
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == master:
                    children.append(int(entry.name))
    return [master, *children]


class CpuMeter:
    """CPU seconds used by each platform component, Postgres and the machine over one measurement."""

    def __init__(self, home: Path, postgres_data: Path, components: Sequence[str] = COMPONENTS) -> None:
        self._pids = {
            name: int((home / "pids" / f"{name}.pid").read_text())
            for name in components
            if (home / "pids" / f"{name}.pid").exists()
        }
        self._postgres_data = postgres_data

    def snapshot(self) -> dict[str, float]:
        shot = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        # Backends that end during the measurement take their time with them (pools keep theirs).
        shot.update({f"postgres:{pid}": cpu_seconds(pid) for pid in postgres_pids(self._postgres_data)})
        shot["machine"], shot["machine_total"] = machine_busy()
        return shot

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        used = {n: after[n] - before.get(n, 0.0) for n in after if not n.startswith("postgres:")}
        used["postgres"] = sum(after[n] - before.get(n, 0.0) for n in after if n.startswith("postgres:"))
        return used


# ---------------------------------------------------------------- buyers, events


@dataclass
class Buyer:
    email: str
    access_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0


async def bounded(
    items: Sequence[Any], work: Callable[[Any], Awaitable[None]], *, parallel: int, what: str, every: int
) -> None:
    """Runs ``work`` for every item, ``parallel`` at a time, printing progress every ``every``."""
    queue = iter(items)
    done = 0
    started = time.monotonic()

    async def worker() -> None:
        nonlocal done
        for item in queue:
            await work(item)
            done += 1
            if done % every == 0 or done == len(items):
                rate = done / (time.monotonic() - started)
                say(f"    {what}: {done}/{len(items)} ({rate:.0f}/s)")

    await asyncio.gather(*(worker() for _ in range(parallel)))


async def post_checked(client: httpx.AsyncClient, url: str, what: str, **kwargs: Any) -> httpx.Response:
    # Identity answers 503 when it cannot keep up; a few bounded retries with jittered backoff.
    for attempt in range(5):
        reply = await client.post(url, **kwargs)
        if reply.status_code not in (429, 503):
            if reply.is_error:
                raise SystemExit(f"{what} failed: {reply.status_code} {reply.text[:300]}")
            return reply
        await asyncio.sleep(0.2 * 2**attempt * random.uniform(0.5, 1.5))  # noqa: S311
    raise SystemExit(f"{what} kept failing: {reply.status_code} {reply.text[:300]}")


async def sign_in(client: httpx.AsyncClient, buyer: Buyer, password: str) -> None:
    reply = await post_checked(
        client,
        "/api/v1/auth/token",
        f"sign-in of {buyer.email}",
        data={"grant_type": "password", "username": buyer.email, "password": password},
    )
    grant = reply.json()
    buyer.access_token, buyer.refresh_token = grant["access_token"], grant.get("refresh_token", "")
    buyer.expires_at = time.time() + grant["expires_in"]


async def refresh(client: httpx.AsyncClient, buyer: Buyer) -> None:
    reply = await post_checked(
        client,
        "/api/v1/auth/token",
        f"refresh of {buyer.email}",
        data={"grant_type": "refresh_token", "refresh_token": buyer.refresh_token},
    )
    grant = reply.json()
    buyer.access_token, buyer.refresh_token = grant["access_token"], grant.get("refresh_token", "")
    buyer.expires_at = time.time() + grant["expires_in"]


async def register_buyers(client: httpx.AsyncClient, count: int, parallel: int) -> list[Buyer]:
    """Registers and signs in ``count`` customers; argon2 in identity_svc sets the pace."""
    run = secrets.token_hex(3)
    password = f"Venta-Relampago-{secrets.token_hex(6)}"
    buyers = [Buyer(f"buyer-{run}-{index:05d}@example.com") for index in range(count)]

    async def register(buyer: Buyer) -> None:
        await post_checked(
            client,
            "/api/v1/auth/register",
            f"registration of {buyer.email}",
            json={"email": buyer.email, "password": password, "full_name": "Comprador de Prueba"},
        )

    # Registrations first, then the sign-ins, so every token is about as young as the others.
    await bounded(buyers, register, parallel=parallel, what="registered", every=250)
    await bounded(
        buyers, lambda b: sign_in(client, b, password), parallel=parallel, what="signed in", every=250
    )
    return buyers


async def keep_tokens_fresh(
    client: httpx.AsyncClient, buyers: list[Buyer], seconds: float, parallel: int
) -> None:
    """Refreshes every token when the oldest would expire within ``seconds`` (access tokens live 15 min)."""
    if min(b.expires_at for b in buyers) > time.time() + seconds:
        return
    say(f"  refreshing {len(buyers)} tokens (refresh_token grant)")
    await bounded(buyers, lambda b: refresh(client, b), parallel=parallel, what="refreshed", every=500)


@dataclass
class SaleEvent:
    name: str
    event_id: str
    session_id: str
    zones: list[tuple[str, int]]  # (zone id, capacity)

    @property
    def capacity(self) -> int:
        return sum(capacity for _, capacity in self.zones)


async def ticketing_sells(admin_dsn: str, event_id: str, seconds: float) -> bool:
    """Waits until ticketing's copy of the catalog has the event published (from Kafka)."""
    deadline = time.monotonic() + seconds
    connection = await asyncpg.connect(admin_dsn)
    try:
        while time.monotonic() < deadline:
            status = await connection.fetchval(
                "SELECT status FROM ticketing.catalog_events WHERE id = $1", uuid.UUID(event_id)
            )
            if status == "published":
                return True
            await asyncio.sleep(0.25)
        return False
    finally:
        await connection.close()


async def publish_event(
    client: httpx.AsyncClient, token: str, name: str, zones: Sequence[tuple[str, int]], admin_dsn: str
) -> SaleEvent:
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=45)).replace(minute=0, second=0, microsecond=0)
    body: dict[str, Any] = {
        "name": name,
        "description": "Venta relámpago: todas las entradas salen a la venta a la vez.",
        "category": "concert",
        "venue": {
            "name": f"Estadio {uuid.uuid4().hex[:8]}",
            "city": "Bogotá",
            "address": "Calle 57 # 30-20",
            "latitude": 4.6459,
            "longitude": -74.0775,
        },
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=4)).isoformat(),
        "timezone": "America/Bogota",
        "zones": [
            {"name": zone, "price": {"amount": "250000.00", "currency": "COP"}, "capacity": capacity}
            for zone, capacity in zones
        ],
        # The longest hold the catalog allows: no hold of a slow run expires before its checks.
        "sales": {"hold_minutes": 30},
        "publish": True,
    }
    reply = await post_checked(
        client,
        "/api/v1/events",
        f"publishing {name}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    event = reply.json()
    sessions = event["sessions"]
    if event["status"] != "published" or len(sessions) != 1 or sessions[0]["status"] != "on_sale":
        raise SystemExit(f"{name} is not on sale with one session: {event['status']}, {sessions}")
    if not await ticketing_sells(admin_dsn, event["id"], 15):
        # Before 751aff2 an event created with "publish": true stayed a draft in ticketing's copy
        # (EventCreated and EventPublished both carry version 1 and the first one won), so every
        # hold was refused as not on sale. One more change moves the version on.
        say(f"    ticketing_svc still sees {name} as a draft: changing its description so it catches up")
        headers = {"Authorization": f"Bearer {token}"}
        current = await client.get(f"/api/v1/events/{event['id']}", headers=headers)
        current.raise_for_status()
        patched = await client.patch(
            f"/api/v1/events/{event['id']}",
            json={"description": body["description"] + " Entradas limitadas."},
            headers={**headers, "If-Match": current.headers["etag"]},
        )
        if patched.is_error:
            raise SystemExit(f"changing {name} failed: {patched.status_code} {patched.text[:300]}")
        if not await ticketing_sells(admin_dsn, event["id"], 30):
            raise SystemExit(f"ticketing_svc does not see {name} as published")
    return SaleEvent(
        name=name,
        event_id=event["id"],
        session_id=event["sessions"][0]["id"],
        zones=[(zone["id"], zone["capacity"]) for zone in event["zones"]],
    )


# ---------------------------------------------------------------- the demand


@dataclass(frozen=True)
class Ask:
    zone_id: str
    quantity: int
    buyer: int


def demand(event: SaleEvent, factor: float, buyers: int, rng: random.Random) -> list[Ask]:
    """Requests for 1-4 places, round-robin over the zones, until the places asked for reach
    ``factor`` x each zone's capacity; buyers take turns (each request is another buyer's)."""
    per_zone: list[list[int]] = []
    for _, capacity in event.zones:
        quantities: list[int] = []
        while sum(quantities) < factor * capacity:
            quantities.append(rng.randint(1, 4))
        per_zone.append(quantities)
    asks: list[Ask] = []
    first_buyer = rng.randrange(buyers)
    for turn in range(max(len(q) for q in per_zone)):
        for (zone_id, _), quantities in zip(event.zones, per_zone, strict=True):
            if turn < len(quantities):
                asks.append(Ask(zone_id, quantities[turn], (first_buyer + len(asks)) % buyers))
    return asks


# ---------------------------------------------------------------- the platform's sale


@dataclass
class Outcome:
    ask: Ask
    status: int
    done_at: float
    latency_us: int
    detail: str

    @property
    def decided(self) -> bool:
        return self.status == 201 or (self.status == 409 and self.detail == SOLD_OUT)


@dataclass
class Sale:
    name: str
    event: SaleEvent
    outcomes: list[Outcome]
    started: float
    client_cpu: float
    cpu: dict[str, float]
    samples: int = 0
    lowest: dict[str, int] = field(default_factory=dict)

    @property
    def decided(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.decided]

    @property
    def held(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 201]

    @property
    def seconds(self) -> float:
        return max(o.done_at for o in self.outcomes) - self.started

    @property
    def sold_out_after(self) -> float:
        return max((o.done_at for o in self.held), default=self.started) - self.started

    @property
    def decisions_per_second(self) -> float:
        return len(self.decided) / self.seconds

    @property
    def platform_cpu_per_decision_ms(self) -> float:
        """CPU of every platform process and PostgreSQL per decision: robust to other load."""
        platform_cpu = sum(v for k, v in self.cpu.items() if k not in ("machine", "machine_total"))
        return platform_cpu / max(1, len(self.decided)) * 1000

    @property
    def places_held(self) -> int:
        return sum(o.ask.quantity for o in self.held)

    @property
    def held_per_minute(self) -> float:
        return self.places_held / self.sold_out_after * 60 if self.sold_out_after else 0.0

    @property
    def selling_decisions_per_second(self) -> float:
        """Decisions while places were left: the phase where the zones' rows are contended."""
        cut = self.started + self.sold_out_after
        return sum(1 for o in self.decided if o.done_at <= cut) / max(self.sold_out_after, 1e-9)

    def percentile(self, q: float, rows: Iterable[Outcome] | None = None) -> float:
        latencies = sorted(o.latency_us for o in (self.decided if rows is None else rows))
        return (
            latencies[min(len(latencies) - 1, math.ceil(q * len(latencies)) - 1)] / 1000 if latencies else 0
        )


class Sampler:
    """Reads the event's counters every few milliseconds while the sale runs: none may go negative."""

    QUERY = """
        SELECT min(held), min(sold), min(capacity - held - sold),
               (SELECT coalesce(min(places), 0) FROM ticketing.customer_places WHERE event_id = $1)
        FROM ticketing.inventory WHERE event_id = $1
    """

    def __init__(self, dsn: str, event_id: str) -> None:
        self._dsn, self._event_id = dsn, uuid.UUID(event_id)
        self.samples = 0
        self.lowest = {"held": 0, "sold": 0, "available": 0, "customer places": 0}
        self._stop = asyncio.Event()

    async def run(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        try:
            while not self._stop.is_set():
                row = await connection.fetchrow(self.QUERY, self._event_id)
                if row is not None and row[0] is not None:
                    self.samples += 1
                    for name, value in zip(self.lowest, row, strict=True):
                        self.lowest[name] = min(self.lowest[name], value)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.05)
        finally:
            await connection.close()

    def stop(self) -> None:
        self._stop.set()


async def sell(
    name: str,
    event: SaleEvent,
    asks: list[Ask],
    buyers: list[Buyer],
    *,
    edge_port: int,
    args: argparse.Namespace,
    meter: CpuMeter,
    admin_dsn: str,
    work: Path,
) -> Sale:
    """Runs one sale with ``args.processes`` load generators and returns every answer."""
    tokens = [b.access_token for b in buyers]
    processes = []
    per_process = max(1, args.connections // args.processes)
    for number in range(args.processes):
        requests = [
            [
                index,
                ask.buyer,
                json.dumps(
                    {
                        "session_id": event.session_id,
                        "items": [{"zone_id": ask.zone_id, "quantity": ask.quantity}],
                    }
                ),
            ]
            for index, ask in enumerate(asks)
            if index % args.processes == number
        ]
        plan = work / f"{name}-plan-{number}.json"
        plan.write_text(
            json.dumps(
                {
                    "host": "127.0.0.1",
                    "port": edge_port,
                    "path": RESERVATIONS,
                    "connections": per_process,
                    "timeout": args.timeout,
                    "max_seconds": args.max_seconds,
                    "tokens": tokens,
                    "requests": requests,
                }
            )
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE / "load.py"),
            str(plan),
            str(work / f"{name}-results-{number}.json"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        processes.append(process)
    for process in processes:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"READY":
            raise SystemExit(f"a load generator did not start: {line!r}")
    sampler = Sampler(admin_dsn, event.event_id)
    sampling = asyncio.create_task(sampler.run())
    await asyncio.sleep(0.2)
    before = meter.snapshot()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"GO\n")
        await process.stdin.drain()

    answered = [0] * len(processes)

    async def count_answers(number: int, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            if line.startswith(b"ANSWERED "):
                answered[number] = int(line.split()[1])

    async def progress() -> None:
        started = time.monotonic()
        while True:
            await asyncio.sleep(10)
            left = await asyncpg_fetchval(
                admin_dsn,
                "SELECT sum(capacity - held - sold) FROM ticketing.inventory WHERE event_id = $1",
                uuid.UUID(event.event_id),
            )
            say(
                f"    {name}: {time.monotonic() - started:.0f} s, {sum(answered):,} of {len(asks):,} "
                f"requests answered, {left:,} of {event.capacity:,} places left"
            )

    counting = [asyncio.create_task(count_answers(n, p)) for n, p in enumerate(processes)]
    reporting = asyncio.create_task(progress())
    try:
        codes = await asyncio.wait_for(
            asyncio.gather(*(p.wait() for p in processes)), args.max_seconds + args.timeout + 60
        )
    finally:
        reporting.cancel()
        for task in counting:
            task.cancel()
    after = meter.snapshot()
    sampler.stop()
    await sampling
    if any(codes):
        raise SystemExit(f"a load generator failed (exit codes {codes})")
    outcomes: list[Outcome] = []
    started, client_cpu = math.inf, 0.0
    for number in range(args.processes):
        result = json.loads((work / f"{name}-results-{number}.json").read_text())
        started, client_cpu = min(started, result["started"]), client_cpu + result["cpu_seconds"]
        outcomes += [Outcome(asks[row[0]], row[1], row[2], row[3], row[4]) for row in result["rows"]]
    cpu = CpuMeter.used(before, after)
    return Sale(name, event, outcomes, started, client_cpu, cpu, sampler.samples, sampler.lowest)


async def asyncpg_fetchval(dsn: str, query: str, *params: Any) -> Any:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(query, *params)
    finally:
        await connection.close()


# ---------------------------------------------------------------- checks


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


async def check(sale: Sale, admin_dsn: str) -> list[Check]:
    """What ticketing's database says after the sale, against what the buyers were told."""
    event_id = uuid.UUID(sale.event.event_id)
    connection = await asyncpg.connect(admin_dsn)
    try:
        lines = await connection.fetch(
            "SELECT zone_id::text AS zone, capacity, held, sold FROM ticketing.inventory WHERE event_id = $1",
            event_id,
        )
        rows = await connection.fetch(
            "SELECT id::text AS id, status, quantity, items FROM ticketing.reservations WHERE event_id = $1",
            event_id,
        )
        messages = await connection.fetch(
            "SELECT envelope->'payload'->'reservation'->>'id' AS id FROM ticketing.outbox "
            "WHERE envelope->>'type' = 'ReservationHeld' AND envelope->>'eventId' = $1",
            str(event_id),
        )
    finally:
        await connection.close()
    held = sale.held
    answered_ids = [o.detail for o in held]
    stored = {r["id"]: r for r in rows}
    asked = {o.detail: o.ask for o in held}
    zones = {line["zone"]: line for line in lines}
    places_by_zone = Counter[str]()
    for o in held:
        places_by_zone[o.ask.zone_id] += o.ask.quantity

    def stored_matches(reservation_id: str) -> bool:
        row = stored.get(reservation_id)
        if row is None or row["status"] != "held":
            return False
        items = json.loads(row["items"]) if isinstance(row["items"], str) else row["items"]
        ask = asked[reservation_id]
        return row["quantity"] == ask.quantity and [(i["zoneId"], i["quantity"]) for i in items] == [
            (ask.zone_id, ask.quantity)
        ]

    mismatched = [i for i in answered_ids if not stored_matches(i)]
    message_ids = [m["id"] for m in messages]
    undecided = Counter(f"{o.status} {o.detail}"[:60] for o in sale.outcomes if not o.decided)
    lowest = {**sale.lowest}
    for line in lines:
        lowest["held"] = min(lowest["held"], line["held"])
        lowest["sold"] = min(lowest["sold"], line["sold"])
        lowest["available"] = min(lowest["available"], line["capacity"] - line["held"] - line["sold"])
    return [
        Check(
            "held == capacity in every zone",
            len(zones) == len(sale.event.zones) and all(z["held"] == z["capacity"] for z in zones.values()),
            ", ".join(f"{z['held']}/{z['capacity']}" for z in zones.values()),
        ),
        Check(
            "0 oversold",
            all(z["held"] + z["sold"] <= z["capacity"] for z in zones.values())
            and all(places_by_zone[zone] <= z["capacity"] for zone, z in zones.items()),
            f"places in 201s: {sale.places_held}, capacity {sale.event.capacity}",
        ),
        Check(
            "places in 201s == places held, per zone",
            all(places_by_zone[zone] == z["held"] for zone, z in zones.items()),
            ", ".join(f"{places_by_zone[zone]}" for zone in zones),
        ),
        Check(
            "each 201 is exactly one reservation row",
            len(set(answered_ids)) == len(answered_ids) == len(stored) and not mismatched,
            f"{len(answered_ids)} answers, {len(set(answered_ids))} distinct ids, {len(stored)} rows, "
            f"{len(mismatched)} not matching",
        ),
        Check(
            "no counter ever negative",
            all(value >= 0 for value in lowest.values()),
            f"{sale.samples} samples; lowest " + ", ".join(f"{k} {v}" for k, v in lowest.items()),
        ),
        Check(
            "outbox ReservationHeld == accepted holds",
            len(message_ids) == len(held) and set(message_ids) == set(answered_ids),
            f"{len(message_ids)} messages, {len(held)} holds",
        ),
        Check(
            "every request decided (201 or 409 sold-out)",
            not undecided,
            f"{len(sale.decided)} of {len(sale.outcomes)}"
            + (f"; others: {dict(undecided.most_common(5))}" if undecided else ""),
        ),
    ]


# ---------------------------------------------------------------- checkout: held -> paid -> tickets


ORDERS = "/api/v1/orders"
CHECKOUT_ATTEMPTS = 3
PAYING_CARD = "4242424242424242"  # Stripe's test card that is paid at once


@dataclass
class CheckoutOrder:
    """One held reservation of the one-zone sale, taken through checkout by its buyer."""

    reservation_id: str
    buyer: int
    places: int
    create_status: int = 0
    create_ms: float = 0.0
    # Answers before the last that a client retries with the same Idempotency-Key (503, 504, no answer).
    create_retried: list[str] = field(default_factory=list)
    order_id: str = ""
    pay_status: int = 0
    pay_ms: float = 0.0
    pay_sent: float = 0.0  # epoch seconds
    pay_returned: float = 0.0  # epoch seconds: the provider's confirmation reached the buyer
    paid_at: float | None = None  # ticketing.orders.paid_at: tickets issued in that transaction
    error: str = ""

    @property
    def confirmation_to_tickets_ms(self) -> float:
        assert self.paid_at is not None
        return (self.paid_at - self.pay_returned) * 1000


@dataclass
class Checkout:
    orders: list[CheckoutOrder]
    parallel: int
    started: float  # the first order's creation was sent (epoch seconds)
    payments_done: float  # the last pay call returned
    cpu: dict[str, float]
    client_cpu: float
    seconds: float  # the whole phase, first order sent to the last paid_at seen
    simulator: dict[str, int] = field(default_factory=dict)

    @property
    def created(self) -> list[CheckoutOrder]:
        return [o for o in self.orders if o.create_status == 201]

    @property
    def paid_by_provider(self) -> list[CheckoutOrder]:
        return [o for o in self.orders if o.pay_status == 200]

    @property
    def settled(self) -> list[CheckoutOrder]:
        return [o for o in self.paid_by_provider if o.paid_at is not None]

    @property
    def paid_span(self) -> float:
        """From the first pay call sent to the last order paid (tickets issued)."""
        settled = self.settled
        if not settled:
            return 0.0
        return max(o.paid_at or 0.0 for o in settled) - min(o.pay_sent for o in self.paid_by_provider)

    @property
    def paid_per_minute(self) -> float:
        return len(self.settled) / self.paid_span * 60 if self.paid_span > 0 else 0.0

    @property
    def tickets_per_minute(self) -> float:
        return sum(o.places for o in self.settled) / self.paid_span * 60 if self.paid_span > 0 else 0.0

    @property
    def platform_cpu_per_order_ms(self) -> float:
        platform_cpu = sum(v for k, v in self.cpu.items() if k not in ("machine", "machine_total"))
        return platform_cpu / max(1, len(self.settled)) * 1000

    @staticmethod
    def percentile(values: Iterable[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0

    def confirmation(self, q: float) -> float:
        return self.percentile((o.confirmation_to_tickets_ms for o in self.settled), q)


def problem_type(reply: httpx.Response) -> str:
    with contextlib.suppress(ValueError, AttributeError):
        return str(reply.json().get("type", "")).rsplit("/", 1)[-1]
    return reply.text[:60]


async def wait_paid(admin_dsn: str, orders: list[CheckoutOrder], seconds: float) -> None:
    """Polls ticketing.orders until every order has its paid_at, or ``seconds`` have passed."""
    waiting = {uuid.UUID(o.order_id): o for o in orders}
    deadline = time.monotonic() + seconds
    connection = await asyncpg.connect(admin_dsn)
    try:
        while waiting and time.monotonic() < deadline:
            rows = await connection.fetch(
                "SELECT id, paid_at FROM ticketing.orders WHERE id = ANY($1::uuid[]) AND paid_at IS NOT NULL",
                list(waiting),
            )
            for row in rows:
                waiting.pop(row["id"]).paid_at = row["paid_at"].timestamp()
            if waiting:
                await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def simulator_figures(sim_url: str) -> dict[str, int]:
    """Succeeded payments (distinct payment intents) and webhook deliveries, from the simulator."""
    async with httpx.AsyncClient(base_url=sim_url, timeout=60) as sim:
        reply = await sim.get("/_sim/events")
        reply.raise_for_status()
    events = reply.json()["data"]
    deliveries = [d for e in events for d in e["deliveries"]]
    attempts = [a for d in deliveries for a in d["attempts"]]
    failures = Counter(
        str(a["status_code"]) if a["status_code"] is not None else str(a["error"]).split(":")[0]
        for a in attempts
        if a["status_code"] is None or not 200 <= a["status_code"] < 300
    )
    return {
        **{f"failed: {reason}": count for reason, count in failures.most_common()},
        "succeeded payments": len(
            {e["event"]["data"]["object"]["id"] for e in events if e["type"] == "payment_intent.succeeded"}
        ),
        "events": len(events),
        "deliveries": len(deliveries),
        "delivered": sum(1 for d in deliveries if d["state"] == "delivered"),
        "attempts": len(attempts),
        "failed attempts": sum(
            1 for a in attempts if a["status_code"] is None or not 200 <= a["status_code"] < 300
        ),
    }


async def take_through_checkout(
    sale: Sale,
    buyers: list[Buyer],
    *,
    edge_url: str,
    sim_url: str,
    admin_dsn: str,
    args: argparse.Namespace,
    meter: CpuMeter,
    rng: random.Random,
) -> Checkout:
    """Orders and pays a sample of the sale's holds, then waits until ticketing issued their tickets."""
    sample = rng.sample(sale.held, min(args.checkout_orders, len(sale.held)))
    orders = [CheckoutOrder(o.detail, o.ask.buyer, o.ask.quantity) for o in sample]
    limits = httpx.Limits(
        max_connections=args.checkout_parallel, max_keepalive_connections=args.checkout_parallel
    )
    timeout = httpx.Timeout(args.timeout * 3)
    async with (
        httpx.AsyncClient(base_url=edge_url, timeout=timeout, limits=limits) as edge,
        httpx.AsyncClient(base_url=sim_url, timeout=timeout, limits=limits) as sim,
    ):

        async def check_out(order: CheckoutOrder) -> None:
            buyer = buyers[order.buyer]
            sent = time.perf_counter()
            # As the web app and a careful partner do: one key per order, and an answer that says
            # nothing about the outcome (503, 504, no answer) is asked again with the same key, which
            # gives the order made by the first attempt if it was made (ticketing's idempotency).
            key = str(uuid.uuid4())
            for attempt in range(CHECKOUT_ATTEMPTS):
                try:
                    created = await edge.post(
                        ORDERS,
                        json={
                            "reservation_id": order.reservation_id,
                            "buyer": {"name": "Comprador de Prueba", "email": buyer.email},
                        },
                        headers={"Authorization": f"Bearer {buyer.access_token}", "Idempotency-Key": key},
                    )
                except httpx.HTTPError as exc:
                    if attempt + 1 < CHECKOUT_ATTEMPTS:
                        order.create_retried.append(type(exc).__name__)
                        await asyncio.sleep(0.5 * 2**attempt)
                        continue
                    order.create_status, order.error = -1, f"order: {type(exc).__name__}"
                    return
                if created.status_code in (503, 504) and attempt + 1 < CHECKOUT_ATTEMPTS:
                    order.create_retried.append(str(created.status_code))
                    await asyncio.sleep(0.5 * 2**attempt)
                    continue
                break
            order.create_ms = (time.perf_counter() - sent) * 1000
            order.create_status = created.status_code
            if created.status_code != 201:
                order.error = f"order: {created.status_code} {problem_type(created)}"
                return
            body = created.json()
            order.order_id = body["id"]
            session_id = body["payment"]["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
            order.pay_sent, sent = time.time(), time.perf_counter()
            try:
                paid = await sim.post(f"/_sim/checkout/sessions/{session_id}/pay", json={"card": PAYING_CARD})
            except httpx.HTTPError as exc:
                order.pay_status, order.error = -1, f"pay: {type(exc).__name__}"
                return
            order.pay_returned = time.time()
            order.pay_ms = (time.perf_counter() - sent) * 1000
            order.pay_status = paid.status_code
            if paid.status_code != 200:
                order.error = f"pay: {paid.status_code} {paid.text[:60]}"

        before, client_before = meter.snapshot(), time.process_time()
        started = time.time()
        await bounded(orders, check_out, parallel=args.checkout_parallel, what="ordered and paid", every=250)
        paying = [o for o in orders if o.pay_status == 200]
        payments_done = max((o.pay_returned for o in paying), default=time.time())
        say(f"    waiting (at most {args.checkout_wait:.0f} s) for the tickets of {len(paying)} paid orders")
        await wait_paid(admin_dsn, paying, args.checkout_wait)
        after, client_cpu = meter.snapshot(), time.process_time() - client_before
        last = max((o.paid_at for o in paying if o.paid_at is not None), default=time.time())
    return Checkout(
        orders=orders,
        parallel=args.checkout_parallel,
        started=started,
        payments_done=payments_done,
        cpu=CpuMeter.used(before, after),
        client_cpu=client_cpu,
        seconds=last - started,
        simulator=await simulator_figures(sim_url),
    )


async def check_checkout(result: Checkout, admin_dsn: str, event: SaleEvent) -> list[Check]:
    """Tickets against places for every paid order, one set of tickets per order, the whole ledger,
    and the simulator's succeeded payments against the orders ticketing marked paid."""
    ours = {uuid.UUID(o.order_id): o for o in result.settled}
    connection = await asyncpg.connect(admin_dsn)
    try:
        tickets = await connection.fetch(
            "SELECT o.id, o.quantity, count(t.id) AS tickets FROM ticketing.orders o "
            "LEFT JOIN ticketing.tickets t ON t.order_id = o.id "
            "WHERE o.paid_at IS NOT NULL GROUP BY o.id, o.quantity"
        )
        twice = await connection.fetch(
            "SELECT t.order_id FROM ticketing.tickets t JOIN ticketing.orders o ON o.id = t.order_id "
            "GROUP BY t.order_id, o.quantity "
            "HAVING count(*) > o.quantity OR count(DISTINCT t.issued_at) > 1 "
            "UNION ALL SELECT reservation_id FROM ticketing.orders WHERE paid_at IS NOT NULL "
            "GROUP BY reservation_id HAVING count(*) > 1"
        )
        zone = await connection.fetchrow(
            "SELECT capacity, held, sold FROM ticketing.inventory WHERE event_id = $1",
            uuid.UUID(event.event_id),
        )
    finally:
        await connection.close()
    problems = await ledger_problems(admin_dsn)
    paid_in_db = len(tickets)
    wrong = [
        row["id"]
        for row in tickets
        if row["tickets"] != row["quantity"]
        or (row["id"] in ours and ours[row["id"]].places != row["quantity"])
    ]
    not_created = Counter(o.error for o in result.orders if o.create_status != 201)
    not_paid = Counter(o.error for o in result.created if o.pay_status != 200)
    no_tickets = [o for o in result.paid_by_provider if o.paid_at is None]
    places_paid = sum(o.places for o in result.settled)
    succeeded = result.simulator.get("succeeded payments", -1)
    return [
        Check(
            "every order created (201)",
            not not_created,
            f"{len(result.created)} of {len(result.orders)}"
            + (f"; others: {dict(not_created.most_common(5))}" if not_created else ""),
        ),
        Check(
            "every order paid at the simulator (200)",
            not not_paid and len(result.paid_by_provider) == len(result.created),
            f"{len(result.paid_by_provider)} of {len(result.created)}"
            + (f"; others: {dict(not_paid.most_common(5))}" if not_paid else ""),
        ),
        Check(
            "every paid order marked paid with its tickets",
            not no_tickets,
            f"{len(result.settled)} of {len(result.paid_by_provider)}, the last "
            f"{result.started + result.seconds - result.payments_done:.1f} s after the last payment",
        ),
        Check(
            "tickets == places for every paid order",
            not wrong and paid_in_db >= len(ours),
            f"{paid_in_db} paid orders, {sum(r['tickets'] for r in tickets)} tickets, "
            f"{len(wrong)} not matching",
        ),
        Check("no order has two sets of tickets", not twice, f"{len(twice)} orders or reservations"),
        Check(
            "the zone sold the places paid, the rest still held",
            zone is not None
            and zone["sold"] == places_paid
            and zone["held"] + zone["sold"] == zone["capacity"],
            f"sold {zone['sold'] if zone else '?'}, held {zone['held'] if zone else '?'}, "
            f"places paid {places_paid}",
        ),
        Check(
            "ledger balances (devstack.ledger)",
            not problems,
            "no problem" if not problems else f"{len(problems)}: " + "; ".join(problems[:3]),
        ),
        Check(
            "simulator's succeeded payments == paid orders",
            succeeded == paid_in_db == len(result.settled),
            f"{succeeded} succeeded payments, {paid_in_db} paid orders in ticketing, "
            f"{len(result.settled)} of the bench's",
        ),
    ]


# ---------------------------------------------------------------- the raw baseline


@dataclass
class RawRound:
    decisions_per_second: float
    p50_ms: float
    p99_ms: float
    held: int
    capacity: int
    decisions: int


RAW_TABLE = """
    CREATE TABLE IF NOT EXISTS bench.inventory (
        zone_id integer PRIMARY KEY,
        capacity integer NOT NULL,
        held integer NOT NULL DEFAULT 0,
        sold integer NOT NULL DEFAULT 0,
        CHECK (held >= 0 AND sold >= 0 AND held + sold <= capacity)
    )
"""
RAW_IN_WORDS = "one `UPDATE … SET held = held + q WHERE … AND capacity - held - sold >= q`"
RAW_TAKE = (
    "UPDATE bench.inventory SET held = held + $2 WHERE zone_id = $1 AND capacity - held - sold >= $2 "
    "RETURNING held"
)


async def prepare_raw(admin_dsn: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS bench AUTHORIZATION {TICKETING.role}")
    finally:
        await connection.close()


async def raw_round(dsn: str, capacity: int, quantities: list[int], connections: int) -> RawRound:
    """``connections`` coroutines deciding the same demand on one row; each UPDATE is its own commit."""
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute(RAW_TABLE)
        await setup.execute("TRUNCATE bench.inventory")
        await setup.execute("INSERT INTO bench.inventory (zone_id, capacity) VALUES (1, $1)", capacity)
    finally:
        await setup.close()
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    latencies: list[int] = []
    work = iter(quantities)

    async def decide() -> None:
        async with pool.acquire() as connection:
            statement = await connection.prepare(RAW_TAKE)
            for quantity in work:
                sent = time.perf_counter_ns()
                await statement.fetchval(1, quantity)
                latencies.append((time.perf_counter_ns() - sent) // 1000)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(decide() for _ in range(connections)))
        seconds = time.perf_counter() - started
        held = await pool.fetchval("SELECT held FROM bench.inventory WHERE zone_id = 1")
    finally:
        await pool.close()
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, math.ceil(q * len(latencies)) - 1)] / 1000

    return RawRound(len(latencies) / seconds, pct(0.5), pct(0.99), held, capacity, len(latencies))


# ---------------------------------------------------------------- report


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return (
        f"{platform.node() or 'unknown'}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {platform.platform()}"
    )


def cpu_line(sale: Sale) -> str:
    """CPU per decision by component (µs), the load generator's share and the machine's load."""
    return cpu_breakdown(
        sale.cpu, sale.client_cpu, sale.seconds, len(sale.decided), "decision", "load generator"
    )


def cpu_breakdown(
    cpu: dict[str, float], client_cpu: float, seconds: float, count: int, per: str, client: str
) -> str:
    """CPU per ``per`` by component (µs), the client's share and the machine's load."""
    count = max(1, count)
    used = dict(cpu)
    machine_busy_s, machine_total_s = used.pop("machine"), used.pop("machine_total")
    used[client] = client_cpu
    ours = sum(used.values())
    parts = ", ".join(
        f"{name} {spent / count * 1e6:,.0f}"
        for name, spent in sorted(used.items(), key=lambda i: -i[1])
        if spent / count * 1e6 >= 5
    )
    cores = machine_total_s / seconds if seconds else 0
    others = max(0.0, machine_busy_s - ours)
    return (
        f"CPU per {per} (µs): {parts}; machine busy {machine_busy_s / seconds:.2f} of "
        f"{cores:.0f} cores, of which {others / seconds:.2f} cores outside the platform, "
        f"Postgres and the {client} (other work on the machine)"
    )


def checkout_line(result: Checkout) -> str:
    return cpu_breakdown(
        result.cpu, result.client_cpu, result.seconds, len(result.settled), "paid order", "bench client"
    )


def report(
    args: argparse.Namespace,
    raws: list[RawRound],
    one: Sale,
    five: Sale,
    checks: dict[str, list[Check]],
    registration: tuple[int, float],
    checkout: Checkout | None = None,
) -> str:
    raw_dps = statistics.median(r.decisions_per_second for r in raws)
    raw_p50 = statistics.median(r.p50_ms for r in raws)
    raw_p99 = statistics.median(r.p99_ms for r in raws)
    ratio = one.decisions_per_second / raw_dps
    five_ratio = five.decisions_per_second / one.decisions_per_second
    five_cpu_ratio = one.platform_cpu_per_decision_ms / five.platform_cpu_per_decision_ms
    held_ratio = five.held_per_minute / one.held_per_minute if one.held_per_minute else 0
    failed = [f"{name}: {c.name}" for name, cs in checks.items() for c in cs if not c.ok]
    buyers, registration_seconds = registration
    lines = [
        f"### Flash sale through the edge vs. a bare conditional UPDATE ({dt.date.today()})",
        "",
        f"Machine: {machine()}. Command: `make bench-sale` (`uv run python bench/flash_sale/run.py`): "
        f"{buyers:,} customers registered and signed in through the API beforehand "
        f"({registration_seconds:.0f} s, argon2 twice each); an organizer publishes the events through the "
        f"API. {args.connections} keep-alive connections from {args.processes} load-generator processes "
        "(asyncio streams, bench/flash_sale/load.py) send `POST /api/v1/reservations` for 1-4 places "
        "(uniform) with a bearer token rotating over the buyers and an `Idempotency-Key`, until the places "
        f"asked for reach {args.demand:g} x capacity; every request goes through token check, rate limit "
        "(Redis; limits raised for the bench only), gRPC, one ticketing transaction (reservation, "
        "customer's tally, conditional UPDATE of the zone, outbox) and commit. Raw: asyncpg, "
        f"{args.connections} coroutines on their own connections, {RAW_IN_WORDS} per decision "
        "(autocommit: one commit each) on one row of a "
        "scratch table in the same cluster and database as ticketing, same demand; 3 rounds (before, "
        "between, after the sales), median. PostgreSQL 15 as devstack runs it for throwaway stacks "
        "(fsync, synchronous_commit and full_page_writes off). A decision is a 201 or a 409 sold-out. "
        "Everything (platform, Postgres, Redis, broker, load generator) shares the machine's 2 cores.",
        "",
        "| run | capacity | requests | decisions/s | p50 (ms) | p99 (ms) | holds (201) | sold out after (s) "
        "| tickets held per minute | decisions/s while selling | platform CPU per decision (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| raw UPDATE, one row | {raws[0].capacity:,} | {raws[0].decisions:,} | {raw_dps:,.0f} "
        f"({', '.join(f'{r.decisions_per_second:,.0f}' for r in raws)}) | {raw_p50:.1f} | {raw_p99:.1f} "
        f"| — | — | — | — | — |",
    ]
    for label, sale in (("platform, one zone", one), ("platform, five zones of one event", five)):
        zones = f"5 x {sale.event.zones[0][1]:,}" if len(sale.event.zones) > 1 else f"{sale.event.capacity:,}"
        lines.append(
            f"| {label} | {zones} | {len(sale.outcomes):,} | {sale.decisions_per_second:,.0f} "
            f"| {sale.percentile(0.5):.1f} | {sale.percentile(0.99):.1f} | {len(sale.held):,} "
            f"| {sale.sold_out_after:.1f} | {sale.held_per_minute:,.0f} "
            f"| {sale.selling_decisions_per_second:,.0f} | {sale.platform_cpu_per_decision_ms:.2f} |"
        )
    lines += [
        "",
        f"One zone: {cpu_line(one)}.",
        f"Five zones: {cpu_line(five)}.",
    ]
    if checkout is not None:
        lines += checkout_lines(checkout)
    lines += [
        "",
        "Checks (ticketing's database after each sale, and the counters sampled every 50 ms during it"
        + ("; after the checkout, ticketing's database, its ledger and the simulator" if checkout else "")
        + "):",
        "",
    ]
    for name, cs in checks.items():
        lines.append(
            f"* {name}: " + "; ".join(f"{c.name} {'ok' if c.ok else 'FAILED'} ({c.detail})" for c in cs)
        )
    lines += [
        "",
        f"Result: platform/raw decisions per second {ratio:.3f} (target >= {TARGET_RATIO}: "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}); five zones / one zone {five_ratio:.2f} "
        f"(target >= {TARGET_FIVE_ZONES}: {'met' if five_ratio >= TARGET_FIVE_ZONES else 'NOT met'}), "
        f"tickets held per minute {held_ratio:.2f} x, decisions per platform CPU second "
        f"{five_cpu_ratio:.2f} x; "
        + (
            f"checkout {checkout.paid_per_minute:,.0f} paid orders per minute, payment confirmation to "
            f"tickets issued p99 {checkout.confirmation(0.99):,.0f} ms; "
            if checkout is not None
            else ""
        )
        + "checks: "
        + ("all passed" if not failed else "FAILED: " + "; ".join(failed))
        + ".",
    ]
    return "\n".join(lines) + "\n"


def retried_orders(result: Checkout) -> str:
    retried = [o for o in result.orders if o.create_retried]
    if not retried:
        return "none"
    answers = Counter(answer for o in retried for answer in o.create_retried)
    return f"{len(retried):,} ({', '.join(f'{k}: {v:,}' for k, v in answers.most_common())})"


def checkout_lines(result: Checkout) -> list[str]:
    settled = result.settled
    sim = result.simulator
    failures = ", ".join(
        f"{k.removeprefix('failed: ')}: {v:,}" for k, v in sim.items() if k.startswith("failed: ")
    )
    return [
        "",
        f"Checkout (held -> paid -> tickets), after the sales and the last raw round: {len(result.orders):,} "
        "holds of the one-zone sale, picked at random, each taken through checkout by its own buyer, "
        f"{result.parallel} at a time (httpx, keep-alive): `POST /api/v1/orders` through the edge "
        "(ticketing_svc extends the hold and opens a Checkout Session at the payment simulator psp_sim "
        "with the `stripe` SDK), then the simulator's test control pays the session with 4242 4242 4242 "
        "4242 (`POST /_sim/checkout/sessions/{id}/pay`, no browser). The simulator signs and sends its "
        "webhooks to the edge, which verifies them and hands them to ticketing_svc over gRPC; ticketing "
        "re-reads the payment at the provider, then sells the places, purchases the reservation and "
        "issues the Ed25519-signed tickets in one transaction, whose start is the order's `paid_at`. "
        "Confirmation to tickets is `paid_at` minus the moment the pay call returned (webhook delivery, "
        "signature check, gRPC, the re-read and the transaction; same clock); paid orders per minute "
        "count from the first pay call to the last `paid_at`. notification_svc's confirmation e-mails "
        "(QR codes, PDF) are made on the same cores meanwhile.",
        "",
        "| checkout | orders | created (201) | order p50 (ms) | order p99 (ms) | paid at the simulator "
        "| pay call p50 (ms) | paid with tickets | tickets issued | paid orders per minute "
        "| tickets issued per minute | confirmation -> tickets p50 (ms) | p99 (ms) | max (ms) "
        "| platform CPU per paid order (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| platform + psp_sim, one zone's holds | {len(result.orders):,} | {len(result.created):,} "
        f"| {result.percentile((o.create_ms for o in result.created), 0.5):.1f} "
        f"| {result.percentile((o.create_ms for o in result.created), 0.99):.1f} "
        f"| {len(result.paid_by_provider):,} "
        f"| {result.percentile((o.pay_ms for o in result.paid_by_provider), 0.5):.1f} "
        f"| {len(settled):,} | {sum(o.places for o in settled):,} | {result.paid_per_minute:,.0f} "
        f"| {result.tickets_per_minute:,.0f} | {result.confirmation(0.5):,.0f} "
        f"| {result.confirmation(0.99):,.0f} | {result.confirmation(1.0):,.0f} "
        f"| {result.platform_cpu_per_order_ms:.1f} |",
        "",
        f"Checkout: {checkout_line(result)}. Orders asked again with the same Idempotency-Key after an "
        f"answer that did not say whether the order was made (503, 504 or none): {retried_orders(result)}. "
        "Webhooks: {sim.get('events', 0):,} events, "
        f"{sim.get('deliveries', 0):,} deliveries ({sim.get('delivered', 0):,} delivered) in "
        f"{sim.get('attempts', 0):,} attempts, {sim.get('failed attempts', 0):,} of them failed and retried"
        + (f" ({failures})" if failures else "")
        + ".",
    ]


# ---------------------------------------------------------------- main


async def checkout_phase(
    client: httpx.AsyncClient,
    stack: Stack,
    sale: Sale,
    buyers: list[Buyer],
    checks: dict[str, list[Check]],
    *,
    args: argparse.Namespace,
    rng: random.Random,
    admin_dsn: str,
) -> Checkout:
    """The checkout phase with its checks (added to ``checks`` under "checkout")."""
    await keep_tokens_fresh(client, buyers, 300, args.setup_parallel)
    say(
        f"  checkout: {min(args.checkout_orders, len(sale.held)):,} of the one-zone holds, "
        f"{args.checkout_parallel} at a time"
    )
    result = await take_through_checkout(
        sale,
        buyers,
        edge_url=f"http://127.0.0.1:{stack.ports.edge}",
        sim_url=f"http://127.0.0.1:{stack.ports.psp_sim}",
        admin_dsn=admin_dsn,
        args=args,
        meter=CpuMeter(stack.home, stack.postgres.data_dir, (*COMPONENTS, "psp_sim")),
        rng=rng,
    )
    checks["checkout"] = await check_checkout(result, admin_dsn, sale.event)
    say(
        f"  checkout: {len(result.settled):,} orders paid with tickets, "
        f"{result.paid_per_minute:,.0f} paid orders per minute, confirmation -> tickets "
        f"p50 {result.confirmation(0.5):,.0f} ms, p99 {result.confirmation(0.99):,.0f} ms, "
        f"max {result.confirmation(1.0):,.0f} ms"
    )
    say(f"    {checkout_line(result)}")
    for c in checks["checkout"]:
        say(f"    check {'ok    ' if c.ok else 'FAILED'} {c.name}: {c.detail}")
    return result


async def bench(stack: Stack, args: argparse.Namespace) -> tuple[str, bool]:
    ports = stack.ports
    edge_url = f"http://127.0.0.1:{ports.edge}"
    admin_dsn = stack.postgres.admin_dsn(TICKETING.database)
    raw_dsn = TICKETING.url(ports.postgres).replace("postgresql+asyncpg", "postgresql")
    work = stack.home / "flash-sale"
    work.mkdir()
    rng = random.Random(args.seed)  # noqa: S311 (a benchmark's demand, not a secret)
    meter = CpuMeter(stack.home, stack.postgres.data_dir)
    limits = httpx.Limits(max_connections=args.setup_parallel * 2)
    async with httpx.AsyncClient(base_url=edge_url, timeout=60, limits=limits) as client:
        organizer = next(a for a in DEMO_ACCOUNTS if a.role.value == "organizer")
        reply = await post_checked(
            client,
            "/api/v1/auth/token",
            "organizer sign-in",
            data={"grant_type": "password", "username": organizer.email, "password": organizer.password},
        )
        organizer_token = reply.json()["access_token"]
        say("publishing the events")
        warm_up = await publish_event(client, organizer_token, "Calentamiento", [("General", 200)], admin_dsn)
        one_zone = await publish_event(
            client, organizer_token, "Venta relámpago", [("General", args.capacity)], admin_dsn
        )
        each = args.capacity // 5
        five_zones = await publish_event(
            client,
            organizer_token,
            "Venta relámpago en cinco zonas",
            [(zone, each) for zone in ("Norte", "Sur", "Oriental", "Occidental", "Platea")],
            admin_dsn,
        )
        say(f"registering and signing in {args.buyers} buyers ({args.setup_parallel} at a time)")
        started = time.monotonic()
        buyers = await register_buyers(client, args.buyers, args.setup_parallel)
        registration = (len(buyers), time.monotonic() - started)

        await prepare_raw(admin_dsn)
        raw_quantities = [
            a.quantity
            for a in demand(one_zone, args.demand, args.buyers, random.Random(args.seed))  # noqa: S311
        ]
        raws: list[RawRound] = []

        async def raw(label: str) -> None:
            result = await raw_round(raw_dsn, args.capacity, raw_quantities, args.connections)
            raws.append(result)
            say(
                f"  raw {label}: {result.decisions_per_second:,.0f} decisions/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms, held {result.held}/{result.capacity}"
            )

        async def platform_sale(name: str, event: SaleEvent) -> tuple[Sale, list[Check]]:
            await keep_tokens_fresh(client, buyers, args.max_seconds + 60, args.setup_parallel)
            asks = demand(event, args.demand, len(buyers), rng)
            say(
                f"  {name}: {len(asks):,} requests for {sum(a.quantity for a in asks):,} places, "
                f"{event.capacity:,} on sale"
            )
            sale = await sell(
                name,
                event,
                asks,
                buyers,
                edge_port=ports.edge,
                args=args,
                meter=meter,
                admin_dsn=admin_dsn,
                work=work,
            )
            checks = await check(sale, admin_dsn)
            say(
                f"  {name}: {sale.decisions_per_second:,.0f} decisions/s, p50 {sale.percentile(0.5):.1f} ms, "
                f"p99 {sale.percentile(0.99):.1f} ms, {len(sale.held):,} holds, sold out after "
                f"{sale.sold_out_after:.1f} s ({sale.held_per_minute:,.0f} tickets held per minute)"
            )
            say(f"    {cpu_line(sale)}")
            for c in checks:
                say(f"    check {'ok    ' if c.ok else 'FAILED'} {c.name}: {c.detail}")
            return sale, checks

        say("warming up (a small event, not recorded)")
        warm = await sell(
            "warm-up",
            warm_up,
            demand(warm_up, 3.0, len(buyers), rng),
            buyers,
            edge_port=ports.edge,
            args=args,
            meter=meter,
            admin_dsn=admin_dsn,
            work=work,
        )
        say(
            f"  warm-up: {len(warm.decided)} of {len(warm.outcomes)} requests decided, {len(warm.held)} holds"
        )
        say("measuring")
        await raw("round 1")
        one, one_checks = await platform_sale("one zone", one_zone)
        await raw("round 2")
        five, five_checks = await platform_sale("five zones", five_zones)
        await raw("round 3")
        checks = {"one zone": one_checks, "five zones": five_checks}
        checked_out = (
            await checkout_phase(client, stack, one, buyers, checks, args=args, rng=rng, admin_dsn=admin_dsn)
            if args.checkout_orders > 0
            else None
        )
    ok = all(c.ok for cs in checks.values() for c in cs)
    return report(args, raws, one, five, checks, registration, checked_out), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument(
        "--capacity", type=int, default=5000, help="places of the one zone (5 x 1/5 for five)"
    )
    parser.add_argument("--demand", type=float, default=10.0, help="places asked for / capacity")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--setup-parallel", type=int, default=8, help="registrations at a time")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request at most")
    parser.add_argument("--max-seconds", type=float, default=420.0, help="time bound of one sale")
    parser.add_argument(
        "--checkout-orders",
        type=int,
        default=1000,
        help="holds taken through checkout after the sales (0: none)",
    )
    parser.add_argument("--checkout-parallel", type=int, default=32, help="checkouts at a time")
    parser.add_argument(
        "--checkout-wait", type=float, default=120.0, help="seconds to wait for the last paid order's tickets"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/performance.md")
    parser.add_argument("--keep-logs", type=Path, help="copy the platform's logs here before cleaning up")
    args = parser.parse_args()
    if args.capacity % 5 or not 5 <= args.capacity <= 1_000_000:
        raise SystemExit("--capacity must be a multiple of 5 within the catalog's limit (1,000,000)")

    home = Path(tempfile.mkdtemp(prefix="taquilla-sale-"))
    ports = Ports(**{name: free_port() for name in asdict(Ports())})
    limit = "1000000000/60"
    stack = Stack(
        home=home,
        ports=ports,
        durable=False,
        with_frontend=False,
        progress=lambda line: say(f"  {line}"),
        extra_env={
            # Thousands of sign-ups and sign-ins from one address, and buyers as fast as the load
            # generator can send: nothing is refused for speed, every request still meets the limiter.
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
        if args.keep_logs:
            shutil.copytree(stack.logs, args.keep_logs, dirs_exist_ok=True)
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
