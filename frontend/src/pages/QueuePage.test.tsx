import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { useUiStore } from '@/store/ui';
import { eventBody } from '@/test/events';
import { availabilityBody, PROBLEMS, reservationBody } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

vi.setConfig({ testTimeout: 20_000 });

const EVENT_ID = eventBody().id;
const PATH = `/api/v1/events/${EVENT_ID}`;
const QUEUE_PAGE = `/events/${EVENT_ID}/queue`;
const STORAGE_KEY = `taquilla.queue.${EVENT_ID}`;

type Handlers = Parameters<typeof mockFetch>[0];
type Handler = Handlers[string];

const SALES = { on_sale_at: '2030-01-01T10:00:00Z', hold_minutes: 10, max_per_customer: null, waiting_room: true, admission_per_minute: 600, payment_minutes: 10, reentry_allowed: false, transfers_allowed: true };

function standingBody(overrides: Record<string, unknown> = {}) {
  return {
    queue_id: 'q1',
    event_id: EVENT_ID,
    status: 'waiting',
    position: 42,
    estimated_wait_seconds: 150,
    admission: null,
    expires_at: null,
    opens_at: null,
    ...overrides,
  };
}

function admitted(overrides: Record<string, unknown> = {}) {
  return standingBody({
    status: 'admitted',
    position: 0,
    estimated_wait_seconds: 0,
    admission: 'adm-1',
    expires_at: new Date(Date.now() + 10 * 60_000).toISOString(),
    ...overrides,
  });
}

/** The edge of an event with a waiting room; `join` answers POST …/queue, `standing` GET /queue/q1. */
function edge(join: Handler, standing: Handler = join, extra: Handlers = {}) {
  return mockFetch({
    [PATH]: () => jsonResponse(eventBody({ sales: SALES })),
    [`${PATH}/availability`]: () => jsonResponse(availabilityBody()),
    [`${PATH}/queue`]: join,
    '/api/v1/queue/q1': standing,
    '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
    ...extra,
  });
}

function calls(fetchMock: ReturnType<typeof mockFetch>, path: string, method = 'GET') {
  return fetchMock.mock.calls.filter(([url, init]) => url === path && (init?.method ?? 'GET') === method);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the waiting room on the event page', () => {
  it('offers to join the line instead of reserving, and tells the sale settings', async () => {
    mockFetch({
      [PATH]: () => jsonResponse(eventBody({ sales: { ...SALES, on_sale_at: '2020-01-01T10:00:00Z', max_per_customer: 4 } })),
      [`${PATH}/availability`]: () => jsonResponse(availabilityBody()),
    });
    const { user, router } = renderRoute(`/events/${EVENT_ID}`);
    const zones = await screen.findByRole('region', { name: 'Zonas y precios' });
    expect(within(zones).queryByRole('button', { name: 'Reservar' })).not.toBeInTheDocument();
    expect(screen.getByText(/^Venta desde el 1 de enero de 2020/)).toBeInTheDocument();
    expect(screen.getByText('Máximo 4 entradas por persona')).toBeInTheDocument();
    expect(screen.getByText('Con fila virtual')).toBeInTheDocument();
    await user.click(within(zones).getByRole('link', { name: 'Entrar en la fila' }));
    // Signed out: the queue asks to sign in first, and comes back.
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(new URLSearchParams(router.state.location.search).get('next')).toBe(QUEUE_PAGE);
  });

  it('says when the room opens, while it is not open yet', async () => {
    mockFetch({
      [PATH]: () => jsonResponse(eventBody({ sales: { ...SALES, on_sale_at: '2030-01-01T10:00:00Z' } })),
      [`${PATH}/availability`]: () => jsonResponse(availabilityBody()),
    });
    renderRoute(`/events/${EVENT_ID}`);
    const zones = await screen.findByRole('region', { name: 'Zonas y precios' });
    expect(within(zones).getByText(/^La fila virtual abre el 1 de enero de 2030 a las 3:30/)).toBeInTheDocument();
    expect(within(zones).queryByRole('link', { name: 'Entrar en la fila' })).not.toBeInTheDocument();
  });
});

