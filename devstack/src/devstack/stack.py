"""The whole platform as local processes: what `make up` starts and the end-to-end tests use.

State lives under one folder (``.local/`` by default): the PostgreSQL cluster, Redis data, received
mail, logs and one pid file per process, so `down` can stop what an earlier `up` started and a
second `up` only starts what is not running yet.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devstack.infra import SERVICE_DATABASES, Broker, PaymentSimulator, Postgres, ServiceDatabase
from devstack.processes import Process, StartupError, pid_alive, port_open, stop_pid, wait_until
from taquilla_runtime.principal import DEVELOPMENT_PRINCIPAL_SECRET

REPO_ROOT = Path(__file__).resolve().parents[3]
# Redis users, as in docker-compose.yml: the default (password-less) user is off; each program that
# uses Redis has its own user and a password generated once per stack home. ``-@dangerous`` keeps
# FLUSHALL, CONFIG, KEYS, DEBUG and the like out of reach.
REDIS_USERS = ("edge", "ticketing")
REDIS_PERMISSIONS = "~* &* +@all -@dangerous"

TOPICS = (
    "taquilla.events.v1",
    "taquilla.events.v1.dlq",
    "taquilla.events.v1.ticketing-dlq",
    "taquilla.ticketing.v1.dlq",
    "taquilla.ticketing.v1.notification-dlq",
    "taquilla.ticketing.v1.reports-dlq",
    "taquilla.identity.v1",
    "taquilla.identity.v1.notification-dlq",
    "taquilla.events.v1.webhooks-dlq",
    "taquilla.ticketing.v1.webhooks-dlq",
    "taquilla.ticketing.v1",
)


def _env_port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StartupError(f"{name}={value!r} is not a port number")
    return int(value)


@dataclass
class Ports:
    postgres: int = 5432
    redis: int = 6379
    kafka: int = 9092
    smtp: int = 1025
    edge: int = 8000
    edge_internal: int = 8001
    frontend: int = 5173
    identity_grpc: int = 50051
    event_grpc: int = 50052
    notification_grpc: int = 50053
    ticketing_grpc: int = 50054
    identity_metrics: int = 9101
    event_metrics: int = 9102
    notification_metrics: int = 9103
    ticketing_metrics: int = 9104
    psp_sim: int = 12111

    @classmethod
    def from_env(cls) -> Ports:
        """Every port can be overridden with TAQUILLA_<NAME>_PORT (e.g. TAQUILLA_EDGE_PORT=8080)."""
        defaults = cls()
        return cls(
            **{
                name: _env_port(f"TAQUILLA_{name.upper()}_PORT", getattr(defaults, name))
                for name in asdict(defaults)
            }
        )


@dataclass
class Stack:
    home: Path
    ports: Ports = field(default_factory=Ports)
    durable: bool = True
    with_frontend: bool = True
    progress: Callable[[str], None] = print
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. tighter rate limits in tests

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self.logs = self.home / "logs"
        self.pids = self.home / "pids"
        self.maildir = self.home / "mail"
        self.postgres = Postgres(self.home / "postgres" / "data", self.ports.postgres, durable=self.durable)
        self._steps = 0

    # ----------------------------------------------------------------------------------------- helpers
    def _step(self, message: str) -> None:
        self._steps += 1
        self.progress(f"[{self._steps}] {message}")

    def _pidfile(self, name: str) -> Path:
        return self.pids / f"{name}.pid"

    def _running(self, name: str) -> bool:
        pidfile = self._pidfile(name)
        if not pidfile.exists():
            return False
        try:
            return pid_alive(int(pidfile.read_text().strip()))
        except ValueError:
            return False

    def _ensure_free(self, name: str, port: int) -> None:
        if port_open(port):
            raise StartupError(
                f"port {port} for {name} is taken by another program: stop it or choose another port with "
                f"TAQUILLA_{name.upper()}_PORT=<port> (see README)"
            )

    def redis_passwords(self) -> dict[str, str]:
        """Each Redis user's password, generated on first use and kept in the stack home (mode 0600)."""
        path = self.home / "redis-passwords.json"
        if path.exists():
            passwords: dict[str, str] = json.loads(path.read_text())
            if set(passwords) == set(REDIS_USERS):
                return passwords
        passwords = {user: secrets.token_urlsafe(24) for user in REDIS_USERS}
        self.home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(passwords, indent=2))
        return passwords

    def redis_url(self, user: str, db: int = 0) -> str:
        """The authenticated URL of ``user`` (one of REDIS_USERS) on the stack's Redis."""
        return f"redis://{user}:{self.redis_passwords()[user]}@127.0.0.1:{self.ports.redis}/{db}"

    def _redis_acl_file(self) -> Path:
        """The ACL file redis-server loads: the default user off, one user per REDIS_USERS entry."""
        path = self.home / "redis" / "users.acl"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["user default off"] + [
            f"user {user} on >{password} {REDIS_PERMISSIONS}"
            for user, password in self.redis_passwords().items()
        ]
        path.touch(mode=0o600)
        path.write_text("\n".join(lines) + "\n")
        return path

    def service_env(self) -> dict[str, str]:
        p = self.ports
        urls = {db.service: db.url(p.postgres) for db in SERVICE_DATABASES}
        kafka = f"127.0.0.1:{p.kafka}"
        return {
            "IDENTITY_SVC_DATABASE_URL": urls["identity_svc"],
            "IDENTITY_SVC_GRPC_ADDRESS": f"127.0.0.1:{p.identity_grpc}",
            "IDENTITY_SVC_METRICS_ADDRESS": f"127.0.0.1:{p.identity_metrics}",
            "IDENTITY_SVC_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "IDENTITY_SVC_TOKEN_ISSUER": f"http://127.0.0.1:{p.edge}",
            "EVENT_SVC_DATABASE_URL": urls["event_svc"],
            "EVENT_SVC_GRPC_ADDRESS": f"127.0.0.1:{p.event_grpc}",
            "EVENT_SVC_METRICS_ADDRESS": f"127.0.0.1:{p.event_metrics}",
            "EVENT_SVC_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "EVENT_SVC_TICKETING_SVC_ADDRESS": f"127.0.0.1:{p.ticketing_grpc}",
            "NOTIFICATION_SVC_DATABASE_URL": urls["notification_svc"],
            "NOTIFICATION_SVC_GRPC_ADDRESS": f"127.0.0.1:{p.notification_grpc}",
            "NOTIFICATION_SVC_METRICS_ADDRESS": f"127.0.0.1:{p.notification_metrics}",
            "NOTIFICATION_SVC_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "NOTIFICATION_SVC_SMTP_HOST": "127.0.0.1",
            "NOTIFICATION_SVC_SMTP_PORT": str(p.smtp),
            "NOTIFICATION_SVC_IDENTITY_SVC_ADDRESS": f"127.0.0.1:{p.identity_grpc}",
            "NOTIFICATION_SVC_TICKETING_SVC_ADDRESS": f"127.0.0.1:{p.ticketing_grpc}",
            "NOTIFICATION_SVC_WEB_APP_URL": f"http://127.0.0.1:{p.frontend}",
            "TICKETING_SVC_DATABASE_URL": urls["ticketing_svc"],
            "TICKETING_SVC_GRPC_ADDRESS": f"127.0.0.1:{p.ticketing_grpc}",
            "TICKETING_SVC_METRICS_ADDRESS": f"127.0.0.1:{p.ticketing_metrics}",
            "TICKETING_SVC_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "TICKETING_SVC_EVENT_SVC_ADDRESS": f"127.0.0.1:{p.event_grpc}",
            "TICKETING_SVC_REDIS_URL": self.redis_url("ticketing"),
            "TICKETING_SVC_STRIPE_API_BASE": f"http://127.0.0.1:{p.psp_sim}",
            # The web app's order page, where the payment page sends buyers back.
            "TICKETING_SVC_PAYMENT_RETURN_URL": f"http://127.0.0.1:{p.frontend}/orders/{{ORDER_ID}}",
            "TICKETING_SVC_PAYMENT_RETURN_ORIGINS": json.dumps(
                [f"http://127.0.0.1:{p.frontend}", f"http://localhost:{p.frontend}"]
            ),
            "EDGE_HOST": "127.0.0.1",
            "EDGE_PORT": str(p.edge),
            "EDGE_INTERNAL_PORT": str(p.edge_internal),
            "EDGE_PUBLIC_URL": f"http://127.0.0.1:{p.edge}",
            "EDGE_WEB_APP_URL": f"http://127.0.0.1:{p.frontend}",
            "EDGE_IDENTITY_SVC_ADDRESS": f"127.0.0.1:{p.identity_grpc}",
            "EDGE_EVENT_SVC_ADDRESS": f"127.0.0.1:{p.event_grpc}",
            "EDGE_NOTIFICATION_SVC_ADDRESS": f"127.0.0.1:{p.notification_grpc}",
            "EDGE_TICKETING_SVC_ADDRESS": f"127.0.0.1:{p.ticketing_grpc}",
            "EDGE_REDIS_URL": self.redis_url("edge"),
            # One secret signs and checks the principals of every internal call (ADR 0021); the test
            # process itself signs with the same (the runtime's development default).
            **{
                f"{prefix}_PRINCIPAL_SECRETS": DEVELOPMENT_PRINCIPAL_SECRET
                for prefix in ("IDENTITY_SVC", "EVENT_SVC", "NOTIFICATION_SVC", "TICKETING_SVC", "EDGE")
            },
            **self.extra_env,
        }

    def _start(
        self,
        name: str,
        argv: list[str],
        *,
        port: int,
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> bool:
        """Starts a process unless an earlier `up` left it running; returns True when it started it."""
        if self._running(name):
            self.progress(f"    {name}: already running")
            return False
        self._ensure_free(name, port)
        Process(
            name,
            argv,
            log=self.logs / f"{name}.log",
            pidfile=self._pidfile(name),
            cwd=cwd,
            env={**self.service_env(), **(extra_env or {})},
        ).start()
        return True

    # --------------------------------------------------------------------------------------- lifecycle
    def up(self) -> None:
        started = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        self._start_infrastructure()
        self._prepare_databases()
        self._create_topics()
        self._migrate_and_seed()
        self._start_services()
        self._wait_ready()
        (self.home / "stack.json").write_text(json.dumps(asdict(self.ports), indent=2))
        self.progress(f"platform is up in {time.monotonic() - started:.1f}s")

    def _start_infrastructure(self) -> None:
        self._step(f"PostgreSQL 15 on 127.0.0.1:{self.ports.postgres} (data in {self.postgres.data_dir})")
        if self.postgres.initialized() and self.postgres.running():
            self.progress("    postgres: already running")
        else:
            self._ensure_free("postgres", self.ports.postgres)
            self.postgres.start()
        self._step(f"Redis on 127.0.0.1:{self.ports.redis}")
        if self._start("redis", self._redis_argv(), port=self.ports.redis):
            wait_until(
                lambda: port_open(self.ports.redis), timeout=15, what="Redis", log=self.logs / "redis.log"
            )
        self._step(f"Kafka-protocol broker on 127.0.0.1:{self.ports.kafka}")
        if self._start("broker", self._broker_argv(), port=self.ports.kafka):
            wait_until(
                lambda: port_open(self.ports.kafka),
                timeout=30,
                what="the broker",
                log=self.logs / "broker.log",
            )
        self._step(f"SMTP sink on 127.0.0.1:{self.ports.smtp} (mail kept in {self.maildir})")
        self.maildir.mkdir(parents=True, exist_ok=True)
        if self._start(
            "smtp",
            [
                sys.executable,
                "-m",
                "devstack.smtp_sink",
                "--port",
                str(self.ports.smtp),
                "--maildir",
                str(self.maildir),
            ],
            port=self.ports.smtp,
        ):
            wait_until(
                lambda: port_open(self.ports.smtp),
                timeout=15,
                what="the SMTP sink",
                log=self.logs / "smtp.log",
            )
        simulator = self.payment_simulator()
        self._step(f"payment simulator (Stripe-compatible) on {simulator.url}")
        if self._start(
            "psp_sim", simulator.argv(), port=self.ports.psp_sim, extra_env=simulator.environment()
        ):
            wait_until(simulator.healthy, timeout=30, what="the payment simulator", log=simulator.log)

    def payment_simulator(self) -> PaymentSimulator:
        """psp_sim with test controls on, its webhooks pointed at the edge's Stripe endpoint (until the
        edge answers them, deliveries fail and are retried)."""
        edge = f"http://127.0.0.1:{self.ports.edge}"
        return PaymentSimulator(
            self.ports.psp_sim,
            self.logs / "psp_sim.log",
            env={"PSP_SIM_WEBHOOK_URL": f"{edge}/api/v1/payments/stripe/webhook"},
        )

    def _redis_argv(self) -> list[str]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StartupError("redis-server is missing: apt-get install -y redis-server (make up does this)")
        data = self.home / "redis"
        data.mkdir(parents=True, exist_ok=True)
        return [
            binary,
            "--port",
            str(self.ports.redis),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--save",
            "60 1" if self.durable else "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--aclfile",
            str(self._redis_acl_file()),
        ]

    def _broker_argv(self) -> list[str]:
        return Broker(self.ports.kafka, self.logs / "broker.log").argv()

    def _prepare_databases(self) -> None:
        self._step("databases, roles and schemas: " + ", ".join(db.database for db in SERVICE_DATABASES))
        for db in SERVICE_DATABASES:
            self.postgres.ensure_service_database(db)

    def _create_topics(self) -> None:
        self._step("Kafka topics: " + ", ".join(TOPICS))
        from devstack.kafka import ensure_topics

        ensure_topics(f"127.0.0.1:{self.ports.kafka}", TOPICS)

    def _migrate_and_seed(self) -> None:
        self._step("migrations (each service's own Alembic history)")
        self._run_cli_all(SERVICE_DATABASES, "migrate")
        seeded = [
            db for db in SERVICE_DATABASES if importlib.util.find_spec(f"{db.service}.seed") is not None
        ]
        self._step("demo seed data: " + ", ".join(db.service for db in seeded))
        self._run_cli_all(seeded, "seed")
        if importlib.util.find_spec("identity_svc.seed") is not None:
            from identity_svc.seed import demo_accounts_text

            (self.home / "demo-accounts.txt").write_text(demo_accounts_text() + "\n")

    def _run_cli_all(self, dbs: Sequence[ServiceDatabase], command: str) -> None:
        """Runs `python -m <service> <command>` for several services at once (they share nothing)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        running = []
        for db in dbs:
            log = self.logs / f"{db.service}-{command}.log"
            with log.open("ab") as out:
                running.append(
                    (
                        db,
                        log,
                        subprocess.Popen(
                            [sys.executable, "-m", db.service, command],
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            env={**os.environ, **self.service_env()},
                        ),
                    )
                )
        failed = [(db, log) for db, log, proc in running if proc.wait() != 0]
        for db, _, _ in running:
            self.progress(
                f"    {db.service}: {command} " + ("failed" if any(d is db for d, _ in failed) else "done")
            )
        if failed:
            db, log = failed[0]
            raise StartupError(f"`python -m {db.service} {command}` failed; see {log}")

    def _start_services(self) -> None:
        p = self.ports
        self._step(
            "services: identity_svc, event_svc, notification_svc, ticketing_svc, edge"
            + (", frontend" if self.with_frontend else "")
        )
        for service, port in (
            ("identity_svc", p.identity_grpc),
            ("event_svc", p.event_grpc),
            ("notification_svc", p.notification_grpc),
            ("ticketing_svc", p.ticketing_grpc),
        ):
            self._start(service, [sys.executable, "-m", service, "serve"], port=port)
        if not self._running("edge"):
            self._ensure_free("edge_internal", p.edge_internal)
        self._start("edge", [sys.executable, "-m", "edge"], port=p.edge)
        if self.with_frontend:
            npm = shutil.which("npm")
            if npm is None or not (REPO_ROOT / "frontend" / "node_modules").exists():
                raise StartupError(
                    "frontend dependencies are missing: run `npm ci --prefix frontend` (make up does this)"
                )
            self._start(
                "frontend",
                [npm, "run", "dev"],
                port=p.frontend,
                cwd=REPO_ROOT / "frontend",
                extra_env={"FRONTEND_PORT": str(p.frontend), "EDGE_URL": f"http://127.0.0.1:{p.edge}"},
            )

    def _wait_ready(self, timeout: float = 60) -> None:
        self._step("waiting for every health check")
        from devstack.health import readiness

        deadline = time.monotonic() + timeout
        state: dict[str, object] = {}
        while time.monotonic() < deadline:
            self._fail_if_exited()
            state = readiness(f"http://127.0.0.1:{self.ports.edge_internal}/readyz")
            frontend_ok = not self.with_frontend or port_open(self.ports.frontend)
            if state.get("status") == "ready" and frontend_ok:
                return
            time.sleep(0.25)
        raise StartupError(
            f"the platform did not become ready within {timeout:.0f}s: {state}; logs in {self.logs}"
        )

    def _fail_if_exited(self) -> None:
        names = [
            "redis",
            "broker",
            "smtp",
            "psp_sim",
            "identity_svc",
            "event_svc",
            "notification_svc",
            "ticketing_svc",
            "edge",
        ]
        for name in [*names, *(["frontend"] if self.with_frontend else [])]:
            if self._pidfile(name).exists() and not self._running(name):
                raise StartupError(f"{name} exited during start-up; see {self.logs / (name + '.log')}")

    def stop_component(self, name: str) -> None:
        """Stops one process (e.g. "smtp") to exercise failures; `ensure_infrastructure` restarts it."""
        pidfile = self._pidfile(name)
        if pidfile.exists():
            stop_pid(int(pidfile.read_text().strip()))
            pidfile.unlink(missing_ok=True)

    def ensure_infrastructure(self) -> None:
        """Starts whichever infrastructure process is not running."""
        self._start_infrastructure()

    def down(self) -> None:
        """Stops everything an `up` started, services first, then infrastructure."""
        order = [
            "frontend",
            "edge",
            "ticketing_svc",
            "notification_svc",
            "event_svc",
            "identity_svc",
            "psp_sim",
            "smtp",
            "broker",
            "redis",
        ]
        for name in order:
            pidfile = self._pidfile(name)
            if pidfile.exists():
                try:
                    pid = int(pidfile.read_text().strip())
                except ValueError:
                    pid = 0
                if pid and pid_alive(pid):
                    stop_pid(pid)
                    self.progress(f"stopped {name}")
                pidfile.unlink(missing_ok=True)
        if self.postgres.initialized() and self.postgres.running():
            self.postgres.stop()
            self.progress("stopped postgres")

    def urls(self) -> str:
        p = self.ports
        lines = [
            f"  Frontend            http://127.0.0.1:{p.frontend}/" if self.with_frontend else None,
            f"  API (edge)          http://127.0.0.1:{p.edge}/",
            f"  Swagger UI          http://127.0.0.1:{p.edge}/docs",
            f"  ReDoc               http://127.0.0.1:{p.edge}/redoc",
            f"  OpenAPI             http://127.0.0.1:{p.edge}/openapi.json",
            f"  Readiness           http://127.0.0.1:{p.edge_internal}/readyz (the internal port: in detail)",
            f"  Edge metrics        http://127.0.0.1:{p.edge}/metrics",
            f"  Service metrics     http://127.0.0.1:{p.identity_metrics}/metrics (identity), "
            f":{p.event_metrics} (events), :{p.notification_metrics} (notifications), "
            f":{p.ticketing_metrics} (ticketing)",
            f"  gRPC                identity 127.0.0.1:{p.identity_grpc}, events 127.0.0.1:{p.event_grpc}, "
            f"notifications 127.0.0.1:{p.notification_grpc}, ticketing 127.0.0.1:{p.ticketing_grpc}",
            f"  PostgreSQL          postgresql://postgres@127.0.0.1:{p.postgres}/postgres",
            f"  Redis               redis://edge:<password>@127.0.0.1:{p.redis}/0 (users edge and ticketing; "
            f"passwords in {self.home / 'redis-passwords.json'})",
            f"  Kafka (broker)      127.0.0.1:{p.kafka}",
            f"  SMTP sink           127.0.0.1:{p.smtp}, received mail in {self.maildir}",
            f"  Payment simulator   http://127.0.0.1:{p.psp_sim}/ (Stripe-compatible; pay pages "
            f"/pay/<session>, events /_sim/events, test cards in psp_sim/README.md)",
            f"  Logs                {self.logs} (make logs)",
        ]
        return "\n".join(line for line in lines if line)
