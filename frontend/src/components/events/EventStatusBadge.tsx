import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';

const TONES: Record<string, string> = {
  draft: 'bg-slate-100 text-slate-800 ring-slate-500/30',
  published: 'bg-emerald-50 text-emerald-800 ring-emerald-600/30',
  cancelled: 'bg-red-50 text-red-800 ring-red-600/30',
  completed: 'bg-sky-50 text-sky-800 ring-sky-600/30',
};

/** Event status as text (never colour alone). */
export function EventStatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  return (
    <span
      data-status={status}
      className={cn(
        'inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset',
        TONES[status] ?? TONES.draft,
      )}
    >
      {t.events.statuses[status] ?? status}
    </span>
  );
}
