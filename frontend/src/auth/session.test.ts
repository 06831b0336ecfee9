import { screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { api, apiRequest } from '@/api/client';
import { useAuthStore } from '@/store/auth';
import { useToastStore } from '@/store/toasts';
import { jsonResponse, mockFetch, problem, renderRoute, userBody } from '@/test/utils';

import { challengeOf } from './pkce';
import {
  followSignOutsOfOtherTabs,
  login,
  logout,
  REFRESH_LOCK,
  refreshSession,
  restoreSession,
  SESSION_CHANNEL,
  SESSION_HINT_KEY,
} from './session';

function tokenBody(n: number, expiresIn = 900) {
  return { access_token: `access-${n}`, token_type: 'Bearer', expires_in: expiresIn, refresh_token: `refresh-${n}`, scope: '' };
}

/**
 * An edge that keeps the refresh token in its cookie (here: the browser's jar, modelled by
 * `jar.cookie`): the code exchange sets it, a refresh rotates it, a reused one revokes the family.
 */
function fakeEdge(options: { delayMs?: number } = {}) {
  let issued = 0;
  const valid = new Set<string>();
  const jar = { cookie: null as string | null };
  const refreshCalls: string[] = [];
  const bearerSeen: (string | null)[] = [];
  const grant = () => {
    issued += 1;
    valid.add(`refresh-${issued}`);
    jar.cookie = `refresh-${issued}`;
    const { refresh_token: _inCookie, ...body } = tokenBody(issued);
    return body;
  };
  const codes = new Map<string, string>();
  const fetchMock = mockFetch({
    '/api/v1/auth/authorize': async (request) => {
      const form = new URLSearchParams(await request.text());
      if (form.get('password') !== 'right-password') {
        return jsonResponse({ error: 'access_denied', error_description: 'wrong email or password' }, { status: 400 });
      }
      const code = `code-${codes.size + 1}`;
      codes.set(code, form.get('code_challenge') ?? '');
      const state = form.get('state') ?? '';
      return jsonResponse({ code, state, expires_in: 60, redirect_to: `${form.get('redirect_uri')}?code=${code}&state=${state}` });
    },
    '/api/v1/auth/token': async (request) => {
      if (request.headers.get('X-Taquilla-CSRF') !== '1') {
        return jsonResponse({ error: 'invalid_request', error_description: 'csrf' }, { status: 403 });
      }
      const form = new URLSearchParams(await request.text());
      if (form.get('grant_type') === 'authorization_code') {
        const challenge = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!challenge || challenge !== (await challengeOf(form.get('code_verifier') ?? ''))) {
          return jsonResponse({ error: 'invalid_grant', error_description: 'bad code' }, { status: 400 });
        }
        return jsonResponse(grant());
      }
      expect(form.has('refresh_token')).toBe(false); // script never sees it: the cookie carries it
      const token = jar.cookie ?? '';
      refreshCalls.push(token);
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (!valid.delete(token)) {
        valid.clear(); // reuse revokes the whole family
        jar.cookie = null;
        return jsonResponse({ error: 'invalid_grant', error_description: 'refresh token reused' }, { status: 400 });
      }
      return jsonResponse(grant());
    },
    '/api/v1/users/me': () => jsonResponse(userBody({ role: 'organizer' })),
    '/api/v1/auth/logout': () => {
      valid.clear();
      jar.cookie = null;
      return new Response(null, { status: 204 });
    },
    '/api/v1/protected': (request) => {
      const auth = request.headers.get('Authorization');
      bearerSeen.push(auth);
      // Only the newest access token is accepted.
      return auth === `Bearer access-${issued}` ? jsonResponse({ ok: true }) : problem(401);
    },
  });
  return { fetchMock, refreshCalls, bearerSeen, jar, get issued() { return issued; } };
}

