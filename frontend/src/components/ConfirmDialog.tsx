import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

import { buttonClass } from '@/components/form/buttonClass';
import { cn } from '@/lib/cn';

/** The primary button's look in red, for confirmations that cannot be undone. */
const DANGER_SOLID =
  'inline-flex items-center justify-center gap-2 rounded-md bg-red-700 px-4 py-2 font-semibold text-white hover:bg-red-800 disabled:opacity-60';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal confirmation (role="dialog", aria-modal): while it is shown, Tab and Shift+Tab stay inside
 * it, Escape cancels it (unless `busy`), and when it goes away focus returns to whatever had it
 * before (the button that opened it). Focus starts on the cancel button, the harmless choice.
 * Render it only while it is open.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  cancelLabel,
  onConfirm,
  onCancel,
  busy = false,
  tone = 'primary',
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  tone?: 'primary' | 'danger';
}) {
  const titleId = useId();
  const bodyId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    cancelRef.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      if (!busy) onCancel();
      return;
    }
    if (e.key !== 'Tab' || !dialogRef.current) return;
    const focusable = Array.from(dialogRef.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) {
      e.preventDefault();
      return;
    }
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !dialogRef.current.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !dialogRef.current.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/50 p-4">
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onKeyDown={onKeyDown}
        className="w-full max-w-lg space-y-4 rounded-lg bg-white p-6 shadow-xl"
      >
        <h2 id={titleId} className="text-xl font-semibold text-slate-900">
          {title}
        </h2>
        <div id={bodyId} className="space-y-2 text-slate-800">
          {children}
        </div>
        <div className="flex flex-wrap justify-end gap-3">
          {/* While busy the buttons stay focusable (aria-disabled), so focus never falls out of the dialog. */}
          <button
            ref={cancelRef}
            type="button"
            className={cn(buttonClass.secondary, busy && 'opacity-60')}
            aria-disabled={busy || undefined}
            onClick={() => !busy && onCancel()}
          >
            {cancelLabel}
          </button>
          <button
            type="button"
            className={cn(tone === 'danger' ? DANGER_SOLID : buttonClass.primary, busy && 'opacity-60')}
            aria-disabled={busy || undefined}
            onClick={() => !busy && onConfirm()}
          >
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
