import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchMyOrganizationEvents, type CatalogEvent, type EventStatus } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { EventStatusBadge } from '@/components/events/EventStatusBadge';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { useAuthStore } from '@/store/auth';
import { cn } from '@/lib/cn';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

type Status = NonNullable<EventStatus>;
const STATUSES: readonly Status[] = ['draft', 'published', 'cancelled', 'completed'];
/** The filter's choices: the edge's default (drafts and published), one status, or every one. */
const FILTERS = ['current', ...STATUSES, 'all'] as const;
type Filter = (typeof FILTERS)[number];

function statusesOf(filter: Filter): Status[] {
  if (filter === 'current') return [];
  if (filter === 'all') return [...STATUSES];
  return [filter];
}

function isFilter(value: string | null): value is Filter {
  return value !== null && (FILTERS as readonly string[]).includes(value);
}

function MyEventRow({ event }: { event: CatalogEvent }) {
  const { t, formatDateTime } = useI18n();
  const editable = event.status === 'draft' || event.status === 'published';
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
      <div className="min-w-0">
        <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
          <Link to={`/events/${encodeURIComponent(event.id)}`} className="hover:underline">
            {event.name}
          </Link>
          {event.status ? <EventStatusBadge status={event.status} /> : null}
        </p>
        <p className="text-sm text-slate-600">
          {event.startsAt ? (
            <time dateTime={event.startsAt}>
              {formatDateTime(event.startsAt, {
                dateStyle: 'medium',
                timeStyle: 'short',
                ...(event.timezone ? { timeZone: event.timezone } : {}),
              })}
            </time>
          ) : null}
          {event.venue.city ? ` · ${event.venue.name}, ${event.venue.city}` : null}
        </p>
      </div>
      <div className="flex flex-wrap gap-2">
        {event.status && event.status !== 'draft' ? (
          <>
            <Link to={`/events/${encodeURIComponent(event.id)}/orders`} className={buttonClass.secondary} aria-label={t.eventOrders.linkFor(event.name)}>
              {t.eventOrders.link}
            </Link>
            <Link to={`/events/${encodeURIComponent(event.id)}/report`} className={buttonClass.secondary} aria-label={t.reports.linkFor(event.name)}>
              {t.reports.link}
            </Link>
          </>
        ) : null}
        {editable ? (
          <Link to={`/events/${encodeURIComponent(event.id)}/edit`} className={buttonClass.secondary} aria-label={`${t.me.edit}: ${event.name}`}>
            {t.me.edit}
          </Link>
        ) : null}
      </div>
    </li>
  );
}

/** "My events" for organizers: their organization's events, filtered by status (kept in the URL). */
export function MyEventsPage() {
  const { t } = useI18n();
  useDocumentTitle(t.me.myEvents);
  const organizationId = useAuthStore((s) => s.user?.organizationId);
  const [params, setParams] = useSearchParams();
  const wanted = params.get('status');
  const filter: Filter = isFilter(wanted) ? wanted : 'current';
  const statuses = statusesOf(filter);
  const query = useInfiniteQuery({
    queryKey: queryKeys.events.mineByStatus(statuses),
    queryFn: ({ pageParam, signal }) => fetchMyOrganizationEvents(pageParam, signal, statuses),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  const choose = (next: Filter) => setParams(next === 'current' ? {} : { status: next }, { replace: true });

  let body;
  if (query.isPending) body = <Spinner label={t.a11y.loading} />;
  else if (query.isError) {
    body =
      isApiError(query.error) && query.error.status === 403 ? (
        <Notice title={t.me.myEvents} body={t.me.myEventsNoOrg} headingLevel={2} />
      ) : (
        <Notice title={t.me.myEventsError} tone="error" headingLevel={2}>
          <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
            {t.common.retry}
          </button>
        </Notice>
      );
  } else {
    const events = query.data.pages.flatMap((page) => page.items);
    body =
      events.length === 0 ? (
        <Notice title={filter === 'current' ? t.me.myEventsEmpty : t.me.myEventsNoneWithStatus} headingLevel={2}>
          {filter === 'current' ? (
            <Link to="/events/new" className={buttonClass.primary}>
              {t.me.createEvent}
            </Link>
          ) : null}
        </Notice>
      ) : (
        <div className="space-y-4">
          <ul aria-label={t.me.myEvents} className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {events.map((event) => (
              <MyEventRow key={event.id} event={event} />
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

  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <p className="text-sm">
            <Link to="/me" className={buttonClass.link}>
              {t.me.title}
            </Link>
          </p>
          <h1 className="text-3xl font-bold text-slate-900">{t.me.myEvents}</h1>
          <p className="text-slate-600">{t.me.myEventsLead}</p>
        </div>
        <div className="flex flex-wrap gap-2">
          {organizationId ? (
            <Link to={`/organizations/${encodeURIComponent(organizationId)}/report`} className={buttonClass.secondary}>
              {t.reports.organizationLink}
            </Link>
          ) : null}
          <Link to="/events/new" className={buttonClass.primary}>
            {t.me.createEvent}
          </Link>
        </div>
      </div>
      <div role="group" aria-label={t.me.statusFilter} className="flex flex-wrap gap-2">
        {FILTERS.map((option) => (
          <button
            key={option}
            type="button"
            aria-pressed={filter === option}
            onClick={() => choose(option)}
            className={cn(
              'rounded-full px-3 py-1.5 text-sm font-medium ring-1 ring-inset',
              filter === option ? 'bg-brand-700 text-white ring-brand-700' : 'bg-white text-slate-800 ring-slate-300 hover:bg-slate-50',
            )}
          >
            {option === 'current' ? t.me.statusCurrent : option === 'all' ? t.me.statusAll : (t.events.statuses[option] ?? option)}
          </button>
        ))}
      </div>
      <div aria-busy={query.isFetching}>
        {body}
      </div>
    </div>
  );
}
