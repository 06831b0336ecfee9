import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { eventBody, ORG_ID } from '@/test/events';
import { availabilityBody, zoneAvailability } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

const PATH = '/api/v1/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60';

describe('EventDetailPage', () => {
  it('shows details, sessions and, per session, zones with prices and places left', async () => {
    mockFetch({
      [PATH]: () =>
        jsonResponse(
          eventBody({
            zones: [
              { id: 'z1', name: 'General', price: { amount: '450.00', currency: 'MXN' }, capacity: 5000, max_per_order: 10 },
              { id: 'z2', name: 'VIP', price: { amount: '1800.00', currency: 'MXN' }, capacity: 300, max_per_order: 10 },
              { id: 'z3', name: 'Palco', price: { amount: '0.00', currency: 'MXN' }, capacity: 10, max_per_order: 10 },
            ],
          }),
          { headers: { ETag: '"3"' } },
        ),
      [`${PATH}/availability`]: () =>
        jsonResponse(
          availabilityBody([
            zoneAvailability('z1', { capacity: 5000, available: 0, status: 'sold_out' }),
            zoneAvailability('z2', { capacity: 300, available: 12, status: 'few_left' }),
            zoneAvailability('z3', { capacity: 10, available: 10 }),
          ]),
          { headers: { ETag: '"a1"' } },
        ),
    });
    renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    expect(await screen.findByRole('heading', { level: 1, name: 'Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(document.title).toBe('Noche de Jazz en el Foro · Taquilla');
    // Times are shown at the venue (America/Mexico_City), not in the browser's zone.
    expect(screen.getByText(/Horario de America\/Mexico_City/)).toBeInTheDocument();
    const sessions = screen.getByRole('region', { name: 'Sesiones' });
    expect(sessions).toHaveTextContent('Función de noche');
    expect(sessions).toHaveTextContent('20:00');
    expect(sessions).toHaveTextContent('Sala 1');
    expect(sessions).toHaveTextContent('A la venta');
    // The session's places left: the zones that still sell (12 + 10).
    expect(await within(sessions).findByText('(22 disponibles)')).toBeInTheDocument();

    const zones = within(screen.getByRole('region', { name: 'Zonas y precios' })).getAllByRole('row');
    expect(zones[1]).toHaveTextContent(/General.*450,00.*Agotado/);
    expect(zones[2]).toHaveTextContent(/VIP.*1800,00.*Últimas entradas.*12 disponibles/);
    expect(zones[3]).toHaveTextContent(/Palco.*0,00.*Disponible.*10 disponibles/);
    // Capacity is told per session (its own places), not as a zone column of an event on sale.
    expect(within(screen.getByRole('region', { name: 'Zonas y precios' })).queryByText(/Aforo/)).not.toBeInTheDocument();
    expect(within(sessions).getByText('Aforo 5300')).toBeInTheDocument();
    // Visitors cannot manage it.
    expect(screen.queryByRole('link', { name: 'Editar evento' })).not.toBeInTheDocument();
  });

  it('shows capacity and places left per session, and per zone within it, never summed across sessions', async () => {
    const session = eventBody().sessions[0]!;
    mockFetch({
      [PATH]: () =>
        jsonResponse(
          eventBody({
            capacity: 600,
            zones: [
              { id: 'z1', name: 'Pista', price: { amount: '20.00', currency: 'EUR' }, capacity: 200, max_per_order: 10 },
              { id: 'z2', name: 'Grada', price: { amount: '30.00', currency: 'EUR' }, capacity: 200, max_per_order: 10 },
            ],
            sessions: [
              { ...session, id: 's1', title: 'Sábado', capacity_override: 300, capacity: 300 },
              { ...session, id: 's2', title: 'Domingo', capacity_override: 300, capacity: 300 },
            ],
          }),
        ),
      [`${PATH}/availability`]: () =>
        jsonResponse(
          availabilityBody([
            zoneAvailability('z1', { session_id: 's1', capacity: 200, available: 200 }),
            zoneAvailability('z2', { session_id: 's1', capacity: 200, available: 150 }),
            zoneAvailability('z1', { session_id: 's2', capacity: 200, available: 5, status: 'few_left' }),
            zoneAvailability('z2', { session_id: 's2', capacity: 200, available: 0, status: 'sold_out' }),
          ]),
        ),
    });
    renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    const sessions = await screen.findByRole('region', { name: 'Sesiones' });
    const [saturday, sunday] = within(sessions).getAllByRole('listitem', { name: /Sábado|Domingo/ });
    // The session's capacity (its cap of 300) bounds its places left: 350 free in its zones, 300 sellable.
    expect(within(saturday!).getByText('Aforo 300')).toBeInTheDocument();
    expect(await within(saturday!).findByText('(300 disponibles)')).toBeInTheDocument();
    expect(within(saturday!).getByText('Pista')).toBeInTheDocument();
    expect(within(saturday!).getByText('(150 disponibles)')).toBeInTheDocument();
    expect(within(sunday!).getByText('Aforo 300')).toBeInTheDocument();
    expect(within(sunday!).getAllByText('(5 disponibles)')).toHaveLength(2);
    expect(within(sunday!).getByText('Agotado')).toBeInTheDocument();
    expect(sessions).not.toHaveTextContent('600');
  });

  it('tells buyers the minutes to pay an order, re-entry and transfers among the sale settings', async () => {
    const sales = { ...eventBody().sales, payment_minutes: 15, reentry_allowed: true, transfers_allowed: false };
    mockFetch({
      [PATH]: () => jsonResponse(eventBody({ sales })),
      [`${PATH}/availability`]: () => jsonResponse(availabilityBody()),
    });
    renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    expect(await screen.findByText('15 minutos para pagar cada pedido')).toBeInTheDocument();
    expect(screen.getByText('Se puede volver a entrar tras salir')).toBeInTheDocument();
    expect(screen.getByText('Entradas no transferibles')).toBeInTheDocument();
  });

  it('says when there is no re-entry and tickets can be transferred (the defaults)', async () => {
    mockFetch({
      [PATH]: () => jsonResponse(eventBody()),
      [`${PATH}/availability`]: () => jsonResponse(availabilityBody()),
    });
    renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    expect(await screen.findByText('10 minutos para pagar cada pedido')).toBeInTheDocument();
    expect(screen.getByText('Sin reingreso: al salir, la entrada ya no vale')).toBeInTheDocument();
    expect(screen.getByText('Las entradas se pueden transferir')).toBeInTheDocument();
  });

  it('shows prices and capacity of a draft, which does not sell', async () => {
    const fetchMock = mockFetch({ [PATH]: () => jsonResponse(eventBody({ status: 'draft' })) });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    const zones = await screen.findByRole('region', { name: 'Zonas y precios' });
    expect(within(zones).getAllByRole('row')[1]).toHaveTextContent(/General.*450,00.*5000/);
    expect(within(zones).queryByRole('button', { name: 'Reservar' })).not.toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([url]) => (url as string).endsWith('/availability'))).toBe(false);
  });

  it('lets the owning organizer edit and publish a draft', async () => {
    let status: 'draft' | 'published' = 'draft';
    const fetchMock = mockFetch({
      [PATH]: () => jsonResponse(eventBody({ status, version: status === 'draft' ? 3 : 4 })),
      [`${PATH}/publish`]: () => {
        status = 'published';
        return jsonResponse(eventBody({ status, version: 4 }));
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    expect(await screen.findByText('Borrador')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Editar evento' })).toHaveAttribute('href', '/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60/edit');
    await user.click(screen.getByRole('button', { name: 'Publicar' }));
    expect(await screen.findByText('Evento publicado.')).toBeInTheDocument();
    const call = fetchMock.mock.calls.find(([url]) => url === `${PATH}/publish`);
    expect(new Headers(call?.[1]?.headers).get('If-Match')).toBe('"3"');
    expect(screen.queryByRole('button', { name: 'Publicar' })).not.toBeInTheDocument();
  });

  it('lets an administrator feature a published event, and nobody else', async () => {
    let featured = false;
    const fetchMock = mockFetch({
      [PATH]: () => jsonResponse(eventBody({ status: 'published', featured })),
      [`${PATH}/featured`]: async (request) => {
        featured = (await request.json()).featured;
        return jsonResponse(eventBody({ status: 'published', featured }));
      },
    });
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    const button = await screen.findByRole('button', { name: 'Destacar en portada' });
    expect(button).toHaveAttribute('aria-pressed', 'false');
    await user.click(button);
    expect(await screen.findByText('El evento aparece en la portada.')).toBeInTheDocument();
    expect(screen.getByText('Destacado')).toBeInTheDocument();
    const call = fetchMock.mock.calls.find(([url]) => url === `${PATH}/featured`);
    expect(call?.[1]?.method).toBe('PUT');
    await user.click(screen.getByRole('button', { name: 'Quitar de la portada' }));
    expect(await screen.findByText('El evento ya no aparece en la portada.')).toBeInTheDocument();
  });

  it('shows no featuring control to organizers', async () => {
    mockFetch({ [PATH]: () => jsonResponse(eventBody({ status: 'published' })) });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    await screen.findByRole('heading', { level: 1 });
    expect(screen.queryByRole('button', { name: 'Destacar en portada' })).not.toBeInTheDocument();
  });

  it('sends other failures to the route error boundary, whose retry refetches', async () => {
    // React Router logs the caught error; keep the output clean.
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    let calls = 0;
    mockFetch({
      [PATH]: () => {
        calls += 1;
        return calls === 1 ? problem(500) : jsonResponse(eventBody());
      },
    });
    const { user } = renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    await user.click(await screen.findByRole('button', { name: 'Reintentar' }, { timeout: 3000 }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Noche de Jazz en el Foro' })).toBeInTheDocument();
  });

  it('shows a not-found state', async () => {
    mockFetch({ [PATH]: () => problem(404) });
    renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    expect(await screen.findByRole('heading', { level: 2, name: 'Evento no encontrado' })).toBeInTheDocument();
  });
});

describe('EventDetailPage venue, organizer and sharing', () => {
  it('links the venue to the map, names the organizer and copies the link without a share sheet', async () => {
    mockFetch({
      [PATH]: () => jsonResponse(eventBody()),
      [`${PATH}/availability`]: () => jsonResponse(availabilityBody([])),
      [`/api/v1/organizations/${ORG_ID}`]: () => jsonResponse({ id: ORG_ID, name: 'Producciones Norte' }),
    });
    const { user } = renderRoute('/events/0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60');
    expect(await screen.findByRole('heading', { level: 1, name: 'Noche de Jazz en el Foro' })).toBeInTheDocument();

    const map = screen.getByRole('link', { name: /Ver en el mapa/ });
    expect(map).toHaveAttribute('href', expect.stringMatching(/^https:\/\/www\.openstreetmap\.org\/search\?query=Foro%20Sol/));
    expect(map).toHaveAttribute('target', '_blank');
    expect(map).toHaveAttribute('rel', 'noopener noreferrer');
    expect(await screen.findByTestId('event-organizer')).toHaveTextContent('Producciones Norte');

    // jsdom has no share sheet: the link is copied (to user-event's clipboard).
    await user.click(screen.getByRole('button', { name: 'Compartir' }));
    expect(await screen.findByText(/Enlace copiado/)).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(window.location.href);
  });
});
