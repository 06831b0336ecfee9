"""The monitoring set-up works against the real platform: Prometheus scrapes it, the rules and the
dashboards' queries evaluate, and they show data once traffic has gone through.

Static part (no platform): promtool accepts the configuration and every rule file, the promtool unit
tests pass and cover every alert firing and staying quiet, every alert links to its section of
docs/operations.md, and the dashboards are Grafana 11 JSON on the provisioned data source.

Live part: a real Prometheus (Debian package `prometheus`) scrapes the platform of tests/conftest.py
every second and evaluates the same rule files every second. The test signs in, reads its profile,
gets 404s and 401s, has a fresh organizer create a published event (event_svc's outbox relays
EventCreated and EventPublished to Kafka, notification_svc mails the organizer), asks ticketing_svc
for the event's availability over gRPC, and puts envelopes on taquilla.events.v1 itself (one twice,
so the consumer skips a duplicate). Then:

- every target is up, and every rule group is loaded and healthy;
- every query evaluates without error: each dashboard panel's `expr` (with `$job` set to every
  value of the dashboard's `job` variable and Grafana's interval variables set to 1m), each
  recording rule's and each alert's `expr`;
- queries return data. The rule: every dashboard query, every recording rule (its expression and
  its recorded series) and every alert *signal* must return at least one series. An alert
  expression is written `signal OP threshold`, possibly joined by and/or/unless; its signals are
  the left-hand sides, and the whole expression is expected to be empty (nothing is wrong).
  Queries about failures are written to read 0 rather than nothing (`... or on() vector(0)`,
  ratios whose numerator falls back to `traffic * 0`), so the only exceptions are the two lists
  below, each entry with its reason;
- because a fallback to 0 would hide a misspelt metric, every metric a query names must be
  announced by a target (HELP/TYPE, even without samples) or recorded by a rule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
import yaml
from aiokafka import AIOKafkaProducer

from devstack.processes import Process, free_port, wait_until
from devstack.samples import catalog_message
from devstack.stack import Ports
from taquilla.ticketing.v1 import ticketing_service_pb2, ticketing_service_pb2_grpc
from taquilla_runtime.messaging.envelope import Envelope
from tests.conftest import Platform, bearer, login_as, new_organizer

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "observability" / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
UNIT_TEST_FILES = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
GRAFANA_DIR = ROOT / "observability" / "grafana"
DASHBOARD_FILES = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
DATASOURCES = GRAFANA_DIR / "provisioning" / "datasources" / "datasources.yml"
OPERATIONS = ROOT / "docs" / "operations.md"

JOBS = ("edge", "identity_svc", "event_svc", "notification_svc", "ticketing_svc")
SEVERITIES = {"critical", "warning"}
# What Grafana's interval variables become in the test: long enough to span several 1 s scrapes.
GRAFANA_INTERVALS = re.compile(r"\$__(rate_interval|interval|range)\b")
TEST_INTERVAL = "1m"
DEMO_ORGANIZER = "5e1d0000-0000-4000-8000-000000000002"
WAIT_SECONDS = 45

# Queries allowed to return nothing after the test's traffic: expr -> why. Keep it short; prefer
# writing the query so that it reads 0.
MAY_BE_EMPTY: dict[str, str] = {}
# Per-service dashboard panels that do not apply to some values of $job: (panel title, job) -> why.
NOT_APPLICABLE: dict[tuple[str, str], str] = {
    ("Database connections", "edge"): "the edge has no database",
}

PROMTOOL_MISSING = "promtool is not installed: apt-get install -y prometheus"


# ---------------------------------------------------------------------------------------- helpers


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(PROMTOOL_MISSING.replace("promtool", name))
    return path


def run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def local_config(ports: Ports, prometheus_port: int, interval: str = "1s") -> dict[str, Any]:
    """observability/prometheus/prometheus.yml pointed at a local platform: same jobs, local targets."""
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    targets = {
        "prometheus": prometheus_port,
        "edge": ports.edge,
        "identity_svc": ports.identity_metrics,
        "event_svc": ports.event_metrics,
        "notification_svc": ports.notification_metrics,
        "ticketing_svc": ports.ticketing_metrics,
    }
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert sorted(jobs) == sorted(targets), f"prometheus.yml scrapes {jobs}, expected {sorted(targets)}"
    config["global"].update(scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval)
    config["rule_files"] = [str(PROMETHEUS_DIR / "rules" / "*.yml")]
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            static["targets"] = [f"127.0.0.1:{targets[job['job_name']]}"]
    return config


@dataclass(frozen=True)
class Rule:
    group: str
    name: str  # the recorded metric or the alert
    kind: str  # "record" or "alert"
    expr: str
    labels: dict[str, str]
    annotations: dict[str, str]


def rules() -> list[Rule]:
    found = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                kind = "alert" if "alert" in rule else "record"
                found.append(
                    Rule(
                        group=group["name"],
                        name=rule[kind],
                        kind=kind,
                        expr=rule["expr"].strip(),
                        labels=rule.get("labels", {}),
                        annotations=rule.get("annotations", {}),
                    )
                )
    return found


_OPENERS, _CLOSERS = "([{", ")]}"
_SET_OPERATOR = re.compile(r"(and|or|unless)(\s+(on|ignoring)\s*\([^)]*\))?", re.IGNORECASE)
_COMPARISON = re.compile(r"==|!=|>=|<=|>|<")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_:]")


def _top_level(expr: str) -> Iterator[int]:
    """Positions in ``expr`` outside brackets, braces, parentheses and quotes."""
    depth, quote = 0, ""
    for position, char in enumerate(expr):
        if quote:
            if char == quote and expr[position - 1] != "\\":
                quote = ""
            continue
        if char in "\"'`":
            quote = char
        elif char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
        elif depth == 0:
            yield position


def _outer_parentheses_removed(expr: str) -> str:
    while expr.startswith("(") and expr.endswith(")"):
        inner = expr[1:-1]
        depth = 0
        for char in inner:
            depth += (char == "(") - (char == ")")
            if depth < 0:
                return expr  # "(a) > (b)": the parentheses do not enclose everything
        expr = inner.strip()
    return expr


def alert_signals(expr: str) -> list[str]:
    """The measured sides of an alert expression: the left operand of each comparison."""
    expr = _outer_parentheses_removed(" ".join(expr.split()))
    for position in _top_level(expr):
        operator = _SET_OPERATOR.match(expr, position)
        before = expr[position - 1] if position else " "
        if operator and not _NAME_CHAR.match(before):
            after = expr[operator.end() : operator.end() + 1]
            if not _NAME_CHAR.match(after or " "):
                return alert_signals(expr[:position]) + alert_signals(expr[operator.end() :])
    for position in _top_level(expr):
        if _COMPARISON.match(expr, position):
            return [_outer_parentheses_removed(expr[:position].strip())]
    return [expr]


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str


def dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in DASHBOARD_FILES}


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def panel_queries() -> list[PanelQuery]:
    return [
        PanelQuery(name, panel["title"], target["expr"])
        for name, board in dashboards().items()
        for panel in all_panels(board["panels"])
        for target in panel.get("targets", [])
    ]


def github_anchor(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def operations_anchors() -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.*?)\s*#*\s*$", OPERATIONS.read_text(), re.M)
    return {github_anchor(heading) for heading in headings}


# ------------------------------------------------------------------------------- static checks


def test_the_signal_of_an_alert_is_the_left_side_of_each_comparison() -> None:
    assert alert_signals("up == 0") == ["up"]
    assert alert_signals("max by (job, outbox) (age_seconds) > 60") == ["max by (job, outbox) (age_seconds)"]
    assert alert_signals("a:burn_rate1h > 14.4\n  and\na:burn_rate5m > 14.4") == [
        "a:burn_rate1h",
        "a:burn_rate5m",
    ]
    assert alert_signals('(sum(rate(x{a=~"b|c"}[5m])) > 0) and on () sum(y) == 0 or z') == [
        'sum(rate(x{a=~"b|c"}[5m]))',
        "sum(y)",
        "z",
    ]
    assert alert_signals("random_and_or_metric > bool 3") == ["random_and_or_metric"]


def test_the_local_configuration_keeps_the_jobs_and_passes_promtool(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(local_config(Ports(), 9090)))
    result = run([binary("promtool"), "check", "config", str(config)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_every_rule_file() -> None:
    assert RULE_FILES, "no rule files in observability/prometheus/rules"
    result = run([binary("promtool"), "check", "rules", *map(str, RULE_FILES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = run(
        [binary("promtool"), "test", "rules", *map(str, UNIT_TEST_FILES)], cwd=PROMETHEUS_DIR / "tests"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_unit_tested_firing_and_staying_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in UNIT_TEST_FILES:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = {rule.name for rule in rules() if rule.kind == "alert"}
    assert alerts - firing == set(), "alerts never tested firing"
    assert alerts - quiet == set(), "alerts never tested staying quiet"


def test_every_alert_says_what_happened_and_links_to_its_runbook() -> None:
    anchors = operations_anchors()
    for rule in (rule for rule in rules() if rule.kind == "alert"):
        assert rule.labels.get("severity") in SEVERITIES, f"{rule.name}: severity"
        assert rule.annotations.get("summary"), f"{rule.name}: no summary"
        assert rule.annotations.get("description"), f"{rule.name}: no description"
        url = rule.annotations.get("runbook_url", "")
        document, _, anchor = url.partition("#")
        assert document == "docs/operations.md", f"{rule.name}: runbook_url {url!r}"
        assert anchor == rule.name.lower(), f"{rule.name}: the runbook section is named after the alert"
        assert anchor in anchors, f"{rule.name}: docs/operations.md has no heading for #{anchor}"


def test_dashboards_are_grafana_11_json_on_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    prometheus_uid = next(source["uid"] for source in provisioned if source["type"] == "prometheus")
    uids = set()
    assert {path.stem for path in DASHBOARD_FILES} >= {
        "platform-overview",
        "service-red",
        "kafka-and-outbox",
        "business",
    }
    for name, board in dashboards().items():
        assert board["schemaVersion"] == 39, name
        assert board["uid"] not in uids, f"{name}: uid {board['uid']} used twice"
        uids.add(board["uid"])
        panels = list(all_panels(board["panels"]))
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids)), f"{name}: panel ids are not unique"
        for panel in panels:
            where = f"{name}: {panel['title']}"
            assert panel["datasource"] == {"type": "prometheus", "uid": prometheus_uid}, where
            position = panel["gridPos"]
            assert position["x"] + position["w"] <= 24, f"{where}: wider than the grid"
            ref_ids = [target["refId"] for target in panel.get("targets", [])]
            assert len(ref_ids) == len(set(ref_ids)), f"{where}: refIds are not unique"
            for target in panel.get("targets", []):
                assert target["datasource"]["uid"] == prometheus_uid, where
                assert target["expr"].strip(), f"{where}: empty expr"
        variables = {variable["name"] for variable in board["templating"]["list"]}
        used = set(re.findall(r"\$(?!__)(\w+)", json.dumps([p.get("targets", []) for p in panels])))
        assert used <= variables, f"{name}: queries use undefined variables {used - variables}"


def test_the_only_template_variable_is_job_listing_the_scraped_services() -> None:
    for name, board in dashboards().items():
        for variable in board["templating"]["list"]:
            assert variable["name"] == "job", f"{name}: the live test only knows how to set $job"
            assert variable["definition"] == 'label_values(up{job!="prometheus"}, job)', name
            assert variable["datasource"] == {"type": "prometheus", "uid": "prometheus"}, name


# ------------------------------------------------------------------------------------ live stack


@dataclass
class Prometheus:
    url: str
    client: httpx.AsyncClient

    async def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result; an AssertionError carrying Prometheus' message when it fails."""
        reply = await self.client.post("/api/v1/query", data={"query": expr})
        body = reply.json()
        if body.get("status") != "success":
            raise AssertionError(f"{body.get('errorType')}: {body.get('error')}")
        result = body["data"]["result"]
        return result if body["data"]["resultType"] == "vector" else [{"value": result}]


