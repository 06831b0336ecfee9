/* global window, document */
// Shared helpers for the browser journeys: Debian's chromium driven by playwright-core (no
// downloaded browser), axe-core injected into every page, one screenshot per page.
//
// Environment:
//   E2E_BASE_URL     the frontend, serving the production build with the API proxied (required)
//   E2E_ARTIFACTS    where screenshots go (default ../test-results/frontend-e2e)
//   CHROMIUM_PATH    the browser binary (default /usr/bin/chromium)
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const BASE_URL = (process.env.E2E_BASE_URL ?? '').replace(/\/$/, '');
export const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS ?? join(here, '..', '..', 'test-results', 'frontend-e2e'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = require.resolve('axe-core/axe.min.js');

/** The accounts `make up` seeds. */
export const DEMO = {
  admin: { email: 'admin@taquilla.demo', password: 'Faro-Cobalto-Marea-2026' },
  organizer: { email: 'organizer@taquilla.demo', password: 'Tambor-Violeta-Niebla-7' },
  staff: { email: 'staff@taquilla.demo', password: 'Puerta-Granito-Sol-31' },
  customer: { email: 'customer@taquilla.demo', password: 'Cielo-Naranja-Viento-9' },
};

/** `extraArgs`: more chromium switches, e.g. the fake camera's (tests/e2e/test_door_browser.py). */
export async function launch(extraArgs = []) {
  assert.ok(BASE_URL, 'set E2E_BASE_URL to the frontend under test');
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', ...extraArgs],
  });
}

/** The phone the small-screen journey uses (e2e/mobile.e2e.js). */
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** `device`: viewport and friends, e.g. `PHONE`; a 1280x900 desktop by default. */
export async function newPage(browser, device = { viewport: { width: 1280, height: 900 } }) {
  const context = await browser.newContext({ baseURL: BASE_URL, locale: 'es-ES', ...device });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  return page;
}

/** axe-core on the current page: fails on any serious or critical violation. */
export async function checkAccessibility(page, name) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    const report = await window.axe.run(document, { resultTypes: ['violations'] });
    return report.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `axe found serious violations on ${name}: ${JSON.stringify(serious, null, 2)}`);
  return result;
}

/** Screenshot (full page) plus the accessibility check, for every page a journey visits. */
export async function capture(page, name) {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await checkAccessibility(page, name);
}

export async function signIn(page, { email, password }) {
  await page.goto('/login');
  await page.getByLabel('Correo electrónico').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Fails when the page scrolls sideways (wider than the viewport): tables must fold or scroll in their frame. */
export async function assertNoSidewaysScroll(page, name) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${name} scrolls sideways: ${scrollWidth}px wide in a ${innerWidth}px viewport`);
}
