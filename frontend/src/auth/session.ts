/**
 * The browser side of a sign-in: where tokens live, how they are renewed, how they end.
 *
 * Storage choice (ADR 0007)
 * -------------------------
 * - The **access token** (an EdDSA JWT valid for 15 minutes) is kept **in memory only**
 *   (the zustand auth store). Nothing long-lived that grants API access sits in storage
 *   readable by script or left on disk.
 * - The **refresh token** never reaches script: the edge keeps it in an `HttpOnly; Secure;
 *   SameSite=Strict` cookie scoped to `/api/v1/auth`, set by the code exchange and rotated by
 *   every refresh, which sends the `X-Taquilla-CSRF` header (the edge refuses cookie requests
 *   without it, or from another origin). Script injected into the page (XSS) can use the session
 *   while the page is open, but cannot carry the refresh token away.
 * - What script can see is only a hint, `taquilla.signedIn` in localStorage: "this browser has
 *   signed in", so a page load asks for a new access token only when there may be a cookie.
 *
 * Renewal
 * -------
 * - `refreshSession()` is **single-flight** within a tab, and refreshes of all the tabs of this
 *   browser take turns (a Web Lock): the cookie rotates on every use and a reused one revokes the
 *   whole session, so two tabs must never send the same one; each sends whatever the cookie jar
 *   holds when its turn comes.
 * - A timer renews the access token a minute before it expires, and the API client renews it
 *   before sending a request if it is about to expire (timers stall in background tabs).
 * - A 401 on a request that carried a token triggers one refresh and one retry; if another
 *   request already refreshed meanwhile, the new token is reused without refreshing again.
 * - A refresh the server refuses (`invalid_grant`) signs the user out with a notice.
 * - A reload, or a new tab, turns the cookie into a session again (`restoreSession`); a sign-in
 *   in one tab is announced to the others (a BroadcastChannel), which restore theirs too.
 *
 * `logout()` revokes the token family at the edge (which clears the cookie), then clears memory
 * and the hint and (through AppProviders) the query cache. It also tells the other tabs: each tab
 * signed in as the same user signs out too, so "sign out" leaves no tab of that user signed in.
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

export const SESSION_HINT_KEY = 'taquilla.signedIn';
/** Refreshes of every tab of this browser take turns under this Web Lock. */
export const REFRESH_LOCK = 'taquilla.refresh';
/** Renew this long before the access token expires. */
export const REFRESH_LEEWAY_MS = 60_000;
/** The client refreshes before a request when the token has less than this left. */
export const REQUEST_LEEWAY_MS = 15_000;

// ---------------------------------------------------------------- the signed-in hint

/** Whether this browser may hold a refresh cookie (which script cannot see): a hint, no secret. */
export const sessionHint = {
  present(): boolean {
    try {
      return localStorage.getItem(SESSION_HINT_KEY) === '1';
    } catch {
      return false;
    }
  },
  set(present: boolean): void {
    try {
      if (present) localStorage.setItem(SESSION_HINT_KEY, '1');
      else localStorage.removeItem(SESSION_HINT_KEY);
    } catch {
      // Storage disabled: a reload then starts signed out (the cookie is still revoked on logout).
    }
  },
};

/** Runs `work` while no other tab of this browser refreshes (where Web Locks exist). */
function inTurnWithOtherTabs<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  return locks ? locks.request(REFRESH_LOCK, work) : work();
}

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
  if (!sessionHint.present()) return;
  const delay = Math.max(5_000, expiresAt - Date.now() - REFRESH_LEEWAY_MS);
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshSession().catch(() => undefined);
  }, delay);
}

function applyGrant(grant: TokenGrant): string {
  const expiresAt = Date.now() + grant.expiresIn * 1000;
  sessionHint.set(true);
  useAuthStore.getState().setTokens(grant.accessToken, expiresAt);
  scheduleRefresh(expiresAt);
  return grant.accessToken;
}

/** Forget everything about the session in this tab (memory, the hint, timer). */
export function clearSession(): void {
  cancelRefreshTimer();
  inflight = null;
  sessionHint.set(false);
  useAuthStore.getState().reset();
}

// ---------------------------------------------------------------- refresh (single-flight)

let inflight: Promise<string | null> | null = null;
/** Counts refresh grants actually sent (tests assert single-flight with it). */
let generation = 0;

async function doRefresh(): Promise<string | null> {
  if (!sessionHint.present()) return null;
  const started = generation;
  try {
    const grant = await inTurnWithOtherTabs(() => refreshGrant());
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

/** Exchange the refresh cookie for new tokens. Concurrent calls share one request. */
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
  if (accessToken && expiresAt !== null && expiresAt - Date.now() < REQUEST_LEEWAY_MS && sessionHint.present()) {
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
    announce({ type: 'signed-in', userId: user.id });
    return user;
  } catch (error) {
    clearSession();
    throw error;
  }
}

let restoring: Promise<void> | null = null;

/** On start-up (and when another tab signs in): turn the refresh cookie back into a session. */
export function restoreSession(): Promise<void> {
  if (restoring) return restoring;
  const store = useAuthStore.getState();
  if (store.status === 'authenticated' || !sessionHint.present()) {
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
      // Edge unreachable: keep the hint (and the cookie) for the next load, continue signed out.
      cancelRefreshTimer();
      useAuthStore.getState().reset();
    } finally {
      restoring = null;
    }
  })();
  return restoring;
}

/** Initial status for the store: `restoring` when this browser has signed in. */
export function initialAuthStatus(): 'restoring' | 'anonymous' {
  return sessionHint.present() ? 'restoring' : 'anonymous';
}

// ---------------------------------------------------------------- other tabs

export const SESSION_CHANNEL = 'taquilla.session';
type SessionNews = { type: 'signed-out' | 'signed-in'; userId: string };

function openChannel(): BroadcastChannel | null {
  return typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(SESSION_CHANNEL);
}

function announce(news: SessionNews): void {
  const channel = openChannel();
  if (!channel) return;
  channel.postMessage(news);
  channel.close();
}

/**
 * Follows the other tabs of this browser: signs this tab out when another signs the same user out,
 * and signs it in (from the cookie) when another tab signs in. Returns the function that stops.
 */
export function followSignOutsOfOtherTabs(): () => void {
  const channel = openChannel();
  if (!channel) return () => undefined;
  channel.onmessage = (event: MessageEvent<SessionNews>) => {
    const user = useAuthStore.getState().user;
    if (event.data?.type === 'signed-in' && !user) {
      void restoreSession();
      return;
    }
    if (event.data?.type !== 'signed-out' || !user || user.id !== event.data.userId) return;
    void logout({ announce: false }).then(() => toast.info(messages().auth.signedOutElsewhere));
  };
  return () => channel.close();
}

/**
 * Sign out: revoke at the edge (best effort), then forget everything locally; unless
 * `announce` is false, the user's other tabs sign out as well.
 */
export async function logout({ announce: tellOthers = true }: { announce?: boolean } = {}): Promise<void> {
  const userId = useAuthStore.getState().user?.id ?? null;
  if (tellOthers && userId) announce({ type: 'signed-out', userId });
  generation += 1;
  let accessToken = useAuthStore.getState().accessToken;
  const { expiresAt } = useAuthStore.getState();
  if (accessToken && expiresAt !== null && expiresAt - Date.now() < REQUEST_LEEWAY_MS) {
    accessToken = await refreshSession().catch(() => accessToken);
  }
  clearSession();
  if (!accessToken) return;
  try {
    await revokeSession(accessToken);
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
