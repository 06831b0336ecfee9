"""The web app in a real browser against the real platform (issue 7's end-to-end journeys).

The `platform` fixture starts every service and the edge (no frontend). This test builds the
production bundle into a temporary directory, serves it with `vite preview` (which proxies the
API paths to the platform's edge, as nginx does in production), and runs the journeys in
frontend/e2e/*.e2e.js with node's test runner: Debian's chromium (never a downloaded browser)
driven by playwright-core, axe-core checked on every page, one screenshot per page saved under
test-results/frontend-e2e/ (gitignored).

The reservation journeys get their events from here: a fresh organizer (tests/conftest.py) publishes
them through the API, and another buyer holds every VIP place of one of them, so it shows sold out.
The waiting-room journey gets a third one whose on-sale was two minutes ago, with a waiting room
admitting 600 buyers a minute, so whoever joins is admitted at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from devstack.processes import free_port, port_open
from devstack.stack import REPO_ROOT
from tests.conftest import Platform, bearer, new_customer, new_organizer

pytestmark = pytest.mark.e2e

FRONTEND = REPO_ROOT / "frontend"
ARTIFACTS = REPO_ROOT / "test-results" / "frontend-e2e"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VITE = FRONTEND / "node_modules" / "vite" / "bin" / "vite.js"
# Journeys with a wrapper of their own (and the data it prepares), left out of test_browser_journeys.
OWN_WRAPPER = {"mobile.e2e.js"}


def _requirements() -> str | None:
    """Why the browser journeys cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not VITE.exists() or not (FRONTEND / "node_modules" / "playwright-core").exists():
        return "frontend dependencies are missing: run `npm ci --prefix frontend`"
    if not Path(CHROMIUM).exists():
        return f"no browser at {CHROMIUM}: `apt-get install -y chromium` (or set CHROMIUM_PATH)"
    return None


@contextmanager
def served_web_app(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory, name: str, port: int | None = None
) -> Iterator[str]:
    """The web app, built for production and served by `vite preview` on ``port`` (a free one by
    default) with its API calls sent to the platform's edge; its URL. Stopped afterwards."""
    missing = _requirements()
    if missing:
        pytest.fail(f"{missing} (make test installs what is missing; run `make deps`)")
    out_dir = tmp_path_factory.mktemp(f"{name}-dist")
    subprocess.run(
        ["node", str(VITE), "build", "--outDir", str(out_dir), "--emptyOutDir", "--logLevel", "warn"],
        cwd=FRONTEND,
        check=True,
        timeout=240,
    )
    port = port if port is not None else free_port()
    env = {**os.environ, "FRONTEND_PORT": str(port), "EDGE_URL": platform.edge_url}
    log = (tmp_path_factory.mktemp(f"{name}-log") / "preview.log").open("w")
    preview = subprocess.Popen(
        ["node", str(VITE), "preview", "--outDir", str(out_dir)],
        cwd=FRONTEND,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_open(port):
            if preview.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"vite preview did not start; see {log.name}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(preview.pid, signal.SIGTERM)
        try:
            preview.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(preview.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def frontend_url(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_web_app(platform, tmp_path_factory, "frontend") as url:
        yield url


async def _published_event(
    edge: httpx.AsyncClient,
    organizer: dict[str, str],
    name: str,
    vip: int,
    sales: dict[str, Any] | None = None,
) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=150)).replace(minute=0, second=0, microsecond=0)
    reply = await edge.post(
        "/api/v1/events",
        headers=organizer,
        json={
            "name": name,
            "description": "Una noche de música.",
            "category": "concert",
            "venue": {"name": f"Sala {uuid.uuid4().hex[:8]}", "city": "Sevilla", "address": "Calle Feria 2"},
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=4)).isoformat(),
            "timezone": "Europe/Madrid",
            "zones": [
                {"name": "General", "price": {"amount": "30.00", "currency": "EUR"}, "capacity": 50},
                {"name": "VIP", "price": {"amount": "95.50", "currency": "EUR"}, "capacity": vip},
            ],
            "publish": True,
            **({"sales": sales} if sales else {}),
        },
    )
    assert reply.status_code == 201, reply.text
    event: dict[str, Any] = reply.json()
    return event


@pytest_asyncio.fixture(loop_scope="session")
async def sale_events(edge: httpx.AsyncClient) -> dict[str, str]:
    """Published events: one to reserve and release in the browser, one whose VIP zone is sold out, and
    one sold through a waiting room that admits at once."""
    organizer = await new_organizer(edge)
    run = uuid.uuid4().hex[:6]
    on_sale = await _published_event(edge, organizer, f"Gira de reservas {run}", vip=20)
    sold_out = await _published_event(edge, organizer, f"Gira agotada {run}", vip=2)
    _, _, tokens = await new_customer(edge)
    held = await edge.post(
        "/api/v1/reservations",
        headers=bearer(tokens["access_token"]),
        json={
            "session_id": sold_out["sessions"][0]["id"],
            "items": [{"zone_id": sold_out["zones"][1]["id"], "quantity": 2}],
        },
    )
    assert held.status_code == 201, held.text  # held for 10 minutes: longer than the journeys take
    queued = await _published_event(
        edge,
        organizer,
        f"Gira con fila {run}",
        vip=20,
        sales={
            "on_sale_at": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
            "waiting_room": True,
            "admission_per_minute": 600,
        },
    )
    assert queued["sales"]["waiting_room"] is True, queued["sales"]
    return {
        "E2E_SALE_EVENT_ID": on_sale["id"],
        "E2E_SOLD_OUT_EVENT_ID": sold_out["id"],
        "E2E_QUEUE_EVENT_ID": queued["id"],
    }


@pytest.mark.timeout(600)
def test_browser_journeys(frontend_url: str, sale_events: dict[str, str]) -> None:
    """Register; sign in as the demo organizer; create an event with two zones and two sessions;
    a zero capacity is refused on its field; publish; open it; a customer is sent away from
    /events/new; an admin changes a user's role; a published event is found by searching with a typo
    and without accents, and opened; a buyer sent to sign in comes back, reserves places, sees the
    countdown and releases them; a sold-out zone shows as sold out and cannot be chosen; the waiting room
    admits a signed-in buyer, who reserves with the admission and sees the countdown."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    journeys = sorted(
        str(p.relative_to(FRONTEND)) for p in (FRONTEND / "e2e").glob("*.e2e.js") if p.name not in OWN_WRAPPER
    )
    assert journeys, "no browser journeys found in frontend/e2e"
    env = {
        **os.environ,
        "E2E_BASE_URL": frontend_url,
        "E2E_ARTIFACTS": str(ARTIFACTS),
        "CHROMIUM_PATH": CHROMIUM,
        **sale_events,
    }
    result = subprocess.run(
        ["node", "--test", "--test-concurrency=1", *journeys],
        cwd=FRONTEND,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=540,
    )
    report = f"{result.stdout}\n{result.stderr}"
    (ARTIFACTS / "report.tap").write_text(report)
    assert result.returncode == 0, f"browser journeys failed (screenshots in {ARTIFACTS}):\n{report[-6000:]}"
    screenshots = list(ARTIFACTS.glob("*.png"))
    assert len(screenshots) >= 10, f"expected a screenshot per page, found {len(screenshots)}"
