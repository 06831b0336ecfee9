import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';

import { isApiError } from '@/api/client';
import type { Money, Report, ReportBucket, ReportFilters, ReportLine } from '@/api/reports';
import { buttonClass } from '@/components/form/buttonClass';
import { SelectField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { formatMoney } from '@/lib/format';
import { apiFilters, DEFAULT_FILTERS, LIVE_INTERVAL_MS } from '@/lib/reportFilters';

const CHART_WIDTH = 560;
const CHART_HEIGHT = 260;

function moneyText(values: Money[], locale: Parameters<typeof formatMoney>[2]): string {
  if (values.length === 0) return '—';
  return values.map((value) => formatMoney(value.amount, value.currency, locale)).join(' · ');
}

function percent(ratio: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(Number(ratio));
}

function Kpi({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold text-slate-900">{value}</dd>
      {detail ? <dd className="text-sm text-slate-600">{detail}</dd> : null}
    </div>
  );
}

/** A chart with its data as a table beside it: the chart is a picture of the table. */
function ChartWithTable({ title, chart, table }: { title: string; chart: ReactNode; table: ReactNode }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <h2 id={headingId} className="text-xl font-semibold text-slate-900">
        {title}
      </h2>
      <div className="grid gap-4 lg:grid-cols-2">
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white p-2" aria-hidden="true">
          {chart}
        </div>
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">{table}</div>
      </div>
    </section>
  );
}

const TH = 'px-3 py-2 font-semibold';
const TD = 'px-3 py-2';

function lineLabel(line: ReportLine, formatDateTime: (value: string) => string): string {
  return line.sessionStartsAt ? formatDateTime(line.sessionStartsAt) : line.sessionId.slice(0, 8);
}

