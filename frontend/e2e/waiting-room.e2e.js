// The on-sale waiting room admitting a buyer (issue 13). tests/e2e/test_frontend_browser.py
// publishes the event through the API and passes its id:
//   E2E_QUEUE_EVENT_ID  a waiting room whose on-sale was 2 minutes ago, 600 admitted per minute,
//                       so whoever joins is admitted at once
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { capture, DEMO, launch, newPage, signIn } from './support.js';

const QUEUE_EVENT = process.env.E2E_QUEUE_EVENT_ID ?? '';
const skip = QUEUE_EVENT ? false : 'set E2E_QUEUE_EVENT_ID (tests/e2e/test_frontend_browser.py does)';
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

describe('waiting room', { skip }, () => {
  test('a signed-in buyer joins the line, is admitted, reserves with the admission and sees the countdown', async () => {
    const page = await newPage(browser);
    await signIn(page, DEMO.customer);
    await page.goto(`/events/${QUEUE_EVENT}`);
    const zones = page.getByRole('region', { name: 'Zonas y precios' });
    // No reserving straight from the event page: the line decides who goes in.
    await zones.getByRole('link', { name: 'Entrar en la fila' }).waitFor();
    assert.equal(await zones.getByRole('button', { name: 'Reservar' }).count(), 0);
    await page.getByText('Con fila virtual').waitFor();
    await capture(page, '40-event-waiting-room');

    await zones.getByRole('link', { name: 'Entrar en la fila' }).click();
    await page.waitForURL((url) => url.pathname === `/events/${QUEUE_EVENT}/queue`);
    const turn = page.getByRole('region', { name: '¡Es tu turno!' });
    await turn.getByRole('heading', { name: '¡Es tu turno!' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Es tu turno: ya puedes elegir tus entradas.' }).waitFor();
    await capture(page, '41-queue-admitted');

    // A reload keeps the place in the line (the entry is kept for the tab).
    await page.reload();
    await turn.getByRole('button', { name: 'Una entrada más de General' }).click();
    assert.equal(await turn.getByLabel('Entradas de General').inputValue(), '1');
    await turn.getByRole('button', { name: 'Reservar' }).click();

    const hold = turn.getByRole('article', { name: 'Tu reserva' });
    await hold.getByText('1 × General').waitFor();
    const timer = hold.getByRole('timer');
    assert.match((await timer.textContent()) ?? '', /^(10:00|0\d:\d\d)$/);
    await capture(page, '42-queue-reserved-countdown');

    // Leave the places for the next run's buyers.
    await hold.getByRole('button', { name: 'Liberar entradas' }).click();
    await page.getByText('Entradas liberadas.').waitFor();
    await page.context().close();
  });
});
