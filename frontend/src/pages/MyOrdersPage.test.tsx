import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { orderBody, paidOrderBody, stubObjectUrls, svgResponse, ticketBody } from '@/test/orders';
import { jsonResponse, mockFetch, renderRoute, signInAs } from '@/test/utils';
import { useUiStore } from '@/store/ui';

describe('MyOrdersPage', () => {
  it('sends visitors to sign in first', async () => {
    mockFetch({});
    const { router } = renderRoute('/me/orders');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
  });

  it('lists my orders with their state and total, newest first, with load more', async () => {
    const queries: string[] = [];
    mockFetch({
      '/api/v1/me/orders': (request) => {
        const url = new URL(request.url);
        queries.push(url.search);
        return jsonResponse(
          url.searchParams.get('cursor') === 'c2'
            ? { items: [orderBody({ id: 'o3', status: 'expired', event_name: 'Festival de otoño' })], next_cursor: null }
            : {
                items: [
                  paidOrderBody({ id: 'o1', event_name: 'Gira de verano' }),
                  paidOrderBody({ id: 'o2', status: 'partially_refunded', event_name: 'Teatro clásico', refunded: { amount: '450.00', currency: 'MXN' } }),
                ],
                next_cursor: 'c2',
              },
        );
      },
    });
    signInAs();
    const { user } = renderRoute('/me/orders');
    expect(await screen.findByRole('heading', { level: 1, name: 'Mis pedidos' })).toBeInTheDocument();
    expect(document.title).toBe('Mis pedidos · Taquilla');
    const nav = screen.getByRole('navigation', { name: 'Navegación principal' });
    expect(within(nav).getByRole('link', { name: 'Mis pedidos' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Mis entradas' })).toHaveAttribute('href', '/me/tickets');

    const first = await screen.findByRole('article', { name: 'Gira de verano' });
    expect(within(first).getByText('Pagado')).toBeInTheDocument();
    expect(within(first).getByText(/2 × General, 1 × VIP/)).toBeInTheDocument();
    expect(within(first).getByRole('link', { name: 'Ver pedido (Gira de verano)' })).toHaveAttribute('href', '/orders/o1');
    expect(within(screen.getByRole('article', { name: 'Teatro clásico' })).getByText(/450,00.*reembolsado/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cargar más' }));
    expect(await screen.findByRole('article', { name: 'Festival de otoño' })).toHaveTextContent('Caducado');
    expect(queries).toEqual(['?limit=10', '?limit=10&cursor=c2']);
    expect(screen.queryByRole('button', { name: 'Cargar más' })).not.toBeInTheDocument();
  });

  it('says when there are none yet, in English too', async () => {
    useUiStore.setState({ locale: 'en' });
    mockFetch({ '/api/v1/me/orders': () => jsonResponse({ items: [], next_cursor: null }) });
    signInAs();
    renderRoute('/me/orders');
    expect(await screen.findByRole('heading', { name: 'You have not placed any orders yet.' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Browse events' })).toHaveAttribute('href', '/events');
  });
});

describe('MyTicketsPage', () => {
  it('lists my tickets: event, zone, holder and status; valid ones with their QR code, revoked ones without', async () => {
    stubObjectUrls();
    mockFetch({
      '/api/v1/me/tickets': (request) =>
        jsonResponse(
          new URL(request.url).searchParams.get('cursor') === 'c2'
            ? { items: [ticketBody({ id: 't9', event_name: 'Festival de otoño', status: 'used' })], next_cursor: null }
            : {
                items: [
                  ticketBody({ id: 't1', event_name: 'Gira de verano', holder_name: 'Ana Gómez' }),
                  ticketBody({ id: 't2', event_name: 'Teatro clásico', zone_name: 'VIP', status: 'revoked' }),
                ],
                next_cursor: 'c2',
              },
        ),
      '/api/v1/tickets/t1/qr.svg': () => svgResponse(),
    });
    signInAs();
    const { user } = renderRoute('/me/tickets');
    expect(await screen.findByRole('heading', { level: 1, name: 'Mis entradas' })).toBeInTheDocument();
    expect(within(screen.getByRole('navigation', { name: 'Navegación principal' })).getByRole('link', { name: 'Mis entradas' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    const valid = await screen.findByRole('article', { name: 'Gira de verano' });
    expect(within(valid).getByText('Válida')).toBeInTheDocument();
    expect(within(valid).getByText('General')).toBeInTheDocument();
    expect(within(valid).getByText('Ana Gómez')).toBeInTheDocument();
    expect(await within(valid).findByRole('img', { name: 'Código QR de la entrada de General a nombre de Ana Gómez' })).toBeInTheDocument();
    expect(within(valid).getByRole('link', { name: /^Ver pedido/ })).toHaveAttribute('href', `/orders/${ticketBody().order_id}`);

    const revoked = screen.getByRole('article', { name: 'Teatro clásico' });
    expect(within(revoked).getByText('Anulada')).toHaveAttribute('data-ticket-status', 'revoked');
    expect(within(revoked).getByText('Esta entrada se anuló (reembolso o cancelación) y ya no da acceso.')).toBeInTheDocument();
    expect(within(revoked).queryByRole('img')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cargar más' }));
    const used = await screen.findByRole('article', { name: 'Festival de otoño' });
    expect(within(used).getByText('Usada')).toBeInTheDocument();
    expect(within(used).queryByRole('img')).not.toBeInTheDocument();
  });

  it('says when there are none yet', async () => {
    mockFetch({ '/api/v1/me/tickets': () => jsonResponse({ items: [], next_cursor: null }) });
    signInAs();
    renderRoute('/me/tickets');
    expect(await screen.findByRole('heading', { name: 'Todavía no tienes entradas.' })).toBeInTheDocument();
  });
});
