import { useId } from 'react';

import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';

const stepButton =
  'inline-flex h-9 w-9 items-center justify-center rounded-md bg-white text-lg font-semibold text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 aria-disabled:cursor-not-allowed aria-disabled:opacity-50 disabled:cursor-not-allowed disabled:opacity-50';

/**
 * Places of one zone, 0..max. At a bound the buttons are aria-disabled rather than disabled, so
 * the focus stays on the button just pressed; a zone that does not sell disables everything.
 */
export function QuantityStepper({
  zoneName,
  value,
  max,
  disabled,
  error,
  hint,
  onChange,
}: {
  zoneName: string;
  value: number;
  max: number;
  disabled: boolean;
  error?: string | undefined;
  /** Shown under the control and tied to it, e.g. this zone's per-order limit. */
  hint?: string | undefined;
  onChange: (value: number) => void;
}) {
  const { t } = useI18n();
  const id = `q${useId().replace(/:/g, '')}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const set = (next: number) => onChange(Math.min(max, Math.max(0, next)));
  const atMin = value <= 0;
  const atMax = value >= max;
  return (
    <div>
      <div className="flex items-center gap-1">
        <button
          type="button"
          className={stepButton}
          aria-label={t.reserve.decrease(zoneName)}
          aria-controls={id}
          disabled={disabled}
          aria-disabled={!disabled && atMin ? true : undefined}
          onClick={() => !atMin && set(value - 1)}
        >
          <span aria-hidden="true">−</span>
        </button>
        <input
          id={id}
          type="number"
          inputMode="numeric"
          min={0}
          max={max}
          step={1}
          value={value}
          disabled={disabled}
          aria-label={t.reserve.quantityFor(zoneName)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          onChange={(e) => {
            const typed = Number.parseInt(e.target.value, 10);
            set(Number.isNaN(typed) ? 0 : typed);
          }}
          className={cn(
            'h-9 w-16 rounded-md border bg-white px-2 text-center text-slate-900 shadow-xs',
            'disabled:cursor-not-allowed disabled:bg-slate-100 disabled:text-slate-500',
            error ? 'border-red-600 ring-1 ring-red-600' : 'border-slate-300',
          )}
        />
        <button
          type="button"
          className={stepButton}
          aria-label={t.reserve.increase(zoneName)}
          aria-controls={id}
          disabled={disabled}
          aria-disabled={!disabled && atMax ? true : undefined}
          onClick={() => !atMax && set(value + 1)}
        >
          <span aria-hidden="true">+</span>
        </button>
      </div>
      {hint ? (
        <p id={hintId} className="mt-1 text-xs text-slate-600">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="mt-1 text-sm font-medium text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}
