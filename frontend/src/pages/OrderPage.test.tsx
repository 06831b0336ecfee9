import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { leaveTo, saveBlob } from '@/lib/download';
import { CHECKOUT_URL, ORDER_ID, orderBody, paidOrderBody, stubObjectUrls, ticketBody, ticketHandlers, TICKETS } from '@/test/orders';
import { PROBLEMS } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';
import { useUiStore } from '@/store/ui';

vi.mock('@/lib/download', () => ({ leaveTo: vi.fn(), saveBlob: vi.fn() }));

const PATH = `/orders/${ORDER_ID}`;
const API = `/api/v1/orders/${ORDER_ID}`;

describe('OrderPage', () => {
  beforeEach(() => {
    vi.mocked(leaveTo).mockReset();
    vi.mocked(saveBlob).mockReset();
    stubObjectUrls();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows an order waiting for its payment until it is paid, then stops asking', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let calls = 0;
    mockFetch({
      [API]: () => {
        calls += 1;
        return jsonResponse(calls < 3 ? orderBody() : paidOrderBody());
      },
      ...ticketHandlers(),
    });
    signInAs();
    renderRoute(PATH);
    expect(await screen.findByText('Estamos esperando la confirmación del pago. Esta página se actualiza sola.')).toBeInTheDocument();
    expect(screen.getByText('Pendiente de pago')).toHaveAttribute('data-order-status', 'pending_payment');
    // The buyer may have left the payment page: it is still there for them while the places are held.
    expect(screen.getByRole('button', { name: 'Ir a la página de pago' })).toBeInTheDocument();
    expect(calls).toBe(1);

    await vi.advanceTimersByTimeAsync(2_000);
    await waitFor(() => expect(calls).toBe(2));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await screen.findByText('¡Pago confirmado! Aquí tienes tus entradas; también te las enviamos por correo.')).toBeInTheDocument();
    expect(calls).toBe(3);
    expect(screen.getByText('Pagado')).toHaveAttribute('data-order-status', 'paid');
    expect(await screen.findAllByTestId('ticket-qr')).toHaveLength(3);

    // Settled: no more polling, however long the page stays open.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(3);
  });

  it('shows a paid order with its tickets, their QR codes and the PDF', async () => {
    const created = stubObjectUrls();
    const fetchMock = mockFetch({
      [API]: () => jsonResponse(paidOrderBody()),
      ...ticketHandlers(),
      [`${API}/tickets.pdf`]: () =>
        new Response(new Uint8Array([37, 80, 68, 70]), {
          status: 200,
          headers: { 'Content-Type': 'application/pdf', 'Content-Disposition': 'attachment; filename="taquilla-7d1c2b3a.pdf"' },
        }),
    });
    signInAs();
    const { user } = renderRoute(PATH);
    expect(await screen.findByRole('heading', { level: 1, name: 'Tu pedido' })).toBeInTheDocument();
    expect(document.title).toBe('Tu pedido · Taquilla');
    const tickets = await screen.findByRole('region', { name: 'Tus entradas' });
    const vip = await within(tickets).findByRole('article', { name: 'Entrada 3 · VIP' });
    expect(within(vip).getByText('Válida')).toBeInTheDocument();
    const qr = await within(vip).findByRole('img', { name: 'Código QR de la entrada de VIP a nombre de Ana Gómez' });
    expect(qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    expect(await within(tickets).findAllByRole('img', { name: /^Código QR/ })).toHaveLength(3);
    // The QR was fetched with the bearer token and shown as an SVG image.
    const qrCall = fetchMock.mock.calls.find(([url]) => url === '/api/v1/tickets/t3/qr.svg');
    expect(new Headers(qrCall?.[1]?.headers).get('Authorization')).toBe('Bearer access-1');
    expect(created.every((blob) => blob.type === 'image/svg+xml')).toBe(true);

    await user.click(within(tickets).getByRole('button', { name: 'Descargar PDF' }));
    await waitFor(() => expect(saveBlob).toHaveBeenCalledTimes(1));
    const [blob, filename] = vi.mocked(saveBlob).mock.calls[0] ?? [];
    expect(filename).toBe('taquilla-7d1c2b3a.pdf');
    expect(blob?.type).toBe('application/pdf');
    expect(blob?.size).toBe(4);
    const pdfCall = fetchMock.mock.calls.find(([url]) => url === `${API}/tickets.pdf`);
    expect(new Headers(pdfCall?.[1]?.headers).get('Authorization')).toBe('Bearer access-1');

    const summary = screen.getByRole('region', { name: 'Resumen' });
    expect(within(summary).getByText('2 × General')).toBeInTheDocument();
    expect(within(summary).getByText(/Ana Gómez · ana@example.org/)).toBeInTheDocument();
  });

  it('tells when the PDF cannot be downloaded', async () => {
    mockFetch({ [API]: () => jsonResponse(paidOrderBody()), ...ticketHandlers(), [`${API}/tickets.pdf`]: () => problem(503) });
    signInAs();
    const { user } = renderRoute(PATH);
    await user.click(await screen.findByRole('button', { name: 'Descargar PDF' }));
    expect(await screen.findByText('No pudimos descargar el PDF. Inténtalo de nuevo.')).toBeInTheDocument();
    expect(saveBlob).not.toHaveBeenCalled();
  });

  it('explains a declined payment and sends the buyer back to the payment page to try again', async () => {
    mockFetch({
      [API]: () => jsonResponse(orderBody({ status: 'failed', payment: { provider: 'stripe', checkout_url: CHECKOUT_URL, failure_code: 'card_declined' } })),
    });
    signInAs();
    const { user } = renderRoute(PATH);
    expect(await screen.findByText('El pago no se completó y no se ha cobrado nada.')).toBeInTheDocument();
    expect(screen.getByText(/El banco rechazó la tarjeta\. Puedes intentarlo de nuevo con otra tarjeta\./)).toBeInTheDocument();
    expect(screen.getByText('Pago rechazado')).toBeInTheDocument();
    expect(screen.getByText(/^Guardamos tus entradas hasta el /)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Intentar de nuevo' }));
    expect(leaveTo).toHaveBeenCalledWith(CHECKOUT_URL);
  });

  it('does not offer to pay again once the places are no longer held, and translates unknown declines generically', async () => {
    mockFetch({
      [API]: () =>
        jsonResponse(
          orderBody({
            status: 'failed',
            pay_by: '2026-01-01T00:00:00Z',
            payment: { provider: 'stripe', checkout_url: CHECKOUT_URL, failure_code: 'do_not_honor' },
          }),
        ),
    });
    signInAs();
    renderRoute(PATH);
    expect(await screen.findByText('El pago fue rechazado.')).toBeInTheDocument();
    expect(screen.getByText('Ya no da tiempo a intentarlo de nuevo: las entradas han vuelto a la venta.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Intentar de nuevo' })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Ver el evento' })).toBeInTheDocument();
  });

  it('shows what was refunded, and revoked tickets without a QR code', async () => {
    mockFetch({
      [API]: () => jsonResponse(paidOrderBody({ status: 'partially_refunded', refunded: { amount: '450.00', currency: 'MXN' } })),
      ...ticketHandlers({ ...TICKETS, t2: ticketBody({ id: 't2', status: 'revoked' }) }),
    });
    signInAs();
    renderRoute(PATH);
    expect(await screen.findByText('Reembolsado en parte')).toBeInTheDocument();
    expect(screen.getByTestId('order-refunded')).toHaveTextContent(/Te hemos devuelto .*450,00.* de .*2[.,]?700,00/);
    const revoked = await screen.findByRole('article', { name: 'Entrada 2 · General' });
    expect(within(revoked).getByText('Anulada')).toBeInTheDocument();
    expect(within(revoked).getByText('Esta entrada se anuló (reembolso o cancelación) y ya no da acceso.')).toBeInTheDocument();
    expect(within(revoked).queryByRole('img')).not.toBeInTheDocument();
    expect(await within(screen.getByRole('article', { name: 'Entrada 1 · General' })).findByRole('img')).toBeInTheDocument();
  });

  it('shows a refunded order in English', async () => {
    useUiStore.setState({ locale: 'en' });
    mockFetch({
      [API]: () => jsonResponse(paidOrderBody({ status: 'refunded', refunded: { amount: '2700.00', currency: 'MXN' } })),
      ...ticketHandlers({
        t1: ticketBody({ status: 'revoked' }),
        t2: ticketBody({ id: 't2', status: 'revoked' }),
        t3: ticketBody({ id: 't3', status: 'revoked' }),
      }),
    });
    signInAs();
    renderRoute(PATH);
    expect(await screen.findByRole('heading', { level: 1, name: 'Your order' })).toBeInTheDocument();
    expect(await screen.findByText('Refunded')).toBeInTheDocument();
    expect(screen.getByTestId('order-refunded')).toHaveTextContent(/We have refunded .*2,700\.00 of .*2,700\.00/);
    expect(await screen.findAllByText('Revoked')).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Download PDF' })).not.toBeInTheDocument();
  });

  it.each([
    ['expired', 'El tiempo para pagar terminó y no se cobró nada. Las entradas han vuelto a la venta.'],
    ['cancelled', 'Este pedido se canceló.'],
  ] as const)('explains a %s order', async (status, message) => {
    let calls = 0;
    mockFetch({
      [API]: () => {
        calls += 1;
        return jsonResponse(orderBody({ status, payment: { provider: 'stripe', checkout_url: null, failure_code: null } }));
      },
    });
    signInAs();
    renderRoute(PATH);
    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Ir a la página de pago' })).not.toBeInTheDocument();
    expect(calls).toBe(1);
  });

  it('says when the order does not exist (or is someone else’s)', async () => {
    mockFetch({ [API]: () => problem(404, { type: `${PROBLEMS}not-found` }) });
    signInAs();
    renderRoute(PATH);
    expect(await screen.findByRole('heading', { name: 'Pedido no encontrado' })).toBeInTheDocument();
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Mis pedidos' })).toHaveAttribute('href', '/me/orders');
  });
});
