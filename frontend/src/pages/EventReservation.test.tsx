import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { useUiStore } from '@/store/ui';
import { eventBody } from '@/test/events';
import { availabilityBody, PROBLEMS, reservationBody, zoneAvailability } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

const EVENT_ID = eventBody().id;
const PATH = `/api/v1/events/${EVENT_ID}`;
const PAGE = `/events/${EVENT_ID}`;

type Handlers = Parameters<typeof mockFetch>[0];

function edge(extra: Handlers = {}, availability: Handlers[string] = () => jsonResponse(availabilityBody(), { headers: { ETag: '"a1"' } })) {
  return mockFetch({
    [PATH]: () => jsonResponse(eventBody()),
    [`${PATH}/availability`]: availability,
    '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
    ...extra,
  });
}

function zonesRegion() {
  return screen.getByRole('region', { name: 'Zonas y precios' });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('reserving on the event page', () => {
  it('holds the chosen places with an Idempotency-Key and shows the hold with a countdown', async () => {
    let sent: { body: unknown; key: string | null } | undefined;
    const fetchMock = edge({
      '/api/v1/reservations': async (request) => {
        sent = { body: await request.json(), key: request.headers.get('Idempotency-Key') };
        return jsonResponse(reservationBody(), { status: 201 });
      },
    });
    signInAs();
    const { user } = renderRoute(PAGE);
    await user.click(await screen.findByRole('button', { name: 'Una entrada más de General' }));
    await user.click(screen.getByRole('button', { name: 'Una entrada más de General' }));
    await user.click(screen.getByRole('button', { name: 'Una entrada más de VIP' }));
    expect(screen.getByLabelText('Entradas de General')).toHaveValue(2);
    expect(screen.getByTestId('selection-total')).toHaveTextContent('2700,00');
    await user.click(screen.getByRole('button', { name: 'Reservar' }));

    const hold = await screen.findByRole('article', { name: 'Tu reserva' });
    expect(sent?.body).toEqual({
      session_id: 's1',
      items: [
        { zone_id: 'z1', quantity: 2 },
        { zone_id: 'z2', quantity: 1 },
      ],
    });
    expect(sent?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(within(hold).getByText('2 × General')).toBeInTheDocument();
    expect(within(hold).getByTestId('reservation-total')).toHaveTextContent('2700,00');
    expect(within(hold).getByRole('timer')).toHaveTextContent(/^(10:00|09:5\d)$/);
    expect(within(hold).getByText('Reservada')).toBeInTheDocument();
    // Keyboard and screen-reader users land on the hold.
    expect(within(hold).getByRole('heading', { name: 'Tu reserva' })).toHaveFocus();
    expect(fetchMock.mock.calls.filter(([url]) => url === '/api/v1/reservations')).toHaveLength(1);
  });

  it('explains a sold-out refusal with the places left per zone, in Spanish', async () => {
    edge({
      '/api/v1/reservations': () =>
        problem(409, {
          type: `${PROBLEMS}sold-out`,
          title: 'Sold out',
          detail: 'Not enough places left in zone General',
          zones: [{ zone_id: 'z1', available: 1 }],
        }),
    });
    signInAs();
    const { user } = renderRoute(PAGE);
    await user.click(await screen.findByRole('button', { name: 'Una entrada más de General' }));
    await user.click(screen.getByRole('button', { name: 'Una entrada más de General' }));
    await user.click(screen.getByRole('button', { name: 'Reservar' }));

    const alert = await within(zonesRegion()).findByRole('alert');
    expect(alert).toHaveTextContent('No quedan suficientes plazas para tu pedido:');
    expect(alert).toHaveTextContent('General: queda 1');
    expect(alert).toHaveFocus();
    expect(screen.queryByText(/Not enough places/)).not.toBeInTheDocument();
  });

  it('speaks English in the English UI', async () => {
    useUiStore.setState({ locale: 'en' });
    edge({
      '/api/v1/reservations': () =>
        problem(409, { type: `${PROBLEMS}sold-out`, detail: 'No quedan plazas', zones: [{ zone_id: 'z2', available: 0 }] }),
    });
    signInAs();
    const { user } = renderRoute(PAGE);
    await user.click(await screen.findByRole('button', { name: 'One more ticket for VIP' }));
    await user.click(screen.getByRole('button', { name: 'Reserve' }));
    const alert = await within(screen.getByRole('region', { name: 'Zones and prices' })).findByRole('alert');
    expect(alert).toHaveTextContent('There are not enough places left for your order:');
    expect(alert).toHaveTextContent('VIP: sold out');
    expect(screen.queryByText(/No quedan plazas/)).not.toBeInTheDocument();
  });

  it('maps not-on-sale, limit-reached and field errors to translated messages', async () => {
    const answers = [
      () => problem(409, { type: `${PROBLEMS}not-on-sale`, detail: 'Session is not on sale' }),
      () => problem(409, { type: `${PROBLEMS}limit-reached`, detail: 'Limit reached', limit: 6, taken: 5 }),
      () => problem(422, { errors: [{ field: 'items.0.quantity', message: 'must be at most 10' }] }),
    ];
    edge({ '/api/v1/reservations': () => (answers.shift() ?? answers[0]!)() });
    signInAs();
    const { user } = renderRoute(PAGE);
    await user.click(await screen.findByRole('button', { name: 'Una entrada más de VIP' }));

    await user.click(screen.getByRole('button', { name: 'Reservar' }));
    expect(await within(zonesRegion()).findByRole('alert')).toHaveTextContent('Esta sesión no está a la venta en este momento.');

    await user.click(screen.getByRole('button', { name: 'Reservar' }));
    expect(await screen.findByText('Puedes reservar como máximo 6 entradas de este evento y ya tienes 5 reservadas.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Reservar' }));
    const input = screen.getByLabelText('Entradas de VIP');
    await waitFor(() => expect(input).toHaveAttribute('aria-invalid', 'true'));
    expect(input).toHaveAccessibleDescription('Puedes pedir entre 1 y 10 entradas de esta zona en cada reserva.');
    expect(input).toHaveFocus();
    expect(within(zonesRegion()).getByRole('alert')).toHaveTextContent('Revisa tu pedido');
    expect(screen.queryByText(/must be at most/)).not.toBeInTheDocument();
  });

  it("bounds each stepper by the zone's per-order limit and the places left, and tells the per-customer limit", async () => {
    edge(
      {
        [PATH]: () =>
          jsonResponse(
            eventBody({
              zones: [
                { id: 'z1', name: 'General', price: { amount: '450.00', currency: 'MXN' }, capacity: 5000, max_per_order: 4 },
                { id: 'z2', name: 'VIP', price: { amount: '1800.00', currency: 'MXN' }, capacity: 300, max_per_order: 10 },
              ],
              sales: { on_sale_at: null, hold_minutes: 10, max_per_customer: 6, waiting_room: false, admission_per_minute: 300, payment_minutes: 10, reentry_allowed: false, transfers_allowed: true },
            }),
          ),
        '/api/v1/reservations': () => problem(422, { errors: [{ field: 'items.0.quantity', message: 'too many' }] }),
      },
      () => jsonResponse(availabilityBody([zoneAvailability('z1'), zoneAvailability('z2', { available: 3, status: 'few_left' })])),
    );
    signInAs();
    const { user } = renderRoute(PAGE);
    await within(await screen.findByRole('region', { name: 'Zonas y precios' })).findByText('(3 disponibles)');
    const general = screen.getByLabelText('Entradas de General');
    expect(general).toHaveAttribute('max', '4');
    expect(general).toHaveAccessibleDescription('Máximo 4 por pedido.');
    expect(screen.getByLabelText('Entradas de VIP')).toHaveAttribute('max', '3');
    expect(screen.getByText('Máximo 6 entradas por persona en este evento.')).toBeInTheDocument();

    const more = screen.getByRole('button', { name: 'Una entrada más de General' });
    for (let i = 0; i < 5; i += 1) await user.click(more);
    expect(general).toHaveValue(4);
    expect(more).toHaveAttribute('aria-disabled', 'true');
    expect(more).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Reservar' }));
    await waitFor(() => expect(general).toHaveAccessibleDescription(/Puedes pedir entre 1 y 4 entradas/));
  });

  it('sends the buyer to the queue when the sale turns out to need an admission', async () => {
    edge({
      '/api/v1/reservations': () => problem(403, { type: `${PROBLEMS}admission-required`, detail: 'This sale has a waiting room' }),
    });
    signInAs();
    const { user, router } = renderRoute(PAGE);
    await user.click(await screen.findByRole('button', { name: 'Una entrada más de VIP' }));
    await user.click(screen.getByRole('button', { name: 'Reservar' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`${PAGE}/queue`));
    expect(await screen.findByText('Esta venta tiene fila virtual: necesitas tu turno para reservar.')).toBeInTheDocument();
  });

  it('asks for at least one ticket before calling the server', async () => {
    const fetchMock = edge();
    signInAs();
    const { user } = renderRoute(PAGE);
    await screen.findByRole('button', { name: 'Una entrada más de VIP' });
    await user.click(screen.getByRole('button', { name: 'Reservar' }));
    expect(await within(zonesRegion()).findByRole('alert')).toHaveTextContent('Elige al menos una entrada.');
    expect(fetchMock.mock.calls.some(([url]) => url === '/api/v1/reservations')).toBe(false);
  });

  it('sends signed-out buyers to sign in, and back with their selection', async () => {
    edge();
    const { user, router } = renderRoute(PAGE);
    await user.click(await screen.findByRole('button', { name: 'Una entrada más de VIP' }));
    expect(screen.getByText(/Necesitas iniciar sesión para reservar/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Reservar' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    const next = new URLSearchParams(router.state.location.search).get('next') ?? '';
    expect(next).toBe(`${PAGE}?session=s1&qty=${encodeURIComponent('z2:1')}`);

    // Back on the event after signing in, the selection is still there.
    signInAs();
    await act(() => router.navigate(next));
    expect(await screen.findByLabelText('Entradas de VIP')).toHaveValue(1);
  });

  it('releases the hold at once', async () => {
    let released = false;
    const fetchMock = edge({
      '/api/v1/me/reservations': () => jsonResponse({ items: released ? [] : [reservationBody()], next_cursor: null }),
      '/api/v1/reservations/r1': (request) => {
        if (request.method === 'DELETE') released = true;
        return new Response(null, { status: 204 });
      },
    });
    signInAs();
    const { user } = renderRoute(PAGE);
    // A hold made earlier (a reload) is shown again.
    const hold = await screen.findByRole('article', { name: 'Tu reserva' });
    await user.click(within(hold).getByRole('button', { name: 'Liberar entradas' }));

    expect(await screen.findByText('Entradas liberadas.')).toBeInTheDocument();
    expect(within(hold).getByText('Liberada')).toBeInTheDocument();
    expect(within(hold).getByText('Has liberado estas entradas: vuelven a estar a la venta.')).toBeInTheDocument();
    expect(within(hold).queryByRole('timer')).not.toBeInTheDocument();
    expect(within(hold).getByRole('heading', { name: 'Tu reserva' })).toHaveFocus();
    expect(fetchMock.mock.calls.some(([url, init]) => url === '/api/v1/reservations/r1' && init?.method === 'DELETE')).toBe(true);

    await user.click(within(hold).getByRole('button', { name: 'Elegir otras entradas' }));
    expect(await screen.findByRole('button', { name: 'Reservar' })).toBeInTheDocument();
  });

  it('shows the hold as expired when the countdown reaches zero', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    vi.setSystemTime(new Date('2030-01-01T10:00:00Z'));
    edge({
      '/api/v1/me/reservations': () =>
        jsonResponse({ items: [reservationBody({ expires_at: '2030-01-01T10:00:12Z', created_at: '2030-01-01T09:50:12Z' })], next_cursor: null }),
    });
    signInAs();
    renderRoute(PAGE);
    const hold = await screen.findByRole('article', { name: 'Tu reserva' });
    expect(within(hold).getByRole('timer')).toHaveTextContent(/^00:1[12]$/);
    // Screen readers hear milestones, not every second.
    expect(within(hold).getByText('Quedan 30 segundos de reserva.')).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(3_000));
    expect(within(hold).getByText('Quedan 10 segundos de reserva.')).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(within(hold).getByText('Caducada')).toBeInTheDocument();
    expect(within(hold).getByText('La reserva ha caducado: las entradas vuelven a estar a la venta.')).toBeInTheDocument();
    expect(within(hold).queryByRole('timer')).not.toBeInTheDocument();
    expect(within(hold).queryByRole('button', { name: 'Liberar entradas' })).not.toBeInTheDocument();
    expect(within(hold).getByRole('button', { name: 'Elegir otras entradas' })).toBeInTheDocument();
  });
});

describe('places left on the event page', () => {
  it('polls availability every 5 s with If-None-Match, pauses while hidden, and shows few left and sold out', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const seen: (string | null)[] = [];
    const answers = [
      () => jsonResponse(availabilityBody([zoneAvailability('z1'), zoneAvailability('z2', { available: 4, status: 'few_left' })]), { headers: { ETag: '"v1"' } }),
      () => new Response(null, { status: 304, headers: { ETag: '"v1"' } }),
      () =>
        jsonResponse(availabilityBody([zoneAvailability('z1', { available: 0, status: 'sold_out' }), zoneAvailability('z2', { available: 4, status: 'few_left' })]), {
          headers: { ETag: '"v2"' },
        }),
    ];
    const fetchMock = edge({}, (request) => {
      seen.push(request.headers.get('If-None-Match'));
      return answers[Math.min(seen.length - 1, answers.length - 1)]!();
    });
    const availabilityCalls = () => fetchMock.mock.calls.filter(([url]) => (url as string).endsWith('/availability'));
    renderRoute(PAGE);

    const vip = await within(await screen.findByRole('region', { name: 'Zonas y precios' })).findByRole('row', { name: /VIP/ });
    expect(vip).toHaveTextContent(/Últimas entradas.*4 disponibles/);
    // At most 4 can be chosen.
    expect(screen.getByLabelText('Entradas de VIP')).toHaveAttribute('max', '4');
    expect(seen).toEqual([null]);

    await act(() => vi.advanceTimersByTimeAsync(5_000));
    await waitFor(() => expect(seen).toEqual([null, '"v1"']));
    expect(screen.getByLabelText('Entradas de General')).toBeEnabled();

    await act(() => vi.advanceTimersByTimeAsync(5_000));
    await waitFor(() => expect(seen).toEqual([null, '"v1"', '"v1"']));
    const general = within(zonesRegion()).getByRole('row', { name: /General/ });
    await waitFor(() => expect(general).toHaveTextContent('Agotado'));
    // A sold-out zone offers its waiting list instead of a quantity.
    expect(screen.queryByLabelText('Entradas de General')).not.toBeInTheDocument();
    expect(within(general).getByText(/únete a la lista de espera/)).toBeInTheDocument();

    // While the tab is hidden nothing is fetched.
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    const before = availabilityCalls().length;
    await act(() => vi.advanceTimersByTimeAsync(15_000));
    expect(availabilityCalls()).toHaveLength(before);

    // Back in view, it polls again with the last ETag.
    visibility.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    await waitFor(() => expect(seen.at(-1)).toBe('"v2"'));
  });
});
