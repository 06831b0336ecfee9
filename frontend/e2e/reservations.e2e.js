/* global document */
// Reservations in the browser (issue 13). tests/e2e/test_frontend_browser.py publishes the events
// through the API and passes their ids:
//   E2E_SALE_EVENT_ID      General (50) and VIP (20) on sale, nothing taken
//   E2E_SOLD_OUT_EVENT_ID  General (50) on sale, VIP (2) all held by another buyer
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { capture, DEMO, launch, newPage } from './support.js';

const SALE_EVENT = process.env.E2E_SALE_EVENT_ID ?? '';
const SOLD_OUT_EVENT = process.env.E2E_SOLD_OUT_EVENT_ID ?? '';
const skip = SALE_EVENT && SOLD_OUT_EVENT ? false : 'set E2E_SALE_EVENT_ID and E2E_SOLD_OUT_EVENT_ID (tests/e2e/test_frontend_browser.py does)';
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

describe('reservations', { skip }, () => {
  test('a buyer sent to sign in comes back, reserves places, sees the countdown and releases them', async () => {
    const page = await newPage(browser);
    await page.goto(`/events/${SALE_EVENT}`);
    const zones = page.getByRole('region', { name: 'Zonas y precios' });
    const sessions = page.getByRole('region', { name: 'Sesiones' });
    // Places left per session, from the availability endpoint.
    await sessions.getByText('(70 disponibles)').waitFor();
    await zones.getByRole('row', { name: /VIP/ }).getByText('(20 disponibles)').waitFor();

    // Two General places, chosen with the keyboard.
    await zones.getByRole('button', { name: 'Una entrada más de General' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    assert.equal(await zones.getByLabel('Entradas de General').inputValue(), '2');
    await zones.getByText('Total: 60,00 €').waitFor();
    await capture(page, '30-event-choose-places');

    // Signed out: off to sign in, and back with the same selection.
    await zones.getByRole('button', { name: 'Reservar' }).click();
    await page.waitForURL('**/login?next=**');
    await page.getByLabel('Correo electrónico').fill(DEMO.customer.email);
    await page.getByLabel('Contraseña').fill(DEMO.customer.password);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL((url) => url.pathname === `/events/${SALE_EVENT}`);
    assert.equal(await zones.getByLabel('Entradas de General').inputValue(), '2');
    await zones.getByRole('button', { name: 'Reservar' }).click();

    const hold = page.getByRole('article', { name: 'Tu reserva' });
    await hold.getByText('2 × General').waitFor();
    assert.match((await hold.getByTestId('reservation-total').textContent()) ?? '', /60,00\s*€/);
    const timer = hold.getByRole('timer');
    const first = (await timer.textContent()) ?? '';
    assert.match(first, /^(10:00|0\d:\d\d)$/);
    // It counts down live.
    await page.waitForFunction((shown) => document.querySelector('[role="timer"]')?.textContent !== shown, first);
    assert.ok(
      await hold.getByRole('heading', { name: 'Tu reserva' }).evaluate((el) => el === document.activeElement),
      'the focus moves to the hold',
    );
    // The places held are gone from the session's count (polled, at most a few seconds late).
    await sessions.getByText('(68 disponibles)').waitFor();
    await capture(page, '31-event-hold-countdown');

    await page.getByRole('navigation', { name: 'Navegación principal' }).getByRole('link', { name: 'Mis reservas' }).click();
    await page.waitForURL('**/me/reservations');
    const active = page.getByRole('region', { name: 'Reservas activas' });
    await active.getByRole('timer').first().waitFor();
    await capture(page, '32-my-reservations-held');
    await page.goBack();

    await hold.getByRole('button', { name: 'Liberar entradas' }).click();
    await page.getByText('Entradas liberadas.').waitFor();
    await hold.getByText('Has liberado estas entradas: vuelven a estar a la venta.').waitFor();
    assert.equal(await hold.getByRole('timer').count(), 0);
    await sessions.getByText('(70 disponibles)').waitFor();
    await capture(page, '33-event-hold-released');

    await hold.getByRole('button', { name: 'Elegir otras entradas' }).click();
    await zones.getByRole('button', { name: 'Reservar' }).waitFor();
    await page.context().close();
  });

  test('a sold-out zone shows as sold out, takes no places and offers its waiting list', async () => {
    const page = await newPage(browser);
    await page.goto(`/events/${SOLD_OUT_EVENT}`);
    const zones = page.getByRole('region', { name: 'Zonas y precios' });
    const vip = zones.getByRole('row', { name: /VIP/ });
    await vip.getByText('Agotado').waitFor();
    // No places to choose: the waiting list instead.
    await zones.getByRole('link', { name: 'Inicia sesión para unirte' }).waitFor();
    assert.equal(await zones.getByLabel('Entradas de VIP').count(), 0, 'a sold-out zone takes no places');
    // The other zone still sells.
    await zones.getByRole('row', { name: /General/ }).getByText('(50 disponibles)').waitFor();
    assert.ok(await zones.getByLabel('Entradas de General').isEnabled());
    await capture(page, '34-event-zone-sold-out');
    await page.context().close();
  });
});
