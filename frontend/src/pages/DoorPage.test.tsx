import 'fake-indexeddb/auto';

import { screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import vectors from '@/door/fixtures/ticket-secrets.json';
import { SESSION_HINT_KEY } from '@/auth/session';
import { closeDoorStoreForTests } from '@/door/store';
import { useAuthStore } from '@/store/auth';
import { useUiStore } from '@/store/ui';
import { eventBody, ORG_ID } from '@/test/events';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

vi.setConfig({ testTimeout: 20_000 });

const SESSION = vectors.session_id;
const { valid, altered } = vectors.secrets;
const PACK_PATH = `/api/v1/sessions/${SESSION}/checkin-pack`;

function packBody(overrides: Record<string, unknown> = {}) {
  return {
    session_id: SESSION,
    event_id: eventBody().id,
    event_name: 'Noche de Jazz en el Foro',
    session_starts_at: '2026-12-24T20:00:00Z',
    keys: vectors.keys,
    tickets: [{ id: valid.ticket_id, zone: 'General', zone_id: vectors.zone_id, holder_name: 'Ana Gómez', status: 'valid' }],
    revoked: [],
    admitted: 41,
    capacity: 300,
    cursor: 'c1',
    complete: true,
    ...overrides,
  };
}

function checkinAnswer(result: string, admitted: number) {
  return {
    result,
    ticket: { id: valid.ticket_id, zone: 'General', zone_id: vectors.zone_id, holder_name: 'Ana Gómez' },
    first_scan: result === 'already_redeemed' ? { at: '2026-12-24T21:00:00Z', device_id: 'door-a' } : null,
    scanned_at: '2026-12-24T21:30:00Z',
    admitted,
    capacity: 300,
  };
}

/** Paste the code into the manual entry field (typing 199 characters one by one is slow in jsdom). */
async function enter(user: ReturnType<typeof renderRoute>['user'], code: string) {
  await user.click(screen.getByLabelText('Código de la entrada'));
  await user.paste(code);
}

async function seriousViolations() {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } }, resultTypes: ['violations'] });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
}

beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory());
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  // The tickets of the fixture are valid on the night of 2026-12-24 (UTC).
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.parse('2026-12-24T21:30:00Z'));
});

afterEach(async () => {
  vi.useRealTimers();
  await closeDoorStoreForTests();
});

