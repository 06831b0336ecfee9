import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { eventBody, ORG_ID } from '@/test/events';
import { orderBody, paidOrderBody } from '@/test/orders';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';
import { useUiStore } from '@/store/ui';

const EVENT = eventBody().id;
const PATH = `/events/${EVENT}/orders`;

function edge(orders: (url: URL) => Response) {
  const queries: string[] = [];
  mockFetch({
    [`/api/v1/events/${EVENT}`]: () => jsonResponse(eventBody()),
    [`/api/v1/events/${EVENT}/orders`]: (request) => {
      const url = new URL(request.url);
      queries.push(url.search);
      return orders(url);
    },
  });
  return queries;
}

describe('EventOrdersPage', () => {
  it('lets the organizer search orders by buyer, filter by status and load more', async () => {
    const queries = edge((url) => {
      if (url.searchParams.get('q') === 'rita') {
        return jsonResponse({ items: [paidOrderBody({ id: 'o7', buyer: { name: 'Rita Prueba', email: 'rita@example.org', locale: 'en' } })], next_cursor: null });
      }
      if (url.searchParams.get('cursor') === 'c2') return jsonResponse({ items: [orderBody({ id: 'o3', status: 'failed' })], next_cursor: null });
      return jsonResponse({
        items: [
          paidOrderBody({ id: 'o1aaaaaa-0000-4000-8000-000000000001' }),
          paidOrderBody({ id: 'o2', status: 'partially_refunded', refunded: { amount: '450.00', currency: 'MXN' } }),
        ],
        next_cursor: 'c2',
      });
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute(PATH);
    expect(await screen.findByRole('heading', { level: 1, name: 'Pedidos de Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Volver al evento' })).toHaveAttribute('href', `/events/${EVENT}`);

    const table = await screen.findByRole('table', { name: 'Pedidos del evento' });
    const link = within(table).getByRole('link', { name: /^Pedido o1aaaaaa\s?-0000-4000-8000-000000000001$/ });
    const row = link.closest('tr') as HTMLElement;
    expect(within(row).getByText('ana@example.org')).toBeInTheDocument();
    expect(within(row).getByText('Pagado')).toBeInTheDocument();
    expect(link).toHaveAttribute('href', '/orders/o1aaaaaa-0000-4000-8000-000000000001');
    expect(link).toHaveTextContent('o1aaaaaa');
    expect(within(table).getByText(/450,00.*reembolsado/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cargar más' }));
    expect(await within(table).findByText('Pago rechazado')).toBeInTheDocument();
    expect(queries).toEqual(['?limit=20', '?limit=20&cursor=c2']);

    const search = screen.getByRole('search', { name: 'Buscar pedidos' });
    await user.type(within(search).getByLabelText('Comprador o pedido'), ' rita ');
    await user.selectOptions(within(search).getByLabelText('Estado'), 'paid');
    await user.click(within(search).getByRole('button', { name: 'Buscar' }));
    expect(await screen.findByText('Rita Prueba')).toBeInTheDocument();
    expect(queries.at(-1)).toBe('?q=rita&status=paid&limit=20');
    expect(screen.queryByRole('button', { name: 'Cargar más' })).not.toBeInTheDocument();
    // There is no refund action yet (the refund API does not exist).
    expect(screen.queryByRole('button', { name: /reembols/i })).not.toBeInTheDocument();
  });

  it('says when nothing matches, in English too', async () => {
    useUiStore.setState({ locale: 'en' });
    edge(() => jsonResponse({ items: [], next_cursor: null }));
    signInAs({ role: 'admin' });
    renderRoute(PATH);
    expect(await screen.findByRole('heading', { level: 1, name: 'Orders for Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'No orders match the search.' })).toBeInTheDocument();
  });

  it("tells another organization's organizer they may not see them", async () => {
    edge(() => problem(403));
    signInAs({ role: 'organizer', organization_id: '99999999-9999-4999-8999-999999999999' });
    renderRoute(PATH);
    expect(await screen.findByRole('heading', { name: 'No puedes ver los pedidos de este evento.' })).toBeInTheDocument();
  });

  it('sends customers away', async () => {
    edge(() => jsonResponse({ items: [], next_cursor: null }));
    signInAs({ role: 'customer' });
    const { router } = renderRoute(PATH);
    await waitFor(() => expect(router.state.location.pathname).toBe('/events'));
  });

  it('is linked from the event page for the organizer who owns it', async () => {
    mockFetch({
      [`/api/v1/events/${EVENT}`]: () => jsonResponse(eventBody()),
      [`/api/v1/events/${EVENT}/availability`]: () => problem(503),
      '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(`/events/${EVENT}`);
    expect(await screen.findByRole('link', { name: 'Ver pedidos' })).toHaveAttribute('href', PATH);
  });
});
