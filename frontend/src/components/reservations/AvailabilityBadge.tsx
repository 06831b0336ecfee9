import type { SaleStatus } from '@/api/reservations';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';

const LEVEL: Record<SaleStatus, string> = { on_sale: 'available', few_left: 'fewLeft', sold_out: 'soldOut', not_on_sale: 'notOnSale' };

/** A zone's (or a session's) sale state in words, with the places left while it sells. */
export function AvailabilityBadge({ status, available }: { status: SaleStatus; available?: number | undefined }) {
  const { t } = useI18n();
  const label =
    status === 'sold_out'
      ? t.event.soldOut
      : status === 'few_left'
        ? t.event.fewLeft
        : status === 'not_on_sale'
          ? t.event.notOnSale
          : t.event.available;
  const selling = status === 'on_sale' || status === 'few_left';
  return (
    <span
      data-availability={LEVEL[status]}
      className={cn(
        'inline-flex items-center gap-1 rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset',
        status === 'few_left'
          ? 'bg-amber-50 text-amber-900 ring-amber-600/30'
          : status === 'on_sale'
            ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/30'
            : 'bg-slate-100 text-slate-700 ring-slate-500/30',
      )}
    >
      {label}
      {selling && available !== undefined ? (
        <span className="font-normal">({t.event.remaining(available)})</span>
      ) : null}
    </span>
  );
}
