import '@testing-library/jest-dom/vitest';

import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

import { resetSessionForTests } from '@/auth/session';
import { DEFAULT_LOCALE } from '@/i18n/locales';
import { useAuthStore } from '@/store/auth';
import { useToastStore } from '@/store/toasts';
import { useUiStore } from '@/store/ui';

// jsdom does not implement scrolling; React Router's <ScrollRestoration> calls it.
window.scrollTo = vi.fn();

afterEach(() => {
  cleanup();
  localStorage.clear();
  useUiStore.setState({ locale: DEFAULT_LOCALE });
  resetSessionForTests();
  sessionStorage.clear();
  useAuthStore.getState().reset();
  useToastStore.getState().clear();
  document.documentElement.lang = DEFAULT_LOCALE;
});
