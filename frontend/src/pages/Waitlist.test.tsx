import { screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { describe, expect, it, vi } from 'vitest';

import { useUiStore } from '@/store/ui';
import { eventBody, ORG_ID } from '@/test/events';
import { availabilityBody, PROBLEMS, waitlistEntryBody, zoneAvailability } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

vi.setConfig({ testTimeout: 20_000 });

const EVENT_ID = eventBody().id;
const PATH = `/api/v1/events/${EVENT_ID}`;

async function seriousViolations() {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } }, resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

function soldOutGeneral() {
  return jsonResponse(availabilityBody([zoneAvailability('z1', { available: 0, status: 'sold_out' }), zoneAvailability('z2', { available: 5, status: 'few_left' })]));
}

describe('joining the waiting list of a sold-out zone', () => {
  it('offers the list instead of a quantity, and says the place in line', async () => {
    let sent: unknown;
    mockFetch({
      [PATH]: () => jsonResponse(eventBody()),
      [`${PATH}/availability`]: soldOutGeneral,
      '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
      '/api/v1/waitlist': async (request) => {
        sent = await request.json();
        return jsonResponse(waitlistEntryBody({ quantity: 3, position: 4 }), { status: 201 });
      },
    });
    signInAs();
    const { user } = renderRoute(`/events/${EVENT_ID}`);
    const zones = await screen.findByRole('region', { name: 'Zonas y precios' });
    const general = await within(zones).findByRole('row', { name: /General/ });
    await waitFor(() => expect(general).toHaveTextContent('Agotado'));
    expect(within(general).queryByRole('spinbutton')).not.toBeInTheDocument();
    // The VIP zone still sells: its stepper is there.
    expect(screen.getByLabelText('Entradas de VIP')).toBeEnabled();

    await user.selectOptions(within(general).getByLabelText('Entradas que quieres de General'), '3');
    await user.click(within(general).getByRole('button', { name: 'Unirme a la lista de espera de General' }));

    expect(await within(general).findByRole('status')).toHaveTextContent('Estás en la lista de espera: eres el número 4.');
    expect(sent).toEqual({ session_id: 's1', zone_id: 'z1', quantity: 3 });
    expect(within(general).getByRole('link', { name: 'Ver mis listas de espera' })).toHaveAttribute('href', '/me/waitlist');
    expect(await seriousViolations()).toEqual([]);
  });

  it('says how many places are left when the zone is not sold out after all', async () => {
    mockFetch({
      [PATH]: () => jsonResponse(eventBody()),
      [`${PATH}/availability`]: soldOutGeneral,
      '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
      '/api/v1/waitlist': () =>
        problem(409, { type: `${PROBLEMS}zone-not-sold-out`, title: 'Zone not sold out', detail: 'reserve', available: 2 }),
    });
    signInAs();
    const { user } = renderRoute(`/events/${EVENT_ID}`);
    const general = await within(await screen.findByRole('region', { name: 'Zonas y precios' })).findByRole('row', { name: /General/ });
    await user.click(await within(general).findByRole('button', { name: 'Unirme a la lista de espera de General' }));
    expect(await within(general).findByRole('alert')).toHaveTextContent('Todavía quedan 2 lugares: resérvalos.');
  });

  it('asks visitors to sign in first', async () => {
    mockFetch({ [PATH]: () => jsonResponse(eventBody()), [`${PATH}/availability`]: soldOutGeneral });
    renderRoute(`/events/${EVENT_ID}`);
    const general = await within(await screen.findByRole('region', { name: 'Zonas y precios' })).findByRole('row', { name: /General/ });
    const signIn = await within(general).findByRole('link', { name: 'Inicia sesión para unirte' });
    expect(signIn.getAttribute('href')).toBe(`/login?next=${encodeURIComponent(`/events/${EVENT_ID}`)}`);
  });
});

