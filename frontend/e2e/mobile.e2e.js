/* global document, window */
// The web app on a phone (390x844): the events page's filters fold into a panel with the first
// result near the top, the header folds into a menu (aria-expanded, focus into it, Escape closes it,
// a link navigates and closes it), no page scrolls sideways, and axe finds nothing serious on the
// main pages. Run by tests/e2e/test_mobile_browser.py (E2E_EVENT_NAME: a published event), or by hand:
//   E2E_BASE_URL=http://127.0.0.1:4173 E2E_EVENT_NAME='…' node --test e2e/mobile.e2e.js
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertNoSidewaysScroll, capture, DEMO, launch, newPage, PHONE, signIn } from './support.js';

const EVENT_NAME = process.env.E2E_EVENT_NAME ?? '';
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A page, after its screenshot and axe check, must not scroll sideways. */
async function check(page, name) {
  await capture(page, name);
  await assertNoSidewaysScroll(page, name);
}

describe('Taquilla on a phone', () => {
  test('the events page folds its filters into a panel and shows the first result near the top', async () => {
    assert.ok(EVENT_NAME, 'set E2E_EVENT_NAME to a published event');
    const page = await newPage(browser, PHONE);
    await page.goto(`/events?q=${encodeURIComponent(EVENT_NAME)}`);
    const results = page.getByRole('region', { name: 'Resultados' });
    const first = results.getByRole('article').first();
    await first.waitFor();
    const filters = page.getByRole('button', { name: /^Filtros/ });
    assert.equal(await filters.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.getByLabel('Categoría').isVisible(), false);
    // The first result starts within the first screen.
    const box = await first.boundingBox();
    assert.ok(box && box.y < 844, `the first result starts at ${box?.y}px, below the first screen`);
    await check(page, '60-mobile-events');

    await filters.click();
    assert.equal(await filters.getAttribute('aria-expanded'), 'true');
    await page.getByLabel('Categoría').waitFor({ state: 'visible' });
    await check(page, '61-mobile-events-filters');
    await page.getByRole('button', { name: 'Ver resultados' }).click();
    assert.equal(await filters.getAttribute('aria-expanded'), 'false');

    await first.getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: EVENT_NAME }).waitFor();
    await check(page, '62-mobile-event');
    await page.context().close();
  });

  test('the header folds into a menu that opens, closes with Escape and navigates', async () => {
    const page = await newPage(browser, PHONE);
    await page.goto('/');
    await page.getByRole('heading', { level: 1 }).waitFor();
    const menu = page.getByRole('button', { name: 'Menú' });
    const nav = page.getByRole('navigation', { name: 'Navegación principal' });
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await nav.isVisible(), false);
    // One row: the logo and the menu button side by side.
    const logo = await page.getByRole('link', { name: 'Taquilla, ir al inicio' }).boundingBox();
    const button = await menu.boundingBox();
    assert.ok(logo && button && Math.abs(logo.y + logo.height / 2 - (button.y + button.height / 2)) < 12, 'the header is not one row');
    await check(page, '63-mobile-home');

    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    await nav.waitFor({ state: 'visible' });
    assert.equal(await nav.getByRole('link', { name: 'Inicio' }).evaluate((el) => el === document.activeElement), true);
    await check(page, '64-mobile-menu-open');
    await page.keyboard.press('Escape');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await menu.evaluate((el) => el === document.activeElement), true);

    await menu.click();
    await nav.getByRole('link', { name: 'Estado' }).click();
    await page.waitForURL('**/status');
    await page.getByRole('heading', { level: 1, name: 'Estado de la plataforma' }).waitFor();
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    await check(page, '65-mobile-status');
    await page.context().close();
  });

  test('signed-in pages fit the phone: profile, my events, the event form and the users table as cards', async () => {
    const page = await newPage(browser, PHONE);
    await signIn(page, DEMO.admin);
    for (const [path, name] of [
      ['/me', '66-mobile-me'],
      ['/me/events', '67-mobile-my-events'],
      ['/events/new', '68-mobile-event-form'],
      ['/me/orders', '69-mobile-my-orders'],
      ['/admin/users', '70-mobile-admin-users'],
    ]) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await check(page, name);
    }
    // The users table reads as cards: each row a block, each cell a line headed by its column's name.
    const row = page.getByRole('table').locator('tbody tr').first();
    await row.waitFor();
    assert.equal(await row.evaluate((el) => window.getComputedStyle(el).display), 'block');
    await page.context().close();
  });
});