describe('the queue page', () => {
  it('before the on-sale: counts down to the opening and explains that arriving early gives no advantage', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    vi.setSystemTime(new Date('2030-01-01T09:55:00Z'));
    const before = () => jsonResponse(standingBody({ position: null, estimated_wait_seconds: 300, opens_at: '2030-01-01T10:00:00Z' }));
    const fetchMock = edge(before);
    signInAs();
    renderRoute(QUEUE_PAGE);

    expect(await screen.findByRole('heading', { name: 'Ya estás en la fila' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(screen.getByRole('timer', { name: 'La venta empieza en' })).toHaveTextContent(/^0[45]:\d\d$/);
    expect(screen.getByText(/Llegar antes no da ventaja: al empezar la venta sortearemos el orden/)).toBeInTheDocument();
    expect(screen.getByRole('status', { name: '' })).toBeInTheDocument();
    expect(screen.getByText('Estás en la fila. El orden se sorteará al empezar la venta.')).toBeInTheDocument();
    // The entry is kept for this event, so a reload keeps the place.
    expect(sessionStorage.getItem(STORAGE_KEY)).toBe('q1');
    expect(calls(fetchMock, `${PATH}/queue`, 'POST')).toHaveLength(1);

    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(screen.getByRole('timer', { name: 'La venta empieza en' })).toHaveTextContent(/^0[34]:\d\d$/);
    // It polls the entry it joined, not the room again.
    expect(calls(fetchMock, '/api/v1/queue/q1').length).toBeGreaterThan(5);
    expect(calls(fetchMock, `${PATH}/queue`, 'POST')).toHaveLength(1);
  });

  it('waiting: shows the place, the progress and the wait, polls every few seconds (not while hidden), and goes on by itself when admitted', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    sessionStorage.setItem(STORAGE_KEY, 'q1');
    const answers = [
      () => jsonResponse(standingBody({ position: 42, estimated_wait_seconds: 150 })),
      () => jsonResponse(standingBody({ position: 21, estimated_wait_seconds: 30 })),
    ];
    let polls = 0;
    let turn = false;
    const fetchMock = edge(
      () => problem(500),
      () => {
        polls += 1;
        return turn ? jsonResponse(admitted()) : answers[Math.min(polls - 1, answers.length - 1)]!();
      },
    );
    signInAs();
    renderRoute(QUEUE_PAGE);

    // A stored entry (a reload) is read again, not joined anew.
    expect(await screen.findByTestId('queue-position')).toHaveTextContent('42');
    expect(calls(fetchMock, `${PATH}/queue`, 'POST')).toHaveLength(0);
    expect(screen.getByText('alrededor de 3 minutos')).toBeInTheDocument();
    const status = screen.getByText('Tu posición en la fila: 42. Espera estimada: alrededor de 3 minutos.');
    expect(status).toHaveAttribute('role', 'status');
    const progress = screen.getByRole('progressbar', { name: 'Avance en la fila' });
    expect(progress).toHaveAttribute('value', '1');

    await act(() => vi.advanceTimersByTimeAsync(3_000));
    await waitFor(() => expect(screen.getByTestId('queue-position')).toHaveTextContent('21'));
    expect(screen.getByText('menos de un minuto')).toBeInTheDocument();
    expect(progress).toHaveAttribute('value', '22');
    expect(progress).toHaveAttribute('max', '42');
    // Screen readers are not told every poll.
    expect(status).toHaveTextContent('Tu posición en la fila: 42.');

    // Hidden tab: no polling.
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    const before = polls;
    await act(() => vi.advanceTimersByTimeAsync(15_000));
    expect(polls).toBe(before);

    turn = true;
    visibility.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    const heading = await screen.findByRole('heading', { name: '¡Es tu turno!' });
    await waitFor(() => expect(heading).toHaveFocus());
    expect(status).toHaveTextContent('Es tu turno: ya puedes elegir tus entradas.');
    const turnRegion = screen.getByRole('region', { name: '¡Es tu turno!' });
    expect(await within(turnRegion).findByRole('button', { name: 'Reservar' })).toBeInTheDocument();
    expect(within(turnRegion).getByLabelText('Entradas de General')).toBeInTheDocument();
  });

  it('sends the admission with the reservation, and keeps it renewed while the panel is open', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let sent: { admission: string | null; key: string | null } | undefined;
    let polls = 0;
    edge(
      () => jsonResponse(admitted()),
      () => {
        polls += 1;
        return jsonResponse(admitted({ admission: `adm-${polls + 1}` }));
      },
      {
        '/api/v1/reservations': (request) => {
          sent = { admission: request.headers.get('Admission'), key: request.headers.get('Idempotency-Key') };
          return jsonResponse(reservationBody(), { status: 201 });
        },
      },
    );
    signInAs();
    const { user } = renderRoute(QUEUE_PAGE);
    const turn = await screen.findByRole('region', { name: '¡Es tu turno!' });
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    await waitFor(() => expect(polls).toBe(1));

    await user.click(await within(turn).findByRole('button', { name: 'Una entrada más de General' }));
    await user.click(within(turn).getByRole('button', { name: 'Reservar' }));
    const hold = await within(turn).findByRole('article', { name: 'Tu reserva' });
    expect(within(hold).getByRole('timer')).toBeInTheDocument();
    // The latest admission, renewed by the poll.
    expect(sent?.admission).toBe('adm-2');
    expect(sent?.key).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends the buyer back to the queue when the admission is refused', async () => {
    sessionStorage.setItem(STORAGE_KEY, 'q1');
    let joins = 0;
    const fetchMock = edge(
      () => {
        joins += 1;
        return jsonResponse(standingBody({ position: 3, estimated_wait_seconds: 1 }));
      },
      () => jsonResponse(admitted()),
      {
        '/api/v1/reservations': () =>
          problem(403, { type: `${PROBLEMS}admission-required`, detail: 'Your admission has expired: join the queue again.' }),
      },
    );
    signInAs();
    const { user } = renderRoute(QUEUE_PAGE);
    const turn = await screen.findByRole('region', { name: '¡Es tu turno!' });
    await user.click(await within(turn).findByRole('button', { name: 'Una entrada más de VIP' }));
    await user.click(within(turn).getByRole('button', { name: 'Reservar' }));

    expect(await screen.findByText('Tu turno ha caducado: vuelves a la fila.')).toBeInTheDocument();
    expect(await screen.findByTestId('queue-position')).toHaveTextContent('3');
    expect(joins).toBe(1);
    expect(calls(fetchMock, `${PATH}/queue`, 'POST')).toHaveLength(1);
    expect(screen.queryByText(/join the queue again/)).not.toBeInTheDocument();
  });

  it('shows a clear message when the event sells out, and stops polling', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const fetchMock = edge(() => jsonResponse(standingBody({ status: 'sold_out', position: null, estimated_wait_seconds: null })));
    signInAs();
    renderRoute(QUEUE_PAGE);
    expect(await screen.findByRole('heading', { name: 'Entradas agotadas' })).toBeInTheDocument();
    expect(screen.getAllByText('Lo sentimos: ya no quedan entradas para este evento.').length).toBeGreaterThan(0);
    expect(screen.getAllByRole('link', { name: 'Volver al evento' }).length).toBeGreaterThan(0);
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(calls(fetchMock, '/api/v1/queue/q1')).toHaveLength(0);
  });

  it('explains a room that is not open (409 no-waiting-room) and a room out of reach (503), in English too', async () => {
    useUiStore.setState({ locale: 'en' });
    edge(() => problem(409, { type: `${PROBLEMS}no-waiting-room`, detail: 'The waiting room is not open yet' }));
    signInAs();
    const { unmount } = renderRoute(QUEUE_PAGE);
    expect(await screen.findByRole('heading', { name: 'The waiting room is not open yet' })).toBeInTheDocument();
    expect(screen.getByText(/^It opens on 1 January 2030/)).toBeInTheDocument();
    unmount();

    edge(() => problem(503, { detail: 'Service unavailable' }));
    renderRoute(QUEUE_PAGE);
    expect(await screen.findByRole('heading', { name: "We can't reach the waiting room" })).toBeInTheDocument();
  });
});
