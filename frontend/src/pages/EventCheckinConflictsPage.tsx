import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';

import { fetchCheckinConflicts } from '@/api/checkins';
import { isApiError } from '@/api/client';
import { fetchEvent } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

/**
 * The tickets of an event that doors admitted twice while offline (GET
 * /api/v1/events/{id}/checkin-conflicts), for its organizer, door staff and admins: ticket,
 * holder, zone and every scan of it (time, entry or exit, device, result), the double one marked.
 */
export function EventCheckinConflictsPage() {
  const { t, formatDateTime } = useI18n();
  const { id = '' } = useParams();
  const event = useQuery({ queryKey: queryKeys.events.detail(id), queryFn: ({ signal }) => fetchEvent(id, signal) });
  const title = event.data ? t.checkinConflicts.titleFor(event.data.name) : t.checkinConflicts.title;
  useDocumentTitle(title);
  const query = useQuery({
    queryKey: queryKeys.door.conflicts(id),
    queryFn: ({ signal }) => fetchCheckinConflicts(id, signal),
    staleTime: 0,
  });

  let results;
  if (query.isPending) {
    results = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    const status = isApiError(query.error) ? query.error.status : 0;
    results =
      status === 403 || status === 404 ? (
        <Notice title={t.event.notFoundTitle} tone="error" />
      ) : (
        <Notice title={t.checkinConflicts.loadError} tone="error">
          <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
            {t.common.retry}
          </button>
        </Notice>
      );
  } else if (query.data.length === 0) {
    results = <Notice title={t.checkinConflicts.empty} />;
  } else {
    results = (
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label={t.a11y.scrollableTable} tabIndex={0}>
        <table className="min-w-full divide-y divide-slate-200 text-left text-sm" aria-busy={query.isFetching}>
          <caption className="sr-only">{t.checkinConflicts.results}</caption>
          <thead className="bg-slate-50 text-slate-700">
            <tr>
              <th scope="col" className="px-4 py-2 font-semibold">
                {t.checkinConflicts.colTicket}
              </th>
              <th scope="col" className="px-4 py-2 font-semibold">
                {t.checkinConflicts.colHolder}
              </th>
              <th scope="col" className="px-4 py-2 font-semibold">
                {t.checkinConflicts.colZone}
              </th>
              <th scope="col" className="px-4 py-2 font-semibold">
                {t.checkinConflicts.colScans}
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {query.data.map(({ ticket, scans }) => (
              <tr key={ticket.id} data-ticket={ticket.id} className="align-top">
                <th scope="row" className="px-4 py-3 font-mono font-medium text-slate-900" title={ticket.id}>
                  {ticket.id.slice(0, 8)}
                </th>
                <td className="px-4 py-3 text-slate-900">{ticket.holderName}</td>
                <td className="px-4 py-3 text-slate-900">{ticket.zone}</td>
                <td className="px-4 py-3">
                  <ol aria-label={t.checkinConflicts.scansOf(ticket.id.slice(0, 8))} className="space-y-1">
                    {scans.map((scan, index) => (
                      <li
                        key={`${scan.at}:${scan.deviceId}:${index}`}
                        data-conflict={scan.conflict}
                        className={cn(scan.conflict ? 'font-semibold text-red-800' : 'text-slate-700')}
                      >
                        <time dateTime={scan.at}>{formatDateTime(scan.at, { dateStyle: 'short', timeStyle: 'medium' })}</time>
                        {` · ${scan.type === 'exit' ? t.checkinConflicts.exit : t.checkinConflicts.entry} · ${scan.deviceId} · ${t.door.results[scan.result] ?? scan.result}`}
                        {scan.conflict ? ` · ${t.checkinConflicts.conflict}` : ''}
                      </li>
                    ))}
                  </ol>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-6xl space-y-8">
      <div className="space-y-2">
        <h1 className="text-3xl font-bold text-slate-900">{title}</h1>
        <p className="text-slate-600">{t.checkinConflicts.lead}</p>
        <Link to={`/events/${encodeURIComponent(id)}`} className={buttonClass.link}>
          {t.checkinConflicts.backToEvent}
        </Link>
      </div>
      <section aria-label={t.checkinConflicts.results}>{results}</section>
    </div>
  );
}
