import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link } from 'react-router';

import { queryKeys } from '@/api/queryKeys';
import { fetchMyWaitlist, leaveWaitlist, type WaitlistEntry } from '@/api/waitlist';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { toast } from '@/store/toasts';

const ACTIVE = new Set<WaitlistEntry['status']>(['waiting', 'offered']);

function EntryCard({ entry, onLeft }: { entry: WaitlistEntry; onLeft: () => void }) {
  const { t, formatDateTime } = useI18n();
  const queryClient = useQueryClient();
  const [leaving, setLeaving] = useState(false);
  const active = ACTIVE.has(entry.status);

  const leave = async () => {
    setLeaving(true);
    try {
      await leaveWaitlist(entry.id);
      toast.success(t.waitlist.left);
      await queryClient.invalidateQueries({ queryKey: queryKeys.waitlist.all });
      void queryClient.invalidateQueries({ queryKey: queryKeys.reservations.all });
      onLeft();
    } catch {
      toast.error(t.waitlist.leaveError);
    } finally {
      setLeaving(false);
    }
  };

  const titleId = `waitlist-${entry.id}`;
  return (
    <article aria-labelledby={titleId} className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id={titleId} className="text-lg font-semibold text-slate-900">
          <Link to={`/events/${encodeURIComponent(entry.eventId)}`} className="hover:underline">
            {entry.eventName || entry.eventId}
          </Link>
        </h3>
        <span
          className={cn(
            'rounded-full px-2.5 py-0.5 text-sm font-medium',
            entry.status === 'offered' ? 'bg-emerald-100 text-emerald-900' : active ? 'bg-amber-100 text-amber-900' : 'bg-slate-100 text-slate-800',
          )}
        >
          {t.waitlist.statuses[entry.status]}
        </span>
      </div>
      <p className="text-slate-800">{t.waitlist.places(entry.quantity, entry.zoneName || entry.zoneId)}</p>
      {entry.status === 'waiting' && entry.position !== null ? (
        <p className="font-medium text-slate-900" data-testid="waitlist-position">
          {t.waitlist.position(entry.position)}
        </p>
      ) : null}
      {entry.status === 'offered' && entry.offerExpiresAt ? (
        <p className="text-slate-800">
          <time dateTime={entry.offerExpiresAt}>{t.waitlist.offeredUntil(formatDateTime(entry.offerExpiresAt))}</time>
        </p>
      ) : null}
      {active ? (
        <div className="flex flex-wrap gap-3">
          {entry.status === 'offered' && entry.offerReservationId ? (
            <Link to={`/checkout/${encodeURIComponent(entry.offerReservationId)}`} className={buttonClass.primary}>
              {t.waitlist.buy}
            </Link>
          ) : null}
          <button
            type="button"
            className={buttonClass.secondary}
            aria-label={t.waitlist.leaveFor(entry.eventName || entry.zoneName)}
            disabled={leaving}
            onClick={() => void leave()}
          >
            {leaving ? t.waitlist.leaving : t.waitlist.leave}
          </button>
        </div>
      ) : null}
    </article>
  );
}

/** The buyer's waiting-list entries: place in line, offers to buy with their deadline, and leave. */
export function MyWaitlistPage() {
  const { t } = useI18n();
  useDocumentTitle(t.waitlist.title);
  const heading = useRef<HTMLHeadingElement>(null);
  const query = useQuery({ queryKey: queryKeys.waitlist.mine, queryFn: ({ signal }) => fetchMyWaitlist(signal), staleTime: 0 });

  let content;
  if (query.isPending) {
    content = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    content = (
      <Notice title={t.waitlist.loadError} tone="error">
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  } else if (query.data.length === 0) {
    content = (
      <Notice title={t.waitlist.empty}>
        <Link to="/events" className={buttonClass.primary}>
          {t.reservations.browse}
        </Link>
      </Notice>
    );
  } else {
    content = (
      <ul className="space-y-4">
        {query.data.map((entry) => (
          <li key={entry.id}>
            <EntryCard entry={entry} onLeft={() => heading.current?.focus()} />
          </li>
        ))}
      </ul>
    );
  }

  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <div className="space-y-2">
        <h1 ref={heading} tabIndex={-1} className="text-3xl font-bold text-slate-900 focus:outline-hidden">
          {t.waitlist.title}
        </h1>
        <p className="text-slate-600">{t.waitlist.lead}</p>
        <p className="text-sm text-slate-600">{t.waitlist.rule}</p>
      </div>
      {content}
    </div>
  );
}
