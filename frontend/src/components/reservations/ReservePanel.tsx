import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';

import { isApiError } from '@/api/client';
import type { CatalogEvent, EventSession } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import {
  createReservation,
  fetchMyReservations,
  MAX_PER_ORDER,
  newIdempotencyKey,
  problemKind,
  PROBLEM_TYPES,
  reservationLimit,
  soldOutZones,
  type Availability,
  type Reservation,
  type ReservationRequest,
} from '@/api/reservations';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert } from '@/components/form/fields';
import { Spinner } from '@/components/Spinner';
import { useI18n, type Messages } from '@/i18n';
import { isSelling, sessionAvailability, zoneLine } from '@/lib/availability';
import { useHasPassed } from '@/lib/countdown';
import { formatMoney } from '@/lib/format';
import { useFocusFirstError } from '@/lib/forms';
import { loginPath } from '@/lib/navigation';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';

import { AvailabilityBadge } from './AvailabilityBadge';
import { QuantityStepper } from './QuantityStepper';
import { ReservationCard } from './ReservationCard';
import { WaitlistJoin } from './WaitlistJoin';

const HELD = ['held'] as const;

/** What went wrong with the last attempt: nothing chosen, or the server's refusal of `items`. */
type Refusal = { kind: 'empty' } | { kind: 'server'; error: unknown; items: ReservationRequest['items'] };

/** "?qty=<zone>:2,<zone>:1" (the selection carried through sign-in) -> {zone: 2, ...}. */
function parseQuantities(raw: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (raw ?? '').split(',')) {
    const [zoneId, count] = part.split(':');
    const quantity = Number(count);
    if (zoneId && Number.isInteger(quantity) && quantity > 0) out[zoneId] = quantity;
  }
  return out;
}

/** The session offered first: the one asked for in the URL, else the first that sells. */
function firstSellingSession(event: CatalogEvent, availability: Availability | undefined): string | null {
  const selling = event.sessions.find((s) => isSelling(sessionAvailability(availability, s.id)?.status));
  return selling?.id ?? event.sessions[0]?.id ?? null;
}

/** The server's refusal in the reader's language (never its English text), and field errors per zone. */
function explain(
  refusal: Refusal,
  t: Messages,
  zone: (zoneId: string) => { name: string; limit: number },
  onSaleAt: string | null,
): { message: ReactNode; fields: Record<string, string> } {
  if (refusal.kind === 'empty') return { message: t.reserve.chooseSomething, fields: {} };
  const { error, items } = refusal;
  const kind = problemKind(error);
  if (kind === PROBLEM_TYPES.soldOut) {
    const zones = soldOutZones(error);
    return {
      fields: {},
      message: (
        <>
          <p>{t.reserve.soldOut}</p>
          {zones.length > 0 ? (
            <ul className="mt-1 list-disc pl-5">
              {zones.map((left) => (
                <li key={left.zoneId}>{t.reserve.soldOutZone(zone(left.zoneId).name, left.available)}</li>
              ))}
            </ul>
          ) : null}
        </>
      ),
    };
  }
  if (kind === PROBLEM_TYPES.notOnSale) {
    return { fields: {}, message: [t.reserve.notOnSaleError, onSaleAt ? t.reserve.onSaleAt(onSaleAt) : ''].filter(Boolean).join(' ') };
  }
  if (kind === PROBLEM_TYPES.limitReached) {
    const { limit, taken } = reservationLimit(error);
    return { fields: {}, message: limit !== undefined ? t.reserve.limitReached(limit, taken ?? 0) : t.reserve.limitReachedGeneric };
  }
  if (!isApiError(error)) return { fields: {}, message: t.common.genericError };
  if (error.status === 422) {
    const fields: Record<string, string> = {};
    for (const entry of error.errors ?? []) {
      const match = /^items\.(\d+)\.quantity$/.exec(entry.field);
      const zoneId = match ? items[Number(match[1])]?.zoneId : undefined;
      if (zoneId) fields[zoneId] = t.reserve.quantityInvalid(zone(zoneId).limit);
    }
    return { fields, message: t.reserve.invalid };
  }
  if (error.status === 401) return { fields: {}, message: t.reserve.signedOut };
  if (error.status === 403) return { fields: {}, message: kind === PROBLEM_TYPES.admissionRequired ? t.reserve.admissionRequired : t.reserve.notAllowed };
  if (error.status === 404) return { fields: {}, message: t.reserve.sessionGone };
  return { fields: {}, message: error.isNetworkError ? t.common.networkError : t.common.genericError };
}

