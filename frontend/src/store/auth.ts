import { create } from 'zustand';

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
}

interface AuthState {
  accessToken: string | null;
  user: SessionUser | null;
  signIn: (session: { accessToken: string; user: SessionUser }) => void;
  signOut: () => void;
}

/**
 * Session state. Deliberately kept in memory only (not localStorage) until the
 * sign-in flow lands and picks a storage strategy. The API client reads the
 * token from here via `useAuthStore.getState()`.
 */
export const useAuthStore = create<AuthState>()((set) => ({
  accessToken: null,
  user: null,
  signIn: ({ accessToken, user }) => set({ accessToken, user }),
  signOut: () => set({ accessToken: null, user: null }),
}));

export const selectIsAuthenticated = (state: AuthState): boolean => state.accessToken !== null;
