import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useEffectEvent, useId, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';

import { isApiError } from '@/api/client';
import { queryKeys } from '@/api/queryKeys';
import { releaseReservation, type Reservation, type ReservationStatus } from '@/api/reservations';
import { buttonClass } from '@/components/form/buttonClass';
import { useI18n, type Messages } from '@/i18n';
import { cn } from '@/lib/cn';
import { formatCountdown, passedMilestone, secondsLeft, useNow } from '@/lib/countdown';
import { formatMoney } from '@/lib/format';
import { toast } from '@/store/toasts';

function ReservationStatusBadge({ status }: { status: ReservationStatus }) {
  const { t } = useI18n();
  return (
    <span
      data-reservation-status={status}
      className={cn(
        'inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset',
        status === 'held' ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/30' : 'bg-slate-100 text-slate-700 ring-slate-500/30',
      )}
    >
      {t.reservations.statuses[status] ?? status}
    </span>
  );
}

/** What the polite live region says while the hold runs: only when a milestone is passed. */
function milestoneText(t: Messages, seconds: number): string {
  const milestone = passedMilestone(seconds);
  if (milestone === null) return '';
  return milestone >= 60 ? t.reservations.timeLeftMinutes(milestone / 60) : t.reservations.timeLeftSeconds(milestone);
}

function lineTotal(amount: string, quantity: number): string {
  return (Number(amount) * quantity).toFixed(2);
}

/**
 * One reservation: its items and total; while held, a countdown to `expires_at` and a release
 * button. At zero it reads as expired. Screen readers hear the time left at a few milestones
 * (5 and 2 minutes, 1 minute, 30 and 10 seconds) and the end, through one polite live region.
 */
export function ReservationCard({
  reservation,
  heading,
  headingLevel = 3,
  autoFocus = false,
  details,
  releaseSuffix,
  afterEnd,
  onEnded,
}: {
  reservation: Reservation;
  heading: ReactNode;
  headingLevel?: 2 | 3;
  /** Move the focus to the heading when the card appears (right after reserving). */
  autoFocus?: boolean;
  details?: ReactNode;
  /** Told to screen readers after "Release tickets", to tell several buttons apart. */
  releaseSuffix?: string;
  /** Shown once the hold has ended (released or expired), e.g. "choose other tickets". */
  afterEnd?: ReactNode;
  /** Called once when the hold ends on screen; without it the card keeps the focus itself. */
  onEnded?: (status: ReservationStatus) => void;
}) {
  const { t, locale } = useI18n();
  const queryClient = useQueryClient();
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [releasedAt, setReleasedAt] = useState<string | null>(null);
  const [releasing, setReleasing] = useState(false);
  const running = reservation.status === 'held' && releasedAt === null;
  const now = useNow(running);
  const left = running ? secondsLeft(reservation.expiresAt, now) : 0;
  const status: ReservationStatus = releasedAt !== null ? 'released' : running && left === 0 ? 'expired' : reservation.status;
  const held = status === 'held';
  const wasHeld = useRef(held);
  // Reads the latest onEnded without making the effect below run again when it changes.
  const ended = useEffectEvent((endedAs: ReservationStatus) => {
    if (onEnded) {
      onEnded(endedAs);
    } else if (document.activeElement === null || document.activeElement === document.body) {
      // The release button is gone: keep keyboard users here rather than at the top of the page.
      headingRef.current?.focus();
    }
  });

  useEffect(() => {
    if (autoFocus) headingRef.current?.focus();
  }, [autoFocus]);

  useEffect(() => {
    if (!wasHeld.current || held) return;
    wasHeld.current = false;
    void queryClient.invalidateQueries({ queryKey: queryKeys.availability(reservation.eventId) });
    void queryClient.invalidateQueries({ queryKey: queryKeys.reservations.all });
    ended(status);
  }, [held, status, queryClient, reservation.eventId]);

  const release = async () => {
    setReleasing(true);
    try {
      await releaseReservation(reservation.id);
      setReleasedAt(new Date().toISOString());
      toast.success(t.reservations.released);
    } catch (error) {
      toast.error(isApiError(error) && error.isNetworkError ? t.common.networkError : t.reservations.releaseError);
    } finally {
      setReleasing(false);
    }
  };

  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const money = (amount: string, currency: string) => formatMoney(amount, currency, locale);
  return (
    <article
      aria-labelledby={headingId}
      data-reservation={reservation.id}
      className={cn('space-y-4 rounded-lg border bg-white p-5 shadow-xs', held ? 'border-brand-200' : 'border-slate-200')}
    >
      <div className="flex flex-wrap items-start justify-between gap-2">
        <Heading id={headingId} ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-hidden focus-visible:ring-2 focus-visible:ring-focus">
          {heading}
        </Heading>
        <ReservationStatusBadge status={status} />
      </div>
      {details}
      <ul aria-label={t.reservations.items} className="divide-y divide-slate-100">
        {reservation.items.map((item) => (
          <li key={item.zoneId} className="flex flex-wrap justify-between gap-2 py-1.5">
            <span className="text-slate-900">
              {t.reservations.item(item.quantity, item.zoneName)}{' '}
              <span className="text-sm text-slate-600">({t.reservations.each(money(item.unitPrice.amount, item.unitPrice.currency))})</span>
            </span>
            <span className="text-slate-900">{money(lineTotal(item.unitPrice.amount, item.quantity), item.unitPrice.currency)}</span>
          </li>
        ))}
      </ul>
      <p className="flex justify-between border-t border-slate-200 pt-2 font-semibold text-slate-900">
        <span>{t.reservations.total}</span>
        <span data-testid="reservation-total">{money(reservation.total.amount, reservation.total.currency)}</span>
      </p>
      {held ? (
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-slate-800">
            {t.reservations.expiresIn}{' '}
            <span role="timer" className="font-mono text-2xl font-semibold tabular-nums text-brand-800">
              {formatCountdown(left)}
            </span>
          </p>
          <div className="flex flex-wrap items-center gap-3">
            <button type="button" className={buttonClass.danger} disabled={releasing} onClick={() => void release()}>
              {releasing ? t.reservations.releasing : t.reservations.release}
              {/* The space stays outside the hidden span: name computations that trim an inline element's text keep it. */}
              {releaseSuffix ? (
                <>
                  {' '}
                  <span className="sr-only">({releaseSuffix})</span>
                </>
              ) : null}
            </button>
            <Link to={`/checkout/${encodeURIComponent(reservation.id)}`} className={buttonClass.primary}>
              {t.reservations.pay}
              {releaseSuffix ? (
                <>
                  {' '}
                  <span className="sr-only">({releaseSuffix})</span>
                </>
              ) : null}
            </Link>
          </div>
        </div>
      ) : null}
      <div aria-live="polite" aria-atomic="true">
        {held ? (
          <span className="sr-only">{milestoneText(t, left)}</span>
        ) : status === 'released' && reservation.status === 'held' ? (
          <p className="text-slate-700">{t.reservations.releasedNotice}</p>
        ) : status === 'expired' && reservation.status === 'held' ? (
          <p className="text-slate-700">{t.reservations.expiredNotice}</p>
        ) : null}
      </div>
      {!held && afterEnd ? <div className="flex flex-wrap gap-3">{afterEnd}</div> : null}
    </article>
  );
}
