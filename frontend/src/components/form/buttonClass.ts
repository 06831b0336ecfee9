/** Shared button looks (Tailwind classes). */
export const buttonClass = {
  primary:
    'inline-flex items-center justify-center gap-2 rounded-md bg-brand-700 px-4 py-2 font-semibold text-white hover:bg-brand-800 disabled:opacity-60',
  secondary:
    'inline-flex items-center justify-center gap-2 rounded-md bg-white px-4 py-2 font-medium text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-60',
  danger:
    'inline-flex items-center justify-center gap-2 rounded-md bg-white px-3 py-1.5 text-sm font-medium text-red-800 ring-1 ring-inset ring-red-300 hover:bg-red-50 disabled:opacity-60',
  link: 'font-medium text-brand-800 underline underline-offset-4 hover:text-brand-900',
};
