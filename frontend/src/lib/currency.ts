import type { Locale } from '@/i18n/locales';

/** Currencies a buyer can compare prices in (the ones Taquilla's organizers sell in most). */
export const CURRENCIES = ['EUR', 'COP', 'MXN', 'USD', 'ARS', 'CLP', 'PEN', 'GBP'] as const;

const BY_REGION: Record<string, string> = {
  ES: 'EUR', FR: 'EUR', DE: 'EUR', IT: 'EUR', PT: 'EUR', IE: 'EUR', NL: 'EUR', BE: 'EUR', AT: 'EUR', FI: 'EUR',
  CO: 'COP', MX: 'MXN', US: 'USD', AR: 'ARS', CL: 'CLP', PE: 'PEN', GB: 'GBP',
};

/** Without a region to go by: both interfaces default to the euro (es-ES and en-GB are how they format). */
const BY_LOCALE: Record<Locale, string> = { es: 'EUR', en: 'EUR' };

/**
 * The currency prices are compared in until the buyer picks one. The rule: the region of the
 * browser's first language that is in the interface's language ("es-CO" → COP, "es-MX" → MXN,
 * "en-US" → USD), when we sell in that region's currency; otherwise the euro.
 */
export function defaultCurrency(locale: Locale, languages: readonly string[] = globalThis.navigator?.languages ?? []): string {
  for (const tag of languages) {
    const [language, region] = tag.split('-');
    if (language?.toLowerCase() !== locale || !region) continue;
    const currency = BY_REGION[region.toUpperCase()];
    if (currency) return currency;
  }
  return BY_LOCALE[locale];
}

/** "EUR" → "EUR · euro" in the reader's language (the code alone when the browser cannot name it). */
export function currencyLabel(code: string, intlLocale: string): string {
  try {
    const name = new Intl.DisplayNames([intlLocale], { type: 'currency' }).of(code);
    return name && name !== code ? `${code} · ${name}` : code;
  } catch {
    return code;
  }
}

export function isCurrency(value: string | null): value is string {
  return value !== null && (CURRENCIES as readonly string[]).includes(value);
}
