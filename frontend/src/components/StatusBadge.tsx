import type { DependencyStatus } from '@/api/health';
import { cn } from '@/lib/cn';

interface StatusBadgeProps {
  status: DependencyStatus;
  /** Visible, translated label ("Operativo" / "Caído"): state is never conveyed by colour alone. */
  label: string;
}

export function StatusBadge({ status, label }: StatusBadgeProps) {
  const up = status === 'up';
  return (
    <span
      data-status={status}
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-sm font-medium ring-1 ring-inset',
        up ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/30' : 'bg-red-50 text-red-800 ring-red-600/30',
      )}
    >
      <svg className="h-3 w-3" viewBox="0 0 12 12" aria-hidden="true" focusable="false">
        {up ? (
          <path d="M2.5 6.5l2.2 2.2 4.8-5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
        ) : (
          <path d="M3 3l6 6M9 3l-6 6" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
        )}
      </svg>
      {label}
    </span>
  );
}
