import { useQuery } from '@tanstack/react-query';
import { useId, type ReactNode } from 'react';

import { fetchTicketQr, type Ticket } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/format';

import { TicketStatusBadge } from './OrderStatusBadge';

/** The SVG as a data URL: nothing to revoke, and the same URL however often React mounts the image. */
async function svgDataUrl(blob: Blob): Promise<string> {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await blob.text())}`;
}

/**
 * The ticket's QR code. The SVG needs the bearer token, so it is fetched by the API client and shown
 * through a data URL in an <img> (an image never runs scripts, whatever the SVG holds).
 */
export function TicketQr({ ticket }: { ticket: Ticket }) {
  const { t } = useI18n();
  const query = useQuery({
    queryKey: queryKeys.tickets.qr(ticket.id),
    queryFn: async ({ signal }) => svgDataUrl(await fetchTicketQr(ticket.id, signal)),
    staleTime: Infinity,
  });
  const url = query.data;
  if (query.isError) return <p className="text-sm text-red-800">{t.tickets.qrError}</p>;
  if (!url) return <Spinner label={t.tickets.qrLoading} size="sm" />;
  return (
    <img
      src={url}
      alt={t.tickets.qrAlt(ticket.zoneName, ticket.holderName)}
      width={176}
      height={176}
      data-testid="ticket-qr"
      className="h-44 w-44 rounded-md border border-slate-200 bg-white p-2"
    />
  );
}

/** One ticket: zone, holder, status and, while it is valid, its QR code. Revoked ones say so. */
export function TicketCard({
  ticket,
  heading,
  headingLevel = 3,
  footer,
}: {
  ticket: Ticket;
  heading: ReactNode;
  headingLevel?: 2 | 3;
  footer?: ReactNode;
}) {
  const { t, locale } = useI18n();
  const headingId = useId();
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const revoked = ticket.status === 'revoked';
  return (
    <article
      aria-labelledby={headingId}
      data-ticket={ticket.id}
      className={cn(
        'flex flex-wrap gap-5 rounded-lg border bg-white p-5 shadow-xs',
        revoked ? 'border-red-200 bg-red-50/40' : 'border-slate-200',
      )}
    >
      <div className="min-w-0 flex-1 space-y-3">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <Heading id={headingId} className={cn('text-lg font-semibold text-slate-900', revoked && 'line-through decoration-red-700')}>
            {heading}
          </Heading>
          <TicketStatusBadge status={ticket.status} />
        </div>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-medium text-slate-600">{t.tickets.zone}</dt>
          <dd className="text-slate-900">{ticket.zoneName}</dd>
          <dt className="font-medium text-slate-600">{t.tickets.holder}</dt>
          <dd className="text-slate-900">{ticket.holderName}</dd>
          <dt className="font-medium text-slate-600">{t.tickets.price}</dt>
          <dd className="text-slate-900">{formatMoney(ticket.price.amount, ticket.price.currency, locale)}</dd>
        </dl>
        {revoked ? (
          <p className="font-medium text-red-800">
            {ticket.revokedReason === 'transferred' ? t.transfers.transferredNote : t.tickets.revokedNote}
          </p>
        ) : null}
        {ticket.status === 'used' ? <p className="text-slate-700">{t.tickets.usedNote}</p> : null}
        {footer}
      </div>
      {ticket.status === 'valid' ? <TicketQr ticket={ticket} /> : null}
    </article>
  );
}
