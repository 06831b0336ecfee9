import { useQuery } from '@tanstack/react-query';

import { isApiError } from '@/api/client';
import { fetchReadiness, type DependencyCheck } from '@/api/health';
import { queryKeys } from '@/api/queryKeys';
import { Spinner } from '@/components/Spinner';
import { StatusBadge } from '@/components/StatusBadge';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { toast } from '@/store/toasts';

const REFRESH_INTERVAL_MS = 30_000;

function DependencyRow({ check }: { check: DependencyCheck }) {
  const { t } = useI18n();
  const friendly = t.status.names[check.name];
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
      <div>
        <p className="font-medium text-slate-900">{friendly ?? check.name}</p>
        {friendly ? <p className="font-mono text-xs text-slate-500">{check.name}</p> : null}
        {check.detail ? <p className="mt-1 text-sm text-slate-600">{check.detail}</p> : null}
      </div>
      <StatusBadge status={check.status} label={check.status === 'up' ? t.status.up : t.status.down} />
    </li>
  );
}

export function StatusPage() {
  const { t, formatDateTime } = useI18n();
  useDocumentTitle(t.status.title);

  const query = useQuery({
    queryKey: queryKeys.readiness,
    queryFn: ({ signal }) => fetchReadiness(signal),
    refetchInterval: REFRESH_INTERVAL_MS,
    refetchOnWindowFocus: true,
  });

  const refresh = async () => {
    const result = await query.refetch();
    if (result.isSuccess) toast.success(t.status.refreshed);
  };

  return (
    <section aria-labelledby="status-title" className="mx-auto max-w-3xl">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 id="status-title" className="text-3xl font-bold text-slate-900">
            {t.status.title}
          </h1>
          <p className="mt-2 text-slate-600">{t.status.lead}</p>
        </div>
        <button
          type="button"
          onClick={() => void refresh()}
          disabled={query.isFetching}
          className="rounded-md bg-white px-4 py-2 font-medium text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:opacity-60"
        >
          {query.isFetching && !query.isPending ? t.status.refreshing : t.status.refresh}
        </button>
      </div>

      <div className="mt-8" aria-busy={query.isFetching}>
        {query.isPending ? (
          <Spinner label={t.a11y.loading} size="lg" />
        ) : query.isError ? (
          <div className="rounded-lg border border-red-200 bg-red-50 p-6">
            <h2 className="text-lg font-semibold text-red-900">{t.status.errorTitle}</h2>
            <p className="mt-1 text-red-800">{t.status.errorBody}</p>
            {isApiError(query.error) && query.error.correlationId ? (
              <p className="mt-2 font-mono text-xs text-red-700">{t.status.correlation(query.error.correlationId)}</p>
            ) : null}
          </div>
        ) : (
          <>
            <div
              className={
                query.data.status === 'ready'
                  ? 'rounded-lg border border-emerald-200 bg-emerald-50 p-4 text-emerald-900'
                  : 'rounded-lg border border-red-200 bg-red-50 p-4 text-red-900'
              }
            >
              <h2 className="text-lg font-semibold">
                {query.data.status === 'ready' ? t.status.overallReady : t.status.overallNotReady}
              </h2>
              <p className="mt-1 text-sm">{t.status.lastChecked(formatDateTime(query.dataUpdatedAt, { timeStyle: 'medium' }))}</p>
            </div>

            <h2 id="dependencies-title" className="sr-only">
              {t.status.dependencies}
            </h2>
            {/* The public /readyz says only ready or not; each dependency's state comes from the
                edge's internal port, which a browser never reaches: then there is no list. */}
            {query.data.checks == null ? null : query.data.checks.length === 0 ? (
              <p className="mt-6 text-slate-600">{t.status.noChecks}</p>
            ) : (
              <ul
                aria-labelledby="dependencies-title"
                className="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
              >
                {query.data.checks.map((check) => (
                  <DependencyRow key={check.name} check={check} />
                ))}
              </ul>
            )}
          </>
        )}
      </div>
    </section>
  );
}
