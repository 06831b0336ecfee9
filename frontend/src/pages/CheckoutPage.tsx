import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { isApiError } from '@/api/client';
import { createOrder, existingOrderId, ORDER_PROBLEMS, orderReturnUrl, type OrderRequest } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { fetchReservation, newIdempotencyKey, problemKind, type Reservation } from '@/api/reservations';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert, SelectField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { OrderItems } from '@/components/orders/OrderItems';
import { Spinner } from '@/components/Spinner';
import { LOCALE_NAMES, LOCALES, isLocale, useI18n, type Locale, type Messages } from '@/i18n';
import { formatCountdown, secondsLeft, useNow } from '@/lib/countdown';
import { leaveTo } from '@/lib/download';
import { formatMoney } from '@/lib/format';
import { EMAIL_PATTERN, serverFieldErrors, useFocusFirstError, type FieldErrors } from '@/lib/forms';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';

const SERVER_FIELDS: Record<string, keyof Messages['checkout']['errors']> = {
  'buyer.name': 'name',
  'buyer.email': 'email',
  'buyer.locale': 'locale',
};

function eventPath(reservation: Reservation): string {
  return `/events/${encodeURIComponent(reservation.eventId)}`;
}

function NotHeld({ reservation }: { reservation: Reservation }) {
  const { t } = useI18n();
  return (
    <Notice title={t.checkout.notHeldTitle} body={t.checkout.notHeld}>
      <Link to={eventPath(reservation)} className={buttonClass.primary}>
        {t.checkout.backToEvent}
      </Link>
    </Notice>
  );
}

/**
 * Buyer details for a held reservation, then off to the payment provider's page. The Idempotency-Key
 * is made once per attempt: submitting the very same details again (after a network failure) reuses
 * it, so the edge answers with the order it already made instead of a second one.
 */
