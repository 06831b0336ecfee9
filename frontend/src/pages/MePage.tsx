import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchMyOrganizationEvents, type CatalogEvent } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { fetchMe } from '@/api/users';
import { EventStatusBadge } from '@/components/events/EventStatusBadge';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';

function Profile() {
  const { t, formatDateTime } = useI18n();
  const query = useQuery({ queryKey: queryKeys.me, queryFn: ({ signal }) => fetchMe(signal) });

  if (query.isPending) return <Spinner label={t.a11y.loading} />;
  if (query.isError) {
    return (
      <Notice title={t.me.profileError} tone="error" headingLevel={3}>
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  }
  const user = query.data;
  const rows: [string, string][] = [
    [t.me.fullName, user.fullName || '—'],
    [t.me.email, user.email],
    [t.me.role, t.roles[user.role] ?? user.role],
    [t.me.organization, user.organizationId ?? t.me.noOrganization],
  ];
  if (user.createdAt) rows.push([t.me.memberSince, formatDateTime(user.createdAt, { dateStyle: 'long' })]);
  if (user.lastLoginAt) rows.push([t.me.lastLogin, formatDateTime(user.lastLoginAt)]);
  return (
    <dl className="grid gap-x-6 gap-y-3 sm:grid-cols-[max-content_1fr]">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="font-medium text-slate-700">{label}</dt>
          <dd className="break-all text-slate-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function MyEventRow({ event }: { event: CatalogEvent }) {
  const { t, formatDateTime } = useI18n();
  const editable = event.status === 'draft' || event.status === 'published';
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
      <div>
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

function MyEvents() {
  const { t } = useI18n();
  const query = useInfiniteQuery({
    queryKey: queryKeys.events.mine,
    queryFn: ({ pageParam, signal }) => fetchMyOrganizationEvents(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  if (query.isPending) return <Spinner label={t.a11y.loading} />;
  if (query.isError) {
    if (isApiError(query.error) && query.error.status === 403) {
      return <Notice title={t.me.myEvents} body={t.me.myEventsNoOrg} headingLevel={3} />;
    }
    return (
      <Notice title={t.me.myEventsError} tone="error" headingLevel={3}>
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  }
  const events = query.data.pages.flatMap((page) => page.items);
  if (events.length === 0) {
    return (
      <Notice title={t.me.myEventsEmpty} headingLevel={3}>
        <Link to="/events/new" className={buttonClass.primary}>
          {t.me.createEvent}
        </Link>
      </Notice>
    );
  }
  return (
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

export function MePage() {
  const { t } = useI18n();
  useDocumentTitle(t.me.title);
  const role = useAuthStore((s) => s.user?.role);
  const organizationId = useAuthStore((s) => s.user?.organizationId);
  const showEvents = role === 'organizer' || role === 'admin';
  return (
    <div className="mx-auto max-w-4xl space-y-10">
      <h1 className="text-3xl font-bold text-slate-900">{t.me.title}</h1>
      <section aria-labelledby="profile-title" className="rounded-lg border border-slate-200 bg-white p-6 shadow-xs">
        <h2 id="profile-title" className="mb-4 text-xl font-semibold text-slate-900">
          {t.me.profile}
        </h2>
        <Profile />
      </section>
      {showEvents ? (
        <section aria-labelledby="my-events-title">
          <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
            <div>
              <h2 id="my-events-title" className="text-xl font-semibold text-slate-900">
                {t.me.myEvents}
              </h2>
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
          <MyEvents />
        </section>
      ) : null}
    </div>
  );
}
