import { INTL_LOCALES, type Locale } from '@/i18n/locales';

/** "1800.00" MXN -> "1.800,00 MXN" / "MX$1,800.00" depending on the locale. */
export function formatMoney(amount: string, currency: string, locale: Locale): string {
  const value = Number(amount);
  if (!Number.isFinite(value)) return `${amount} ${currency}`;
  try {
    return new Intl.NumberFormat(INTL_LOCALES[locale], { style: 'currency', currency }).format(value);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** A price typed in a filter, as the API takes it ("25" or "25.50"), or null when it is not one. */
export function asPrice(typed: string): string | null {
  const value = typed.trim().replace(',', '.');
  return /^\d{1,10}(\.\d{1,2})?$/.test(value) ? value : null;
}
