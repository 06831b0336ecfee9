import { useInfiniteQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import { Link } from 'react-router';

import { queryKeys } from '@/api/queryKeys';
import { fetchMyReservations, type Reservation, type ReservationStatus } from '@/api/reservations';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { ReservationCard } from '@/components/reservations/ReservationCard';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

const ACTIVE: readonly ReservationStatus[] = ['held'];
const PAST: readonly ReservationStatus[] = ['released', 'expired'];

function Details({ reservation }: { reservation: Reservation }) {
  const { t, formatDateTime } = useI18n();
  const ended = reservation.status !== 'held' && reservation.endedAt;
  return (
    <p className="text-sm text-slate-600">
      <time dateTime={reservation.createdAt}>{t.reservations.reservedAt(formatDateTime(reservation.createdAt))}</time>
      {ended ? (
        <>
          {' · '}
          <time dateTime={reservation.endedAt ?? undefined}>{t.reservations.endedAt(formatDateTime(ended))}</time>
        </>
      ) : null}
    </p>
  );
}

/** One list of my reservations, newest first, with keyset "load more". */
function ReservationList({
  statuses,
  empty,
  onEnded,
}: {
  statuses: readonly ReservationStatus[];
  empty: { title: string; action?: boolean };
  onEnded?: () => void;
}) {
  const { t } = useI18n();
  const query = useInfiniteQuery({
    queryKey: queryKeys.reservations.mine(statuses),
    queryFn: ({ pageParam, signal }) => fetchMyReservations(statuses, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    staleTime: 0,
  });

  if (query.isPending) return <Spinner label={t.a11y.loading} />;
  if (query.isError) {
    return (
      <Notice title={t.reservations.loadError} tone="error" headingLevel={3}>
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  }
  const reservations = query.data.pages.flatMap((page) => page.items);
  if (reservations.length === 0) {
    return (
      <Notice title={empty.title} headingLevel={3}>
        {empty.action ? (
          <Link to="/events" className={buttonClass.primary}>
            {t.reservations.browse}
          </Link>
        ) : null}
      </Notice>
    );
  }
  return (
    <div className="space-y-4">
      <ul className="space-y-4">
        {reservations.map((reservation) => (
          <li key={reservation.id}>
            <ReservationCard
              reservation={reservation}
              heading={
                <Link to={`/events/${encodeURIComponent(reservation.eventId)}`} className="hover:underline">
                  {reservation.eventName}
                </Link>
              }
              details={<Details reservation={reservation} />}
              releaseSuffix={reservation.eventName}
              {...(onEnded ? { onEnded } : {})}
            />
          </li>
        ))}
      </ul>
      {query.hasNextPage ? (
        <button type="button" className={buttonClass.secondary} disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
          {query.isFetchingNextPage ? t.common.loadingMore : t.common.loadMore}
        </button>
      ) : null}
    </div>
  );
}

export function MyReservationsPage() {
  const { t } = useI18n();
  useDocumentTitle(t.reservations.title);
  const activeHeading = useRef<HTMLHeadingElement>(null);
  // A hold that ends moves to the past list: if its release button had the focus, keep it nearby.
  const keepFocus = () => {
    if (document.activeElement === null || document.activeElement === document.body) activeHeading.current?.focus();
  };
  return (
    <div className="mx-auto max-w-4xl space-y-10">
      <div>
        <h1 className="text-3xl font-bold text-slate-900">{t.reservations.title}</h1>
        <p className="mt-2 text-slate-600">{t.reservations.lead}</p>
        <p className="mt-2">
          <Link to="/me/waitlist" className={buttonClass.link}>
            {t.waitlist.seeMine}
          </Link>
        </p>
      </div>
      <section aria-labelledby="active-reservations-title" className="space-y-4">
        <h2
          id="active-reservations-title"
          ref={activeHeading}
          tabIndex={-1}
          className="text-xl font-semibold text-slate-900 focus:outline-hidden focus-visible:ring-2 focus-visible:ring-focus"
        >
          {t.reservations.active}
        </h2>
        <ReservationList statuses={ACTIVE} empty={{ title: t.reservations.activeEmpty, action: true }} onEnded={keepFocus} />
      </section>
      <section aria-labelledby="past-reservations-title" className="space-y-4">
        <h2 id="past-reservations-title" className="text-xl font-semibold text-slate-900">
          {t.reservations.past}
        </h2>
        <ReservationList statuses={PAST} empty={{ title: t.reservations.pastEmpty }} />
      </section>
    </div>
  );
}