/**
 * Choose a session and how many places of each zone, then hold them. The places left come from
 * the polled availability; once held, the reservation is shown with its countdown instead.
 * Events with a waiting room pass the buyer's `admission` (sent as the `Admission` header); a
 * refusal for want of one (`…/admission-required`) sends the buyer back to the queue. A sold-out
 * zone offers its waiting list instead of a quantity.
 */
export function ReservePanel({
  event,
  availability,
  availabilityFailed,
  sessionLabel,
  admission,
  onAdmissionRequired,
}: {
  event: CatalogEvent;
  availability: Availability | undefined;
  availabilityFailed: boolean;
  sessionLabel: (session: EventSession, index: number) => string;
  admission?: string | null;
  /** Back to the queue; without it the buyer is taken to the event's queue page. */
  onAdmissionRequired?: () => void;
}) {
  const { t, locale, formatDateTime } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const user = useAuthStore((s) => s.user);
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);

  const [chosenSession, setChosenSession] = useState<string | null>(() => {
    const asked = params.get('session');
    return asked && event.sessions.some((s) => s.id === asked) ? asked : null;
  });
  const [quantities, setQuantities] = useState<Record<string, number>>(() => parseQuantities(params.get('qty')));
  const [submitting, setSubmitting] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [hold, setHold] = useState<Reservation | null>(null);
  const [justReserved, setJustReserved] = useState(false);
  const [dismissed, setDismissed] = useState<string[]>([]);
  const [focusForm, setFocusForm] = useState(0);

  // A hold made earlier (before a reload, in another tab) is shown again while it runs: the ones
  // still running when the list arrived.
  const heldQuery = useQuery({
    queryKey: queryKeys.reservations.held,
    queryFn: async ({ signal }) => {
      const page = await fetchMyReservations(HELD, null, signal, 20);
      const now = Date.now();
      return page.items.filter((r) => r.status === 'held' && Date.parse(r.expiresAt) > now);
    },
    enabled: user !== null,
    staleTime: 0,
    retry: false,
  });
  const earlier = heldQuery.data?.find((r) => r.eventId === event.id && !dismissed.includes(r.id));
  // Adopted once (while rendering, not in an effect): the card then stays until the buyer chooses again.
  if (hold === null && earlier) setHold(earlier);

  useEffect(() => {
    if (focusForm > 0) formRef.current?.querySelector<HTMLElement>('input:not([disabled])')?.focus();
  }, [focusForm]);

  const sessionId = chosenSession ?? firstSellingSession(event, availability);
  const loading = availability === undefined && !availabilityFailed;
  const rows = event.zones.map((zone) => {
    const line = sessionId ? zoneLine(availability, sessionId, zone.id) : undefined;
    // Without figures (the availability call failed) the server decides; the per-order limit still holds.
    const selling = availability === undefined ? !loading : isSelling(line?.status);
    const limit = zone.maxPerOrder ?? MAX_PER_ORDER;
    const max = line ? Math.min(limit, line.available) : limit;
    const disabled = !selling || max <= 0;
    return { zone, line, limit, max, disabled, quantity: disabled ? 0 : Math.min(quantities[zone.id] ?? 0, max) };
  });
  const zoneOf = (zoneId: string) => {
    const zone = event.zones.find((z) => z.id === zoneId);
    return { name: zone?.name ?? zoneId, limit: zone?.maxPerOrder ?? MAX_PER_ORDER };
  };
  // One note when every zone has the same per-order limit, else each stepper tells its own.
  const limits = new Set(rows.map((row) => row.limit));
  const sharedLimit = limits.size === 1 ? rows[0]?.limit : undefined;
  const onSalePassed = useHasPassed(availability?.onSaleAt ? Date.parse(availability.onSaleAt) : null);
  const onSaleAt =
    availability?.onSaleAt && !onSalePassed
      ? formatDateTime(availability.onSaleAt, { dateStyle: 'long', timeStyle: 'short', ...(event.timezone ? { timeZone: event.timezone } : {}) })
      : null;
  const explained = refusal ? explain(refusal, t, zoneOf, onSaleAt) : null;

  const totals = new Map<string, number>();
  for (const row of rows) {
    if (row.quantity > 0) {
      const { amount, currency } = row.zone.price;
      totals.set(currency, (totals.get(currency) ?? 0) + Number(amount) * row.quantity);
    }
  }
  const total = [...totals].map(([currency, value]) => formatMoney(value.toFixed(2), currency, locale)).join(' + ');

  const chooseAgain = () => {
    if (hold) setDismissed((ids) => [...ids, hold.id]);
    setHold(null);
    setJustReserved(false);
    setRefusal(null);
    setFocusForm((n) => n + 1);
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!sessionId || submitting) return;
    const items = rows.filter((row) => row.quantity > 0).map((row) => ({ zoneId: row.zone.id, quantity: row.quantity }));
    if (items.length === 0) {
      setRefusal({ kind: 'empty' });
      focusFirstError();
      return;
    }
    if (!user) {
      // Sign in, then come back to this event with the same selection.
      toast.info(t.reserve.signInToast);
      const qty = items.map((item) => `${item.zoneId}:${item.quantity}`).join(',');
      void navigate(loginPath(`${location.pathname}?session=${encodeURIComponent(sessionId)}&qty=${encodeURIComponent(qty)}`));
      return;
    }
    setSubmitting(true);
    setRefusal(null);
    try {
      // A new key per attempt: the edge returns the first answer if this very request is retried.
      const reservation = await createReservation({ sessionId, items }, newIdempotencyKey(), admission);
      setHold(reservation);
      setJustReserved(true);
      setQuantities({});
      void queryClient.invalidateQueries({ queryKey: queryKeys.reservations.all });
    } catch (error) {
      if (problemKind(error) === PROBLEM_TYPES.admissionRequired) {
        // No admission, or it expired: the queue decides when this buyer may reserve.
        if (onAdmissionRequired) {
          toast.info(t.queue.admissionExpired);
          onAdmissionRequired();
        } else {
          toast.info(t.reserve.admissionRequired);
          void navigate(`/events/${encodeURIComponent(event.id)}/queue`);
        }
        return;
      }
      setRefusal({ kind: 'server', error, items });
      focusFirstError();
    } finally {
      setSubmitting(false);
      void queryClient.invalidateQueries({ queryKey: queryKeys.availability(event.id) });
    }
  };

  if (hold) {
    const session = event.sessions.find((s) => s.id === hold.sessionId);
    const index = session ? event.sessions.indexOf(session) : -1;
    return (
      <div className="space-y-3">
        <ReservationCard
          reservation={hold}
          heading={t.reservations.holdTitle}
          autoFocus={justReserved}
          details={session ? <p className="text-sm text-slate-700">{sessionLabel(session, index)}</p> : null}
          afterEnd={
            <button type="button" className={buttonClass.primary} onClick={chooseAgain}>
              {t.reservations.chooseAgain}
            </button>
          }
        />
        <p className="text-sm text-slate-600">
          {t.reserve.holdNote}{' '}
          <Link to="/me/reservations" className={buttonClass.link}>
            {t.reservations.seeAll}
          </Link>
        </p>
      </div>
    );
  }

  return (
    <form ref={formRef} noValidate onSubmit={(e) => void onSubmit(e)} className="space-y-4">
      {event.sessions.length > 1 ? (
        <fieldset className="space-y-2">
          <legend className="mb-1 font-medium text-slate-900">{t.reserve.chooseSession}</legend>
          {event.sessions.map((session, i) => {
            const summary = sessionAvailability(availability, session.id, session.capacity);
            return (
              <label
                key={session.id}
                className="flex cursor-pointer flex-wrap items-center gap-3 rounded-md border border-slate-200 bg-white px-3 py-2 has-checked:border-brand-700 has-checked:ring-1 has-checked:ring-brand-700"
              >
                <input
                  type="radio"
                  name="session"
                  value={session.id}
                  checked={session.id === sessionId}
                  onChange={() => {
                    setChosenSession(session.id);
                    setRefusal(null);
                  }}
                  className="h-4 w-4 accent-brand-700"
                />
                <span className="text-slate-900">{sessionLabel(session, i)}</span>
                {summary ? <AvailabilityBadge status={summary.status} available={summary.available} /> : null}
              </label>
            );
          })}
        </fieldset>
      ) : null}

      {loading ? <Spinner label={t.reserve.placesLoading} size="sm" /> : null}
      {availabilityFailed && availability === undefined ? <p className="text-sm text-slate-700">{t.reserve.placesUnavailable}</p> : null}

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
                {t.event.availability}
              </th>
              <th scope="col" className="px-4 py-2 font-semibold">
                {t.reserve.quantity}
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {rows.map((row) => (
              <tr key={row.zone.id} data-zone={row.zone.id}>
                <th scope="row" className="px-0 py-2 font-medium text-slate-900 md:px-4 md:py-3">
                  {row.zone.name}
                </th>
                <td className="px-0 py-1 text-slate-900 md:px-4 md:py-3" data-label={t.event.price}>
                  {formatMoney(row.zone.price.amount, row.zone.price.currency, locale)}
                </td>
                <td className="px-0 py-1 md:px-4 md:py-3" data-label={t.event.availability}>
                  {row.line ? <AvailabilityBadge status={row.line.status} available={row.line.available} /> : null}
                </td>
                <td className="px-0 py-1 md:px-4 md:py-3" data-label={t.reserve.quantity}>
                  {row.line?.status === 'sold_out' && sessionId ? (
                    <WaitlistJoin
                      key={`${sessionId}:${row.zone.id}`}
                      eventId={event.id}
                      sessionId={sessionId}
                      zoneId={row.zone.id}
                      zoneName={row.zone.name}
                      limit={row.limit}
                    />
                  ) : (
                    <QuantityStepper
                      zoneName={row.zone.name}
                      value={row.quantity}
                      max={row.max}
                      disabled={row.disabled}
                      error={explained?.fields[row.zone.id]}
                      hint={sharedLimit === undefined ? t.reserve.maxPerOrder(row.limit) : undefined}
                      onChange={(value) => setQuantities((q) => ({ ...q, [row.zone.id]: value }))}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {sharedLimit !== undefined || event.maxPerCustomer !== undefined ? (
        <p className="text-sm text-slate-600">
          {[
            sharedLimit === undefined ? '' : t.reserve.maxPerOrder(sharedLimit),
            event.maxPerCustomer === undefined ? '' : t.reserve.maxPerCustomer(event.maxPerCustomer),
          ]
            .filter(Boolean)
            .join(' ')}
        </p>
      ) : null}
      {total ? (
        <p className="text-lg font-semibold text-slate-900">
          {t.reserve.total}: <span data-testid="selection-total">{total}</span>
        </p>
      ) : null}
      <FormAlert>{explained?.message}</FormAlert>
      {user ? null : <p className="text-sm text-slate-700">{t.reserve.signInHint}</p>}
      <button type="submit" className={buttonClass.primary} disabled={submitting || loading}>
        {submitting ? t.reserve.submitting : t.reserve.submit}
      </button>
    </form>
  );
}
