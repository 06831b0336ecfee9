import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { eventBody, ORG_ID } from '@/test/events';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';
import { useUiStore } from '@/store/ui';

const EVENT = eventBody().id;
const PATH = `/events/${EVENT}/checkin-conflicts`;
const TICKET = 'a1b2c3d4-0000-4000-8000-000000000001';

function conflictsBody() {
  return {
    items: [
      {
        ticket: { id: TICKET, zone: 'General', zone_id: 'z1', holder_name: 'Ana Gómez', status: 'used' },
        scans: [
          { at: '2026-12-24T21:00:00Z', device_id: 'puerta-norte', result: 'ok', type: 'entry', conflict: false },
          { at: '2026-12-24T21:05:00Z', device_id: 'puerta-sur', result: 'already_redeemed', type: 'entry', conflict: true },
        ],
      },
    ],
  };
}

function edge(conflicts: () => Response) {
  return mockFetch({
    [`/api/v1/events/${EVENT}`]: () => jsonResponse(eventBody()),
    [`/api/v1/events/${EVENT}/checkin-conflicts`]: conflicts,
  });
}

describe('EventCheckinConflictsPage', () => {
  it('lists the tickets admitted twice with their scans', async () => {
    edge(() => jsonResponse(conflictsBody()));
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(PATH);
    expect(await screen.findByRole('heading', { level: 1, name: 'Entradas admitidas dos veces: Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Volver al evento' })).toHaveAttribute('href', `/events/${EVENT}`);

    const table = await screen.findByRole('table', { name: 'Entradas admitidas dos veces' });
    const row = within(table).getByRole('rowheader', { name: 'a1b2c3d4' }).closest('tr') as HTMLElement;
    expect(within(row).getByText('Ana Gómez')).toBeInTheDocument();
    expect(within(row).getByText('General')).toBeInTheDocument();
    const scans = within(within(row).getByRole('list', { name: 'Lecturas de la entrada a1b2c3d4' })).getAllByRole('listitem');
    expect(scans).toHaveLength(2);
    expect(scans[0]).toHaveTextContent(/Entrada · puerta-norte · Puede pasar$/);
    expect(scans[0]).toHaveAttribute('data-conflict', 'false');
    expect(scans[1]).toHaveTextContent(/Entrada · puerta-sur · Entrada ya usada · admitida estando ya dentro$/);
    expect(scans[1]).toHaveAttribute('data-conflict', 'true');
    expect(within(scans[1] as HTMLElement).getByText(/24\/12\/26/)).toHaveAttribute('dateTime', '2026-12-24T21:05:00Z');
  });

  it('says when no ticket was admitted twice, in English too', async () => {
    useUiStore.setState({ locale: 'en' });
    edge(() => jsonResponse({ items: [] }));
    signInAs({ role: 'staff', organization_id: ORG_ID });
    renderRoute(PATH);
    expect(await screen.findByRole('heading', { level: 1, name: 'Tickets admitted twice: Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'No ticket has been admitted twice.' })).toBeInTheDocument();
  });

  it("does not show another organization's event", async () => {
    edge(() => problem(404));
    signInAs({ role: 'organizer', organization_id: '99999999-9999-4999-8999-999999999999' });
    renderRoute(PATH);
    expect(await screen.findByRole('heading', { name: 'Evento no encontrado' })).toBeInTheDocument();
  });

  it('offers a retry when the list cannot be loaded', async () => {
    let calls = 0;
    edge(() => (++calls === 1 ? problem(500) : jsonResponse({ items: [] })));
    signInAs({ role: 'admin' });
    const { user } = renderRoute(PATH);
    expect(await screen.findByRole('heading', { name: 'No pudimos cargar las entradas admitidas dos veces.' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    expect(await screen.findByRole('heading', { name: 'Ninguna entrada se ha admitido dos veces.' })).toBeInTheDocument();
  });

  it('sends customers away', async () => {
    edge(() => jsonResponse({ items: [] }));
    signInAs({ role: 'customer' });
    const { router } = renderRoute(PATH);
    await waitFor(() => expect(router.state.location.pathname).toBe('/events'));
  });

  it('is linked from the event page and from its orders', async () => {
    mockFetch({
      [`/api/v1/events/${EVENT}`]: () => jsonResponse(eventBody()),
      [`/api/v1/events/${EVENT}/availability`]: () => problem(503),
      [`/api/v1/events/${EVENT}/orders`]: () => jsonResponse({ items: [], next_cursor: null }),
      '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { router } = renderRoute(`/events/${EVENT}`);
    expect(await screen.findByRole('link', { name: 'Entradas admitidas dos veces' })).toHaveAttribute('href', PATH);
    await router.navigate(`/events/${EVENT}/orders`);
    expect(await screen.findByRole('link', { name: 'Entradas admitidas dos veces' })).toHaveAttribute('href', PATH);
  });
});
