export const LOCALES = ['es', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'es';

/** Each language's name written in that language (shown regardless of the UI language). */
export const LOCALE_NAMES: Record<Locale, string> = { es: 'Español', en: 'English' };

/** BCP 47 tags used for Intl formatting. */
export const INTL_LOCALES: Record<Locale, string> = { es: 'es-ES', en: 'en-GB' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
