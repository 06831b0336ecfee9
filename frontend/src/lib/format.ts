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

/** A price as the API takes it: up to ten digits and two decimals ("25", "25.50"). */
export const PRICE = /^\d{1,10}(\.\d{1,2})?$/;

/** A price typed in a filter, as the API takes it, or null when it is not one ("25,50" is read as 25.50). */
export function asPrice(typed: string): string | null {
  const value = typed.trim().replace(',', '.');
  return PRICE.test(value) ? value : null;
}
