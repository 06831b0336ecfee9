/**
 * The browser side of a sign-in: where tokens live, how they are renewed, how they end.
 *
 * Storage choice
 * --------------
 * - The **access token** (an EdDSA JWT valid for 15 minutes) is kept **in memory only**
 *   (the zustand auth store). Nothing long-lived that grants API access sits in storage
 *   readable by other tabs or left on disk.
 * - The **refresh token** is kept in **sessionStorage** so a reload does not sign the user
 *   out. sessionStorage is per tab and is wiped when the tab closes; unlike localStorage it
 *   is not shared between tabs, which matters because refresh tokens rotate on every use and
 *   a reused one revokes the whole session: two tabs sharing one token would race and sign
 *   each other out. (A duplicated tab starts with a copy; whichever tab refreshes second is
 *   signed out cleanly and asked to sign in again.)
 * - Trade-off: script injected into the page (XSS) could read sessionStorage. An HttpOnly
 *   cookie would avoid that but needs the edge to issue and accept cookies (plus CSRF
 *   protection); the edge speaks bearer tokens only today. CSP (`script-src 'self'`, see
 *   nginx.conf) and React's escaping are the mitigations.
 *
 * Renewal
 * -------
 * - `refreshSession()` is **single-flight**: concurrent callers share one in-flight refresh,
 *   so a rotating refresh token is never sent twice.
 * - A timer renews the access token a minute before it expires, and the API client renews it
 *   before sending a request if it is about to expire (timers stall in background tabs).
 * - A 401 on a request that carried a token triggers one refresh and one retry; if another
 *   request already refreshed meanwhile, the new token is reused without refreshing again.
 * - A refresh the server refuses (`invalid_grant`) signs the user out with a notice.
 *
 * `logout()` revokes the token family at the edge, then clears memory, sessionStorage and
 * (through AppProviders) the query cache. It also tells the other tabs of this browser (a
 * BroadcastChannel): each tab signed in as the same user signs out too, revoking its own
 * session, so "sign out" leaves no tab of that user signed in.
 */
import {
  authorizationCodeGrant,
  authorize,
  isOAuthError,
  refreshGrant,
  revokeSession,
  WEB_CLIENT_ID,
  type TokenGrant,
} from '@/api/auth';
import { configureAuth, isApiError } from '@/api/client';
import { fetchMe, type User } from '@/api/users';
import { challengeOf, randomToken } from '@/auth/pkce';
import { dictionaries } from '@/i18n';
import { useAuthStore, type SessionUser } from '@/store/auth';
import { toast } from '@/store/toasts';
import { useUiStore } from '@/store/ui';

export const REFRESH_STORAGE_KEY = 'taquilla.refresh';
/** Renew this long before the access token expires. */
export const REFRESH_LEEWAY_MS = 60_000;
/** The client refreshes before a request when the token has less than this left. */
export const REQUEST_LEEWAY_MS = 15_000;

// ---------------------------------------------------------------- refresh token storage

export const refreshTokenStore = {
  get(): string | null {
    try {
      return sessionStorage.getItem(REFRESH_STORAGE_KEY);
    } catch {
      return null;
    }
  },
  set(token: string | null): void {
    try {
      if (token) sessionStorage.setItem(REFRESH_STORAGE_KEY, token);
      else sessionStorage.removeItem(REFRESH_STORAGE_KEY);
    } catch {
      // Storage disabled (private mode quotas): the session then ends with the page.
    }
  },
};

// ---------------------------------------------------------------- helpers

function toSessionUser(user: User): SessionUser {
  return { id: user.id, email: user.email, fullName: user.fullName, role: user.role, organizationId: user.organizationId };
}

function messages() {
  return dictionaries[useUiStore.getState().locale];
}

let refreshTimer: ReturnType<typeof setTimeout> | null = null;

function cancelRefreshTimer(): void {
  if (refreshTimer !== null) clearTimeout(refreshTimer);
  refreshTimer = null;
}

function scheduleRefresh(expiresAt: number): void {
  cancelRefreshTimer();
  if (!refreshTokenStore.get()) return;
  const delay = Math.max(5_000, expiresAt - Date.now() - REFRESH_LEEWAY_MS);
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshSession().catch(() => undefined);
  }, delay);
}

function applyGrant(grant: TokenGrant): string {
  const expiresAt = Date.now() + grant.expiresIn * 1000;
  if (grant.refreshToken) refreshTokenStore.set(grant.refreshToken);
  useAuthStore.getState().setTokens(grant.accessToken, expiresAt);
  scheduleRefresh(expiresAt);
  return grant.accessToken;
}

/** Forget everything about the session in this tab (memory, sessionStorage, timer). */
export function clearSession(): void {
  cancelRefreshTimer();
  inflight = null;
  refreshTokenStore.set(null);
  useAuthStore.getState().reset();
}

// ---------------------------------------------------------------- refresh (single-flight)

let inflight: Promise<string | null> | null = null;
/** Counts refresh grants actually sent (tests assert single-flight with it). */
let generation = 0;

async function doRefresh(): Promise<string | null> {
  const refreshToken = refreshTokenStore.get();
  if (!refreshToken) return null;
  const started = generation;
  try {
    const grant = await refreshGrant(refreshToken);
    // Signed out (or signed in anew) while the refresh was in flight: drop its result.
    if (started !== generation) return useAuthStore.getState().accessToken;
    return applyGrant(grant);
  } catch (error) {
    if (isOAuthError(error) || (isApiError(error) && (error.status === 400 || error.status === 401))) {
      const wasSignedIn = useAuthStore.getState().user !== null;
      clearSession();
      if (wasSignedIn) toast.info(messages().auth.sessionExpired);
      return null;
    }
    throw error; // network trouble or 503: keep the refresh token, the caller sees the error
  }
}

