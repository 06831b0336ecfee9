import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchEvent, type CatalogEvent } from '@/api/events';
import type { QueueStanding } from '@/api/queue';
import { queryKeys } from '@/api/queryKeys';
import { problemKind, PROBLEM_TYPES } from '@/api/reservations';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { ReservePanel } from '@/components/reservations/ReservePanel';
import { Spinner } from '@/components/Spinner';
import { useI18n, type Messages } from '@/i18n';
import { secondsLeft, useHasPassed, useNow } from '@/lib/countdown';
import { useAvailability } from '@/lib/useAvailability';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useEventDates } from '@/lib/useEventDates';
import { useQueueStanding } from '@/lib/useQueueStanding';
import { formatClock, formatWait, forgetQueueId, roomOpensAt } from '@/lib/waitingRoom';

/** While waiting, the place in the line is told to screen readers at most this often. */
const ANNOUNCE_EVERY_MS = 60_000;

/** 404, or 422 for an id that is not a UUID. */
function isNotFound(error: unknown): boolean {
  return isApiError(error) && (error.status === 404 || error.status === 422);
}

/** A 503 or no answer: the room is out of reach for now (polling tries again). */
function isUnreachable(error: unknown): boolean {
  return isApiError(error) && (error.status === 0 || error.status >= 500);
}

type Phase = 'before' | 'waiting' | 'admitted' | 'sold_out';

function phaseOf(standing: QueueStanding): Phase {
  if (standing.status === 'waiting' && standing.position === null) return 'before';
  return standing.status;
}

function announcementFor(standing: QueueStanding, t: Messages): string {
  switch (phaseOf(standing)) {
    case 'before':
      return t.queue.announceBefore;
    case 'admitted':
      return t.queue.announceAdmitted;
    case 'sold_out':
      return t.queue.soldOut;
    default:
      return t.queue.announcePosition(standing.position ?? 0, formatWait(standing.estimatedWaitSeconds ?? 0, t));
  }
}

/**
 * What a screen reader hears, through one polite live region: each change of phase (in line,
 * your turn, sold out) at once, and the place in the line at most once a minute, never each poll.
 */
function useAnnouncement(standing: QueueStanding | undefined, t: Messages): string {
  const [text, setText] = useState('');
  const last = useRef<{ phase: Phase | null; at: number }>({ phase: null, at: 0 });
  useEffect(() => {
    if (!standing) return;
    const phase = phaseOf(standing);
    const now = Date.now();
    const changed = phase !== last.current.phase;
    if (changed || (phase === 'waiting' && now - last.current.at >= ANNOUNCE_EVERY_MS)) {
      last.current = { phase, at: now };
      setText(announcementFor(standing, t));
    }
  }, [standing, t]);
  return text;
}

/** Before the on-sale: a countdown, and why arriving early changes nothing. */
function BeforeOnSale({ standing, long }: { standing: QueueStanding; long: (iso: string) => string }) {
  const { t } = useI18n();
  const now = useNow(standing.opensAt !== null);
  const left = standing.opensAt ? secondsLeft(standing.opensAt, now) : (standing.estimatedWaitSeconds ?? 0);
  return (
    <div className="space-y-3">
      <h2 className="text-xl font-semibold text-slate-900">{t.queue.beforeTitle}</h2>
      <div>
        <p id="queue-starts-in" className="text-sm font-medium text-slate-600">
          {t.queue.startsIn}
        </p>
        <p role="timer" aria-labelledby="queue-starts-in" className="font-mono text-4xl font-bold tabular-nums text-slate-900">
          {formatClock(left)}
        </p>
        {standing.opensAt ? <p className="text-sm text-slate-700">{t.queue.startsAt(long(standing.opensAt))}</p> : null}
      </div>
      <p className="text-slate-800">{t.queue.noAdvantage}</p>
      <p className="text-sm text-slate-600">{t.queue.keepOpen}</p>
    </div>
  );
}

/** In the line: the place, how far it has moved since the buyer's first look, the estimated wait. */
function Waiting({ standing }: { standing: QueueStanding }) {
  const { t, locale } = useI18n();
  const position = standing.position ?? 0;
  // The farthest place seen: progress is measured from there.
  const [first, setFirst] = useState(position);
  if (position > first) setFirst(position);
  const start = Math.max(first, position, 1);
  return (
    <div className="space-y-4">
      <h2 className="text-xl font-semibold text-slate-900">{t.queue.waitingTitle}</h2>
      <dl className="grid gap-4 sm:grid-cols-2">
        <div>
          <dt className="text-sm font-medium text-slate-600">{t.queue.position}</dt>
          <dd className="text-4xl font-bold tabular-nums text-slate-900" data-testid="queue-position">
            {position.toLocaleString(locale)}
          </dd>
        </div>
        <div>
          <dt className="text-sm font-medium text-slate-600">{t.queue.estimatedWait}</dt>
          <dd className="text-xl font-semibold text-slate-900">{formatWait(standing.estimatedWaitSeconds ?? 0, t)}</dd>
        </div>
      </dl>
      <div className="space-y-1">
        <label htmlFor="queue-progress" className="text-sm font-medium text-slate-600">
          {t.queue.progress}
        </label>
        <progress id="queue-progress" className="block h-3 w-full accent-brand-700" max={start} value={start - position + 1} />
      </div>
      <p className="text-sm text-slate-600">{t.queue.keepOpen}</p>
    </div>
  );
}