describe('session', () => {
  beforeEach(() => {
    vi.useRealTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('signs in: access token in memory, refresh token only in the cookie, a hint in localStorage', async () => {
    const edge = fakeEdge();
    const user = await login('ana@example.org', 'right-password');
    expect(user.role).toBe('organizer');
    expect(useAuthStore.getState()).toMatchObject({ status: 'authenticated', accessToken: 'access-1' });
    expect(edge.jar.cookie).toBe('refresh-1');
    expect(localStorage.getItem(SESSION_HINT_KEY)).toBe('1');
    for (const storage of [localStorage, sessionStorage]) {
      expect(JSON.stringify(storage)).not.toContain('refresh-1');
      expect(JSON.stringify(storage)).not.toContain('access-1');
    }
  });

  it('turns a wrong password into an invalid_grant error and stays signed out', async () => {
    fakeEdge();
    await expect(login('ana@example.org', 'nope')).rejects.toMatchObject({ status: 400, title: 'access_denied' });
    expect(useAuthStore.getState().status).toBe('anonymous');
    expect(localStorage.getItem(SESSION_HINT_KEY)).toBeNull();
  });

  it('single-flights concurrent refreshes: one grant, the cookie rotated', async () => {
    const edge = fakeEdge({ delayMs: 20 });
    await login('ana@example.org', 'right-password');
    const results = await Promise.all([refreshSession(), refreshSession(), refreshSession()]);
    expect(edge.refreshCalls).toEqual(['refresh-1']);
    expect(results).toEqual(['access-2', 'access-2', 'access-2']);
    expect(edge.jar.cookie).toBe('refresh-2');
    // The next refresh uses the rotated token.
    await refreshSession();
    expect(edge.refreshCalls).toEqual(['refresh-1', 'refresh-2']);
  });

  it('refreshes once and retries when several requests get 401 at the same time', async () => {
    const edge = fakeEdge({ delayMs: 20 });
    await login('ana@example.org', 'right-password');
    // The server rotated the signing key: the current access token is no longer accepted.
    useAuthStore.getState().setTokens('stale-token', Date.now() + 600_000);
    const replies = await Promise.all([1, 2, 3, 4].map(() => api.get('/api/v1/protected')));
    expect(replies).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
    expect(edge.refreshCalls).toEqual(['refresh-1']);
    expect(edge.bearerSeen.filter((b) => b === 'Bearer access-2')).toHaveLength(4);
    expect(useAuthStore.getState().status).toBe('authenticated');
  });

  it('refreshes before a request when the access token is about to expire', async () => {
    const edge = fakeEdge();
    await login('ana@example.org', 'right-password');
    useAuthStore.getState().setTokens('access-1', Date.now() + 5_000);
    await expect(api.get('/api/v1/protected')).resolves.toEqual({ ok: true });
    expect(edge.refreshCalls).toEqual(['refresh-1']);
    expect(edge.bearerSeen).toEqual(['Bearer access-2']);
  });

  it('renews the access token on a timer a minute before it expires', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const edge = fakeEdge();
    await login('ana@example.org', 'right-password');
    expect(edge.refreshCalls).toEqual([]);
    await vi.advanceTimersByTimeAsync(840_000 + 10);
    expect(edge.refreshCalls).toEqual(['refresh-1']);
    expect(useAuthStore.getState().accessToken).toBe('access-2');
  });

  it('signs out with a notice when the refresh token is refused', async () => {
    const edge = fakeEdge();
    await login('ana@example.org', 'right-password');
    edge.jar.cookie = 'reused-token';
    useAuthStore.getState().setTokens('stale-token', Date.now() + 600_000);
    await expect(apiRequest('/api/v1/protected')).rejects.toMatchObject({ status: 401 });
    expect(useAuthStore.getState()).toMatchObject({ status: 'anonymous', user: null, accessToken: null });
    expect(localStorage.getItem(SESSION_HINT_KEY)).toBeNull();
    expect(useToastStore.getState().toasts.map((t) => t.message)).toContain('Tu sesión ha caducado. Vuelve a iniciar sesión.');
  });

  it('restores a session from the refresh cookie after a reload or in a new tab', async () => {
    const edge = fakeEdge();
    await login('ana@example.org', 'right-password');
    // A reload, or another tab: memory is gone, the cookie and the hint stay.
    useAuthStore.getState().reset();
    await restoreSession();
    expect(edge.refreshCalls).toEqual(['refresh-1']);
    expect(useAuthStore.getState()).toMatchObject({ status: 'authenticated', accessToken: 'access-2' });
    expect(useAuthStore.getState().user?.email).toBe('ana@example.org');
  });

  it('logout revokes the refresh family at the edge and clears everything', async () => {
    const edge = fakeEdge();
    await login('ana@example.org', 'right-password');
    await logout();
    const call = edge.fetchMock.mock.calls.find(([url]) => url === '/api/v1/auth/logout');
    expect(call).toBeDefined();
    const init = call?.[1];
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer access-1');
    expect(init?.body).toBe('{}'); // the cookie names the family
    expect(edge.jar.cookie).toBeNull();
    expect(useAuthStore.getState()).toMatchObject({ status: 'anonymous', user: null, accessToken: null });
    expect(localStorage.getItem(SESSION_HINT_KEY)).toBeNull();
  });

  it('takes turns with the other tabs to refresh, so no two send the same cookie', async () => {
    const edge = fakeEdge({ delayMs: 20 });
    await login('ana@example.org', 'right-password');
    const turns: string[] = [];
    const request = vi.fn(async (name: string, work: () => Promise<unknown>) => {
      turns.push(name);
      return work();
    });
    vi.stubGlobal('navigator', { ...navigator, locks: { request } });
    await refreshSession();
    expect(turns).toEqual([REFRESH_LOCK]);
    expect(edge.refreshCalls).toEqual(['refresh-1']);
  });

  it('tells the other tabs of the browser who signed out', async () => {
    fakeEdge();
    const otherTab = new BroadcastChannel(SESSION_CHANNEL);
    const news: unknown[] = [];
    const heard = new Promise<unknown>((resolve) => {
      otherTab.onmessage = (event: MessageEvent<{ type: string }>) => {
        news.push(event.data);
        if (event.data.type === 'signed-out') resolve(event.data);
      };
    });
    try {
      await login('ana@example.org', 'right-password');
      await logout();
      expect(await heard).toEqual({ type: 'signed-out', userId: userBody().id });
      expect(news[0]).toEqual({ type: 'signed-in', userId: userBody().id }); // the sign-in was news too
    } finally {
      otherTab.close();
    }
  });

  it('signs out when another tab signs out the same user, not another one', async () => {
    const edge = fakeEdge();
    await login('ana@example.org', 'right-password');
    const stop = followSignOutsOfOtherTabs();
    const otherTab = new BroadcastChannel(SESSION_CHANNEL);
    try {
      otherTab.postMessage({ type: 'signed-out', userId: '00000000-0000-4000-8000-0000000000ff' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(useAuthStore.getState().status).toBe('authenticated');

      otherTab.postMessage({ type: 'signed-out', userId: userBody().id });
      await vi.waitFor(() => expect(useAuthStore.getState().status).toBe('anonymous'));
      expect(localStorage.getItem(SESSION_HINT_KEY)).toBeNull();
      expect(edge.fetchMock.mock.calls.some(([url]) => url === '/api/v1/auth/logout')).toBe(true);
      await vi.waitFor(() =>
        expect(useToastStore.getState().toasts.map((t) => t.message)).toContain('Cerraste sesión en otra pestaña.'),
      );
    } finally {
      otherTab.close();
      stop();
    }
  });
});

describe('a sign-in in another tab', () => {
  it('signs this tab in from the shared cookie', async () => {
    const edge = fakeEdge();
    const stop = followSignOutsOfOtherTabs();
    const otherTab = new BroadcastChannel(SESSION_CHANNEL);
    try {
      await login('ana@example.org', 'right-password');
      useAuthStore.getState().reset(); // this tab had not signed in
      otherTab.postMessage({ type: 'signed-in', userId: userBody().id });
      await vi.waitFor(() => expect(useAuthStore.getState().status).toBe('authenticated'));
      expect(edge.refreshCalls).toEqual(['refresh-1']);
    } finally {
      otherTab.close();
      stop();
    }
  });
});

describe('protected routes while a session is restored', () => {
  it('waits for the refresh, then shows the page', async () => {
    mockFetch({
      '/api/v1/auth/token': async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        const { refresh_token: _inCookie, ...body } = tokenBody(7);
        return jsonResponse(body);
      },
      '/api/v1/users/me': () => jsonResponse(userBody({ email: 'kept@example.org' })),
    });
    localStorage.setItem(SESSION_HINT_KEY, '1');
    void restoreSession(); // as main.tsx does before the first render
    const { router } = renderRoute('/me');
    expect(screen.getByText('Recuperando tu sesión…')).toBeInTheDocument();
    expect(await screen.findByText('kept@example.org')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/me');
    expect(useAuthStore.getState().accessToken).toBe('access-7');
  });
});
