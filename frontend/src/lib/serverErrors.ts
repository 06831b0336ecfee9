import { isApiError, type FieldError } from '@/api/client';
import { dictionaries, type Locale, type Messages } from '@/i18n';
import { useUiStore } from '@/store/ui';

/**
 * The edge's errors in the reader's language. A problem is named by the last segment of its `type`
 * (`…/problems/cannot-change-own-account`), a field error by its `code` (`weak_password`); the
 * English `detail` and `message` are for developers and are shown only in the English interface,
 * as a last resort, so the Spanish interface never shows raw server text.
 */

const current = (): { locale: Locale; t: Messages } => {
  const locale = useUiStore.getState().locale;
  return { locale, t: dictionaries[locale] };
};

/** `https://taquilla.dev/problems/sold-out` -> `sold-out`; `about:blank` -> ''. */
export function problemSlug(type: string): string {
  const at = type.lastIndexOf('/problems/');
  return at === -1 ? '' : type.slice(at + '/problems/'.length);
}

/** One field error as the reader's sentence. An entry without a code (not from the edge) keeps its message. */
export function fieldErrorText(entry: FieldError, locale: Locale = current().locale): string {
  const t = dictionaries[locale];
  if (entry.code === undefined) return entry.message;
  const field = entry.field.split('.').at(-1) ?? entry.field;
  const known = t.serverErrors.byField[`${field}:${entry.code}`] ?? t.serverErrors.fields[entry.code];
  if (known && entry.code !== 'invalid') return known;
  return locale === 'en' && entry.message ? entry.message : (t.serverErrors.fields.invalid ?? entry.message);
}

/** A failed request as the reader's sentence: by problem type, else `fallback` (English detail only in English). */
export function problemText(error: unknown, fallback: string, locale: Locale = current().locale): string {
  const t = dictionaries[locale];
  if (!isApiError(error)) return fallback;
  if (error.isNetworkError) return t.common.networkError;
  const known = t.serverErrors.problems[problemSlug(error.type)];
  if (known) return known;
  return locale === 'en' && error.detail ? error.detail : fallback;
}
