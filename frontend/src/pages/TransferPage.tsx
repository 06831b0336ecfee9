import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';

import { isApiError } from '@/api/client';
import { queryKeys } from '@/api/queryKeys';
import { problemKind } from '@/api/reservations';
import { acceptTransfer, fetchTransfer, TRANSFER_PROBLEMS } from '@/api/transfers';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

/**
 * A ticket someone sent me, reached from the e-mail's link (/transfers/:id?token=…) once signed in
 * (the route's guard sends visitors to sign in and back here, token and all): what it is, and the
 * button that takes it.
 */
export function TransferPage() {
  const { t, formatDateTime } = useI18n();
  const queryClient = useQueryClient();
  const { id = '' } = useParams();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  useDocumentTitle(t.transfers.page.title);
  const [accepting, setAccepting] = useState(false);
  const [acceptError, setAcceptError] = useState<string | null>(null);

  const query = useQuery({
    queryKey: queryKeys.transfers.detail(id),
    queryFn: ({ signal }) => fetchTransfer(id, token, signal),
    retry: false,
  });

  const accept = async () => {
    if (accepting) return;
    setAccepting(true);
    setAcceptError(null);
    try {
      const transfer = await acceptTransfer(id, token);
      queryClient.setQueryData(queryKeys.transfers.detail(id), transfer);
      void queryClient.invalidateQueries({ queryKey: queryKeys.tickets.mine });
    } catch (error) {
      const kind = problemKind(error);
      const known = kind ? t.transfers.problems[kind] : undefined;
      setAcceptError(known ?? (isApiError(error) && error.isNetworkError ? t.common.networkError : t.common.genericError));
      if (kind === TRANSFER_PROBLEMS.transferClosed) void query.refetch();
    } finally {
      setAccepting(false);
    }
  };

  let content;
  if (query.isPending) {
    content = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    const kind = problemKind(query.error);
    if (kind === TRANSFER_PROBLEMS.notTheRecipient) {
      content = <Notice title={t.transfers.problems[kind] ?? t.transfers.page.loadError} tone="error" />;
    } else if (isApiError(query.error) && query.error.status === 404) {
      content = <Notice title={t.transfers.page.notFound} tone="error" />;
    } else {
      content = (
        <Notice title={t.transfers.page.loadError} tone="error">
          <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
            {t.common.retry}
          </button>
        </Notice>
      );
    }
  } else {
    const transfer = query.data;
    const page = t.transfers.page;
    content = (
      <div className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-xs">
        <p className="text-lg text-slate-900">{page.lead(transfer.senderName)}</p>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-medium text-slate-600">{page.event}</dt>
          <dd className="text-slate-900">{transfer.eventName}</dd>
          <dt className="font-medium text-slate-600">{page.zone}</dt>
          <dd className="text-slate-900">{transfer.zoneName}</dd>
          <dt className="font-medium text-slate-600">{page.to}</dt>
          <dd className="text-slate-900">{transfer.recipientEmail}</dd>
          <dt className="font-medium text-slate-600">{page.status}</dt>
          <dd className="text-slate-900" data-testid="transfer-status">
            {page.statuses[transfer.status]}
          </dd>
          {transfer.status === 'pending' ? (
            <>
              <dt className="font-medium text-slate-600">{page.expires}</dt>
              <dd className="text-slate-900">{formatDateTime(transfer.expiresAt, { dateStyle: 'long', timeStyle: 'short' })}</dd>
            </>
          ) : null}
        </dl>
        <FormAlert>{acceptError}</FormAlert>
        {/* Present from the start so taking the ticket is announced. */}
        <div role="status">
          {transfer.status === 'accepted' && transfer.newTicketId ? (
            <p className="rounded-md border border-emerald-200 bg-emerald-50 p-3 font-medium text-emerald-900">{page.accepted}</p>
          ) : null}
        </div>
        {transfer.status === 'pending' && token ? (
          <button type="button" className={buttonClass.primary} disabled={accepting} onClick={() => void accept()}>
            {accepting ? page.accepting : page.accept}
          </button>
        ) : null}
        {transfer.status === 'accepted' && transfer.newTicketId ? (
          <Link to="/me/tickets" className={buttonClass.primary}>
            {page.viewTickets}
          </Link>
        ) : null}
        {transfer.status !== 'pending' && !(transfer.status === 'accepted' && transfer.newTicketId) ? (
          <p className="text-slate-700">{page.closed[transfer.status]}</p>
        ) : null}
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-2xl space-y-8">
      <h1 className="text-3xl font-bold text-slate-900">{t.transfers.page.title}</h1>
      {content}
    </div>
  );
}
