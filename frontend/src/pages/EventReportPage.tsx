import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';

import { fetchEvent } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { fetchEventReport } from '@/api/reports';
import { buttonClass } from '@/components/form/buttonClass';
import { ExportButtons } from '@/components/reports/ExportButtons';
import { ReportDashboard } from '@/components/reports/ReportDashboard';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

/** An event's sales dashboard for its organizers (and admins), live while the page is visible. */
export function EventReportPage() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  const event = useQuery({ queryKey: queryKeys.events.detail(id), queryFn: ({ signal }) => fetchEvent(id, signal) });
  const title = event.data ? t.reports.titleFor(event.data.name) : t.reports.title;
  useDocumentTitle(title);

  return (
    <div className="mx-auto max-w-6xl space-y-8">
      <div className="space-y-2">
        <h1 className="text-3xl font-bold text-slate-900">{title}</h1>
        <p className="text-slate-600">{t.reports.lead}</p>
        <div className="flex flex-wrap gap-x-6 gap-y-2">
          <Link to={`/events/${encodeURIComponent(id)}`} className={buttonClass.link}>
            {t.reports.backToEvent}
          </Link>
          <Link to={`/events/${encodeURIComponent(id)}/orders`} className={buttonClass.link}>
            {t.eventOrders.link}
          </Link>
        </div>
      </div>
      <ReportDashboard queryKey={queryKeys.reports.event(id)} load={(filters, signal) => fetchEventReport(id, filters, signal)} />
      <ExportButtons eventId={id} />
    </div>
  );
}
