/* global document */
// Browser journeys against the real platform (see ../README.md, "End-to-end tests").
// Run by tests/e2e/test_frontend_browser.py, or by hand:
//   E2E_BASE_URL=http://127.0.0.1:4173 node --test e2e/*.e2e.js
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BASE_URL, capture, DEMO, launch, newPage, signIn } from './support.js';

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const CUSTOMER = { name: 'Rita Prueba', email: `rita-${RUN}@example.org`, password: `Viaje-${RUN}-Montaña-Lago` };
// A date far enough ahead and a venue of its own, so runs never clash with each other's sessions.
const DAY = 1 + (parseInt(RUN.slice(-3), 36) % 27);
const YEAR = 2031;
const date = (day, time) => `${YEAR}-06-${String(day).padStart(2, '0')}T${time}`;
const EVENT_NAME = `Concierto de Año Nuevo ${RUN}`;
const VENUE = `Auditorio Peñalara ${RUN}`;

/** State handed from one journey to the next (node:test runs them in order). */
const shared = { eventPath: '', organizationName: '' };
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

describe(`Taquilla in the browser (${BASE_URL})`, () => {
  test('home and status pages render', async () => {
    const page = await newPage(browser);
    await page.goto('/');
    await page.getByRole('heading', { level: 1 }).waitFor();
    await capture(page, '01-home');
    await page.goto('/status');
    await page.getByRole('heading', { name: 'Todos los sistemas funcionan con normalidad' }).waitFor();
    await capture(page, '02-status');
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Página no encontrada' }).waitFor();
    await capture(page, '02-not-found');
    await page.context().close();
  });

  test('a visitor registers and lands on their account', async () => {
    const page = await newPage(browser);
    await page.goto('/register');
    await capture(page, '03-register');
    await page.getByLabel('Nombre completo').fill(CUSTOMER.name);
    await page.getByLabel('Correo electrónico').fill(CUSTOMER.email);
    await page.getByLabel(/^Contraseña/).fill(CUSTOMER.password);
    await page.getByLabel('Repite la contraseña').fill(CUSTOMER.password);
    await page.getByRole('button', { name: 'Crear cuenta' }).click();
    await page.waitForURL('**/me');
    await page.getByText(CUSTOMER.email).waitFor();
    assert.equal(await page.getByTestId('signed-in-user').textContent(), CUSTOMER.name);
    await capture(page, '04-me-customer');

    // A reload keeps the session: the refresh cookie, which script cannot read, is exchanged (and rotated).
    const refreshCookie = async () => (await page.context().cookies()).find((c) => c.name === 'taquilla_refresh');
    const before = await refreshCookie();
    assert.ok(before, 'the sign-in set the refresh cookie');
    assert.deepEqual([before.httpOnly, before.secure, before.sameSite, before.path], [true, true, 'Strict', '/api/v1/auth']);
    await page.reload();
    await page.getByText(CUSTOMER.email).waitFor();
    const rotated = await refreshCookie();
    assert.ok(rotated && rotated.value !== before.value, 'the refresh token rotates on reload');
    const visible = await page.evaluate(() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join(' '));
    assert.ok(!visible.includes(rotated.value), 'script never sees the refresh token');

    // A customer is sent away from the organizer's form.
    await page.goto('/events/new');
    await page.waitForURL('**/events');
    await page.getByText('No tienes permiso para ver esa página.').waitFor();
    await capture(page, '05-events-customer-redirected');

    // Logout clears everything.
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await page.getByRole('banner').getByRole('link', { name: 'Iniciar sesión' }).waitFor();
    assert.equal(await refreshCookie(), undefined, 'logout clears the refresh cookie');
    await page.goto('/me');
    await page.waitForURL('**/login?next=%2Fme');
    await page.context().close();
  });

  test('the demo organizer creates an event with two zones and two sessions, and publishes it', async () => {
    const page = await newPage(browser);
    await page.goto('/login?next=%2Fme');
    await capture(page, '06-login');
    await signIn(page, DEMO.organizer);
    await page.waitForURL('**/me');
    // The profile names the organization, never its id.
    const orgRow = page.locator('dt', { hasText: 'Organización' }).locator('xpath=following-sibling::dd[1]');
    // The name is looked up after the page renders ("…" meanwhile).
    await orgRow.filter({ hasText: 'Producciones Demo' }).waitFor();
    shared.organizationName = ((await orgRow.textContent()) ?? '').trim();
    assert.equal(shared.organizationName, 'Producciones Demo', 'the demo organizer belongs to an organization');
    await page.getByRole('link', { name: 'Mis eventos' }).first().waitFor();
    await capture(page, '07-me-organizer');

    await page.getByRole('navigation', { name: 'Navegación principal' }).getByRole('link', { name: 'Registrar evento' }).click();
    await page.waitForURL('**/events/new');
    await page.getByLabel('Nombre del evento').fill(EVENT_NAME);
    await page.getByLabel('Categoría').selectOption('concert');
    await page.getByLabel('Descripción').fill('Despedimos el año con la orquesta.\nPuertas a las 19:00.');
    await page.getByLabel('Empieza').fill(date(DAY, '19:00'));
    await page.getByLabel('Termina').fill(date(DAY, '23:30'));
    await page.getByLabel('Zona horaria').fill('Europe/Madrid');
    await page.getByLabel('Nombre del recinto').fill(VENUE);
    await page.getByLabel('Ciudad').fill('Bogotá');
    await page.getByLabel('Dirección').fill('Calle 26 # 7-40');
    await page.getByLabel('Moneda').selectOption('EUR');
    await page.getByLabel('Nombre de la zona 1').fill('Platea');
    await page.getByLabel('Precio de la zona 1').fill('45.50');
    await page.getByLabel('Aforo de la zona 1').fill('200');
    await page.getByRole('button', { name: 'Añadir zona' }).click();
    await page.getByLabel('Nombre de la zona 2').fill('Anfiteatro');
    await page.getByLabel('Precio de la zona 2').fill('20');
    await page.getByLabel('Aforo de la zona 2').fill('0');
    await page.getByRole('button', { name: 'Añadir sesión' }).click();
    await page.getByRole('button', { name: 'Añadir sesión' }).click();
    await page.getByLabel('Título de la sesión 1').fill('Primer pase');
    await page.getByLabel('Inicio de la sesión 1').fill(date(DAY, '19:00'));
    await page.getByLabel('Fin de la sesión 1').fill(date(DAY, '21:00'));
    await page.getByLabel('Título de la sesión 2').fill('Segundo pase');
    await page.getByLabel('Inicio de la sesión 2').fill(date(DAY, '21:30'));
    await page.getByLabel('Fin de la sesión 2').fill(date(DAY, '23:30'));

    // A zero capacity is refused on its field, which receives the focus.
    await page.getByRole('button', { name: 'Guardar borrador' }).click();
    const capacity = page.getByLabel('Aforo de la zona 2');
    assert.equal(await capacity.getAttribute('aria-invalid'), 'true');
    await page.getByText('El aforo debe ser un número entero mayor que 0.', { exact: true }).waitFor();
    assert.ok(await capacity.evaluate((el) => el === document.activeElement), 'focus moves to the first error');
    await capture(page, '08-event-form-capacity-error');

    await capacity.fill('150');
    await page.getByRole('button', { name: 'Guardar borrador' }).click();
    await page.waitForURL(/\/events\/[0-9a-f-]{36}$/);
    shared.eventPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { level: 1, name: EVENT_NAME }).waitFor();
    await page.locator('[data-status="draft"]').waitFor();
    await capture(page, '09-event-draft');

    await page.getByRole('button', { name: 'Publicar' }).click();
    await page.getByText('Evento publicado.').waitFor();
    await page.getByRole('button', { name: 'Publicar' }).waitFor({ state: 'detached' });

    // The edit form loads the saved event (times on the venue's clock).
    await page.getByRole('link', { name: 'Editar evento' }).click();
    await page.waitForURL('**/edit');
    assert.equal(await page.getByLabel('Empieza').inputValue(), date(DAY, '19:00'));
    assert.equal(await page.getByLabel('Inicio de la sesión 2').inputValue(), date(DAY, '21:30'));
    await capture(page, '10-event-edit');
    await page.context().close();
  });

  test('anyone opens the published event: sessions, zones and prices', async () => {
    assert.ok(shared.eventPath, 'the previous journey created an event');
    const page = await newPage(browser);
    await page.goto(shared.eventPath);
    await page.getByRole('heading', { level: 1, name: EVENT_NAME }).waitFor();
    const sessions = page.getByRole('region', { name: 'Sesiones' });
    await sessions.getByText('Primer pase').waitFor();
    await sessions.getByText('Segundo pase').waitFor();
    const zones = page.getByRole('region', { name: 'Zonas y precios' });
    // Places left per session (200 + 150, nothing sold yet); prices and places per zone of the chosen one.
    await sessions.getByText('(350 disponibles)').first().waitFor();
    await zones.getByRole('radio', { name: /Primer pase/ }).waitFor();
    await zones.getByRole('row', { name: /Platea/ }).getByText('(200 disponibles)').waitFor();
    assert.match((await zones.getByRole('row', { name: /Platea/ }).textContent()) ?? '', /45,50\s*€.*200 disponibles/);
    assert.match((await zones.getByRole('row', { name: /Anfiteatro/ }).textContent()) ?? '', /20,00\s*€.*150 disponibles/);
    await zones.getByRole('radio', { name: /Segundo pase/ }).check();
    assert.equal(await zones.getByLabel('Entradas de Platea').inputValue(), '0');
    assert.equal(await page.getByRole('link', { name: 'Editar evento' }).count(), 0);
    await capture(page, '11-event-public');

    await page.goto('/events');
    await page.getByRole('heading', { level: 1, name: 'Eventos' }).waitFor();
    // Until the search issue lands the page explains itself instead of failing.
    await page
      .getByRole('heading', { name: 'La búsqueda no está disponible todavía' })
      .or(page.getByRole('region', { name: 'Resultados' }).getByRole('article').first())
      .or(page.getByText('No encontramos eventos con esos criterios.'))
      .first()
      .waitFor();
    await capture(page, '12-events');
    await page.context().close();
  });

  test('an admin features the published event and the front page shows it', async () => {
    assert.ok(shared.eventPath, 'the organizer journey created an event');
    const page = await newPage(browser);
    await signIn(page, DEMO.admin);
    await page.goto(shared.eventPath);
    await page.getByRole('button', { name: 'Destacar en portada' }).click();
    await page.getByText('El evento aparece en la portada.').waitFor();
    await page.goto('/');
    const featured = page.getByRole('region', { name: 'Destacados' });
    await featured.getByRole('link', { name: EVENT_NAME }).waitFor();
    await capture(page, '12b-home-featured');
    await page.context().close();
  });

  test('signing out in one tab signs the same user out in the other tabs', async () => {
    const first = await newPage(browser);
    const second = await first.context().newPage();
    await signIn(first, DEMO.customer);
    await second.goto('/me'); // the other tab is signed in from the shared refresh cookie
    await second.getByRole('button', { name: 'Cerrar sesión' }).waitFor();
    await first.getByRole('button', { name: 'Cerrar sesión' }).click();
    await second.getByText('Cerraste sesión en otra pestaña.').waitFor();
    await second.waitForURL('**/login**');
    await capture(second, '15-signed-out-in-another-tab');
    await first.context().close();
  });

  test('an admin changes a user role (the server asks for an organization first)', async () => {
    const page = await newPage(browser);
    await signIn(page, DEMO.admin);
    await page.getByRole('navigation', { name: 'Navegación principal' }).getByRole('link', { name: 'Usuarios' }).click();
    await page.waitForURL('**/admin/users');
    await page.getByLabel('Buscar por correo').fill(CUSTOMER.email);
    const row = page.getByRole('row', { name: new RegExp(CUSTOMER.email.replace(/[.+]/g, '\\$&')) });
    await row.waitFor();
    await capture(page, '13-admin-users');

    await page.getByLabel(`Rol de ${CUSTOMER.email}`, { exact: true }).selectOption('staff');
    await page.getByRole('button', { name: `Guardar rol de ${CUSTOMER.email}` }).click();
    // A new role is confirmed first.
    await page.getByRole('dialog').getByRole('button', { name: 'Cambiar rol' }).click();
    const organization = page.getByLabel(`Organización de ${CUSTOMER.email}`, { exact: true });
    // The server's field error lands on the organization picker.
    await organization.and(page.locator('[aria-invalid="true"]')).waitFor();
    await capture(page, '14-admin-users-organization-error');

    // Organizations are chosen by name: search, then pick.
    await row.getByLabel('Buscar organización por nombre').fill('Producciones Demo');
    await organization.locator('option', { hasText: shared.organizationName }).waitFor({ state: 'attached' });
    await organization.selectOption({ label: shared.organizationName });
    await page.getByRole('button', { name: `Guardar rol de ${CUSTOMER.email}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cambiar rol' }).click();
    await page.getByText(`Rol de ${CUSTOMER.email} actualizado.`).waitFor();
    assert.equal(await page.getByLabel(`Rol de ${CUSTOMER.email}`, { exact: true }).inputValue(), 'staff');

    // Non-admins are sent away from the page.
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await signIn(page, DEMO.customer);
    await page.goto('/admin/users');
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByText('No tienes permiso para ver esa página.').waitFor();
    await page.context().close();
  });
});
