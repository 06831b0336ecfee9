import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { leaveTo } from '@/lib/download';
import { CHECKOUT_URL, ORDER_ID, orderBody } from '@/test/orders';
import { eventBody } from '@/test/events';
import { availabilityBody, PROBLEMS, reservationBody } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';
import { useUiStore } from '@/store/ui';

vi.mock('@/lib/download', () => ({ leaveTo: vi.fn(), saveBlob: vi.fn() }));

interface Sent {
  key: string | null;
  body: Record<string, unknown>;
}

/** The edge: reservation r1 held, and POST /api/v1/orders answered by `answer` (in turn). */
function edge(answers: ((sent: Sent) => Response)[], reservation = reservationBody()) {
  const sent: Sent[] = [];
  const fetchMock = mockFetch({
    '/api/v1/reservations/r1': () => jsonResponse(reservation),
    '/api/v1/orders': async (request) => {
      const entry = { key: request.headers.get('Idempotency-Key'), body: (await request.json()) as Record<string, unknown> };
      sent.push(entry);
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)];
      if (!answer) throw new Error('no answer');
      return answer(entry);
    },
    [`/api/v1/orders/${ORDER_ID}`]: () => jsonResponse(orderBody()),
  });
  return { sent, fetchMock };
}

describe('CheckoutPage', () => {
  beforeEach(() => {
    vi.mocked(leaveTo).mockReset();
  });

  it('sends visitors to sign in first', async () => {
    mockFetch({});
    const { router } = renderRoute('/checkout/r1');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe(`?next=${encodeURIComponent('/checkout/r1')}`);
  });

  it('prefills the buyer from the profile, shows the summary and the countdown, and goes to the payment page', async () => {
    const { sent } = edge([() => jsonResponse(orderBody(), { status: 201 })]);
    signInAs({ full_name: 'Ana Gómez', email: 'ana@example.org' });
    const { user } = renderRoute('/checkout/r1');
    expect(await screen.findByRole('heading', { level: 1, name: 'Finalizar la compra' })).toBeInTheDocument();
    expect(document.title).toBe('Finalizar la compra · Taquilla');
    expect(await screen.findByLabelText(/^Nombre completo/)).toHaveValue('Ana Gómez');
    expect(screen.getByLabelText(/^Correo electrónico/)).toHaveValue('ana@example.org');
    expect(screen.getByLabelText('Idioma de las entradas y los correos')).toHaveValue('es');

    const summary = screen.getByRole('complementary', { name: 'Resumen del pedido' });
    expect(within(summary).getByText('2 × General')).toBeInTheDocument();
    expect(within(summary).getByTestId('order-total')).toHaveTextContent(/2[.,]?700,00/);
    expect(within(summary).getByRole('timer')).toHaveTextContent(/^(10:00|09:5\d)$/);

    await user.selectOptions(screen.getByLabelText('Idioma de las entradas y los correos'), 'en');
    await user.click(screen.getByRole('button', { name: /^Pagar/ }));
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith(CHECKOUT_URL));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0]?.body).toEqual({
      reservation_id: 'r1',
      buyer: { name: 'Ana Gómez', email: 'ana@example.org', locale: 'en' },
      return_url: `${window.location.origin}/orders/{ORDER_ID}`,
    });
    expect(screen.getByRole('button', { name: 'Preparando el pago…' })).toBeDisabled();
  });

  it('keeps the Idempotency-Key when the same details are sent again, and makes a new one when they change', async () => {
    const { sent } = edge([
      () => {
        throw new TypeError('Failed to fetch');
      },
      () => problem(503),
      () => jsonResponse(orderBody(), { status: 201 }),
    ]);
    signInAs();
    const { user } = renderRoute('/checkout/r1');
    const pay = await screen.findByRole('button', { name: /^Pagar/ });
    await user.click(pay);
    expect(await screen.findByText(/^No hay conexión con el servidor\./)).toBeInTheDocument();
    await user.click(pay);
    expect(await screen.findByText('No se pudo completar la operación. Inténtalo de nuevo.')).toBeInTheDocument();
    expect(sent[1]?.key).toBe(sent[0]?.key);

    await user.clear(screen.getByLabelText(/^Nombre completo/));
    await user.type(screen.getByLabelText(/^Nombre completo/), 'Ana G.');
    await user.click(pay);
    await waitFor(() => expect(leaveTo).toHaveBeenCalledWith(CHECKOUT_URL));
    expect(sent).toHaveLength(3);
    expect(sent[2]?.key).not.toBe(sent[0]?.key);
  });

  it('checks the fields first, then shows the server field errors at the fields in the reader language', async () => {
    const { sent } = edge([
      () =>
        problem(422, {
          type: `${PROBLEMS}validation-error`,
          errors: [{ field: 'buyer.email', message: 'String should match pattern' }],
        }),
    ]);
    signInAs({ full_name: '', email: 'ana@example.org' });
    const { user } = renderRoute('/checkout/r1');
    const name = await screen.findByLabelText(/^Nombre completo/);
    expect(name).toHaveValue('');
    await user.click(screen.getByRole('button', { name: /^Pagar/ }));
    expect(await screen.findByText('Escribe tu nombre.')).toBeInTheDocument();
    expect(name).toHaveAttribute('aria-invalid', 'true');
    await waitFor(() => expect(name).toHaveFocus());
    expect(sent).toHaveLength(0);

    await user.type(name, 'Ana');
    await user.click(screen.getByRole('button', { name: /^Pagar/ }));
    const email = screen.getByLabelText(/^Correo electrónico/);
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByText('Escribe un correo electrónico válido.')).toBeInTheDocument();
    expect(screen.queryByText('String should match pattern')).not.toBeInTheDocument();
    await waitFor(() => expect(email).toHaveFocus());
    expect(leaveTo).not.toHaveBeenCalled();
  });

  it('goes to the order when the reservation already has one', async () => {
    edge([() => problem(409, { type: `${PROBLEMS}order-exists`, order_id: ORDER_ID })]);
    signInAs();
    const { user, router } = renderRoute('/checkout/r1');
    await user.click(await screen.findByRole('button', { name: /^Pagar/ }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/orders/${ORDER_ID}`));
    expect(await screen.findByText('Esta reserva ya tiene un pedido: te llevamos a él.')).toBeInTheDocument();
    expect(await screen.findByRole('heading', { level: 1, name: 'Tu pedido' })).toBeInTheDocument();
  });

  it('explains a reservation that is no longer held and links back to the event', async () => {
    edge([() => problem(409, { type: `${PROBLEMS}reservation-not-held` })]);
    signInAs();
    const { user } = renderRoute('/checkout/r1');
    await user.click(await screen.findByRole('button', { name: /^Pagar/ }));
    expect(await screen.findByRole('heading', { name: 'Esta reserva ya no está activa' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Volver al evento' })).toHaveAttribute('href', `/events/${reservationBody().event_id}`);
    expect(screen.queryByRole('button', { name: /^Pagar/ })).not.toBeInTheDocument();
  });

  it('does not offer to pay for a reservation that has already ended', async () => {
    edge([], reservationBody({ status: 'expired', ended_at: '2026-01-01T00:00:00Z' }));
    signInAs();
    renderRoute('/checkout/r1');
    expect(await screen.findByRole('heading', { name: 'Esta reserva ya no está activa' })).toBeInTheDocument();
  });

  it('points to the orders when the reservation is already paid', async () => {
    edge([], reservationBody({ status: 'purchased', ended_at: '2026-01-01T00:00:00Z' }));
    signInAs();
    renderRoute('/checkout/r1');
    expect(await screen.findByRole('heading', { name: 'Esta reserva ya está pagada' })).toBeInTheDocument();
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Mis entradas' })).toHaveAttribute('href', '/me/tickets');
    expect(screen.queryByRole('button', { name: /^Pagar/ })).not.toBeInTheDocument();
  });

  it('says when the reservation does not exist', async () => {
    mockFetch({});
    signInAs();
    renderRoute('/checkout/r1');
    expect(await screen.findByRole('heading', { name: 'No encontramos esta reserva' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Ver mis reservas' })).toHaveAttribute('href', '/me/reservations');
  });

  it('speaks English, with the buyer language defaulting to it', async () => {
    edge([]);
    useUiStore.setState({ locale: 'en' });
    signInAs();
    renderRoute('/checkout/r1');
    expect(await screen.findByRole('heading', { level: 1, name: 'Checkout' })).toBeInTheDocument();
    expect(await screen.findByLabelText('Language of the tickets and emails')).toHaveValue('en');
    expect(screen.getByRole('button', { name: /^Pay / })).toBeInTheDocument();
    expect(screen.getByText('Your reservation expires in')).toBeInTheDocument();
  });

  it('is reached from a held reservation in "My reservations"', async () => {
    mockFetch({
      '/api/v1/me/reservations': (request) =>
        jsonResponse({ items: new URL(request.url).searchParams.getAll('status').includes('held') ? [reservationBody()] : [], next_cursor: null }),
      '/api/v1/reservations/r1': () => jsonResponse(reservationBody()),
    });
    signInAs();
    const { user, router } = renderRoute('/me/reservations');
    await user.click(await screen.findByRole('link', { name: 'Pagar (Noche de Jazz en el Foro)' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/checkout/r1'));
  });

  it('is reached from the hold shown on the event page after reserving', async () => {
    mockFetch({
      [`/api/v1/events/${eventBody().id}`]: () => jsonResponse(eventBody()),
      [`/api/v1/events/${eventBody().id}/availability`]: () => jsonResponse(availabilityBody()),
      '/api/v1/me/reservations': () => jsonResponse({ items: [reservationBody()], next_cursor: null }),
    });
    signInAs();
    renderRoute(`/events/${eventBody().id}`);
    const hold = await screen.findByRole('article', { name: 'Tu reserva' });
    expect(within(hold).getByRole('link', { name: 'Pagar' })).toHaveAttribute('href', '/checkout/r1');
  });
});
