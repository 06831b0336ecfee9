"""Pytest fixtures that start real infrastructure on free 127.0.0.1 ports and stop it afterwards.

Loaded for the whole repository (``-p devstack.pytest_plugin`` in the root pytest options). Each
server starts only when a test asks for it, once per test session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.infra import (
    SERVICE_DATABASES,
    Broker,
    PaymentSimulator,
    Postgres,
    Redis,
    ServiceDatabase,
    SmtpSink,
)
from devstack.processes import free_port
from taquilla_runtime.principal import DEVELOPMENT_PRINCIPAL_SECRET, use_secrets


@dataclass
class PostgresServer:
    cluster: Postgres

    @property
    def port(self) -> int:
        return self.cluster.port

    def service_database(self, service: str) -> ServiceDatabase:
        db = next(db for db in SERVICE_DATABASES if db.service == service)
        self.cluster.ensure_service_database(db)
        return db

    def url(self, service: str) -> str:
        return self.service_database(service).url(self.port)


@pytest.fixture(scope="session")
def infra_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("infra")


@pytest.fixture(scope="session")
def postgres_server(infra_dir: Path) -> Iterator[PostgresServer]:
    cluster = Postgres(infra_dir / "postgres" / "data", free_port(), durable=False)
    cluster.start()
    try:
        yield PostgresServer(cluster)
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def redis_server(infra_dir: Path) -> Iterator[Redis]:
    server = Redis(free_port(), infra_dir / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kafka_broker(infra_dir: Path) -> Iterator[Broker]:
    broker = Broker(free_port(), infra_dir / "broker.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def smtp_sink(infra_dir: Path) -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port(), infra_dir / "mail", infra_dir / "smtp.log")
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def psp_simulator(infra_dir: Path) -> Iterator[PaymentSimulator]:
    """The Stripe-compatible payment simulator with test controls on, webhooks unset (tests point
    them at their own receiver with ``set_webhooks(url=...)``), retries a few tens of milliseconds
    apart and delayed payments settling after one second. ``.url``, ``.secret_key`` and
    ``.webhook_secret`` are what a ``stripe.StripeClient`` and ``stripe.Webhook`` need."""
    simulator = PaymentSimulator(
        free_port(),
        infra_dir / "psp_sim.log",
        env={
            "PSP_SIM_WEBHOOK_URL": "",
            "PSP_SIM_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            "PSP_SIM_WEBHOOK_RETRY_MAX_SECONDS": "0.5",
            "PSP_SIM_WEBHOOK_MAX_ATTEMPTS": "20",
            "PSP_SIM_WEBHOOK_TIMEOUT_SECONDS": "5",
            "PSP_SIM_DELAYED_SECONDS": "1",
        },
    )
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture(autouse=True)
def _development_principal_secret() -> Iterator[None]:
    """Each test starts and ends signing principals with the development secret, as every process of
    the tests' platform does: a test that builds a service with other settings sets the process-wide
    secret (taquilla_runtime.principal.use_secrets) and must not leave it to the next test."""
    use_secrets([DEVELOPMENT_PRINCIPAL_SECRET])
    yield
    use_secrets([DEVELOPMENT_PRINCIPAL_SECRET])