export function ReportView({ report, showEvent }: { report: Report; showEvent: boolean }) {
  const { t, locale, formatDateTime } = useI18n();
  const when = (value: string) => formatDateTime(value, { dateStyle: 'short', timeStyle: 'short' });
  const period = (start: string) =>
    report.bucket === 'hour'
      ? formatDateTime(start, { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' })
      : formatDateTime(start, { dateStyle: 'medium', timeZone: 'UTC' });
  const totals = report.totals;
  const soldNet = totals.ticketsSold - totals.ticketsRefunded;
  const series = report.series.map((bucket) => ({
    period: period(bucket.start),
    sold: bucket.figures.ticketsSold,
    refunded: bucket.figures.ticketsRefunded,
  }));
  const lines = report.lines.map((line) => ({
    label: `${showEvent ? `${line.eventName} · ` : ''}${line.zoneName} · ${lineLabel(line, when)}`,
    sold: line.figures.ticketsSold - line.figures.ticketsRefunded,
    capacity: line.capacity,
    admitted: line.figures.admitted,
  }));

  return (
    <div className="space-y-8">
      <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Kpi label={t.reports.ticketsSold} value={String(totals.ticketsSold)} detail={`${t.reports.ticketsRefunded}: ${totals.ticketsRefunded}`} />
        <Kpi label={t.reports.gross} value={moneyText(totals.gross, locale)} detail={`${t.reports.refunded}: ${moneyText(totals.refunded, locale)}`} />
        <Kpi label={t.reports.net} value={moneyText(totals.net, locale)} />
        <Kpi label={t.reports.sellThrough} value={percent(report.sellThrough, locale)} detail={`${soldNet} / ${report.capacity}`} />
        <Kpi label={t.reports.waitlist} value={String(report.waitlistEntries)} detail={t.reports.waitlistPlaces(report.waitlistPlaces)} />
        <Kpi label={t.reports.checkin} value={t.reports.checkinOf(totals.admitted, soldNet)} detail={t.reports.inside(Math.max(totals.entries - totals.exits, 0))} />
      </dl>

      {report.series.length === 0 ? <Notice title={t.reports.empty} headingLevel={3} /> : null}

      <ChartWithTable
        title={t.reports.salesOverTime}
        chart={
          <BarChart width={CHART_WIDTH} height={CHART_HEIGHT} data={series}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="period" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Bar dataKey="sold" name={t.reports.colSold} fill="#1d4ed8" isAnimationActive={false} />
            <Bar dataKey="refunded" name={t.reports.colRefunded} fill="#b91c1c" isAnimationActive={false} />
          </BarChart>
        }
        table={
          <table className="min-w-full divide-y divide-slate-200 text-left text-sm">
            <caption className="sr-only">{t.reports.salesOverTime}</caption>
            <thead className="bg-slate-50 text-slate-700">
              <tr>
                <th scope="col" className={TH}>{t.reports.colPeriod}</th>
                <th scope="col" className={TH}>{t.reports.colSold}</th>
                <th scope="col" className={TH}>{t.reports.colRefunded}</th>
                <th scope="col" className={TH}>{t.reports.colGross}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {report.series.map((bucket) => (
                <tr key={bucket.start}>
                  <th scope="row" className={TD}>
                    <time dateTime={bucket.start}>{period(bucket.start)}</time>
                  </th>
                  <td className={TD}>{bucket.figures.ticketsSold}</td>
                  <td className={TD}>{bucket.figures.ticketsRefunded}</td>
                  <td className={TD}>{moneyText(bucket.figures.gross, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        }
      />

      <ChartWithTable
        title={t.reports.byZone}
        chart={
          <LineBars
            lines={lines}
            bars={[
              { key: 'sold', name: t.reports.colSold, fill: '#1d4ed8' },
              { key: 'capacity', name: t.reports.colCapacity, fill: '#94a3b8' },
            ]}
          />
        }
        table={
          <table className="min-w-full divide-y divide-slate-200 text-left text-sm">
            <caption className="sr-only">{t.reports.byZone}</caption>
            <thead className="bg-slate-50 text-slate-700">
              <tr>
                {showEvent ? <th scope="col" className={TH}>{t.reports.colEvent}</th> : null}
                <th scope="col" className={TH}>{t.reports.colSession}</th>
                <th scope="col" className={TH}>{t.reports.colZone}</th>
                <th scope="col" className={TH}>{t.reports.colSold}</th>
                <th scope="col" className={TH}>{t.reports.colRefunded}</th>
                <th scope="col" className={TH}>{t.reports.colCapacity}</th>
                <th scope="col" className={TH}>{t.reports.colSellThrough}</th>
                <th scope="col" className={TH}>{t.reports.colWaitlist}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {report.lines.map((line) => (
                <tr key={`${line.sessionId}:${line.zoneId}`}>
                  {showEvent ? <td className={TD}>{line.eventName}</td> : null}
                  <td className={TD}>{lineLabel(line, when)}</td>
                  <th scope="row" className={TD}>{line.zoneName}</th>
                  <td className={TD}>{line.figures.ticketsSold}</td>
                  <td className={TD}>{line.figures.ticketsRefunded}</td>
                  <td className={TD}>{line.capacity}</td>
                  <td className={TD}>{percent(line.sellThrough, locale)}</td>
                  <td className={TD}>{line.waitlistEntries}</td>
                </tr>
              ))}
            </tbody>
          </table>
        }
      />

      <ChartWithTable
        title={t.reports.checkinProgress}
        chart={
          <LineBars
            lines={lines}
            bars={[
              { key: 'admitted', name: t.reports.colAdmitted, fill: '#047857' },
              { key: 'sold', name: t.reports.colSold, fill: '#94a3b8' },
            ]}
          />
        }
        table={
          <table className="min-w-full divide-y divide-slate-200 text-left text-sm">
            <caption className="sr-only">{t.reports.checkinProgress}</caption>
            <thead className="bg-slate-50 text-slate-700">
              <tr>
                {showEvent ? <th scope="col" className={TH}>{t.reports.colEvent}</th> : null}
                <th scope="col" className={TH}>{t.reports.colSession}</th>
                <th scope="col" className={TH}>{t.reports.colZone}</th>
                <th scope="col" className={TH}>{t.reports.colAdmitted}</th>
                <th scope="col" className={TH}>{t.reports.colSold}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {report.lines.map((line) => (
                <tr key={`${line.sessionId}:${line.zoneId}`}>
                  {showEvent ? <td className={TD}>{line.eventName}</td> : null}
                  <td className={TD}>{lineLabel(line, when)}</td>
                  <th scope="row" className={TD}>{line.zoneName}</th>
                  <td className={TD}>{line.figures.admitted}</td>
                  <td className={TD}>{line.figures.ticketsSold - line.figures.ticketsRefunded}</td>
                </tr>
              ))}
            </tbody>
          </table>
        }
      />
    </div>
  );
}

function FiltersForm({ value, onApply }: { value: ReportFilters; onApply: (filters: ReportFilters) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(value);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  return (
    <form role="search" aria-label={t.reports.filters} onSubmit={onSubmit} className="flex flex-wrap items-end gap-4">
      <TextField label={t.reports.from} type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
      <TextField label={t.reports.to} type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
      <SelectField
        label={t.reports.bucket}
        value={draft.bucket}
        onChange={(e) => setDraft({ ...draft, bucket: e.target.value === 'hour' ? 'hour' : ('day' satisfies ReportBucket) })}
      >
        <option value="day">{t.reports.byDay}</option>
        <option value="hour">{t.reports.byHour}</option>
      </SelectField>
      <button type="submit" className={buttonClass.primary}>
        {t.reports.apply}
      </button>
    </form>
  );
}

/** A report with its filters, asked again every few seconds while the page is visible. */
export function ReportDashboard({
  queryKey,
  load,
  showEvent = false,
}: {
  queryKey: readonly unknown[];
  load: (filters: ReportFilters, signal: AbortSignal) => Promise<Report>;
  showEvent?: boolean;
}) {
  const { t, formatDateTime } = useI18n();
  const [filters, setFilters] = useState<ReportFilters>(DEFAULT_FILTERS);
  const query = useQuery({
    queryKey: [...queryKey, filters],
    queryFn: ({ signal }) => load(apiFilters(filters), signal),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_INTERVAL_MS,
    refetchIntervalInBackground: false,
    staleTime: 0,
  });

  let body: ReactNode;
  if (query.isPending) {
    body = <Spinner label={t.a11y.loading} />;
  } else if (query.isError) {
    const status = isApiError(query.error) ? query.error.status : 0;
    body =
      status === 403 || status === 404 ? (
        <Notice title={t.reports.forbidden} tone="error" />
      ) : (
        <Notice title={t.reports.loadError} tone="error">
          <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
            {t.common.retry}
          </button>
        </Notice>
      );
  } else {
    body = (
      <div className="space-y-4" aria-busy={query.isFetching}>
        <p className="text-sm text-slate-600">
          <time dateTime={query.data.asOf}>{t.reports.live(formatDateTime(query.data.asOf, { timeStyle: 'medium' }))}</time>
        </p>
        <ReportView report={query.data} showEvent={showEvent} />
      </div>
    );
  }
  return (
    <div className="space-y-6">
      <FiltersForm value={filters} onApply={setFilters} />
      {body}
    </div>
  );
}

/** One horizontal bar per session x zone line, with the bars named (the table beside it has the numbers). */
function LineBars({ lines, bars }: { lines: { label: string }[]; bars: { key: string; name: string; fill: string }[] }) {
  return (
    <BarChart width={CHART_WIDTH} height={Math.max(CHART_HEIGHT, lines.length * 40)} data={lines} layout="vertical">
      <CartesianGrid strokeDasharray="3 3" />
      <XAxis type="number" allowDecimals={false} />
      <YAxis type="category" dataKey="label" width={200} />
      <Tooltip />
      <Legend />
      {bars.map((bar) => (
        <Bar key={bar.key} dataKey={bar.key} name={bar.name} fill={bar.fill} isAnimationActive={false} />
      ))}
    </BarChart>
  );
}
