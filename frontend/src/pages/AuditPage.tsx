import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';

import { listAudit, listOrganizationAudit, type AuditEntry, type AuditFilters } from '@/api/audit';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { OrganizationPicker } from '@/components/OrganizationPicker';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { problemText } from '@/lib/serverErrors';
import { useDebouncedValue } from '@/lib/useDebouncedValue';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';

const PAGE_SIZE = 50;
const EMPTY: AuditFilters = { action: '', actor: '', target: '', outcome: '' };

function OutcomeBadge({ outcome }: { outcome: string }) {
  const { t } = useI18n();
  const ok = outcome === 'success';
  return (
    <span
      className={cn(
        'inline-flex rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset',
        ok ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/30' : 'bg-amber-50 text-amber-900 ring-amber-600/30',
      )}
    >
      {ok ? t.audit.success : t.audit.refused(outcome)}
    </span>
  );
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const { t, formatDateTime } = useI18n();
  return (
    <tr className="align-top text-sm">
      <td className="px-4 py-3 whitespace-nowrap text-slate-700">
        <time dateTime={entry.occurredAt}>{formatDateTime(entry.occurredAt, { dateStyle: 'short', timeStyle: 'medium' })}</time>
      </td>
      <td className="px-4 py-3 font-mono text-slate-900">{entry.action}</td>
      <td className="px-4 py-3 font-mono break-all text-slate-700">{entry.target}</td>
      <td className="px-4 py-3 text-slate-700">
        <span className="font-mono break-all">{entry.actor}</span>
        {entry.actorRole ? <span className="block text-xs text-slate-600">{t.roles[entry.actorRole] ?? entry.actorRole}</span> : null}
      </td>
      <td className="px-4 py-3">
        <OutcomeBadge outcome={entry.outcome} />
      </td>
      <td className="px-4 py-3 text-xs text-slate-600">
        <span className="block">{entry.service}</span>
        <span className="block font-mono break-all" title={t.audit.correlation}>
          {entry.correlationId}
        </span>
      </td>
    </tr>
  );
}

/** The audit trail: the whole platform's for administrators, or one organization's. */
export function AuditTrail({ organizationId }: { organizationId?: string }) {
  const { t } = useI18n();
  const title = organizationId ? t.audit.organizationTitle : t.audit.title;
  useDocumentTitle(title);
  const [inputs, setInputs] = useState<AuditFilters>(EMPTY);
  const [organizationFilter, setOrganizationFilter] = useState('');
  const debounced = useDebouncedValue(inputs, 300);
  const filters: AuditFilters = {
    action: debounced.action.trim(),
    actor: debounced.actor.trim(),
    target: debounced.target.trim(),
    outcome: debounced.outcome.trim(),
    ...(organizationId ? {} : { organizationId: organizationFilter }),
  };
  const query = useInfiniteQuery({
    queryKey: queryKeys.audit(organizationId ?? null, filters),
    queryFn: ({ pageParam, signal }) =>
      organizationId
        ? listOrganizationAudit(organizationId, filters, PAGE_SIZE, pageParam, signal)
        : listAudit(filters, PAGE_SIZE, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const entries = query.data?.pages.flatMap((page) => page.items) ?? [];
  const field = (name: 'action' | 'actor' | 'target' | 'outcome', label: string, hint: string, maxLength: number) => (
    <TextField
      label={label}
      type="search"
      hint={hint}
      value={inputs[name]}
      maxLength={maxLength}
      onChange={(e) => setInputs((current) => ({ ...current, [name]: e.target.value }))}
    />
  );

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-3xl font-bold text-slate-900">{title}</h1>
        <p className="mt-2 text-slate-600">{t.audit.lead}</p>
      </div>
      <div role="search" aria-label={t.audit.filters} className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4">
        {field('action', t.audit.action, t.audit.actionHint, 100)}
        {field('target', t.audit.target, t.audit.targetHint, 200)}
        {field('actor', t.audit.actor, t.audit.actorHint, 64)}
        {field('outcome', t.audit.outcome, t.audit.outcomeHint, 64)}
        {organizationId ? null : (
          <OrganizationPicker
            id="audit-organization"
            label={t.audit.organization}
            srOnlyLabel={false}
            emptyLabel={t.audit.allOrganizations}
            value={organizationFilter}
            onChange={setOrganizationFilter}
          />
        )}
      </div>
      <div aria-busy={query.isFetching}>
        {query.isPending ? (
          <Spinner label={t.a11y.loading} size="lg" />
        ) : query.isError ? (
          <Notice title={t.audit.loadError} body={problemText(query.error, t.common.genericError)} tone="error">
            <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
              {t.common.retry}
            </button>
          </Notice>
        ) : entries.length === 0 ? (
          <Notice title={t.audit.empty} />
        ) : (
          <div className="space-y-4">
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
              <table className="min-w-full divide-y divide-slate-200 text-left">
                <caption className="sr-only">{t.audit.results}</caption>
                <thead className="bg-slate-50 text-sm text-slate-700">
                  <tr>
                    {[t.audit.colWhen, t.audit.colAction, t.audit.colTarget, t.audit.colActor, t.audit.colOutcome, t.audit.colWhere].map((label) => (
                      <th key={label} scope="col" className="px-4 py-2 font-semibold">
                        {label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-200">
                  {entries.map((entry) => (
                    <AuditRow key={entry.key} entry={entry} />
                  ))}
                </tbody>
              </table>
            </div>
            {query.hasNextPage ? (
              <button type="button" className={buttonClass.secondary} disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
                {query.isFetchingNextPage ? t.common.loadingMore : t.common.loadMore}
              </button>
            ) : null}
          </div>
        )}
      </div>
    </div>
  );
}

export function AdminAuditPage() {
  return <AuditTrail />;
}

/** The signed-in organizer's organization's trail. */
export function OrganizationAuditPage() {
  const { t } = useI18n();
  const organizationId = useAuthStore((s) => s.user?.organizationId ?? null);
  if (!organizationId) {
    return (
      <div className="space-y-6">
        <h1 className="text-3xl font-bold text-slate-900">{t.audit.organizationTitle}</h1>
        <Notice title={t.audit.noOrganization} />
      </div>
    );
  }
  return <AuditTrail organizationId={organizationId} />;
}
