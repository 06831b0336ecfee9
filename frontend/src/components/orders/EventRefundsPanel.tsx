import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';

import { isApiError } from '@/api/client';
import { eventRefundsPollInterval, fetchEventRefunds, ORDER_PROBLEMS } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { problemKind } from '@/api/reservations';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/format';

/**
 * How far the refunds of a cancelled event have come, for its organizer: orders refunded of the
 * paid ones, the amount, and whether it is finished. Asked for again every few seconds until it is.
 */
export function EventRefundsPanel({ eventId }: { eventId: string }) {
  const { t, locale, formatDateTime } = useI18n();
  const titleId = useId();
  const query = useQuery({
    queryKey: queryKeys.orders.eventRefunds(eventId),
    queryFn: ({ signal }) => fetchEventRefunds(eventId, signal),
    refetchInterval: (q) => eventRefundsPollInterval(q.state.data, q.state.status === 'error'),
    staleTime: 0,
  });

  // Not cancelled after all (or not any more visible): nothing to follow.
  if (query.isError && (problemKind(query.error) === ORDER_PROBLEMS.notCancelled || (isApiError(query.error) && query.error.status === 404))) {
    return null;
  }

  const data = query.data;
  let content;
  if (data) {
    const finished = data.finishedAt !== null;
    content = (
      <div className="space-y-3">
        <div role="status" className="space-y-2">
          <p className="text-lg font-medium text-slate-900" data-testid="refunds-progress">
            {t.refunds.progress(data.refunded, data.orders)}
          </p>
          <p className={cn('font-medium', finished ? 'text-emerald-900' : 'text-amber-900')} data-testid="refunds-state">
            {finished && data.finishedAt ? (
              <time dateTime={data.finishedAt}>{t.refunds.finished(formatDateTime(data.finishedAt))}</time>
            ) : (
              t.refunds.inProgress
            )}
          </p>
        </div>
        <progress
          className="h-3 w-full accent-brand-700"
          aria-label={t.refunds.progressLabel}
          max={Math.max(data.orders, 1)}
          value={data.orders === 0 ? 1 : data.refunded}
        />
        <ul className="space-y-1 text-sm text-slate-700">
          <li>{t.refunds.requestedCount(data.requested)}</li>
          <li>{t.refunds.amountRefunded(formatMoney(data.amountRefunded.amount, data.amountRefunded.currency, locale))}</li>
          <li>
            <time dateTime={data.startedAt}>{t.refunds.startedAt(formatDateTime(data.startedAt))}</time>
          </li>
        </ul>
      </div>
    );
  } else if (query.isPending) {
    content = <Spinner label={t.a11y.loading} />;
  } else {
    content = (
      <Notice title={t.refunds.loadError} tone="error" headingLevel={3}>
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  }

  return (
    <section aria-labelledby={titleId} className="space-y-3 rounded-lg border border-red-200 bg-white p-5 shadow-xs" data-testid="event-refunds">
      <h2 id={titleId} className="text-xl font-semibold text-slate-900">
        {t.refunds.progressTitle}
      </h2>
      {content}
    </section>
  );
}
