import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchEvent } from '@/api/events';
import { fetchEventOrders, ORDER_STATUSES, type EventOrderFilters, type OrderStatus } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { SelectField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { EventRefundsPanel } from '@/components/orders/EventRefundsPanel';
import { OrderStatusBadge } from '@/components/orders/OrderStatusBadge';
import { WaitlistLengthsPanel } from '@/components/orders/WaitlistLengthsPanel';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { formatMoney } from '@/lib/format';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

const EMPTY: EventOrderFilters = { q: '', status: '' };

function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}

/** An event's orders for its organizer (and admins): search by buyer or order id, filter by status, load more. */
export function EventOrdersPage() {
  const { t, locale, formatDateTime } = useI18n();
  const { id = '' } = useParams();
  const event = useQuery({ queryKey: queryKeys.events.detail(id), queryFn: ({ signal }) => fetchEvent(id, signal) });
  const title = event.data ? t.eventOrders.titleFor(event.data.name) : t.eventOrders.title;
  useDocumentTitle(title);

  const [draft, setDraft] = useState<EventOrderFilters>(EMPTY);
  const [filters, setFilters] = useState<EventOrderFilters>(EMPTY);
  const query = useInfiniteQuery({
    queryKey: queryKeys.orders.ofEvent(id, filters),
    queryFn: ({ pageParam, signal }) => fetchEventOrders(id, filters, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
    staleTime: 0,
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ q: draft.q.trim(), status: draft.status });
  };

  let results;
  if (query.isPending) {
    results = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    const status = isApiError(query.error) ? query.error.status : 0;
    results =
      status === 403 || status === 404 ? (
        <Notice title={status === 403 ? t.eventOrders.forbidden : t.event.notFoundTitle} tone="error" />
      ) : (
        <Notice title={t.eventOrders.loadError} tone="error">
          <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
            {t.common.retry}
          </button>
        </Notice>
      );
  } else {
    const orders = query.data.pages.flatMap((page) => page.items);
    const money = (amount: string, currency: string) => formatMoney(amount, currency, locale);
    results =
      orders.length === 0 ? (
        <Notice title={t.eventOrders.empty} />
      ) : (
        <div className="space-y-4">
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label={t.a11y.scrollableTable} tabIndex={0}>
            <table className="min-w-full divide-y divide-slate-200 text-left text-sm" aria-busy={query.isFetching && !query.isFetchingNextPage}>
              <caption className="sr-only">{t.eventOrders.results}</caption>
              <thead className="bg-slate-50 text-slate-700">
                <tr>
                  <th scope="col" className="px-4 py-2 font-semibold">
                    {t.eventOrders.colOrder}
                  </th>
                  <th scope="col" className="px-4 py-2 font-semibold">
                    {t.eventOrders.colBuyer}
                  </th>
                  <th scope="col" className="px-4 py-2 font-semibold">
                    {t.eventOrders.colStatus}
                  </th>
                  <th scope="col" className="px-4 py-2 font-semibold">
                    {t.eventOrders.colTotal}
                  </th>
                  <th scope="col" className="px-4 py-2 font-semibold">
                    {t.eventOrders.colDate}
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {orders.map((order) => (
                  <tr key={order.id} data-order={order.id}>
                    <th scope="row" className="px-4 py-3 font-mono font-medium">
                      <Link
                        to={`/orders/${encodeURIComponent(order.id)}`}
                        className={buttonClass.link}
                        title={order.id}
                        aria-label={`${t.eventOrders.colOrder} ${order.id}`}
                      >
                        {order.id.slice(0, 8)}
                      </Link>
                    </th>
                    <td className="px-4 py-3">
                      <span className="block font-medium text-slate-900">{order.buyer.name}</span>
                      <span className="block text-slate-600">{order.buyer.email}</span>
                    </td>
                    <td className="px-4 py-3">
                      <OrderStatusBadge status={order.status} />
                    </td>
                    <td className="px-4 py-3 text-slate-900">
                      {money(order.total.amount, order.total.currency)}
                      {Number(order.refunded.amount) > 0 ? (
                        <span className="block text-slate-600">{t.eventOrders.refundedPart(money(order.refunded.amount, order.refunded.currency))}</span>
                      ) : null}
                    </td>
                    <td className="px-4 py-3 text-slate-700">
                      <time dateTime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {query.hasNextPage ? (
            <button type="button" className={buttonClass.secondary} disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
              {query.isFetchingNextPage ? t.common.loadingMore : t.common.loadMore}
            </button>
          ) : null}
        </div>
      );
  }

  return (
    <div className="mx-auto max-w-6xl space-y-8">
      <div className="space-y-2">
        <h1 className="text-3xl font-bold text-slate-900">{title}</h1>
        <p className="text-slate-600">{t.eventOrders.lead}</p>
        <div className="flex flex-wrap gap-x-6 gap-y-2">
          <Link to={`/events/${encodeURIComponent(id)}`} className={buttonClass.link}>
            {t.eventOrders.backToEvent}
          </Link>
          <Link to={`/events/${encodeURIComponent(id)}/report`} className={buttonClass.link}>
            {t.reports.link}
          </Link>
          <Link to={`/events/${encodeURIComponent(id)}/checkin-conflicts`} className={buttonClass.link}>
            {t.checkinConflicts.title}
          </Link>
        </div>
      </div>
      {event.data?.status === 'cancelled' ? <EventRefundsPanel eventId={id} /> : null}
      {event.data && event.data.status !== 'cancelled' ? <WaitlistLengthsPanel event={event.data} /> : null}
      <form role="search" aria-label={t.eventOrders.filters} onSubmit={onSubmit} className="flex flex-wrap items-end gap-4 rounded-lg border border-slate-200 bg-white p-4">
        <TextField
          className="min-w-[16rem] flex-1"
          label={t.eventOrders.searchLabel}
          hint={t.eventOrders.searchHint}
          type="search"
          name="q"
          maxLength={200}
          value={draft.q}
          onChange={(e) => setDraft((d) => ({ ...d, q: e.target.value }))}
        />
        <SelectField
          className="w-56"
          label={t.eventOrders.status}
          name="status"
          value={draft.status}
          onChange={(e) => {
            const value = e.target.value;
            setDraft((d) => ({ ...d, status: isOrderStatus(value) ? value : '' }));
          }}
        >
          <option value="">{t.eventOrders.allStatuses}</option>
          {ORDER_STATUSES.map((status) => (
            <option key={status} value={status}>
              {t.orders.statuses[status] ?? status}
            </option>
          ))}
        </SelectField>
        <button type="submit" className={buttonClass.primary}>
          {t.eventOrders.search}
        </button>
      </form>
      <section aria-label={t.eventOrders.results}>
        {results}
      </section>
    </div>
  );
}