describe('MyWaitlistPage', () => {
  it('lists my entries with their place in line and offers, and lets me leave', async () => {
    let left = false;
    const fetchMock = mockFetch({
      '/api/v1/me/waitlist': () =>
        jsonResponse({
          items: [
            waitlistEntryBody({ id: 'w2', event_name: 'Gira de verano', status: 'offered', position: null, quantity: 1, offer_reservation_id: 'r9', offered_at: '2026-01-01T11:00:00Z', offer_expires_at: '2026-01-01T11:10:00Z' }),
            waitlistEntryBody({ status: left ? 'left' : 'waiting', position: left ? null : 3 }),
          ],
        }),
      '/api/v1/waitlist/w1': () => {
        left = true;
        return new Response(null, { status: 204 });
      },
    });
    signInAs();
    const { user } = renderRoute('/me/waitlist');
    expect(await screen.findByRole('heading', { level: 1, name: 'Mis listas de espera' })).toBeInTheDocument();
    expect(document.title).toBe('Mis listas de espera · Taquilla');

    const offered = await screen.findByRole('article', { name: 'Gira de verano' });
    expect(offered).toHaveTextContent('Lugares guardados');
    expect(offered).toHaveTextContent('1 entrada de General');
    expect(within(offered).getByRole('link', { name: 'Comprar ahora' })).toHaveAttribute('href', '/checkout/r9');

    const waiting = screen.getByRole('article', { name: 'Noche de Jazz en el Foro' });
    expect(within(waiting).getByTestId('waitlist-position')).toHaveTextContent('Puesto 3 en la lista');
    expect(await seriousViolations()).toEqual([]);

    await user.click(within(waiting).getByRole('button', { name: 'Salir de la lista de espera (Noche de Jazz en el Foro)' }));
    expect(await screen.findByText('Saliste de la lista de espera.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('article', { name: 'Noche de Jazz en el Foro' })).toHaveTextContent('Saliste'));
    expect(fetchMock.mock.calls.some(([url, init]) => url === '/api/v1/waitlist/w1' && init?.method === 'DELETE')).toBe(true);
  });

  it('says so when I am on no list, in English too', async () => {
    useUiStore.setState({ locale: 'en' });
    mockFetch({ '/api/v1/me/waitlist': () => jsonResponse({ items: [] }) });
    signInAs();
    renderRoute('/me/waitlist');
    expect(await screen.findByRole('heading', { level: 1, name: 'My waiting lists' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'You are not on any waiting list.' })).toBeInTheDocument();
  });
});

describe('the waiting lists of an event, for its organizer', () => {
  it('shows the people and places waiting per session and zone on the event orders page', async () => {
    mockFetch({
      [PATH]: () => jsonResponse(eventBody()),
      [`${PATH}/orders`]: () => jsonResponse({ items: [], next_cursor: null }),
      [`${PATH}/waitlist`]: () =>
        jsonResponse({
          event_id: EVENT_ID,
          lengths: [
            { session_id: 's1', zone_id: 'z1', entries: 3, places: 7, offered: 1 },
            { session_id: 's1', zone_id: 'z2', entries: 0, places: 0, offered: 0 },
          ],
        }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(`/events/${EVENT_ID}/orders`);
    const panel = await screen.findByRole('region', { name: 'Listas de espera' });
    const row = await within(panel).findByRole('row', { name: /General/ });
    expect(within(row).getAllByRole('cell').map((cell) => cell.textContent)).toEqual([expect.any(String), '3', '7', '1']);
    expect(within(panel).queryByRole('row', { name: /VIP/ })).not.toBeInTheDocument();
  });

  it('shows them on the event page to its organizer', async () => {
    mockFetch({
      [PATH]: () => jsonResponse(eventBody()),
      [`${PATH}/availability`]: soldOutGeneral,
      '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
      [`${PATH}/waitlist`]: () =>
        jsonResponse({ event_id: EVENT_ID, lengths: [{ session_id: 's1', zone_id: 'z1', entries: 2, places: 2, offered: 0 }] }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(`/events/${EVENT_ID}`);
    const panel = await screen.findByRole('region', { name: 'Listas de espera' });
    expect(await within(panel).findByRole('row', { name: /General/ })).toHaveTextContent('2');
  });
});