describe('DoorPage', () => {
  it("lists the organization's sessions for the staff to choose one", async () => {
    mockFetch({ '/api/v1/organizations/me/events': () => jsonResponse({ items: [eventBody()], next_cursor: null }) });
    signInAs({ role: 'staff', organization_id: ORG_ID });
    renderRoute('/door');
    expect(await screen.findByRole('heading', { level: 1, name: 'Control de acceso' })).toBeInTheDocument();
    const sessions = await screen.findByRole('region', { name: 'Sesiones de tu organización' });
    const links = within(sessions).getAllByRole('link', { name: /^Abrir puerta: Noche de Jazz en el Foro/ });
    expect(links[0]).toHaveAttribute('href', `/door/${eventBody().sessions[0]?.id ?? ''}`);
    expect(screen.getByRole('link', { name: 'Puerta' })).toHaveAttribute('href', '/door');
    expect(await seriousViolations()).toEqual([]);
  });

  it('opens a door by session id for an admin outside any organization', async () => {
    mockFetch({ '/api/v1/organizations/me/events': () => problem(403), [PACK_PATH]: () => jsonResponse(packBody()) });
    signInAs({ role: 'admin' });
    const { user, router } = renderRoute('/door');
    expect(await screen.findByRole('heading', { name: /no pertenece a ninguna organización/ })).toBeInTheDocument();
    await user.type(screen.getByLabelText('Identificador de la sesión'), 'nope');
    await user.click(screen.getByRole('button', { name: 'Abrir puerta' }));
    expect(screen.getByText('Debe ser un identificador (UUID).')).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Identificador de la sesión'));
    await user.type(screen.getByLabelText('Identificador de la sesión'), SESSION);
    await user.click(screen.getByRole('button', { name: 'Abrir puerta' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/door/${SESSION}`));
  });

  it('sends customers away', async () => {
    signInAs({ role: 'customer' });
    const { router } = renderRoute('/door');
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
  });
});

describe('DoorStationPage', () => {
  it('checks a typed code with the edge: a big green answer with the holder, and the counters', async () => {
    const scans: unknown[] = [];
    mockFetch({
      [PACK_PATH]: () => jsonResponse(packBody()),
      '/api/v1/checkins': async (request) => {
        scans.push(await request.json());
        return jsonResponse(scans.length === 1 ? checkinAnswer('ok', 42) : checkinAnswer('already_redeemed', 42));
      },
    });
    signInAs({ role: 'staff', organization_id: ORG_ID });
    const { user } = renderRoute(`/door/${SESSION}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Puerta: Noche de Jazz en el Foro' }, { timeout: 5000 })).toBeInTheDocument();
    expect(await screen.findByText('En línea')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('41'));
    expect(screen.getByText('Aforo').nextElementSibling).toHaveTextContent('300');
    expect(screen.getByRole('link', { name: 'Entradas admitidas dos veces' })).toHaveAttribute('href', `/events/${eventBody().id}/checkin-conflicts`);

    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    const answer = await screen.findByText('Puede pasar');
    const panel = answer.closest('[data-result]') as HTMLElement;
    expect(panel).toHaveAttribute('data-result', 'ok');
    expect(panel).toHaveClass('bg-green-700');
    expect(within(panel).getByText('Ana Gómez')).toBeInTheDocument();
    expect(within(panel).getByText('Zona: General')).toBeInTheDocument();
    expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('42');
    expect(screen.getByLabelText('Código de la entrada')).toHaveValue('');
    expect(scans[0]).toMatchObject({ secret: valid.secret, session_id: SESSION, type: 'entry' });

    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    const used = await screen.findByText('Entrada ya usada');
    expect(used.closest('[data-result]')).toHaveClass('bg-red-700');
    expect(screen.getByText(/Primera lectura: .* en door-a/)).toBeInTheDocument();
    expect(await seriousViolations()).toEqual([]);
  });

  it('decides on the device with no network, says so, and uploads the entries once it is back', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()) });
    signInAs({ role: 'staff', organization_id: ORG_ID });
    const { user } = renderRoute(`/door/${SESSION}`);
    await waitFor(() => expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('41'));

    const onLine = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    window.dispatchEvent(new Event('offline'));
    expect(await screen.findByText('Sin conexión: decide este dispositivo')).toBeInTheDocument();

    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    expect(await screen.findByText('Puede pasar')).toBeInTheDocument();
    expect(screen.getByText('Decidido en este dispositivo, sin conexión')).toBeInTheDocument();
    expect(screen.getByText('1 entrada pendiente de subir')).toBeInTheDocument();
    expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('42');

    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    expect(await screen.findByText('Entrada ya usada')).toBeInTheDocument();
    await enter(user, altered.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    expect(await screen.findByText('Entrada no válida')).toBeInTheDocument();

    const uploads: unknown[] = [];
    mockFetch({
      [PACK_PATH]: () => jsonResponse(packBody({ admitted: 42, tickets: [] })),
      '/api/v1/checkins:batch': async (request) => {
        uploads.push(await request.json());
        return jsonResponse({ results: [{ ...checkinAnswer('already_redeemed', 42), nonce: 'x', conflict: true }] });
      },
    });
    onLine.mockReturnValue(true);
    window.dispatchEvent(new Event('online'));
    expect(await screen.findByText('0 entradas pendientes de subir')).toBeInTheDocument();
    expect(await screen.findByText('En línea')).toBeInTheDocument();
    expect(uploads).toHaveLength(1);
    const warnings = screen.getByRole('region', { name: 'Avisos de la sincronización' });
    expect(within(warnings).getByText(/Conflicto: admitida antes en otro dispositivo/)).toBeInTheDocument();
    expect(await seriousViolations()).toEqual([]);
  });

  it('records exits when switched to them, online and offline, and counts the holder out', async () => {
    const scans: { type: string }[] = [];
    mockFetch({
      [PACK_PATH]: () => jsonResponse(packBody()),
      '/api/v1/checkins': async (request) => {
        const body = (await request.json()) as { type: string };
        scans.push(body);
        return jsonResponse(checkinAnswer('ok', body.type === 'exit' ? 41 : 42));
      },
    });
    signInAs({ role: 'staff', organization_id: ORG_ID });
    const { user } = renderRoute(`/door/${SESSION}`);
    await waitFor(() => expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('41'));
    const direction = screen.getByRole('group', { name: 'Sentido' });
    expect(within(direction).getByRole('radio', { name: 'Entrada' })).toBeChecked();

    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    expect(await screen.findByText('Puede pasar')).toBeInTheDocument();
    expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('42');

    await user.click(within(direction).getByRole('radio', { name: 'Salida' }));
    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    const out = await screen.findByText('Salida registrada');
    expect(out.closest('[data-result]')).toHaveAttribute('data-type', 'exit');
    expect(out.closest('[data-result]')).toHaveClass('bg-sky-800');
    expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('41');
    expect(scans.map((scan) => scan.type)).toEqual(['entry', 'exit']);

    // Offline: out already, so this exit is refused, with the edge's words for a ticket not inside.
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    window.dispatchEvent(new Event('offline'));
    expect(await screen.findByText('Sin conexión: decide este dispositivo')).toBeInTheDocument();
    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    expect(await screen.findByText('No está dentro')).toBeInTheDocument();
    expect(screen.getByText('Esta entrada no consta dentro: no entró o ya salió.')).toBeInTheDocument();
    expect(screen.getByText('0 entradas pendientes de subir')).toBeInTheDocument();
    expect(await seriousViolations()).toEqual([]);
  });

  it('opens on what the device holds when the page loaded offline', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()) });
    signInAs({ role: 'staff', organization_id: ORG_ID });
    const first = renderRoute(`/door/${SESSION}`);
    await waitFor(() => expect(screen.getByText('Dentro').nextElementSibling).toHaveTextContent('41'));
    first.unmount();

    // A reload with no network: the refresh cookie waits in the browser, nobody is signed in yet.
    useAuthStore.getState().reset();
    localStorage.setItem(SESSION_HINT_KEY, '1');
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    const fetchMock = mockFetch({});
    const { user } = renderRoute(`/door/${SESSION}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Puerta: Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(screen.getByText('Sin conexión: decide este dispositivo')).toBeInTheDocument();
    await enter(user, valid.secret);
    await user.click(screen.getByRole('button', { name: 'Comprobar' }));
    expect(await screen.findByText('Puede pasar')).toBeInTheDocument();
    expect(fetchMock.mock.calls.map(([url]) => (typeof url === 'string' ? url : url instanceof URL ? url.href : url.url)).filter((url) => url.includes('checkin'))).toEqual([]);
  });

  it('sends customers away from a door, and visitors to sign in', async () => {
    signInAs({ role: 'customer' });
    const customer = renderRoute(`/door/${SESSION}`);
    await waitFor(() => expect(customer.router.state.location.pathname).toBe('/'));
    customer.unmount();
    useAuthStore.getState().reset();
    const visitor = renderRoute(`/door/${SESSION}`);
    await waitFor(() => expect(visitor.router.state.location.pathname).toBe('/login'));
  });

  it('says when the session is not theirs, in English too', async () => {
    useUiStore.setState({ locale: 'en' });
    mockFetch({ [PACK_PATH]: () => problem(404) });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(`/door/${SESSION}`);
    expect(await screen.findByRole('heading', { name: 'This session does not exist or is not yours.' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Change session' })).toHaveAttribute('href', '/door');
  });
});
