import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';

import { fetchMyTickets } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { TicketCard } from '@/components/orders/TicketCard';
import { TransferTicket } from '@/components/orders/TransferTicket';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

/** The signed-in buyer's tickets, newest first: event, zone, holder, status, and the QR while valid. */
export function MyTicketsPage() {
  const { t } = useI18n();
  useDocumentTitle(t.tickets.title);
  const query = useInfiniteQuery({
    queryKey: queryKeys.tickets.mine,
    queryFn: ({ pageParam, signal }) => fetchMyTickets(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    staleTime: 0,
  });

  let content;
  if (query.isPending) {
    content = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    content = (
      <Notice title={t.tickets.loadError} tone="error">
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  } else {
    const tickets = query.data.pages.flatMap((page) => page.items);
    content =
      tickets.length === 0 ? (
        <Notice title={t.tickets.empty}>
          <Link to="/events" className={buttonClass.primary}>
            {t.orders.browse}
          </Link>
        </Notice>
      ) : (
        <div className="space-y-4">
          <ul className="space-y-4">
            {tickets.map((ticket) => (
              <li key={ticket.id}>
                <TicketCard
                  ticket={ticket}
                  headingLevel={2}
                  heading={ticket.eventName}
                  footer={
                    <div className="space-y-3">
                      <Link to={`/orders/${encodeURIComponent(ticket.orderId)}`} className={buttonClass.link}>
                        {t.tickets.viewOrder}
                        {' '}<span className="sr-only">({ticket.eventName}, {ticket.zoneName})</span>
                      </Link>
                      <TransferTicket ticket={ticket} />
                    </div>
                  }
                />
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
        <h1 className="text-3xl font-bold text-slate-900">{t.tickets.title}</h1>
        <p className="mt-2 text-slate-600">{t.tickets.lead}</p>
      </div>
      {content}
    </div>
  );
}
