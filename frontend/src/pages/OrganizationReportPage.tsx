import { useParams } from 'react-router';

import { queryKeys } from '@/api/queryKeys';
import { fetchOrganizationReport } from '@/api/reports';
import { ReportDashboard } from '@/components/reports/ReportDashboard';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

/** An organization's dashboard: its events' sales together, per event, session and zone. */
export function OrganizationReportPage() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  useDocumentTitle(t.reports.organizationTitle);
  return (
    <div className="mx-auto max-w-6xl space-y-8">
      <div className="space-y-2">
        <h1 className="text-3xl font-bold text-slate-900">{t.reports.organizationTitle}</h1>
        <p className="text-slate-600">{t.reports.lead}</p>
      </div>
      <ReportDashboard
        queryKey={queryKeys.reports.organization(id)}
        load={(filters, signal) => fetchOrganizationReport(id, filters, signal)}
        showEvent
      />
    </div>
  );
}
