import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { reservationBody } from '@/test/reservations';
import { jsonResponse, mockFetch, renderRoute, signInAs } from '@/test/utils';

function past(id: string, status: 'released' | 'expired', eventName: string) {
  return reservationBody({
    id,
    status,
    event_name: eventName,
    expires_at: '2026-01-01T10:10:00Z',
    created_at: '2026-01-01T10:00:00Z',
    ended_at: '2026-01-01T10:05:00Z',
  });
}

describe('MyReservationsPage', () => {
  it('sends visitors to sign in first', async () => {
    mockFetch({});
    const { router } = renderRoute('/me/reservations');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe(`?next=${encodeURIComponent('/me/reservations')}`);
  });

  it('lists held reservations with a countdown and release, and past ones with load more', async () => {
    let released = false;
    const queries: string[] = [];
    const fetchMock = mockFetch({
      '/api/v1/me/reservations': (request) => {
        const url = new URL(request.url);
        queries.push(url.search);
        const statuses = url.searchParams.getAll('status');
        if (statuses.join() === 'held') {
          return jsonResponse({ items: released ? [] : [reservationBody({ event_name: 'Gira de verano' })], next_cursor: null });
        }
        const pages: Record<string, unknown> = {
          '': { items: [past('p1', 'released', 'Teatro clásico')], next_cursor: 'c2' },
          c2: { items: [past('p2', 'expired', 'Festival de otoño')], next_cursor: null },
        };
        const first = released ? [past('r1', 'released', 'Gira de verano')] : [];
        const page = pages[url.searchParams.get('cursor') ?? ''] as { items: unknown[] };
        return jsonResponse(url.searchParams.get('cursor') ? page : { ...page, items: [...first, ...page.items] });
      },
      '/api/v1/reservations/r1': () => {
        released = true;
        return new Response(null, { status: 204 });
      },
    });
    signInAs();
    const { user } = renderRoute('/me/reservations');
    expect(await screen.findByRole('heading', { level: 1, name: 'Mis reservas' })).toBeInTheDocument();
    expect(document.title).toBe('Mis reservas · Taquilla');
    // The header links here for signed-in users.
    expect(within(screen.getByRole('navigation', { name: 'Navegación principal' })).getByRole('link', { name: 'Mis reservas' })).toHaveAttribute(
      'aria-current',
      'page',
    );

    const active = screen.getByRole('region', { name: 'Reservas activas' });
    const card = await within(active).findByRole('article', { name: 'Gira de verano' });
    expect(within(card).getByRole('timer')).toHaveTextContent(/^(10:00|09:5\d)$/);
    expect(within(card).getByRole('link', { name: 'Gira de verano' })).toHaveAttribute('href', `/events/${reservationBody().event_id}`);

    const pastList = screen.getByRole('region', { name: 'Reservas anteriores' });
    expect(await within(pastList).findByRole('article', { name: 'Teatro clásico' })).toHaveTextContent('Liberada');
    await user.click(within(pastList).getByRole('button', { name: 'Cargar más' }));
    expect(await within(pastList).findByRole('article', { name: 'Festival de otoño' })).toHaveTextContent('Caducada');
    expect(queries).toContain('?status=released&status=expired&limit=10&cursor=c2');
    expect(within(pastList).queryByRole('button', { name: 'Cargar más' })).not.toBeInTheDocument();

    await user.click(within(card).getByRole('button', { name: 'Liberar entradas (Gira de verano)' }));
    expect(await screen.findByText('Entradas liberadas.')).toBeInTheDocument();
    expect(await within(active).findByText('No tienes reservas activas.')).toBeInTheDocument();
    expect(await within(pastList).findByRole('article', { name: 'Gira de verano' })).toHaveTextContent('Liberada');
    expect(screen.getByRole('heading', { name: 'Reservas activas' })).toHaveFocus();
    expect(fetchMock.mock.calls.some(([url, init]) => url === '/api/v1/reservations/r1' && init?.method === 'DELETE')).toBe(true);
  });
});
