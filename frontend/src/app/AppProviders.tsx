import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';

import { Toaster } from '@/components/toast/Toaster';
import { useI18n } from '@/i18n';

/** Keeps <html lang> in sync with the selected locale (screen readers pick voices from it). */
function HtmlLangSync() {
  const { locale } = useI18n();
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  return null;
}

export function AppProviders({ queryClient, children }: { queryClient: QueryClient; children: ReactNode }) {
  return (
    <QueryClientProvider client={queryClient}>
      <HtmlLangSync />
      {children}
      <Toaster />
    </QueryClientProvider>
  );
}
