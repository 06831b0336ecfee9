import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';

import { isApiError } from '@/api/client';
import { type CatalogEvent } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { fetchWaitlistLengths } from '@/api/waitlist';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';

/** How long the waiting lists of an event are, for its organizer: per session and zone, the people
 * waiting, the places they ask for and the offers out. Only the lines someone is in are listed. */
export function WaitlistLengthsPanel({ event }: { event: CatalogEvent }) {
  const { t, formatDateTime } = useI18n();
  const titleId = useId();
  const query = useQuery({
    queryKey: queryKeys.waitlist.ofEvent(event.id),
    queryFn: ({ signal }) => fetchWaitlistLengths(event.id, signal),
    staleTime: 0,
  });

  const sessionName = (sessionId: string) => {
    const session = event.sessions.find((s) => s.id === sessionId);
    if (!session) return sessionId;
    const when = formatDateTime(session.startsAt, { dateStyle: 'medium', timeStyle: 'short', ...(event.timezone ? { timeZone: event.timezone } : {}) });
    return session.title ? `${session.title} · ${when}` : when;
  };
  const zoneName = (zoneId: string) => event.zones.find((z) => z.id === zoneId)?.name ?? zoneId;

  // Not this organizer's event (or none): nothing to show.
  if (query.isError && isApiError(query.error) && (query.error.status === 403 || query.error.status === 404)) return null;

  let content;
  if (query.isPending) {
    content = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    content = (
      <Notice title={t.waitlist.organizerError} tone="error" headingLevel={3}>
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  } else {
    const lines = query.data.filter((line) => line.entries > 0 || line.offered > 0);
    content =
      lines.length === 0 ? (
        <p className="text-slate-700">{t.waitlist.organizerEmpty}</p>
      ) : (
        <div className="overflow-x-auto" role="region" aria-label={t.a11y.scrollableTable} tabIndex={0}>
          <table className="min-w-full divide-y divide-slate-200 text-left text-sm">
            <thead className="bg-slate-50 text-slate-700">
              <tr>
                <th scope="col" className="px-3 py-2 font-semibold">
                  {t.waitlist.session}
                </th>
                <th scope="col" className="px-3 py-2 font-semibold">
                  {t.waitlist.zone}
                </th>
                <th scope="col" className="px-3 py-2 font-semibold">
                  {t.waitlist.entries}
                </th>
                <th scope="col" className="px-3 py-2 font-semibold">
                  {t.waitlist.placesWanted}
                </th>
                <th scope="col" className="px-3 py-2 font-semibold">
                  {t.waitlist.offered}
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {lines.map((line) => (
                <tr key={`${line.sessionId}:${line.zoneId}`}>
                  <td className="px-3 py-2 text-slate-900">{sessionName(line.sessionId)}</td>
                  <th scope="row" className="px-3 py-2 font-medium text-slate-900">
                    {zoneName(line.zoneId)}
                  </th>
                  <td className="px-3 py-2 text-slate-900">{line.entries}</td>
                  <td className="px-3 py-2 text-slate-900">{line.places}</td>
                  <td className="px-3 py-2 text-slate-900">{line.offered}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
  }

  return (
    <section aria-labelledby={titleId} className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 shadow-xs" data-testid="event-waitlist">
      <h2 id={titleId} className="text-xl font-semibold text-slate-900">
        {t.waitlist.organizerTitle}
      </h2>
      <p className="text-sm text-slate-600">{t.waitlist.organizerLead}</p>
      {content}
    </section>
  );
}
