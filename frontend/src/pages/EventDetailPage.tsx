import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchEvent, publishEvent, setEventFeatured, type CatalogEvent, type EventSession } from '@/api/events';
import type { Availability } from '@/api/reservations';
import { queryKeys } from '@/api/queryKeys';
import { fetchOrganization } from '@/api/users';
import { EventImage } from '@/components/events/EventCard';
import { EventStatusBadge } from '@/components/events/EventStatusBadge';
import { AvailabilityBadge } from '@/components/reservations/AvailabilityBadge';
import { ReservePanel } from '@/components/reservations/ReservePanel';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { WaitlistLengthsPanel } from '@/components/orders/WaitlistLengthsPanel';
import { useI18n } from '@/i18n';
import { sessionAvailability, zoneLine } from '@/lib/availability';
import { cn } from '@/lib/cn';
import { shareLink, venueMapUrl } from '@/lib/eventLinks';
import { formatMoney } from '@/lib/format';
import { useHasPassed } from '@/lib/countdown';
import { useAvailability } from '@/lib/useAvailability';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useEventDates } from '@/lib/useEventDates';
import { roomOpensAt, storedQueueId } from '@/lib/waitingRoom';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';
import { problemText } from '@/lib/serverErrors';

/** 404, or 422 for an id that is not a UUID. */
function isNotFound(error: unknown): boolean {
  return isApiError(error) && (error.status === 404 || error.status === 422);
}

/**
 * One session's capacity and places left, then each zone's within that session: figures are
 * never added across sessions (each session sells its own places).
 */
