import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchEvent } from '@/api/events';
import { canRetryPayment, fetchOrderPdf, fetchOrder, fetchTicket, orderPollInterval, type Order } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { OrderItems } from '@/components/orders/OrderItems';
import { OrderStatusBadge } from '@/components/orders/OrderStatusBadge';
import { RefundPanel } from '@/components/orders/RefundPanel';
import { TicketCard } from '@/components/orders/TicketCard';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useNow } from '@/lib/countdown';
import { leaveTo, saveBlob } from '@/lib/download';
import { formatMoney } from '@/lib/format';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';

const WITH_TICKETS = new Set<Order['status']>(['paid', 'partially_refunded', 'refunded']);
const PRINTABLE = new Set<Order['status']>(['paid', 'partially_refunded']);

/** What the status means for the buyer, and what they can do now (pay again, wait). */
function StatusPanel({ order }: { order: Order }) {
  const { t, locale, formatDateTime } = useI18n();
  const waiting = order.status === 'pending_payment' || order.status === 'failed';
  const now = useNow(waiting, 5_000);
  const retry = canRetryPayment(order, now);
  const money = (amount: string) => formatMoney(amount, order.total.currency, locale);
  const refunded = Number(order.refunded.amount) > 0;
  const tone =
    order.status === 'failed'
      ? 'border-red-200 bg-red-50'
      : order.status === 'paid'
        ? 'border-emerald-200 bg-emerald-50'
        : order.status === 'pending_payment'
          ? 'border-amber-200 bg-amber-50'
          : 'border-slate-200 bg-white';
  return (
    <section aria-labelledby="order-status-title" className={cn('space-y-3 rounded-lg border p-5', tone)}>
      <h2 id="order-status-title" className="sr-only">
        {t.event.status}
      </h2>
      {/* One polite region: a screen reader hears the new state when polling brings it. */}
      <div role="status" className="space-y-2">
        <OrderStatusBadge status={order.status} />
        <p className="text-lg font-medium text-slate-900" data-testid="order-message">
          {t.orders.messages[order.status] ?? ''}
        </p>
        {order.status === 'failed' ? (
          <p className="font-medium text-red-900">
            {(order.payment.failureCode ? t.orders.declines[order.payment.failureCode] : undefined) ?? t.orders.declineGeneric}{' '}
            {retry ? t.orders.declineHint : ''}
          </p>
        ) : null}
        {refunded || order.status === 'refunded' ? (
          <p className="text-slate-900" data-testid="order-refunded">
            {t.orders.refundedOf(money(order.refunded.amount), money(order.total.amount))}
          </p>
        ) : null}
      </div>
      {waiting && order.payBy && retry ? (
        <p className="text-slate-800">
          <time dateTime={order.payBy}>{t.orders.payBy(formatDateTime(order.payBy))}</time>
        </p>
      ) : null}
      {order.status === 'failed' && !retry ? <p className="text-slate-800">{t.orders.retryClosed}</p> : null}
      {retry && order.payment.checkoutUrl ? (
        <div className="flex flex-wrap gap-3">
          <button
            type="button"
            className={order.status === 'failed' ? buttonClass.primary : buttonClass.secondary}
            onClick={() => order.payment.checkoutUrl && leaveTo(order.payment.checkoutUrl)}
          >
            {order.status === 'failed' ? t.orders.tryAgain : t.orders.continuePayment}
          </button>
        </div>
      ) : null}
      {order.status === 'expired' || (order.status === 'failed' && !retry) ? (
        <Link to={`/events/${encodeURIComponent(order.eventId)}`} className={buttonClass.secondary}>
          {t.orders.seeEvent}
        </Link>
      ) : null}
    </section>
  );
}

function DownloadPdf({ order }: { order: Order }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const { blob, filename } = await fetchOrderPdf(order.id);
      saveBlob(blob, filename);
    } catch (error) {
      toast.error(isApiError(error) && error.isNetworkError ? t.common.networkError : t.orders.downloadError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" className={buttonClass.secondary} disabled={busy} onClick={() => void download()}>
      <svg className="h-4 w-4" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true" focusable="false">
        <path d="M10 2a1 1 0 0 1 1 1v8.59l2.3-2.3a1 1 0 1 1 1.4 1.42l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.42L9 11.6V3a1 1 0 0 1 1-1ZM4 15a1 1 0 0 1 1 1v1h10v-1a1 1 0 1 1 2 0v2a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-2a1 1 0 0 1 1-1Z" />
      </svg>
      {busy ? t.orders.downloading : t.orders.downloadPdf}
    </button>
  );
}

