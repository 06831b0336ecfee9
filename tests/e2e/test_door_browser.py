"""The door app in a real browser: a fake camera shows a real ticket's QR code, then the network goes.

Like tests/e2e/test_checkout_browser.py: the `platform` fixture starts every service, this module
builds the production bundle (with its service worker), serves it with `vite preview` and drives
Debian's chromium with playwright-core through node's test runner (frontend/e2e/support.js: axe-core
on every page, one screenshot per page under test-results/frontend-e2e/).

A buyer pays two tickets through the payment simulator (as tests/integration/test_refunds_http.py
does); a staff member of the event's organization signs in through the login page. The camera is
chromium's fake capture device playing a Y4M file made here: the first ticket's QR code (segno)
drawn into grey frames. The journey:

* opens /door, picks the session, starts the camera: the first ticket reads "Puede pasar" with its
  holder's name, decided by the edge; the service worker now controls the page;
* goes offline (Playwright's network emulation): the same ticket typed by hand is "Entrada ya usada",
  decided on the device; the second ticket is admitted on the device and queued;
* reloads the page, still offline: the app comes from the service worker and the pack from
  IndexedDB, and the first ticket is still refused;
* comes back online: the queue is uploaded (0 pending), the door is online again and counts both.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import segno

from tests.conftest import Platform, bearer, login_as, new_customer
from tests.e2e.test_checkout_browser import SUPPORT, _organizer_who_signs_in
from tests.e2e.test_frontend_browser import (
    ARTIFACTS,
    CHROMIUM,
    FRONTEND,
    _published_event,
    served_web_app,
)
from tests.integration.test_refunds_http import paid_order

pytestmark = pytest.mark.e2e

JOURNEY = r"""
// Written by tests/e2e/test_door_browser.py; run with node --test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

const { capture, launch, newPage, signIn } = await import(process.env.E2E_SUPPORT);

const EVENT_NAME = process.env.E2E_EVENT_NAME;
const FIRST = process.env.E2E_FIRST_SECRET;
const SECOND = process.env.E2E_SECOND_SECRET;
const HOLDER = process.env.E2E_HOLDER_NAME;
const STAFF = { email: process.env.E2E_STAFF_EMAIL, password: process.env.E2E_STAFF_PASSWORD };
let browser;