function SessionPlaces({ event, session, availability }: { event: CatalogEvent; session: EventSession; availability: Availability | undefined }) {
  const { t, locale } = useI18n();
  const summary = sessionAvailability(availability, session.id, session.capacity);
  const zones = event.zones
    .map((zone) => ({ zone, line: zoneLine(availability, session.id, zone.id) }))
    .filter((row) => row.line !== undefined);
  return (
    <div className="flex flex-col items-start gap-1 sm:items-end">
      <div className="flex flex-wrap items-center gap-2">
        {session.capacity !== undefined ? (
          <span className="text-sm text-slate-700">{t.event.sessionCapacity(session.capacity.toLocaleString(locale))}</span>
        ) : null}
        {summary ? <AvailabilityBadge status={summary.status} available={summary.available} /> : null}
      </div>
      {zones.length > 1 ? (
        <ul aria-label={t.event.zonePlaces} className="flex flex-wrap gap-x-3 gap-y-1 text-sm text-slate-700">
          {zones.map(({ zone, line }) => (
            <li key={zone.id} className="flex items-center gap-1">
              <span>{zone.name}</span>
              {line ? <AvailabilityBadge status={line.status} available={line.available} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Prices and capacity per session, for events that do not sell (drafts, cancelled, past). */
function ZonePrices({ event }: { event: CatalogEvent }) {
  const { t, locale } = useI18n();
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-4 md:overflow-x-auto md:px-0">
      <table className="stack-table min-w-full divide-y divide-slate-200 text-left">
        <thead className="bg-slate-50 text-sm text-slate-700">
          <tr>
            <th scope="col" className="px-4 py-2 font-semibold">
              {t.event.zone}
            </th>
            <th scope="col" className="px-4 py-2 font-semibold">
              {t.event.price}
            </th>
            <th scope="col" className="px-4 py-2 font-semibold">
              {t.event.capacity}
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200">
          {event.zones.map((zone) => (
            <tr key={zone.id}>
              <th scope="row" className="px-0 py-2 font-medium text-slate-900 md:px-4 md:py-3">
                {zone.name}
              </th>
              <td className="px-0 py-1 text-slate-900 md:px-4 md:py-3" data-label={t.event.price}>
                {formatMoney(zone.price.amount, zone.price.currency, locale)}
              </td>
              <td className="px-0 py-1 text-slate-700 md:px-4 md:py-3" data-label={t.event.capacity}>
                {zone.capacity.toLocaleString(locale)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Who organizes the event, by the organization's public name (left out when it cannot be read). */
function Organizer({ organizationId }: { organizationId: string }) {
  const { t } = useI18n();
  const query = useQuery({
    queryKey: queryKeys.organization(organizationId),
    queryFn: ({ signal }) => fetchOrganization(organizationId, signal),
    staleTime: 10 * 60_000,
    retry: false,
  });
  if (!query.data) return null;
  return (
    <div>
      <dt className="text-sm font-medium text-slate-600">{t.event.organizer}</dt>
      <dd className="text-slate-900" data-testid="event-organizer">
        {query.data.name}
      </dd>
    </div>
  );
}

/** The system's share sheet where there is one, else the link copied, said with a toast. */
function ShareEventButton({ name }: { name: string }) {
  const { t } = useI18n();
  const share = async () => {
    const outcome = await shareLink({ title: name, url: window.location.href });
    if (outcome === 'copied') toast.success(t.event.linkCopied);
    else if (outcome === 'failed') toast.error(t.event.shareFailed);
  };
  return (
    <button type="button" className={buttonClass.secondary} onClick={() => void share()}>
      <svg className="h-4 w-4" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
        <path
          d="M8 10V2M5 5l3-3 3 3M3 9v4a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1V9"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.6"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      {t.event.share}
    </button>
  );
}

function useCanManage(event: CatalogEvent | undefined): boolean {
  const user = useAuthStore((s) => s.user);
  if (!event || !user) return false;
  if (user.role === 'admin') return true;
  return user.role === 'organizer' && user.organizationId !== null && user.organizationId === event.organizationId;
}

/**
 * Sale settings buyers care about: from when it sells, the limit per person, the waiting room,
 * the time to pay an order, re-entry at the door and whether tickets can be transferred.
 */
function SaleFacts({ event, long }: { event: CatalogEvent; long: (iso: string) => string }) {
  const { t } = useI18n();
  const sales = event.sales;
  const facts = [
    sales?.onSaleAt ? <time dateTime={sales.onSaleAt}>{t.event.salesFrom(long(sales.onSaleAt))}</time> : null,
    sales?.maxPerCustomer ? t.event.maxPerCustomer(sales.maxPerCustomer) : null,
    sales?.waitingRoom ? t.event.waitingRoom : null,
    sales ? t.event.paymentMinutes(sales.paymentMinutes) : null,
    sales ? (sales.reentryAllowed ? t.event.reentryAllowed : t.event.reentryNotAllowed) : null,
    sales ? (sales.transfersAllowed ? t.event.transfersAllowed : t.event.transfersNotAllowed) : null,
  ].filter((fact) => fact !== null);
  if (facts.length === 0) return null;
  return (
    <div>
      <dt className="text-sm font-medium text-slate-600">{t.event.sales}</dt>
      {facts.map((fact, i) => (
        <dd key={i} className="text-slate-900">
          {fact}
        </dd>
      ))}
    </div>
  );
}

/** Events with a waiting room: buyers join the line instead of reserving here. */
function QueueEntryPoint({ event, long }: { event: CatalogEvent; long: (iso: string) => string }) {
  const { t } = useI18n();
  const opensAt = roomOpensAt(event.sales?.onSaleAt);
  const opened = useHasPassed(opensAt);
  const open = opensAt === null || opened;
  const returning = storedQueueId(event.id) !== null;
  return (
    <div className="space-y-3 rounded-lg border border-brand-200 bg-brand-50 p-5">
      <h3 className="text-lg font-semibold text-slate-900">{t.queue.title}</h3>
      <p className="text-slate-800">{t.queue.lead}</p>
      {open ? (
        <Link to={`/events/${encodeURIComponent(event.id)}/queue`} className={buttonClass.primary}>
          {returning ? t.queue.rejoin : t.queue.join}
        </Link>
      ) : (
        <p className="font-medium text-slate-900">{t.queue.opensLater(long(new Date(opensAt).toISOString()))}</p>
      )}
    </div>
  );
}

function EventDetails({ event }: { event: CatalogEvent }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const canManage = useCanManage(event);
  const [publishing, setPublishing] = useState(false);
  const [featuring, setFeaturing] = useState(false);
  const isAdmin = useAuthStore((s) => s.user?.role === 'admin');
  // Places left per session x zone, for published events only (drafts were never on sale).
  const onSale = event.status === 'published';
  const availability = useAvailability(event.id, onSale);
  const { when, long, until, sessionLabel } = useEventDates(event);

  const publish = async () => {
    setPublishing(true);
    try {
      const updated = await publishEvent(event.id, event.version);
      queryClient.setQueryData(queryKeys.events.detail(event.id), updated);
      void queryClient.invalidateQueries({ queryKey: queryKeys.events.all });
      toast.success(t.event.published);
    } catch (error) {
      toast.error(problemText(error, t.common.genericError));
    } finally {
      setPublishing(false);
    }
  };

  const toggleFeatured = async () => {
    setFeaturing(true);
    try {
      const updated = await setEventFeatured(event.id, !event.featured);
      queryClient.setQueryData(queryKeys.events.detail(event.id), updated);
      void queryClient.invalidateQueries({ queryKey: queryKeys.events.all });
      toast.success(updated.featured ? t.event.featuredOn : t.event.featuredOff);
    } catch (error) {
      toast.error(problemText(error, t.common.genericError));
    } finally {
      setFeaturing(false);
    }
  };

  return (
    <article className="space-y-8">
      <header className="space-y-3">
        <div className="flex flex-wrap items-center gap-2 text-sm">
          {event.category ? (
            <span className="font-semibold uppercase tracking-wide text-brand-800">{t.events.categories[event.category] ?? event.category}</span>
          ) : null}
          {event.status && event.status !== 'published' ? <EventStatusBadge status={event.status} /> : null}
          {event.featured ? (
            <span className="rounded-full bg-amber-100 px-2.5 py-0.5 text-xs font-semibold text-amber-900">{t.event.featuredBadge}</span>
          ) : null}
        </div>
        <div className="flex flex-wrap items-start justify-between gap-3">
          <h1 className="text-3xl font-extrabold text-slate-900 sm:text-4xl">{event.name}</h1>
          {event.status === 'published' ? <ShareEventButton name={event.name} /> : null}
        </div>
        {event.status === 'cancelled' ? (
          <p className="rounded-md border border-red-200 bg-red-50 p-3 text-red-900">{t.event.cancelledNotice(event.cancellationReason ?? '')}</p>
        ) : null}
        {canManage ? (
          <div className="flex flex-wrap gap-3">
            {event.status === 'draft' || event.status === 'published' ? (
              <Link to={`/events/${encodeURIComponent(event.id)}/edit`} className={buttonClass.secondary}>
                {t.event.edit}
              </Link>
            ) : null}
            {event.status !== 'draft' ? (
              <Link to={`/events/${encodeURIComponent(event.id)}/orders`} className={buttonClass.secondary}>
                {t.event.orders}
              </Link>
            ) : null}
            {event.status !== 'draft' ? (
              <Link to={`/events/${encodeURIComponent(event.id)}/checkin-conflicts`} className={buttonClass.secondary}>
                {t.checkinConflicts.title}
              </Link>
            ) : null}
            {event.status === 'draft' ? (
              <button type="button" className={buttonClass.primary} disabled={publishing} onClick={() => void publish()}>
                {publishing ? t.event.publishing : t.event.publish}
              </button>
            ) : null}
          </div>
        ) : null}
        {isAdmin && (event.status === 'published' || event.featured) ? (
          <button
            type="button"
            className={buttonClass.secondary}
            aria-pressed={event.featured === true}
            disabled={featuring}
            onClick={() => void toggleFeatured()}
          >
            {event.featured ? t.event.unfeature : t.event.feature}
          </button>
        ) : null}
      </header>

      <EventImage event={event} className="h-56 rounded-lg sm:h-80" />

      <dl className="grid gap-4 rounded-lg border border-slate-200 bg-white p-5 sm:grid-cols-2">
        {event.startsAt ? (
          <div>
            <dt className="text-sm font-medium text-slate-600">{t.event.when}</dt>
            <dd className="text-slate-900">
              <time dateTime={event.startsAt}>{when(event.startsAt)}</time>
              {event.endsAt ? (
                <>
                  {' – '}
                  <time dateTime={event.endsAt}>{until(event.startsAt, event.endsAt)}</time>
                </>
              ) : null}
              {event.timezone ? <span className="block text-xs text-slate-600">{t.event.timezone(event.timezone)}</span> : null}
            </dd>
          </div>
        ) : null}
        <div>
          <dt className="text-sm font-medium text-slate-600">{t.event.where}</dt>
          <dd className="text-slate-900">
            {event.venue.name}
            <span className="block text-sm text-slate-700">{[event.venue.address, event.venue.city].filter(Boolean).join(', ')}</span>
            <a
              href={venueMapUrl(event.venue)}
              target="_blank"
              rel="noopener noreferrer"
              className={cn(buttonClass.link, 'mt-1 inline-block text-sm')}
            >
              {t.event.viewMap}
              <span className="sr-only"> {t.event.opensInNewTab}</span>
            </a>
          </dd>
        </div>
        {event.organizationId ? <Organizer organizationId={event.organizationId} /> : null}
        <SaleFacts event={event} long={long} />
      </dl>

      {canManage && event.status === 'published' ? <WaitlistLengthsPanel event={event} /> : null}

      {event.description ? (
        <section aria-labelledby="description-title">
          <h2 id="description-title" className="mb-2 text-xl font-semibold text-slate-900">
            {t.event.description}
          </h2>
          <p className="whitespace-pre-line text-slate-800">{event.description}</p>
        </section>
      ) : null}

      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title" className="mb-3 text-xl font-semibold text-slate-900">
          {t.event.sessions}
        </h2>
        {event.sessions.length === 0 ? (
          <Notice title={t.event.noSessions} headingLevel={3} />
        ) : (
          <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {event.sessions.map((session, i) => (
              <li key={session.id} aria-labelledby={`session-${session.id}`} className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
                <div>
                  <p id={`session-${session.id}`} className="font-medium text-slate-900">
                    {session.title || `${t.eventForm.sessionLegend(i + 1)}`}
                  </p>
                  <p className="text-sm text-slate-700">
                    <time dateTime={session.startsAt}>{when(session.startsAt)}</time>
                    {' – '}
                    <time dateTime={session.endsAt}>{until(session.startsAt, session.endsAt)}</time>
                    {session.place ? ` · ${t.event.place}: ${session.place}` : null}
                  </p>
                </div>
                <div className="flex flex-wrap items-center gap-2">
                  <span className="text-sm font-medium text-slate-700">{t.events.sessionStatuses[session.status] ?? session.status}</span>
                  <SessionPlaces event={event} session={session} availability={availability.data} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="zones-title">
        <h2 id="zones-title" className="mb-3 text-xl font-semibold text-slate-900">
          {t.event.zones}
        </h2>
        {onSale && event.sessions.length > 0 && event.sales?.waitingRoom ? (
          <div className="space-y-4">
            <ZonePrices event={event} />
            <QueueEntryPoint event={event} long={long} />
          </div>
        ) : onSale && event.sessions.length > 0 ? (
          <ReservePanel
            event={event}
            availability={availability.data}
            availabilityFailed={availability.isError}
            sessionLabel={sessionLabel}
          />
        ) : (
          <ZonePrices event={event} />
        )}
      </section>
    </article>
  );
}

export function EventDetailPage() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  const query = useQuery({
    queryKey: queryKeys.events.detail(id),
    queryFn: ({ signal }) => fetchEvent(id, signal),
    // Anything but "no such event" goes to the route's error boundary, whose retry refetches.
    throwOnError: (error) => !isNotFound(error),
  });
  useDocumentTitle(query.data?.name ?? t.events.title);

  if (query.isPending || (query.isError && query.isFetching)) return <Spinner label={t.event.loading} size="lg" />;
  if (query.isError) {
    return (
      <section className="mx-auto max-w-xl py-8">
        <h1 className="sr-only">{t.event.notFoundTitle}</h1>
        <Notice title={t.event.notFoundTitle} body={t.event.notFound}>
          <Link to="/events" className={buttonClass.secondary}>
            {t.nav.events}
          </Link>
        </Notice>
      </section>
    );
  }
  return <EventDetails event={query.data} />;
}
