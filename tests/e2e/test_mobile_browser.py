"""The web app on a phone (390x844) in a real browser against the real platform.

Like tests/e2e/test_frontend_browser.py (whose `served_web_app` builds and serves the app): Debian's
chromium driven by playwright-core runs frontend/e2e/mobile.e2e.js with node's test runner, axe-core on
every page, one screenshot per page under test-results/frontend-e2e/. A fresh organizer publishes the
event the journey finds on the events page; the admin pages use the demo admin.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest
import pytest_asyncio

from tests.conftest import Platform, new_organizer
from tests.e2e.test_frontend_browser import ARTIFACTS, CHROMIUM, FRONTEND, _published_event, served_web_app

pytestmark = pytest.mark.e2e

JOURNEY = "e2e/mobile.e2e.js"


@pytest.fixture(scope="module")
def mobile_frontend(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_web_app(platform, tmp_path_factory, "mobile") as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def mobile_event(edge: httpx.AsyncClient) -> str:
    """The name of a published event for the events page to find."""
    organizer = await new_organizer(edge)
    name = f"Gira en el móvil {uuid.uuid4().hex[:6]}"
    await _published_event(edge, organizer, name, vip=10)
    return name


@pytest.mark.timeout(600)
def test_mobile_journey(mobile_frontend: str, mobile_event: str) -> None:
    """On a phone: the events page's filters open from a "Filters" button and the first result is near
    the top; the header menu opens, closes with Escape and navigates; no main page scrolls sideways and
    axe finds no serious violation on any of them."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "E2E_BASE_URL": mobile_frontend,
        "E2E_ARTIFACTS": str(ARTIFACTS),
        "E2E_EVENT_NAME": mobile_event,
        "CHROMIUM_PATH": CHROMIUM,
    }
    result = subprocess.run(
        ["node", "--test", "--test-concurrency=1", JOURNEY],
        cwd=FRONTEND,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=540,
    )
    report = f"{result.stdout}\n{result.stderr}"
    (ARTIFACTS / "mobile-report.tap").write_text(report)
    assert result.returncode == 0, f"mobile journey failed (screenshots in {ARTIFACTS}):\n{report[-6000:]}"
