import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';

import { followSignOutsOfOtherTabs, restoreSession } from '@/auth/session';
import { Toaster } from '@/components/toast/Toaster';
import { useI18n } from '@/i18n';
import { useAuthStore } from '@/store/auth';

/** Keeps <html lang> in sync with the selected locale (screen readers pick voices from it). */
function HtmlLangSync() {
  const { locale } = useI18n();
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  return null;
}

/**
 * Ties the session to the query cache: signing out drops every cached response (nothing of
 * the previous user stays in memory); signing in refetches what is on screen with the token.
 * A sign-out in another tab of the same user signs this tab out too.
 */
function SessionSync({ queryClient }: { queryClient: QueryClient }) {
  useEffect(() => followSignOutsOfOtherTabs(), []);
  useEffect(() => {
    void restoreSession();
    return useAuthStore.subscribe((state, previous) => {
      const before = previous.user?.id ?? null;
      const after = state.user?.id ?? null;
      if (before === after) return;
      if (after === null) queryClient.clear();
      else void queryClient.invalidateQueries();
    });
  }, [queryClient]);
  return null;
}

export function AppProviders({ queryClient, children }: { queryClient: QueryClient; children: ReactNode }) {
  return (
    <QueryClientProvider client={queryClient}>
      <HtmlLangSync />
      <SessionSync queryClient={queryClient} />
      {children}
      <Toaster />
    </QueryClientProvider>
  );
}
