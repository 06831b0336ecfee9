import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';

import { cn } from '@/lib/cn';

import { controlClass } from './controlClass';

/**
 * Accessible form controls: a visible <label>, the hint and the error tied to the control
 * with aria-describedby, `aria-invalid` when there is an error (the focus helper in
 * lib/forms.ts moves focus to the first invalid control after a failed submit).
 */
interface FieldChrome {
  label: ReactNode;
  /** Error text shown under the control; also flips aria-invalid. */
  error?: string | undefined;
  hint?: ReactNode;
  /** Shows a visual "*" (the control also gets the `required` attribute). */
  required?: boolean;
  className?: string;
  /** Hide the label visually (still announced), for dense rows. */
  srOnlyLabel?: boolean;
}

function useFieldIds(id: string | undefined) {
  const generated = useId();
  const controlId = id ?? `f${generated.replace(/:/g, '')}`;
  return { controlId, hintId: `${controlId}-hint`, errorId: `${controlId}-error` };
}

function describedBy(hint: ReactNode, error: string | undefined, ids: { hintId: string; errorId: string }) {
  const parts = [hint ? ids.hintId : null, error ? ids.errorId : null].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function Chrome({
  label,
  error,
  hint,
  required,
  className,
  srOnlyLabel,
  ids,
  children,
}: FieldChrome & { ids: ReturnType<typeof useFieldIds>; children: ReactNode }) {
  return (
    <div className={cn('space-y-1', className)}>
      <label htmlFor={ids.controlId} className={cn('block text-sm font-medium text-slate-800', srOnlyLabel && 'sr-only')}>
        {label}
        {required ? (
          <span aria-hidden="true" className="text-red-700">
            {' '}
            *
          </span>
        ) : null}
      </label>
      {children}
      {hint ? (
        <p id={ids.hintId} className="text-xs text-slate-600">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={ids.errorId} className="text-sm font-medium text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}

type InputProps = FieldChrome & Omit<InputHTMLAttributes<HTMLInputElement>, 'className'>;

export function TextField({ label, error, hint, required, className, srOnlyLabel, id, ...input }: InputProps) {
  const ids = useFieldIds(id);
  return (
    <Chrome {...{ label, error, hint, required, className, srOnlyLabel, ids }}>
      <input
        id={ids.controlId}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(hint, error, ids)}
        className={controlClass(Boolean(error))}
        {...input}
      />
    </Chrome>
  );
}

type TextAreaProps = FieldChrome & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'className'>;

export function TextAreaField({ label, error, hint, required, className, srOnlyLabel, id, ...textarea }: TextAreaProps) {
  const ids = useFieldIds(id);
  return (
    <Chrome {...{ label, error, hint, required, className, srOnlyLabel, ids }}>
      <textarea
        id={ids.controlId}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(hint, error, ids)}
        className={controlClass(Boolean(error))}
        {...textarea}
      />
    </Chrome>
  );
}

type SelectProps = FieldChrome & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'className'>;

export function SelectField({ label, error, hint, required, className, srOnlyLabel, id, children, ...select }: SelectProps) {
  const ids = useFieldIds(id);
  return (
    <Chrome {...{ label, error, hint, required, className, srOnlyLabel, ids }}>
      <select
        id={ids.controlId}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(hint, error, ids)}
        className={controlClass(Boolean(error))}
        {...select}
      >
        {children}
      </select>
    </Chrome>
  );
}

/** Non-field errors of a form (a 409, a network failure), announced assertively. */
export function FormAlert({ children, id }: { children: ReactNode; id?: string }) {
  if (!children) return null;
  return (
    <div id={id} role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
      {children}
    </div>
  );
}

