import { useCallback, useMemo } from 'react';

import { useUiStore } from '@/store/ui';

import { INTL_LOCALES, type Locale } from './locales';
import { en } from './messages/en';
import { es, type Messages } from './messages/es';

export { DEFAULT_LOCALE, LOCALES, LOCALE_NAMES, isLocale, type Locale } from './locales';
export type { Messages } from './messages/es';

export const dictionaries: Record<Locale, Messages> = { es, en };

export interface I18n {
  locale: Locale;
  /** Typed dictionary for the active locale: `t.home.heroTitle`, `t.footer.copyright(2025)`. */
  t: Messages;
  setLocale: (locale: Locale) => void;
  formatDateTime: (value: Date | string | number, options?: Intl.DateTimeFormatOptions) => string;
}

export function useI18n(): I18n {
  const locale = useUiStore((s) => s.locale);
  const setLocale = useUiStore((s) => s.setLocale);
  const formatDateTime = useCallback(
    (value: Date | string | number, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }) => {
      const date = value instanceof Date ? value : new Date(value);
      return Number.isNaN(date.getTime()) ? String(value) : new Intl.DateTimeFormat(INTL_LOCALES[locale], options).format(date);
    },
    [locale],
  );
  return useMemo(() => ({ locale, t: dictionaries[locale], setLocale, formatDateTime }), [locale, setLocale, formatDateTime]);
}