@pytest.fixture(scope="module")
def prometheus_server(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(local_config(platform.stack.ports, port)))
    checked = run([binary("promtool"), "check", "config", str(config)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    log = home / "prometheus.log"
    server = Process(
        "prometheus",
        [
            binary("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={home / 'data'}",
            "--storage.tsdb.retention.time=1h",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log=log,
    )
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout=30, what="Prometheus", log=log)
        yield url
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def prometheus(prometheus_server: str) -> AsyncIterator[Prometheus]:
    async with httpx.AsyncClient(base_url=prometheus_server, timeout=10) as client:
        yield Prometheus(prometheus_server, client)


def event_created(event_id: uuid.UUID) -> Envelope:
    return catalog_message(
        "EventCreated",
        id=str(event_id),
        name="Festival de Cometas",
        createdBy=DEMO_ORGANIZER,
        timezone="America/Lima",
        capacity=300,
    )


def new_event(starts_in_days: int) -> dict[str, Any]:
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=starts_in_days)).replace(
        minute=0, second=0, microsecond=0
    )
    return {
        "name": f"Noche de Tango {uuid.uuid4().hex[:6]}",
        "description": "Orquesta en vivo.",
        "category": "concert",
        "venue": {"name": f"Salón {uuid.uuid4().hex[:8]}", "city": "Rosario", "address": "Córdoba 1200"},
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=4)).isoformat(),
        "timezone": "America/Argentina/Cordoba",
        "zones": [{"name": "Pista", "price": {"amount": "9000.00", "currency": "ARS"}, "capacity": 120}],
        "publish": True,
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def traffic(platform: Platform, prometheus: Prometheus) -> None:
    """Requests through the edge and messages through Kafka, after Prometheus scraped every target."""
    assert await until_no_problems(lambda: targets_not_up(prometheus)) == []
    async with httpx.AsyncClient(base_url=platform.edge_url, timeout=30) as edge:
        sessions = {role: await login_as(edge, role) for role in ("customer", "staff", "admin")}
        for tokens in sessions.values():
            me = await edge.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
            assert me.status_code == 200, me.text
        for path in ("/api/v1/no-such-thing", "/nowhere", "/api/v1/events/x/y/z"):
            assert (await edge.get(path)).status_code == 404
        for headers in ({}, bearer("not-a-token")):
            assert (await edge.get("/api/v1/users/me", headers=headers)).status_code == 401
        admin = bearer(sessions["admin"]["access_token"])
        organizer = await new_organizer(edge, admin)
        created = await edge.post("/api/v1/events", headers=organizer, json=new_event(120))
        assert created.status_code == 201, created.text  # EventCreated and EventPublished in the outbox
        listed = await edge.get("/api/v1/admin/notifications", headers=admin)
        assert listed.status_code == 200, listed.text
        for _ in range(3):  # a cache miss, then hits
            assert (await edge.get("/api/v1/events", params={"limit": 5})).status_code == 200
    await ask_availability(platform, created.json()["id"])

    producer = AIOKafkaProducer(bootstrap_servers=platform.env("EVENT_SVC_KAFKA_BOOTSTRAP_SERVERS"))
    await producer.start()
    try:
        first, second = event_created(uuid.uuid4()), event_created(uuid.uuid4())
        for envelope in (first, second, first):  # the repeated one is a duplicate for the consumer
            await producer.send_and_wait(
                "taquilla.events.v1",
                envelope.to_bytes(),
                key=str(envelope.event_id).encode(),
                headers=envelope.kafka_headers(),
            )
    finally:
        await producer.stop()


