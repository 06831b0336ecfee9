"""Checkout in a real browser against the real platform and the payment simulator (issue 15).

Like tests/e2e/test_frontend_browser.py: the `platform` fixture starts every service, the edge and
psp_sim; this module builds the production bundle, serves it with `vite preview` (which proxies the
API paths to the edge) and drives Debian's chromium with playwright-core through node's test runner,
reusing frontend/e2e/support.js (axe-core on every page of the app, one screenshot per page under
test-results/frontend-e2e/).

The bundle is served on the web app origin ticketing_svc sends buyers back to (its
`payment_return_origins`, http://127.0.0.1:5173 unless the platform says otherwise): the checkout
asks the payment page to return to `window.location.origin + "/orders/{ORDER_ID}"`, and ticketing_svc
accepts only its own origins there.

Journeys (a fresh customer, an event published through the API):
* reserve, pay with 4242 4242 4242 4242 on the simulator's page (/pay/<session>), come back to the
  order page, see it paid with a QR code per ticket, download the PDF, see the tickets in "My tickets";
* reserve, pay with 4000 0000 0000 0002 (declined), go back to the order page, see the decline, "try
  again" on the payment page with 4242, come back and see it paid;
* the buyer pays 2 tickets; the event's organizer (a fresh one, signed in through the login page) opens
  the order page, refunds one ticket through the confirmation dialog and sees it revoked; then the
  buyer's "My tickets" shows that ticket revoked, without its QR code, and the other one still valid.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from devstack.processes import port_open
from tests.conftest import Platform, bearer, login_as, new_customer, password_grant
from tests.e2e.test_frontend_browser import (
    ARTIFACTS,
    CHROMIUM,
    FRONTEND,
    _published_event,
    served_web_app,
)

pytestmark = pytest.mark.e2e

DEFAULT_RETURN_ORIGIN = "http://127.0.0.1:5173"
SUPPORT = FRONTEND / "e2e" / "support.js"

JOURNEY = r"""
// Written by tests/e2e/test_checkout_browser.py; run with node --test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

const { capture, launch, newPage, signIn } = await import(process.env.E2E_SUPPORT);

const EVENT = process.env.E2E_EVENT_ID;
const CUSTOMER = { email: process.env.E2E_CUSTOMER_EMAIL, password: process.env.E2E_CUSTOMER_PASSWORD };
const ORGANIZER = { email: process.env.E2E_ORGANIZER_EMAIL, password: process.env.E2E_ORGANIZER_PASSWORD };
const BASE = process.env.E2E_BASE_URL;
// The payment notification reaches the platform a moment after the buyer is back.
const SETTLE_MS = 45_000;
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Reserve `count` General places of the event and open the checkout from the hold. */
async function reserveAndCheckout(page, count, shot) {
  await page.goto(`/events/${EVENT}`);
  const zones = page.getByRole('region', { name: 'Zonas y precios' });
  const more = zones.getByRole('button', { name: 'Una entrada más de General' });
  await more.waitFor();
  for (let i = 0; i < count; i += 1) await more.click();
  await zones.getByRole('button', { name: 'Reservar' }).click();
  const hold = page.getByRole('article', { name: 'Tu reserva' });
  await hold.getByText(`${count} \u00d7 General`).waitFor();
  await hold.getByRole('link', { name: 'Pagar' }).click();
  await page.waitForURL('**/checkout/**');
  await page.getByRole('heading', { level: 1, name: 'Finalizar la compra' }).waitFor();
  assert.equal(await page.getByLabel(/^Correo electrónico/).inputValue(), CUSTOMER.email);
  assert.equal(await page.getByLabel('Idioma de las entradas y los correos').inputValue(), 'es');
  await page.getByRole('timer').waitFor();
  await capture(page, shot);
  await page.getByRole('button', { name: /^Pagar / }).click();
  // Off to the payment provider's hosted page (the simulator): a full navigation.
  await page.waitForURL((url) => url.pathname.startsWith('/pay/'), { timeout: 30_000 });
}

/** Fill the simulator's card form and submit it. */
async function payWith(page, number) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date').fill('12 / 34');
  await page.getByLabel('Security code (CVC)').fill('123');
  await page.getByLabel('Name on card').fill('Rita Prueba');
  await page.getByRole('button', { name: /^Pay / }).click();
}

async function seePaid(page, tickets, shot) {
  await page.waitForURL((url) => url.href.startsWith(`${BASE}/orders/`), { timeout: 30_000 });
  await page.getByRole('heading', { level: 1, name: 'Tu pedido' }).waitFor();
  await page
    .getByText('¡Pago confirmado! Aquí tienes tus entradas; también te las enviamos por correo.')
    .waitFor({ timeout: SETTLE_MS });
  const qrs = page.getByRole('img', { name: 'Código QR de la entrada de General a nombre de Rita Prueba' });
  await qrs.nth(tickets - 1).waitFor();
  assert.equal(await qrs.count(), tickets);
  // Each QR code was fetched with the token and actually decoded as an image.
  for (let i = 0; i < tickets; i += 1) {
    const width = await qrs.nth(i).evaluate((img) => (img.complete ? img.naturalWidth : 0));
    assert.ok(width > 0, `QR code ${i + 1} is shown`);
  }
  await capture(page, shot);
}