function Tickets({ order }: { order: Order }) {
  const { t } = useI18n();
  const tickets = useQueries({
    queries: order.ticketIds.map((id) => ({
      queryKey: queryKeys.tickets.detail(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchTicket(id, signal),
      staleTime: 30_000,
    })),
  });
  const failed = tickets.some((q) => q.isError);
  const loading = tickets.some((q) => q.isPending);
  return (
    <section aria-labelledby="order-tickets-title" className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="order-tickets-title" className="text-xl font-semibold text-slate-900">
          {t.orders.tickets}
        </h2>
        {PRINTABLE.has(order.status) ? <DownloadPdf order={order} /> : null}
      </div>
      {loading ? <Spinner label={t.orders.ticketsLoading} /> : null}
      {failed ? (
        <Notice title={t.orders.ticketsError} tone="error" headingLevel={3}>
          <button type="button" className={buttonClass.secondary} onClick={() => tickets.forEach((q) => q.isError && void q.refetch())}>
            {t.common.retry}
          </button>
        </Notice>
      ) : null}
      <ul className="space-y-4">
        {tickets.map((q, i) =>
          q.data ? (
            <li key={q.data.id}>
              <TicketCard ticket={q.data} heading={t.tickets.heading(q.data.zoneName, i + 1)} />
            </li>
          ) : null,
        )}
      </ul>
    </section>
  );
}

/**
 * Whether the signed-in user manages the order's event: an admin, or an organizer of the
 * organization that owns it (the event says which; asked for only for organizers).
 */
function useManagesEvent(order: Order): boolean {
  const user = useAuthStore((s) => s.user);
  const organizationId = user?.role === 'organizer' ? user.organizationId : null;
  const event = useQuery({
    queryKey: queryKeys.events.detail(order.eventId),
    queryFn: ({ signal }) => fetchEvent(order.eventId, signal),
    enabled: organizationId !== null && WITH_TICKETS.has(order.status),
    staleTime: 60_000,
  });
  if (user?.role === 'admin') return true;
  return organizationId !== null && event.data?.organizationId === organizationId;
}

function OrderDetails({ order }: { order: Order }) {
  const { t, formatDateTime } = useI18n();
  const manages = useManagesEvent(order);
  return (
    <div className="space-y-8">
      <StatusPanel order={order} />
      {WITH_TICKETS.has(order.status) && order.ticketIds.length > 0 ? <Tickets order={order} /> : null}
      {manages && WITH_TICKETS.has(order.status) ? <RefundPanel order={order} /> : null}
      <section aria-labelledby="order-summary-title" className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-xs">
        <h2 id="order-summary-title" className="text-lg font-semibold text-slate-900">
          {t.orders.summary}
        </h2>
        <OrderItems items={order.items} total={order.total} label={t.reservations.items} />
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-medium text-slate-600">{t.orders.buyer}</dt>
          <dd className="text-slate-900">
            {order.buyer.name} · {order.buyer.email}
          </dd>
        </dl>
        <p className="text-sm text-slate-600">
          <time dateTime={order.createdAt}>{t.orders.placedAt(formatDateTime(order.createdAt))}</time>
          {order.paidAt ? (
            <>
              {' · '}
              <time dateTime={order.paidAt}>{t.orders.paidAt(formatDateTime(order.paidAt))}</time>
            </>
          ) : null}
        </p>
      </section>
    </div>
  );
}

/**
 * One order, where the payment page sends the buyer back. While it waits for the payment it is
 * asked for again now and then (the provider's notification may arrive a moment after the buyer);
 * once settled, polling stops. Paid orders show their tickets with QR codes and the PDF.
 */
export function OrderPage() {
  const { t } = useI18n();
  useDocumentTitle(t.orders.title);
  const { id = '' } = useParams();
  const query = useQuery({
    queryKey: queryKeys.orders.detail(id),
    queryFn: ({ signal }) => fetchOrder(id, signal),
    refetchInterval: (q) => orderPollInterval(q.state.data, q.state.dataUpdateCount),
    staleTime: 0,
  });

  const order = query.data;
  let content;
  if (order) {
    content = <OrderDetails order={order} />;
  } else if (query.isPending) {
    content = <Spinner label={t.orders.loading} />;
  } else if (isApiError(query.error) && (query.error.status === 404 || query.error.status === 422)) {
    content = (
      <Notice title={t.orders.notFoundTitle} body={t.orders.notFound}>
        <Link to="/me/orders" className={buttonClass.primary}>
          {t.orders.myTitle}
        </Link>
      </Notice>
    );
  } else {
    content = (
      <Notice title={t.orders.loadError} tone="error">
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  }

  return (
    <div className="mx-auto max-w-4xl space-y-8">
      <div>
        <h1 className="text-3xl font-bold text-slate-900">{t.orders.title}</h1>
        {order ? (
          <p className="mt-2 text-slate-700">
            <Link to={`/events/${encodeURIComponent(order.eventId)}`} className="font-medium hover:underline">
              {order.eventName}
            </Link>{' '}
            <span className="text-sm text-slate-600">· {t.orders.reference(order.id)}</span>
          </p>
        ) : null}
      </div>
      {content}
    </div>
  );
}
