"""Fixtures for cross-service tests: one running platform (as `make up` runs it) per test session."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from devstack.ledger import check_ledger
from devstack.otlp_sink import OtlpSink
from devstack.processes import free_port
from devstack.stack import Ports, Stack

# Generous limits so unrelated tests never trip them; the rate-limit tests use the user bucket,
# whose limit is small enough to reach with one burst.
USER_LIMIT = 1000
PLATFORM_ENV = {
    "EDGE_RATE_LIMIT_AUTH": "100000/60",
    "EDGE_RATE_LIMIT_ANONYMOUS": "100000/60",
    # Ten hours: the bucket refills one request per 36 s, so a burst (even of USER_LIMIT sequential
    # requests on a loaded machine) sees no refill and counts exactly. The demo accounts serve many
    # tests in one run (the admin promotes every new organizer): 1,000 leaves them room.
    "EDGE_RATE_LIMIT_USER": f"{USER_LIMIT}/36000",
    # Requests waiting for another one rebuilding the same catalog answer wait for it however slow a
    # loaded CI machine makes the rebuild (after 1 s, the default, each would ask the service itself).
    "EDGE_CACHE_WAIT_SECONDS": "10",
    # Fast retries so a delivery failure is final within a second.
    "NOTIFICATION_SVC_RETRY_BASE_SECONDS": "0.05",
    "NOTIFICATION_SVC_RETRY_MAX_SECONDS": "0.2",
    # Partners' webhook endpoints on 127.0.0.1, started by the tests (a development setting only).
    "NOTIFICATION_SVC_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
    "NOTIFICATION_SVC_WEBHOOKS_POLL_SECONDS": "0.2",
    # A payment whose notification was lost is found by the reconciliation within seconds (3 s).
    "TICKETING_SVC_RECONCILE_AFTER_MINUTES": "0.05",
    "TICKETING_SVC_RECONCILE_INTERVAL_SECONDS": "1",
    "TICKETING_SVC_REFUND_INTERVAL_SECONDS": "0.5",
}


@dataclass
class Platform:
    stack: Stack
    traces: OtlpSink

    @property
    def edge_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.ports.edge}"

    def env(self, name: str) -> str:
        return self.stack.service_env()[name]

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.stack.logs.glob("*.log")))


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    ports = Ports(**{name: free_port() for name in asdict(Ports())})
    traces = OtlpSink()  # every service exports its spans here, as it would to Jaeger
    traces.start()
    tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": traces.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    stack = Stack(
        home=tmp_path_factory.mktemp("platform"),
        ports=ports,
        durable=False,
        with_frontend=False,
        progress=lambda _: None,
        extra_env={**PLATFORM_ENV, **tracing},
    )
    try:
        stack.up()
        platform = Platform(stack, traces)
        yield platform
        # A session finaliser, so it sees what every test that used the platform made the services
        # log, whatever order the tests ran in; raising here fails the run.
        check_logs_hold_no_secrets(platform)
        check_books_balance(platform)
    finally:
        stack.down()
        stack.postgres.destroy()
        traces.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def edge(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    async with httpx.AsyncClient(base_url=platform.edge_url, timeout=30, limits=limits) as client:
        yield client


DEMO_PASSWORDS = {
    "admin": ("admin@taquilla.demo", "Faro-Cobalto-Marea-2026"),
    "organizer": ("organizer@taquilla.demo", "Tambor-Violeta-Niebla-7"),
    "staff": ("staff@taquilla.demo", "Puerta-Granito-Sol-31"),
    "customer": ("customer@taquilla.demo", "Cielo-Naranja-Viento-9"),
}


async def password_grant(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    reply = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def login_as(client: httpx.AsyncClient, role: str) -> dict[str, Any]:
    """Tokens of the seeded demo account with this role."""
    email, password = DEMO_PASSWORDS[role]
    return await password_grant(client, email, password)


# An e-mail address, looked for in the services' JSON log lines; and a JWT's header.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.")


def check_logs_hold_no_secrets(platform: Platform) -> None:
    """Fails unless the platform's logs hold no passwords, tokens or e-mail addresses.

    Logs in and fails a login first, so the last requests put passwords and fresh tokens in play.
    """
    email, password = DEMO_PASSWORDS["customer"]
    with httpx.Client(base_url=platform.edge_url, timeout=30) as client:
        reply = client.post(
            "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
        )
        assert reply.status_code == 200, reply.text
        tokens = reply.json()
        client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": "leak@example.com", "password": "Leaky-Password-123"},
        )
    logs = platform.logs()
    assert logs, "the platform wrote no logs"
    secrets = {f"the {role} demo password": password for role, (_, password) in DEMO_PASSWORDS.items()}
    secrets |= {
        "a failed login's password": "Leaky-Password-123",
        "an access token": tokens["access_token"],
        "a refresh token": tokens["refresh_token"],
    }
    # Names what leaked, never the value: the failure report is itself output someone reads.
    found = [name for name, secret in secrets.items() if secret in logs]
    service_logs = "\n".join(line for line in logs.splitlines() if line.startswith("{"))
    if EMAIL_ADDRESS.search(service_logs):
        found.append("an e-mail address in a service's log")
    if JWT.search(logs):
        found.append("a JWT")
    if found:
        pytest.fail(f"the platform's logs ({platform.stack.logs}) hold {', '.join(found)}", pytrace=False)


def check_books_balance(platform: Platform) -> None:
    """Fails unless, over every order the run made, money in equals tickets issued plus refunds."""
    problems = check_ledger(platform.env("TICKETING_SVC_DATABASE_URL"))
    if problems:
        pytest.fail("ticketing's books do not balance:\n" + "\n".join(problems[:20]), pytrace=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def new_customer(client: httpx.AsyncClient) -> tuple[str, str, dict[str, Any]]:
    """Registers a fresh customer; returns (email, password, tokens)."""
    email = f"buyer-{uuid.uuid4().hex[:10]}@example.com"
    password = f"Viaje-{uuid.uuid4().hex[:6]}-Montaña-Lago"
    reply = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "full_name": "Rita Prueba"}
    )
    assert reply.status_code == 202, reply.text
    return email, password, await password_grant(client, email, password)


async def new_organizer(edge: httpx.AsyncClient, admin: dict[str, str] | None = None) -> dict[str, str]:
    """Headers of a fresh organizer of a fresh organization: its own rate-limit bucket and data."""
    admin = admin or bearer((await login_as(edge, "admin"))["access_token"])
    email, password, tokens = await new_customer(edge)
    me = (await edge.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))).json()
    organization = await edge.post(
        "/api/v1/admin/organizations", headers=admin, json={"name": f"Producciones {uuid.uuid4().hex[:8]}"}
    )
    assert organization.status_code == 201, organization.text
    promoted = await edge.patch(
        f"/api/v1/admin/users/{me['id']}",
        headers=admin,
        json={"role": "organizer", "organization_id": organization.json()["id"]},
    )
    assert promoted.status_code == 200, promoted.text
    return bearer((await password_grant(edge, email, password))["access_token"])