/** The buyer's turn: the reservation panel, sending the admission with the reservation. */
function Admitted({ event, standing, onAdmissionRequired }: { event: CatalogEvent; standing: QueueStanding; onAdmissionRequired: () => void }) {
  const { t, formatDateTime } = useI18n();
  const { sessionLabel } = useEventDates(event);
  const availability = useAvailability(event.id, true);
  const heading = useRef<HTMLHeadingElement>(null);
  // Keyboard and screen-reader users land on the news that it is their turn.
  useEffect(() => heading.current?.focus(), []);
  return (
    <section aria-labelledby="queue-admitted-title" className="space-y-4">
      <div>
        <h2 id="queue-admitted-title" ref={heading} tabIndex={-1} className="text-2xl font-bold text-emerald-800">
          {t.queue.admittedTitle}
        </h2>
        <p className="text-slate-800">{t.queue.admittedLead}</p>
        {standing.expiresAt ? (
          <p className="text-sm text-slate-600">{t.queue.admittedUntil(formatDateTime(standing.expiresAt, { timeStyle: 'short' }))}</p>
        ) : null}
      </div>
      {event.sessions.length === 0 ? (
        <Notice title={t.event.noSessions} headingLevel={3} />
      ) : (
        <ReservePanel
          event={event}
          availability={availability.data}
          availabilityFailed={availability.isError}
          sessionLabel={sessionLabel}
          admission={standing.admission}
          onAdmissionRequired={onAdmissionRequired}
        />
      )}
    </section>
  );
}

function WaitingRoom({ event }: { event: CatalogEvent }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const { long } = useEventDates(event);
  const hasRoom = event.sales?.waitingRoom === true;
  const standing = useQueueStanding(event.id, hasRoom);
  const opensAt = roomOpensAt(event.sales?.onSaleAt);
  const roomOpened = useHasPassed(opensAt);
  const announcement = useAnnouncement(standing.data, t);
  const eventPath = `/events/${encodeURIComponent(event.id)}`;
  const backToEvent = (
    <Link to={eventPath} className={buttonClass.secondary}>
      {t.queue.backToEvent}
    </Link>
  );

  const backToQueue = () => {
    // The admission ran out (or was refused): join again; the room keeps the buyer's place.
    forgetQueueId(event.id);
    void queryClient.resetQueries({ queryKey: queryKeys.queue(event.id) });
  };

  let body;
  if (!hasRoom) {
    body = <Notice title={t.queue.noWaitingRoomTitle} body={t.queue.noWaitingRoom}>{backToEvent}</Notice>;
  } else if (standing.data) {
    const phase = phaseOf(standing.data);
    body = (
      <>
        {standing.isError && isUnreachable(standing.error) ? <p className="text-sm text-slate-700">{t.queue.unavailable}</p> : null}
        {phase === 'before' ? <BeforeOnSale standing={standing.data} long={long} /> : null}
        {phase === 'waiting' ? <Waiting standing={standing.data} /> : null}
        {phase === 'admitted' ? <Admitted event={event} standing={standing.data} onAdmissionRequired={backToQueue} /> : null}
        {phase === 'sold_out' ? <Notice title={t.queue.soldOutTitle} body={t.queue.soldOut}>{backToEvent}</Notice> : null}
      </>
    );
  } else if (standing.isError) {
    if (problemKind(standing.error) === PROBLEM_TYPES.noWaitingRoom) {
      body =
        opensAt !== null && !roomOpened ? (
          <Notice title={t.queue.notOpenTitle} body={t.queue.notOpen(long(new Date(opensAt).toISOString()))}>
            {backToEvent}
          </Notice>
        ) : (
          <Notice title={t.queue.noWaitingRoomTitle} body={t.queue.noWaitingRoom}>
            {backToEvent}
          </Notice>
        );
    } else if (isUnreachable(standing.error)) {
      body = <Notice title={t.queue.unavailableTitle} body={t.queue.unavailable} />;
    } else {
      body = (
        <Notice title={t.queue.errorTitle} body={t.common.genericError} tone="error">
          <button type="button" className={buttonClass.secondary} onClick={() => void standing.refetch()}>
            {t.common.retry}
          </button>
        </Notice>
      );
    }
  } else {
    body = <Spinner label={t.queue.joining} size="lg" />;
  }

  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <header className="space-y-1">
        <p className="text-sm font-semibold uppercase tracking-wide text-brand-800">{t.queue.title}</p>
        <h1 className="text-3xl font-extrabold text-slate-900">{event.name}</h1>
        <Link to={eventPath} className={buttonClass.link}>
          {t.queue.backToEvent}
        </Link>
      </header>
      <div role="status" className="sr-only">
        {announcement}
      </div>
      <div className="rounded-lg border border-slate-200 bg-white p-5 shadow-xs">{body}</div>
    </div>
  );
}

/** `/events/:id/queue`: the event's waiting room for the signed-in buyer (the place survives a reload). */
export function QueuePage() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  const query = useQuery({
    queryKey: queryKeys.events.detail(id),
    queryFn: ({ signal }) => fetchEvent(id, signal),
    throwOnError: (error) => !isNotFound(error),
  });
  useDocumentTitle(query.data ? `${t.queue.title} · ${query.data.name}` : t.queue.title);

  if (query.isPending) return <Spinner label={t.event.loading} size="lg" />;
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
  return <WaitingRoom event={query.data} />;
}