async def ask_availability(platform: Platform, event_id: str) -> None:
    """One call to ticketing_svc besides health checks, so its per-method series exist.

    Straight over gRPC: whether the edge asks ticketing_svc on the requests above is the edge's
    business. NOT_FOUND (the event's message not consumed yet) is recorded like any answer.
    """
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.stack.ports.ticketing_grpc}") as channel:
        stub = ticketing_service_pb2_grpc.TicketingServiceStub(channel)
        request = ticketing_service_pb2.GetAvailabilityRequest(event_id=event_id)
        try:
            await stub.GetAvailability(request, timeout=5)
        except grpc.aio.AioRpcError as error:
            code, detail = error.code(), error.details()
        else:
            code, detail = grpc.StatusCode.OK, ""
    assert code in {grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND}, f"GetAvailability: {code} {detail}"


async def targets_not_up(prometheus: Prometheus) -> list[str]:
    up = {sample["metric"]["job"]: sample["value"][1] for sample in await prometheus.query("up")}
    expected = dict.fromkeys(("prometheus", *JOBS), "1")
    return [] if up == expected else [f"up = {up}, expected {expected}"]


async def until_no_problems(
    check: Callable[[], Awaitable[list[str]]], timeout: float = WAIT_SECONDS
) -> list[str]:
    """Runs ``check`` (returning a list of problems) until it finds none or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        problems: list[str] = await check()
        if not problems or time.monotonic() > deadline:
            return problems
        await asyncio.sleep(1)


async def evaluate(prometheus: Prometheus, queries: dict[str, str]) -> tuple[list[str], list[str]]:
    """(failures, empty) for {label: expr}; a failing query fails for good, so it is not retried."""
    failed, empty = [], []
    for label, expr in queries.items():
        try:
            result = await prometheus.query(expr)
        except AssertionError as error:
            failed.append(f"{label}\n    {expr}\n    {error}")
            continue
        if not result and expr not in MAY_BE_EMPTY:
            empty.append(f"{label}\n    {expr}")
    return failed, empty


async def assert_evaluate_with_data(prometheus: Prometheus, queries: dict[str, str]) -> None:
    failures: list[str] = []

    async def check() -> list[str]:
        failed, empty = await evaluate(prometheus, queries)
        failures[:] = failed
        return [] if failed else empty

    empty = await until_no_problems(check)
    assert not failures, "queries that do not evaluate:\n" + "\n".join(failures)
    assert not empty, "queries without data after the traffic:\n" + "\n".join(empty)


@pytest.mark.asyncio(loop_scope="session")
async def test_prometheus_scrapes_every_service_of_the_platform(
    prometheus: Prometheus, traffic: None
) -> None:
    assert await until_no_problems(lambda: targets_not_up(prometheus)) == []


@pytest.mark.asyncio(loop_scope="session")
async def test_every_rule_group_is_loaded_and_healthy(prometheus: Prometheus, traffic: None) -> None:
    expected = {rule.group for rule in rules()}

    async def check() -> list[str]:
        groups = (await prometheus.client.get("/api/v1/rules")).json()["data"]["groups"]
        problems = [f"group {name} not loaded" for name in expected - {group["name"] for group in groups}]
        for group in groups:
            for rule in group["rules"]:
                if rule["health"] != "ok":
                    problems.append(
                        f"{group['name']}/{rule['name']}: {rule['health']} {rule.get('lastError')}"
                    )
        return problems

    assert await until_no_problems(check) == []


@pytest.mark.asyncio(loop_scope="session")
async def test_recording_rules_evaluate_and_record_data(prometheus: Prometheus, traffic: None) -> None:
    queries: dict[str, str] = {}
    for rule in (rule for rule in rules() if rule.kind == "record"):
        matchers = ", ".join(f'{name}="{value}"' for name, value in sorted(rule.labels.items()))
        series = f"{rule.name}{{{matchers}}}" if matchers else rule.name
        queries[f"{rule.group}: {series}"] = rule.expr
        queries[f"{rule.group}: recorded {series}"] = series
    # DeadLetterGrowth and NotificationsFailing count a counter's first step through its *_created
    # sample: Prometheus must ingest those.
    queries["prometheus_client *_created samples are ingested"] = "taquilla_grpc_server_handled_created"
    await assert_evaluate_with_data(prometheus, queries)


@pytest.mark.asyncio(loop_scope="session")
async def test_alert_expressions_evaluate_and_their_signals_return_data(
    prometheus: Prometheus, traffic: None
) -> None:
    alerts = [rule for rule in rules() if rule.kind == "alert"]
    failed, _ = await evaluate(prometheus, {f"{a.name} ({a.labels}): {a.expr}": a.expr for a in alerts})
    assert not failed, "alert expressions that do not evaluate:\n" + "\n".join(failed)
    signals = {
        f"{alert.name} ({alert.labels.get('severity')}) signal": signal
        for alert in alerts
        for signal in alert_signals(alert.expr)
    }
    await assert_evaluate_with_data(prometheus, {f"{label} {expr}": expr for label, expr in signals.items()})


@pytest.mark.asyncio(loop_scope="session")
async def test_every_dashboard_query_evaluates_and_returns_data(
    prometheus: Prometheus, traffic: None
) -> None:
    selector = 'up{job!="prometheus"}'
    reply = await prometheus.client.get("/api/v1/label/job/values", params={"match[]": selector})
    jobs = sorted(reply.json()["data"])
    assert jobs == sorted(JOBS), "the $job variable's query lists other jobs"
    queries: dict[str, str] = {}
    for query in panel_queries():
        expr = GRAFANA_INTERVALS.sub(TEST_INTERVAL, query.expr)
        if "$job" not in expr:
            queries[f"{query.dashboard}: {query.panel}"] = expr
            continue
        for job in jobs:
            if (query.panel, job) not in NOT_APPLICABLE:
                queries[f"{query.dashboard}: {query.panel} (job={job})"] = expr.replace("$job", job)
    assert "$" not in "".join(queries.values()), "a dashboard uses a variable the test does not set"
    await assert_evaluate_with_data(prometheus, queries)


_METRIC_NAME = re.compile(r"(?<![\w:\"])(taquilla_\w+|[a-z_]+:[\w:]+)")
_SERIES_SUFFIXES = re.compile(r"_(total|bucket|count|sum|created)$")


@pytest.mark.asyncio(loop_scope="session")
async def test_queries_name_only_metrics_a_service_exports_or_a_rule_records(
    prometheus: Prometheus, traffic: None
) -> None:
    """A misspelt metric would go unnoticed behind `or on() vector(0)`: every name must be known.

    A family counts as exported when a target announced it (HELP/TYPE), with or without samples,
    so counters of failures that never happened are known too.
    """
    recorded = {rule.name for rule in rules() if rule.kind == "record"}
    expressions = [rule.expr for rule in rules()] + [query.expr for query in panel_queries()]
    referenced = {name for expr in expressions for name in _METRIC_NAME.findall(expr)}

    async def unknown() -> list[str]:
        families = set((await prometheus.client.get("/api/v1/metadata")).json()["data"])
        return sorted(
            name
            for name in referenced
            if name not in recorded
            and name not in families
            and _SERIES_SUFFIXES.sub("", name) not in families
        )

    missing = await until_no_problems(unknown)
    assert not missing, f"queries name metrics no target announces and no rule records: {missing}"
