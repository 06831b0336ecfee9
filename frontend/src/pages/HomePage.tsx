import { useQuery } from '@tanstack/react-query';
import { type ReactNode } from 'react';
import { Link } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchFeaturedEvents, fetchUpcomingEvents } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { EventCard, EventCardSkeletons } from '@/components/events/EventCard';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

const UPCOMING_LIMIT = 6;
const FEATURED_LIMIT = 3;

/** Statuses meaning "the events API is not there yet / temporarily off" rather than a real failure. */
const UNAVAILABLE_STATUSES = new Set([404, 405, 501, 502, 503, 504]);

function Notice({ title, body, children }: { title: string; body: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center">
      <p className="font-semibold text-slate-900">{title}</p>
      <p className="mt-1 text-slate-600">{body}</p>
      {children ? <div className="mt-4">{children}</div> : null}
    </div>
  );
}

function UpcomingEvents() {
  const { t } = useI18n();
  const query = useQuery({
    queryKey: queryKeys.events.upcoming(UPCOMING_LIMIT),
    queryFn: ({ signal }) => fetchUpcomingEvents(UPCOMING_LIMIT, signal),
    // A missing/disabled catalogue is an expected state here: show the notice at once.
    // Other failures (e.g. a network blip) get a single automatic retry.
    retry: (failureCount, error) => !(isApiError(error) && UNAVAILABLE_STATUSES.has(error.status)) && failureCount < 1,
  });

  if (query.isPending) {
    return <EventCardSkeletons label={t.home.upcomingLoading} count={UPCOMING_LIMIT} />;
  }
  if (query.isError) {
    const error = query.error;
    if (isApiError(error) && UNAVAILABLE_STATUSES.has(error.status)) {
      return (
        <Notice title={t.home.upcomingUnavailableTitle} body={t.home.upcomingUnavailable} />
      );
    }
    return (
      <Notice title={t.home.upcomingErrorTitle} body={t.home.upcomingError}>
        <button
          type="button"
          onClick={() => void query.refetch()}
          disabled={query.isFetching}
          className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60"
        >
          {t.home.retry}
        </button>
      </Notice>
    );
  }
  if (query.data.length === 0) {
    return <Notice title={t.home.upcomingTitle} body={t.home.upcomingEmpty} />;
  }
  return (
    <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      {query.data.map((event) => (
        <EventCard key={event.id} event={event} />
      ))}
    </ul>
  );
}

/** The administrators' pick; the section stays away while there is none or it cannot load. */
function FeaturedEvents() {
  const { t } = useI18n();
  const query = useQuery({
    queryKey: queryKeys.events.featured(FEATURED_LIMIT),
    queryFn: ({ signal }) => fetchFeaturedEvents(FEATURED_LIMIT, signal),
    retry: 1,
  });
  if (!query.isSuccess || query.data.length === 0) return null;
  return (
    <section aria-labelledby="featured-title">
      <h2 id="featured-title" className="mb-4 text-2xl font-bold text-slate-900">
        {t.home.featuredTitle}
      </h2>
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {query.data.map((event) => (
          <EventCard key={event.id} event={event} />
        ))}
      </ul>
    </section>
  );
}

export function HomePage() {
  const { t } = useI18n();
  useDocumentTitle(t.home.title);

  return (
    <div className="space-y-12">
      <section aria-labelledby="hero-title" className="rounded-2xl bg-linear-to-br from-brand-700 to-brand-900 px-6 py-14 text-white sm:px-12">
        <p className="text-sm font-semibold uppercase tracking-wider text-brand-100">{t.app.tagline}</p>
        <h1 id="hero-title" className="mt-2 max-w-2xl text-3xl font-extrabold sm:text-5xl">
          {t.home.heroTitle}
        </h1>
        <p className="mt-4 max-w-2xl text-lg text-brand-50">{t.home.heroLead}</p>
        <div className="mt-8 flex flex-wrap gap-3">
          <a href="#upcoming-title" className="rounded-md bg-white px-5 py-2.5 font-semibold text-brand-800 hover:bg-brand-50">
            {t.home.heroPrimary}
          </a>
          <Link to="/events" className="rounded-md px-5 py-2.5 font-semibold text-white ring-1 ring-inset ring-white/60 hover:bg-white/10">
            {t.home.heroBrowse}
          </Link>
        </div>
      </section>

      <FeaturedEvents />

      <section aria-labelledby="upcoming-title">
        <h2 id="upcoming-title" className="mb-4 text-2xl font-bold text-slate-900">
          {t.home.upcomingTitle}
        </h2>
        <UpcomingEvents />
      </section>
    </div>
  );
}
