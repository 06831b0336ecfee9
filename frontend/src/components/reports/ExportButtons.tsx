import { useState } from 'react';

import { downloadExport, type ExportFormat, type ExportKind, type ExportProgress } from '@/api/reports';
import { buttonClass } from '@/components/form/buttonClass';
import { useI18n } from '@/i18n';
import { saveBlob } from '@/lib/download';

const EXPORTS: { kind: ExportKind; format: ExportFormat }[] = [
  { kind: 'orders', format: 'csv' },
  { kind: 'orders', format: 'xlsx' },
  { kind: 'attendees', format: 'csv' },
  { kind: 'attendees', format: 'xlsx' },
];

type State = { phase: 'idle' } | { phase: 'running'; progress: ExportProgress } | { phase: 'done' } | { phase: 'failed' };

/** The event's exports, downloaded as they stream, with what has arrived so far. */
export function ExportButtons({ eventId }: { eventId: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<State>({ phase: 'idle' });
  const labels: Record<string, string> = {
    'orders.csv': t.reports.exportOrdersCsv,
    'orders.xlsx': t.reports.exportOrdersXlsx,
    'attendees.csv': t.reports.exportAttendeesCsv,
    'attendees.xlsx': t.reports.exportAttendeesXlsx,
  };

  const start = async (kind: ExportKind, format: ExportFormat) => {
    setState({ phase: 'running', progress: { bytes: 0, rows: null, total: null } });
    try {
      const { blob, filename } = await downloadExport(eventId, kind, format, (progress) => setState({ phase: 'running', progress }));
      saveBlob(blob, filename);
      setState({ phase: 'done' });
    } catch {
      setState({ phase: 'failed' });
    }
  };

  let status = '';
  let bar = null;
  if (state.phase === 'running') {
    const { rows, total, bytes } = state.progress;
    status = rows !== null ? t.reports.exportRows(rows, total) : `${t.reports.exporting} ${t.reports.exportBytes(Math.round(bytes / 1024))}`;
    if (rows !== null && total) {
      bar = <progress className="w-64" max={total} value={Math.min(rows, total)} aria-label={t.reports.exporting} />;
    }
  } else if (state.phase === 'done') {
    status = t.reports.exportDone;
  } else if (state.phase === 'failed') {
    status = t.reports.exportFailed;
  }

  return (
    <section aria-labelledby="report-exports" className="space-y-3">
      <h2 id="report-exports" className="text-xl font-semibold text-slate-900">
        {t.reports.exports}
      </h2>
      <div className="flex flex-wrap gap-2">
        {EXPORTS.map(({ kind, format }) => (
          <button
            key={`${kind}.${format}`}
            type="button"
            className={buttonClass.secondary}
            disabled={state.phase === 'running'}
            onClick={() => void start(kind, format)}
          >
            {labels[`${kind}.${format}`]}
          </button>
        ))}
      </div>
      <div role="status" className="flex items-center gap-3 text-sm text-slate-700">
        {bar}
        <span>{status}</span>
      </div>
    </section>
  );
}
