import { useEffect, useRef, useState } from 'react';

import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useToastStore, type Toast } from '@/store/toasts';

const TONE_CLASSES: Record<Toast['tone'], string> = {
  info: 'border-slate-300 bg-white text-slate-900',
  success: 'border-emerald-300 bg-emerald-50 text-emerald-900',
  error: 'border-red-300 bg-red-50 text-red-900',
};

function ToastItem({ toast }: { toast: Toast }) {
  const { t } = useI18n();
  const dismiss = useToastStore((s) => s.dismiss);
  const [paused, setPaused] = useState(false);
  const remaining = useRef(toast.durationMs);

  // Auto-dismiss, pausing while the pointer or keyboard focus is on the toast (WCAG 2.2.1).
  useEffect(() => {
    if (paused || remaining.current === null) return undefined;
    const startedAt = Date.now();
    const timer = setTimeout(() => dismiss(toast.id), remaining.current);
    return () => {
      clearTimeout(timer);
      if (remaining.current !== null) remaining.current = Math.max(0, remaining.current - (Date.now() - startedAt));
    };
  }, [paused, dismiss, toast.id]);

  return (
    <div
      className={cn('pointer-events-auto flex items-start gap-3 rounded-lg border p-3 shadow-lg', TONE_CLASSES[toast.tone])}
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
    >
      <p className="flex-1 text-sm">{toast.message}</p>
      <button
        type="button"
        onClick={() => dismiss(toast.id)}
        className="-m-1 rounded-sm p-1 text-current opacity-70 hover:opacity-100"
        aria-label={t.a11y.dismiss}
      >
        <svg className="h-4 w-4" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
        </svg>
      </button>
    </div>
  );
}

/**
 * Renders toasts into two live regions that exist from first paint (screen
 * readers ignore regions that are inserted together with their content):
 * polite `role="status"` for info/success, assertive `role="alert"` for errors.
 */
export function Toaster() {
  const { t } = useI18n();
  const toasts = useToastStore((s) => s.toasts);
  const polite = toasts.filter((item) => item.tone !== 'error');
  const assertive = toasts.filter((item) => item.tone === 'error');
  const stackRef = useRef<HTMLDivElement>(null);

  // On small screens toasts span the width and would hide the end of the page: their height is
  // published as `--toasts-height`, which the layout adds below its content there (AppLayout), so
  // everything can still be scrolled into view above them.
  useEffect(() => {
    const stack = stackRef.current;
    if (!stack || typeof ResizeObserver === 'undefined') return undefined;
    const root = document.documentElement;
    const observer = new ResizeObserver(() => {
      const height = toasts.length > 0 ? stack.getBoundingClientRect().height : 0;
      root.style.setProperty('--toasts-height', `${Math.ceil(height)}px`);
    });
    observer.observe(stack);
    return () => {
      observer.disconnect();
      root.style.removeProperty('--toasts-height');
    };
  }, [toasts.length]);

  return (
    <div
      ref={stackRef}
      className="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col items-center gap-2 p-2 sm:items-end sm:p-4"
    >
      <div role="alert" aria-label={t.a11y.notifications} className="flex w-full max-w-sm flex-col gap-2">
        {assertive.map((item) => (
          <ToastItem key={item.id} toast={item} />
        ))}
      </div>
      <div role="status" aria-label={t.a11y.notifications} className="flex w-full max-w-sm flex-col gap-2">
        {polite.map((item) => (
          <ToastItem key={item.id} toast={item} />
        ))}
      </div>
    </div>
  );
}