function CheckoutForm({ reservation }: { reservation: Reservation }) {
  const { t, locale: uiLocale } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const user = useAuthStore((s) => s.user);
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);
  const attempt = useRef<{ key: string; fingerprint: string } | null>(null);

  const [name, setName] = useState(user?.fullName ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [locale, setLocale] = useState<Locale>(uiLocale);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<ReactNode>(null);
  const [notHeld, setNotHeld] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [leaving, setLeaving] = useState(false);

  const running = reservation.status === 'held' && !notHeld;
  const now = useNow(running);
  const left = running ? secondsLeft(reservation.expiresAt, now) : 0;
  const total = formatMoney(reservation.total.amount, reservation.total.currency, uiLocale);

  if (reservation.status === 'purchased') {
    return (
      <Notice title={t.checkout.purchasedTitle} body={t.checkout.purchased}>
        <Link to="/me/orders" className={buttonClass.primary}>
          {t.orders.myTitle}
        </Link>
        <Link to="/me/tickets" className={buttonClass.secondary}>
          {t.tickets.title}
        </Link>
      </Notice>
    );
  }
  if (!running || left === 0) return <NotHeld reservation={reservation} />;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (submitting || leaving) return;
    const found: FieldErrors = {};
    if (!name.trim()) found.name = t.checkout.errors.name;
    if (!EMAIL_PATTERN.test(email.trim())) found.email = t.checkout.errors.email;
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) {
      focusFirstError();
      return;
    }
    const request: OrderRequest = {
      reservationId: reservation.id,
      buyer: { name: name.trim(), email: email.trim(), locale },
      returnUrl: orderReturnUrl(),
    };
    // The same details again reuse the key of the attempt that may have reached the server.
    const fingerprint = JSON.stringify(request);
    if (attempt.current?.fingerprint !== fingerprint) attempt.current = { key: newIdempotencyKey(), fingerprint };
    setSubmitting(true);
    try {
      const order = await createOrder(request, attempt.current.key);
      void queryClient.invalidateQueries({ queryKey: queryKeys.reservations.all });
      void queryClient.invalidateQueries({ queryKey: queryKeys.orders.all });
      if (order.payment.checkoutUrl) {
        setLeaving(true);
        leaveTo(order.payment.checkoutUrl);
      } else {
        void navigate(`/orders/${encodeURIComponent(order.id)}`);
      }
      return;
    } catch (error) {
      const kind = problemKind(error);
      if (kind === ORDER_PROBLEMS.orderExists) {
        const orderId = existingOrderId(error);
        if (orderId) {
          toast.info(t.checkout.existing);
          void navigate(`/orders/${encodeURIComponent(orderId)}`, { replace: true });
          return;
        }
      }
      if (kind === ORDER_PROBLEMS.reservationNotHeld) {
        attempt.current = null;
        setNotHeld(true);
        void queryClient.invalidateQueries({ queryKey: queryKeys.reservations.all });
        return;
      }
      if (isApiError(error) && error.status === 422) {
        const { fields, unmatched } = serverFieldErrors(error, (field) => SERVER_FIELDS[field] ?? null);
        const translated: FieldErrors = {};
        for (const key of Object.keys(fields)) translated[key] = t.checkout.errors[key as keyof Messages['checkout']['errors']];
        setErrors(translated);
        setFormError(Object.keys(translated).length === 0 || unmatched.length > 0 ? t.checkout.invalid : null);
      } else if (isApiError(error) && error.status === 401) {
        setFormError(t.checkout.signedOut);
      } else if (isApiError(error) && error.status === 404) {
        setFormError(t.checkout.notFound);
      } else {
        setFormError(isApiError(error) && error.isNetworkError ? t.common.networkError : t.common.genericError);
      }
      focusFirstError();
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div className="grid gap-8 lg:grid-cols-[1fr_22rem]">
      <form ref={formRef} noValidate onSubmit={(e) => void onSubmit(e)} className="space-y-5" aria-labelledby="checkout-buyer-title">
        <h2 id="checkout-buyer-title" className="text-xl font-semibold text-slate-900">
          {t.checkout.buyer}
        </h2>
        <TextField
          label={t.checkout.name}
          name="name"
          autoComplete="name"
          required
          maxLength={200}
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextField
          label={t.checkout.email}
          name="email"
          type="email"
          autoComplete="email"
          required
          maxLength={254}
          value={email}
          hint={t.checkout.emailHint}
          error={errors.email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <SelectField
          label={t.checkout.locale}
          name="locale"
          value={locale}
          error={errors.locale}
          onChange={(e) => {
            if (isLocale(e.target.value)) setLocale(e.target.value);
          }}
        >
          {LOCALES.map((code) => (
            <option key={code} value={code} lang={code}>
              {LOCALE_NAMES[code]}
            </option>
          ))}
        </SelectField>
        <FormAlert>{formError}</FormAlert>
        <div aria-live="polite">{leaving ? <Spinner label={t.checkout.redirecting} size="sm" /> : null}</div>
        <button type="submit" className={buttonClass.primary} disabled={submitting || leaving}>
          {submitting || leaving ? t.checkout.submitting : t.checkout.submit(total)}
        </button>
      </form>
      <aside aria-labelledby="checkout-summary-title" className="space-y-4 self-start rounded-lg border border-brand-200 bg-white p-5 shadow-xs">
        <h2 id="checkout-summary-title" className="text-lg font-semibold text-slate-900">
          {t.checkout.summary}
        </h2>
        <p className="font-medium text-slate-900">
          <Link to={eventPath(reservation)} className="hover:underline">
            {reservation.eventName}
          </Link>
        </p>
        <OrderItems items={reservation.items} total={reservation.total} label={t.reservations.items} />
        <p className="text-slate-800">
          {t.checkout.holdLeft}{' '}
          <span role="timer" className="font-mono text-2xl font-semibold tabular-nums text-brand-800">
            {formatCountdown(left)}
          </span>
        </p>
      </aside>
    </div>
  );
}

export function CheckoutPage() {
  const { t } = useI18n();
  useDocumentTitle(t.checkout.title);
  const { reservationId = '' } = useParams();
  const query = useQuery({
    queryKey: queryKeys.reservation(reservationId),
    queryFn: ({ signal }) => fetchReservation(reservationId, signal),
    staleTime: 0,
    retry: false,
  });

  let content: ReactNode;
  if (query.isPending) {
    content = <Spinner label={t.checkout.loading} />;
  } else if (query.isError) {
    const missing = isApiError(query.error) && (query.error.status === 404 || query.error.status === 422);
    content = missing ? (
      <Notice title={t.checkout.notFoundTitle} body={t.checkout.notFound}>
        <Link to="/me/reservations" className={buttonClass.primary}>
          {t.checkout.seeReservations}
        </Link>
      </Notice>
    ) : (
      <Notice title={t.checkout.loadError} tone="error">
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  } else {
    content = <CheckoutForm key={query.data.id} reservation={query.data} />;
  }

  return (
    <div className="mx-auto max-w-5xl space-y-8">
      <div>
        <h1 className="text-3xl font-bold text-slate-900">{t.checkout.title}</h1>
        <p className="mt-2 text-slate-600">{t.checkout.lead}</p>
      </div>
      {content}
    </div>
  );
}
