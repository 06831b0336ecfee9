import { create } from 'zustand';

export type Role = 'admin' | 'organizer' | 'staff' | 'customer';

export const ROLES: readonly Role[] = ['customer', 'organizer', 'staff', 'admin'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export interface SessionUser {
  id: string;
  email: string;
  fullName: string;
  role: Role;
  organizationId: string | null;
}

/**
 * - `restoring`: this browser has signed in (the hint of auth/session.ts) and its refresh cookie
 *   is being exchanged.
 * - `anonymous`: nobody is signed in.
 * - `authenticated`: `accessToken` and `user` are set.
 */
export type AuthStatus = 'restoring' | 'anonymous' | 'authenticated';

interface AuthState {
  status: AuthStatus;
  /** The access token lives in memory only (see src/auth/session.ts for the storage choice). */
  accessToken: string | null;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number | null;
  user: SessionUser | null;
  setTokens: (accessToken: string, expiresAt: number) => void;
  setUser: (user: SessionUser) => void;
  setStatus: (status: AuthStatus) => void;
  reset: () => void;
}

const SIGNED_OUT = { status: 'anonymous' as AuthStatus, accessToken: null, expiresAt: null, user: null };

/**
 * Session state, in memory only. The API client reads the token through the hooks that
 * src/auth/session.ts installs; components read `user` and `status`.
 */
export const useAuthStore = create<AuthState>()((set) => ({
  ...SIGNED_OUT,
  setTokens: (accessToken, expiresAt) => set({ accessToken, expiresAt }),
  setUser: (user) => set({ user, status: 'authenticated' }),
  setStatus: (status) => set({ status }),
  reset: () => set(SIGNED_OUT),
}));

export const selectIsAuthenticated = (state: AuthState): boolean => state.status === 'authenticated' && state.user !== null;
