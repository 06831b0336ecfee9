import { useInfiniteQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link } from 'react-router';

import { fetchMyOrders, type Order } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { OrderStatusBadge } from '@/components/orders/OrderStatusBadge';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { formatMoney } from '@/lib/format';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

function OrderRow({ order }: { order: Order }) {
  const { t, locale, formatDateTime } = useI18n();
  const headingId = useId();
  const refunded = Number(order.refunded.amount) > 0;
  return (
    <article aria-labelledby={headingId} data-order={order.id} className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 shadow-xs">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h2 id={headingId} className="text-lg font-semibold text-slate-900">
          {order.eventName}
        </h2>
        <OrderStatusBadge status={order.status} />
      </div>
      <p className="text-sm text-slate-600">
        <time dateTime={order.createdAt}>{t.orders.placedAt(formatDateTime(order.createdAt))}</time>
        {' · '}
        {order.items.map((item) => t.reservations.item(item.quantity, item.zoneName)).join(', ')}
      </p>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="font-semibold text-slate-900">
          {formatMoney(order.total.amount, order.total.currency, locale)}
          {refunded ? (
            <span className="ml-2 text-sm font-normal text-slate-700">
              ({t.eventOrders.refundedPart(formatMoney(order.refunded.amount, order.refunded.currency, locale))})
            </span>
          ) : null}
        </p>
        <Link to={`/orders/${encodeURIComponent(order.id)}`} className={buttonClass.secondary}>
          {t.orders.view}
          {' '}<span className="sr-only">({order.eventName})</span>
        </Link>
      </div>
    </article>
  );
}

/** The signed-in buyer's orders, newest first, with keyset "load more". */
export function MyOrdersPage() {
  const { t } = useI18n();
  useDocumentTitle(t.orders.myTitle);
  const query = useInfiniteQuery({
    queryKey: queryKeys.orders.mine,
    queryFn: ({ pageParam, signal }) => fetchMyOrders(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    staleTime: 0,
  });

  let content;
  if (query.isPending) {
    content = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    content = (
      <Notice title={t.orders.listError} tone="error">
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  } else {
    const orders = query.data.pages.flatMap((page) => page.items);
    content =
      orders.length === 0 ? (
        <Notice title={t.orders.empty}>
          <Link to="/events" className={buttonClass.primary}>
            {t.orders.browse}
          </Link>
        </Notice>
      ) : (
        <div className="space-y-4">
          <ul className="space-y-4">
            {orders.map((order) => (
              <li key={order.id}>
                <OrderRow order={order} />
              </li>
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

  return (
    <div className="mx-auto max-w-4xl space-y-8">
      <div>
        <h1 className="text-3xl font-bold text-slate-900">{t.orders.myTitle}</h1>
        <p className="mt-2 text-slate-600">{t.orders.myLead}</p>
      </div>
      {content}
    </div>
  );
}
