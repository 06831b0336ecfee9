import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'react-router';

import { isApiError } from '@/api/client';
import { queryKeys } from '@/api/queryKeys';
import { problemKind } from '@/api/reservations';
import { joinWaitlist, placesLeft, WAITLIST_PROBLEMS, type WaitlistEntry } from '@/api/waitlist';
import { buttonClass } from '@/components/form/buttonClass';
import { SelectField } from '@/components/form/fields';
import { useI18n } from '@/i18n';
import { loginPath } from '@/lib/navigation';
import { useAuthStore } from '@/store/auth';

/**
 * A sold-out zone of a session: instead of reserving, the buyer joins its waiting list for up to
 * the zone's per-order limit. Places that come free are held for the list in order and announced
 * by e-mail; the buyer's entries are on /me/waitlist.
 */
export function WaitlistJoin({
  eventId,
  sessionId,
  zoneId,
  zoneName,
  limit,
}: {
  eventId: string;
  sessionId: string;
  zoneId: string;
  zoneName: string;
  limit: number;
}) {
  const { t } = useI18n();
  const location = useLocation();
  const queryClient = useQueryClient();
  const user = useAuthStore((s) => s.user);
  const [quantity, setQuantity] = useState(1);
  const [submitting, setSubmitting] = useState(false);
  const [entry, setEntry] = useState<WaitlistEntry | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (entry) {
    return (
      <div role="status" className="space-y-1 text-sm text-slate-800">
        <p>{entry.position !== null ? t.waitlist.joined(entry.position) : t.waitlist.joinedOffered}</p>
        <Link to="/me/waitlist" className={buttonClass.link}>
          {t.waitlist.seeMine}
        </Link>
      </div>
    );
  }

  if (!user) {
    return (
      <div className="space-y-1 text-sm">
        <p className="text-slate-700">{t.waitlist.soldOutHint}</p>
        <Link to={loginPath(`${location.pathname}${location.search}`)} className={buttonClass.link}>
          {t.waitlist.signIn}
        </Link>
      </div>
    );
  }

  const join = async () => {
    setSubmitting(true);
    setError(null);
    try {
      setEntry(await joinWaitlist({ sessionId, zoneId, quantity }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.waitlist.all });
    } catch (failure) {
      if (problemKind(failure) === WAITLIST_PROBLEMS.zoneNotSoldOut) {
        setError(t.waitlist.notSoldOut(placesLeft(failure) ?? 0));
        void queryClient.invalidateQueries({ queryKey: queryKeys.availability(eventId) });
      } else {
        setError(isApiError(failure) && failure.isNetworkError ? t.common.networkError : t.waitlist.joinError);
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div className="space-y-2" data-testid="waitlist-join">
      <p className="text-sm text-slate-700">{t.waitlist.soldOutHint}</p>
      <div className="flex flex-wrap items-end gap-2">
        <SelectField
          label={t.waitlist.quantityFor(zoneName)}
          srOnlyLabel
          value={String(quantity)}
          onChange={(e) => setQuantity(Number(e.target.value))}
        >
          {Array.from({ length: Math.max(1, limit) }, (_, i) => i + 1).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </SelectField>
        <button
          type="button"
          className={buttonClass.secondary}
          aria-label={t.waitlist.joinFor(zoneName)}
          disabled={submitting}
          onClick={() => void join()}
        >
          {submitting ? t.waitlist.joining : t.waitlist.join}
        </button>
      </div>
      {error ? (
        <p role="alert" className="text-sm text-red-800">
          {error}
        </p>
      ) : null}
    </div>
  );
}
