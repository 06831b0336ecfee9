import { useEffect, useRef, useState, type RefObject } from 'react';

import { isApiError, type FieldError } from '@/api/client';
import { fieldErrorText } from '@/lib/serverErrors';

export type FieldErrors = Record<string, string>;

/**
 * After a failed submit, move focus to the first invalid control (in document order), so
 * keyboard and screen-reader users land on the problem. Call `focusFirstError()` after
 * setting errors; the focus happens once React has rendered them.
 */
export function useFocusFirstError(formRef: RefObject<HTMLElement | null>) {
  const [token, setToken] = useState(0);
  const pending = useRef(false);
  useEffect(() => {
    if (!pending.current) return;
    pending.current = false;
    const target =
      formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      formRef.current?.querySelector<HTMLElement>('[role="alert"]');
    if (target) {
      if (target.getAttribute('role') === 'alert' && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    }
  }, [token, formRef]);
  return () => {
    pending.current = true;
    setToken((n) => n + 1);
  };
}

/**
 * Server field errors (`errors: [{field, code, message}]` from problem+json), in the reader's
 * language (lib/serverErrors.ts), as a map keyed by
 * form field. `mapField` renames server paths to form paths (e.g. `zones.0.price.amount`
 * -> `zones.0.price`); returning null leaves the error for the form-level alert.
 */
export function serverFieldErrors(
  error: unknown,
  mapField: (field: string) => string | null = (field) => field,
): { fields: FieldErrors; unmatched: FieldError[] } {
  const fields: FieldErrors = {};
  const unmatched: FieldError[] = [];
  if (!isApiError(error) || !error.errors) return { fields, unmatched };
  for (const entry of error.errors) {
    const key = entry.field ? mapField(entry.field) : null;
    const message = fieldErrorText(entry);
    if (key === null) unmatched.push({ ...entry, message });
    else fields[key] ??= message;
  }
  return { fields, unmatched };
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
