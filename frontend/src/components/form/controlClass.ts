import { cn } from '@/lib/cn';

/**
 * Looks of text inputs, text areas and selects. Keyboard focus and an invalid value must never look
 * alike: focus is a blue outline drawn outside the control (the `focus` colour of index.css), an
 * invalid value is a red border with a red inner ring, so a focused invalid field shows both.
 */
export const focusClass = 'focus-visible:outline-solid focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-focus';

export const errorClass = 'border-red-600 ring-1 ring-inset ring-red-600';

export const controlClass = (invalid: boolean) =>
  cn(
    'block w-full rounded-md border bg-white px-3 py-2 text-slate-900 shadow-xs placeholder:text-slate-400',
    'disabled:cursor-not-allowed disabled:bg-slate-100 disabled:text-slate-500',
    focusClass,
    invalid ? errorClass : 'border-slate-300',
  );