/** Exchange the refresh token for new tokens. Concurrent calls share one request. */
export function refreshSession(): Promise<string | null> {
  inflight ??= doRefresh().finally(() => {
    inflight = null;
  });
  return inflight;
}

// ---------------------------------------------------------------- hooks used by the API client

async function getAccessToken(): Promise<string | null> {
  const { accessToken, expiresAt } = useAuthStore.getState();
  if (inflight) return inflight.catch(() => useAuthStore.getState().accessToken);
  if (accessToken && expiresAt !== null && expiresAt - Date.now() < REQUEST_LEEWAY_MS && refreshTokenStore.get()) {
    return refreshSession().catch(() => accessToken);
  }
  return accessToken;
}

async function onUnauthorized(usedToken: string): Promise<string | null> {
  const current = useAuthStore.getState().accessToken;
  // Another request refreshed while this one was in flight: retry with its token.
  if (current && current !== usedToken) return current;
  try {
    return await refreshSession();
  } catch {
    return null;
  }
}

configureAuth({ getAccessToken, onUnauthorized });

// ---------------------------------------------------------------- sign in, restore, sign out

/** Where the platform sends this app back with a code: its own sign-in page (a registered URI). */
export function webRedirectUri(): string {
  return `${window.location.origin}/login`;
}

/**
 * Sign-in with the authorization code flow and PKCE (S256): the credentials and the verifier's
 * challenge buy a one-time code, which the verifier (never sent before) exchanges for tokens; then
 * the profile. Throws ApiError (OAuth code in `title`: `access_denied` for wrong credentials).
 */
async function codeFlowGrant(email: string, password: string): Promise<TokenGrant> {
  const verifier = randomToken();
  const state = randomToken();
  const redirectUri = webRedirectUri();
  const { code, state: returned } = await authorize(email, password, {
    clientId: WEB_CLIENT_ID,
    redirectUri,
    codeChallenge: await challengeOf(verifier),
    state,
  });
  if (returned !== state) throw new Error('the sign-in answered another request');
  return authorizationCodeGrant(code, verifier, redirectUri);
}

export async function login(email: string, password: string): Promise<SessionUser> {
  generation += 1;
  cancelRefreshTimer();
  const grant = await codeFlowGrant(email, password);
  try {
    const user = toSessionUser(await fetchMe(undefined, grant.accessToken));
    applyGrant(grant);
    useAuthStore.getState().setUser(user);
    return user;
  } catch (error) {
    clearSession();
    throw error;
  }
}

let restoring: Promise<void> | null = null;

/** On start-up: turn a refresh token left in sessionStorage back into a session. */
export function restoreSession(): Promise<void> {
  if (restoring) return restoring;
  const store = useAuthStore.getState();
  if (store.status === 'authenticated' || !refreshTokenStore.get()) {
    if (store.status === 'restoring') store.setStatus('anonymous');
    return Promise.resolve();
  }
  store.setStatus('restoring');
  restoring = (async () => {
    try {
      const token = await refreshSession();
      if (!token) {
        clearSession();
        return;
      }
      useAuthStore.getState().setUser(toSessionUser(await fetchMe()));
    } catch {
      // Edge unreachable: keep the refresh token for the next load, continue signed out.
      cancelRefreshTimer();
      useAuthStore.getState().reset();
    } finally {
      restoring = null;
    }
  })();
  return restoring;
}

/** Initial status for the store: `restoring` when a refresh token is waiting in this tab. */
export function initialAuthStatus(): 'restoring' | 'anonymous' {
  return refreshTokenStore.get() ? 'restoring' : 'anonymous';
}

// ---------------------------------------------------------------- other tabs

export const SESSION_CHANNEL = 'taquilla.session';
type SignedOut = { type: 'signed-out'; userId: string };

function openChannel(): BroadcastChannel | null {
  return typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(SESSION_CHANNEL);
}

function announceSignOut(userId: string): void {
  const channel = openChannel();
  if (!channel) return;
  channel.postMessage({ type: 'signed-out', userId } satisfies SignedOut);
  channel.close();
}

/**
 * Signs this tab out when another tab of this browser signs the same user out. Returns the
 * function that stops listening.
 */
export function followSignOutsOfOtherTabs(): () => void {
  const channel = openChannel();
  if (!channel) return () => undefined;
  channel.onmessage = (event: MessageEvent<SignedOut>) => {
    const user = useAuthStore.getState().user;
    if (event.data?.type !== 'signed-out' || !user || user.id !== event.data.userId) return;
    void logout({ announce: false }).then(() => toast.info(messages().auth.signedOutElsewhere));
  };
  return () => channel.close();
}

/**
 * Sign out: revoke at the edge (best effort), then forget everything locally; unless
 * `announce` is false, the user's other tabs sign out as well.
 */
export async function logout({ announce = true }: { announce?: boolean } = {}): Promise<void> {
  const userId = useAuthStore.getState().user?.id ?? null;
  if (announce && userId) announceSignOut(userId);
  generation += 1;
  let accessToken = useAuthStore.getState().accessToken;
  const { expiresAt } = useAuthStore.getState();
  if (accessToken && expiresAt !== null && expiresAt - Date.now() < REQUEST_LEEWAY_MS) {
    accessToken = await refreshSession().catch(() => accessToken);
  }
  const refreshToken = refreshTokenStore.get();
  clearSession();
  if (!accessToken) return;
  try {
    await revokeSession(accessToken, refreshToken);
  } catch {
    // Already expired or the edge is away: the tokens are gone from this tab either way.
  }
}

/** Test helper: reset module state between tests. */
export function resetSessionForTests(): void {
  clearSession();
  restoring = null;
  generation += 1;
}