before(async () => {
  browser = await launch([
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${process.env.E2E_CAMERA_Y4M}`,
  ]);
});

after(async () => {
  await browser?.close();
});

async function answer(page, result, decidedBy) {
  const panel = page.locator(`[data-result="${result}"][data-decided-by="${decidedBy}"]`);
  await panel.waitFor({ timeout: 30_000 });
  return panel;
}

async function typeIn(page, secret) {
  await page.getByLabel('Código de la entrada').fill(secret);
  await page.getByRole('button', { name: 'Comprobar' }).click();
}

test('camera online, offline verdicts, an offline reload, then the queue uploaded', async () => {
  const page = await newPage(browser);
  await page.context().grantPermissions(['camera']);
  await signIn(page, STAFF);
  const nav = page.getByRole('navigation', { name: 'Navegación principal' });
  await nav.getByRole('link', { name: 'Puerta' }).click();
  await page.getByRole('heading', { level: 1, name: 'Control de acceso' }).waitFor();
  const open = page.getByRole('link', { name: new RegExp(`^Abrir puerta: ${EVENT_NAME}`) });
  await open.first().waitFor();
  await capture(page, '80-door-sessions');
  await open.first().click();
  await page.getByRole('heading', { level: 1, name: `Puerta: ${EVENT_NAME}` }).waitFor({ timeout: 30_000 });
  await page.getByText('En línea', { exact: true }).waitFor();

  // The first load installs the service worker, which takes control of this page at once.
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 60_000 });

  await page.getByRole('button', { name: 'Activar cámara' }).click();
  const admitted = await answer(page, 'ok', 'edge');
  await admitted.getByText('Puede pasar').waitFor();
  await admitted.getByText(HOLDER).waitFor();
  await capture(page, '81-door-admitted-by-camera');
  await page.getByRole('button', { name: 'Detener cámara' }).click();

  await page.context().setOffline(true);
  await page.getByText('Sin conexión: decide este dispositivo').waitFor();
  await typeIn(page, FIRST);
  const used = await answer(page, 'already_redeemed', 'device');
  await used.getByText('Entrada ya usada').waitFor();
  await used.getByText('Decidido en este dispositivo, sin conexión').waitFor();
  await typeIn(page, SECOND);
  await answer(page, 'ok', 'device');
  await page.getByText('1 entrada pendiente de subir').waitFor();
  await capture(page, '82-door-offline');

  // With no network at all, the app and the session's data are still there.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: `Puerta: ${EVENT_NAME}` }).waitFor({ timeout: 30_000 });
  await page.getByText('1 entrada pendiente de subir').waitFor();
  await typeIn(page, FIRST);
  await answer(page, 'already_redeemed', 'device');
  await capture(page, '83-door-offline-reloaded');

  await page.context().setOffline(false);
  await page.getByText('0 entradas pendientes de subir').waitFor({ timeout: 60_000 });
  await page.getByText('En línea', { exact: true }).waitFor();
  assert.equal(await page.locator('[data-admitted]').getAttribute('data-admitted'), '2');
  await capture(page, '84-door-back-online');
  await page.context().close();
});
"""


def camera_y4m(secret: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 10) -> Path:
    """A Y4M video (4:2:0) of the ticket's QR code, black on white in a grey frame, for chromium's
    fake camera (`--use-file-for-fake-video-capture`), which plays it in a loop."""
    rows = [list(row) for row in segno.make(secret, error="m").matrix_iter(scale=1, border=4)]
    scale = min(width, height) * 9 // 10 // len(rows)
    side = scale * len(rows)
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray(b"\x80" * (width * height))
    for y in range(side):
        row = rows[y // scale]
        line = bytes(0x10 if row[x // scale] else 0xEB for x in range(side))
        start = (top + y) * width + left
        luma[start : start + side] = line
    chroma = b"\x80" * ((width // 2) * (height // 2) * 2)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma)
    return path


@pytest.fixture(scope="module")
def door_frontend(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served_web_app(platform, tmp_path_factory, "door") as url:
        yield url


async def _staff_of(edge: httpx.AsyncClient, organization_id: str) -> tuple[str, str]:
    """A fresh member of the organization's door staff: (email, password)."""
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    email, password, tokens = await new_customer(edge)
    me = (await edge.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))).json()
    promoted = await edge.patch(
        f"/api/v1/admin/users/{me['id']}",
        headers=admin,
        json={"role": "staff", "organization_id": organization_id},
    )
    assert promoted.status_code == 200, promoted.text
    return email, password


@pytest_asyncio.fixture(loop_scope="session")
async def door_setup(edge: httpx.AsyncClient, door_frontend: str) -> dict[str, Any]:
    """A published event, two of its tickets paid by a buyer, and a staff member of its organization."""
    _, _, organizer = await _organizer_who_signs_in(edge)
    name = f"Puertas {uuid.uuid4().hex[:6]}"
    event = await _published_event(edge, organizer, name, vip=5)
    buyer, order = await paid_order(edge, event, 2)
    tickets = [(await edge.get(f"/api/v1/tickets/{t}", headers=buyer)).json() for t in order["ticket_ids"]]
    staff_email, staff_password = await _staff_of(edge, event["organization_id"])
    return {
        "E2E_SESSION_ID": event["sessions"][0]["id"],
        "E2E_EVENT_NAME": name,
        "E2E_FIRST_SECRET": tickets[0]["secret"],
        "E2E_SECOND_SECRET": tickets[1]["secret"],
        "E2E_HOLDER_NAME": tickets[0]["holder_name"],
        "E2E_STAFF_EMAIL": staff_email,
        "E2E_STAFF_PASSWORD": staff_password,
    }


def _recorded_at_the_edge(edge_url: str, setup: dict[str, str]) -> dict[str, Any]:
    """The session's check-in pack as the edge has it now, read by the staff member."""
    with httpx.Client(base_url=edge_url, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": setup["E2E_STAFF_EMAIL"],
                "password": setup["E2E_STAFF_PASSWORD"],
            },
        )
        assert token.status_code == 200, token.text
        pack = client.get(
            f"/api/v1/sessions/{setup['E2E_SESSION_ID']}/checkin-pack",
            headers=bearer(token.json()["access_token"]),
        )
        assert pack.status_code == 200, pack.text
        body: dict[str, Any] = pack.json()
        return body


@pytest.mark.timeout(600)
def test_door_journey(
    platform: Platform, door_frontend: str, door_setup: dict[str, str], tmp_path: Path
) -> None:
    """Scan a real ticket's QR code through a fake camera and see it admitted; offline, see it refused
    as already used on this device and admit another one; reload offline; back online, see the queue
    uploaded."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    journey = tmp_path / "door.e2e.mjs"
    journey.write_text(JOURNEY)
    env = {
        **os.environ,
        "E2E_BASE_URL": door_frontend,
        "E2E_ARTIFACTS": str(ARTIFACTS),
        "E2E_SUPPORT": SUPPORT.as_uri(),
        "E2E_CAMERA_Y4M": str(camera_y4m(door_setup["E2E_FIRST_SECRET"], tmp_path / "ticket.y4m")),
        "CHROMIUM_PATH": CHROMIUM,
        **door_setup,
    }
    result = subprocess.run(
        ["node", "--test", "--test-concurrency=1", str(journey)],
        cwd=FRONTEND,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=540,
    )
    report = f"{result.stdout}\n{result.stderr}"
    (ARTIFACTS / "door-report.tap").write_text(report)
    assert result.returncode == 0, f"door journey failed (screenshots in {ARTIFACTS}):\n{report[-6000:]}"
    # The entry admitted by camera and the one uploaded from the offline queue, both recorded.
    pack = _recorded_at_the_edge(platform.edge_url, door_setup)
    assert pack["admitted"] == 2
    assert sorted(ticket["status"] for ticket in pack["tickets"]) == ["used", "used"]