describe('checkout', () => {
  test('a buyer reserves, pays with 4242 on the payment page, comes back and sees the tickets', async () => {
    const page = await newPage(browser);
    await signIn(page, CUSTOMER);
    await reserveAndCheckout(page, 2, '60-checkout');
    await page.screenshot({ path: `${process.env.E2E_ARTIFACTS}/61-payment-page.png`, fullPage: true });
    await payWith(page, '4242 4242 4242 4242');
    await seePaid(page, 2, '62-order-paid');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Descargar PDF' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.pdf$/);
    const pdf = await download.path();
    assert.ok(pdf, 'the PDF was saved');

    const nav = page.getByRole('navigation', { name: 'Navegación principal' });
    await nav.getByRole('link', { name: 'Mis entradas' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mis entradas' }).waitFor();
    await page.getByRole('article').first().getByText('Válida').waitFor();
    await capture(page, '63-my-tickets');
    await nav.getByRole('link', { name: 'Mis pedidos' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mis pedidos' }).waitFor();
    await page.getByRole('article').first().getByText('Pagado').waitFor();
    await capture(page, '64-my-orders');
    await page.context().close();
  });

  test('a declined card, then "try again" with 4242 pays', async () => {
    const page = await newPage(browser);
    await signIn(page, CUSTOMER);
    await reserveAndCheckout(page, 1, '65-checkout-again');
    await payWith(page, '4000 0000 0000 0002');
    // The simulator keeps the buyer on its page with the decline, as Stripe's page does.
    await page.getByRole('alert').getByText('Your card was declined.').waitFor();
    await page.screenshot({ path: `${process.env.E2E_ARTIFACTS}/66-payment-declined.png`, fullPage: true });
    await page.getByRole('link', { name: 'Cancel and go back' }).click();

    await page.waitForURL((url) => url.href.startsWith(`${BASE}/orders/`));
    await page.getByText('Pago rechazado').waitFor({ timeout: SETTLE_MS });
    await page.getByText(/El banco rechazó la tarjeta\./).waitFor();
    await capture(page, '67-order-declined');
    await page.getByRole('button', { name: 'Intentar de nuevo' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/pay/'));
    await payWith(page, '4242 4242 4242 4242');
    await seePaid(page, 1, '68-order-paid-after-retry');
    await page.context().close();
  });

  test('an organizer refunds one ticket and the buyer sees it revoked', async () => {
    const buyer = await newPage(browser);
    await signIn(buyer, CUSTOMER);
    await reserveAndCheckout(buyer, 2, '70-checkout-to-refund');
    await payWith(buyer, '4242 4242 4242 4242');
    await seePaid(buyer, 2, '71-order-paid-to-refund');
    const orderPath = new URL(buyer.url()).pathname;
    // The buyer may not refund: the action is not offered.
    assert.equal(await buyer.getByRole('region', { name: 'Reembolsar' }).count(), 0);

    const organizer = await newPage(browser);
    await signIn(organizer, ORGANIZER);
    await organizer.goto(orderPath);
    await organizer.getByRole('heading', { level: 1, name: 'Tu pedido' }).waitFor();
    const panel = organizer.getByRole('region', { name: 'Reembolsar' });
    const second = panel.getByRole('checkbox', { name: /^Entrada 2 · General · / });
    await second.check();
    await panel.getByText(/^1 entrada elegida: /).waitFor();
    await capture(organizer, '72-refund-form');
    await panel.getByRole('button', { name: 'Reembolsar…' }).click();
    const dialog = organizer.getByRole('dialog', { name: 'Confirmar el reembolso' });
    await dialog.getByText(/^Se reembolsarán .* a Rita Prueba por 1 entrada:$/).waitFor();
    await dialog.getByText(/Estas entradas quedarán anuladas/).waitFor();
    await capture(organizer, '73-refund-confirmation');
    await dialog.getByRole('button', { name: /^Reembolsar / }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    const result = panel.getByTestId('refund-result');
    await result.waitFor({ timeout: 30_000 });
    assert.notEqual(await result.getAttribute('data-refund-status'), 'failed', await result.innerText());
    await organizer.getByText('Reembolsado en parte').first().waitFor({ timeout: SETTLE_MS });
    const tickets = organizer.getByRole('region', { name: 'Tus entradas' });
    const revoked = tickets.getByRole('article', { name: 'Entrada 2 · General' });
    await revoked.getByText('Anulada').waitFor({ timeout: SETTLE_MS });
    const revokedId = await revoked.getAttribute('data-ticket');
    const first = tickets.getByRole('article', { name: 'Entrada 1 · General' });
    const keptId = await first.getAttribute('data-ticket');
    assert.ok(revokedId && keptId && revokedId !== keptId);
    // Only the other ticket is left to refund.
    await panel.getByRole('checkbox').first().waitFor();
    assert.equal(await panel.getByRole('checkbox').count(), 1);
    await capture(organizer, '74-refunded-one-ticket');
    await organizer.context().close();

    const nav = buyer.getByRole('navigation', { name: 'Navegación principal' });
    await nav.getByRole('link', { name: 'Mis entradas' }).click();
    await buyer.getByRole('heading', { level: 1, name: 'Mis entradas' }).waitFor();
    const gone = buyer.locator(`article[data-ticket="${revokedId}"]`);
    await gone.getByText('Anulada').waitFor();
    await gone.getByText('Esta entrada se anuló', { exact: false }).waitFor();
    assert.equal(await gone.getByTestId('ticket-qr').count(), 0, 'a revoked ticket shows no QR code');
    const kept = buyer.locator(`article[data-ticket="${keptId}"]`);
    await kept.getByText('Válida').waitFor();
    await kept.getByTestId('ticket-qr').waitFor();
    await capture(buyer, '75-my-tickets-one-revoked');
    await buyer.context().close();
  });
});
"""


def _return_origin(platform: Platform) -> str:
    """The web app origin ticketing_svc sends buyers back to (its first allowed return origin)."""
    env = platform.stack.service_env()
    raw = env.get("TICKETING_SVC_PAYMENT_RETURN_ORIGINS", "")
    origins: list[str] = []
    if raw.strip():
        try:
            parsed = json.loads(raw)
            origins = [str(o) for o in parsed] if isinstance(parsed, list) else [str(parsed)]
        except ValueError:
            origins = [o.strip() for o in raw.split(",") if o.strip()]
    elif env.get("TICKETING_SVC_PAYMENT_RETURN_URL"):
        parts = urlsplit(env["TICKETING_SVC_PAYMENT_RETURN_URL"])
        origins = [f"{parts.scheme}://{parts.netloc}"]
    local = [o for o in origins if urlsplit(o).hostname == "127.0.0.1" and urlsplit(o).port]
    return (local or [DEFAULT_RETURN_ORIGIN])[0].rstrip("/")


@pytest.fixture(scope="module")
def checkout_frontend(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    origin = _return_origin(platform)
    port = urlsplit(origin).port
    assert port is not None
    if port_open(port):
        pytest.fail(
            f"port {port} is taken: the checkout journeys serve the web app on {origin}, the origin "
            "ticketing_svc sends buyers back to after paying (stop whatever runs there, e.g. `make down`)"
        )
    with served_web_app(platform, tmp_path_factory, "checkout", port):
        yield origin


async def _organizer_who_signs_in(edge: httpx.AsyncClient) -> tuple[str, str, dict[str, str]]:
    """A fresh organizer of a fresh organization, as tests/conftest.py's `new_organizer` makes one
    through the edge, keeping the e-mail and password to sign in in the browser: (email, password,
    headers)."""
    admin = bearer((await login_as(edge, "admin"))["access_token"])
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
    return email, password, bearer((await password_grant(edge, email, password))["access_token"])


@pytest_asyncio.fixture(loop_scope="session")
async def checkout_setup(edge: httpx.AsyncClient) -> dict[str, str]:
    """A published event with General places on sale, a fresh customer to buy them, and the event's
    organizer to refund them."""
    organizer_email, organizer_password, organizer = await _organizer_who_signs_in(edge)
    event = await _published_event(edge, organizer, f"Gira de pagos {uuid.uuid4().hex[:6]}", vip=20)
    email, password, _ = await new_customer(edge)
    return {
        "E2E_EVENT_ID": event["id"],
        "E2E_CUSTOMER_EMAIL": email,
        "E2E_CUSTOMER_PASSWORD": password,
        "E2E_ORGANIZER_EMAIL": organizer_email,
        "E2E_ORGANIZER_PASSWORD": organizer_password,
    }


@pytest.mark.timeout(600)
def test_checkout_journeys(checkout_frontend: str, checkout_setup: dict[str, str], tmp_path: Path) -> None:
    """Pay with 4242 and see the tickets with their QR codes (and the PDF, My tickets, My orders); a
    declined card, then "try again" with 4242 that pays; an organizer refunds one ticket of a paid
    order and the buyer's ticket shows as revoked, without its QR code."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    journey = tmp_path / "checkout.e2e.mjs"
    journey.write_text(JOURNEY)
    env = {
        **os.environ,
        "E2E_BASE_URL": checkout_frontend,
        "E2E_ARTIFACTS": str(ARTIFACTS),
        "E2E_SUPPORT": SUPPORT.as_uri(),
        "CHROMIUM_PATH": CHROMIUM,
        **checkout_setup,
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
    (ARTIFACTS / "checkout-report.tap").write_text(report)
    assert result.returncode == 0, f"checkout journeys failed (screenshots in {ARTIFACTS}):\n{report[-6000:]}"
