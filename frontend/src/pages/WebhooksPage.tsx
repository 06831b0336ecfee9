import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';

import { isApiError } from '@/api/client';
import { queryKeys } from '@/api/queryKeys';
import {
  createWebhook,
  deleteWebhook,
  fetchWebhookDeliveries,
  fetchWebhooks,
  redeliverWebhook,
  redeliverWebhookRange,
  rotateWebhookSecret,
  updateWebhook,
  WEBHOOK_TYPES,
  type WebhookEndpoint,
  type WebhookType,
} from '@/api/webhooks';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { buttonClass } from '@/components/form/buttonClass';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

/** Checkboxes of the webhook types, for the new endpoint's form and an endpoint's edit panel. */
function TypeChoices({ legend, chosen, onChange }: { legend: string; chosen: WebhookType[]; onChange: (types: WebhookType[]) => void }) {
  return (
    <fieldset className="space-y-1">
      <legend className="font-medium text-slate-900">{legend}</legend>
      {WEBHOOK_TYPES.map((type) => (
        <label key={type} className="flex items-center gap-2 font-mono text-sm">
          <input
            type="checkbox"
            checked={chosen.includes(type)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, type] : chosen.filter((t) => t !== type))}
          />
          {type}
        </label>
      ))}
    </fieldset>
  );
}

/** The signing secret, shown once after a create or a rotation, with a copy button. */
function SecretOnce({ secret, onDismiss }: { secret: string; onDismiss: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <section role="alert" aria-label={t.webhooks.secretTitle} className="space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-4">
      <h2 className="font-semibold text-slate-900">{t.webhooks.secretTitle}</h2>
      <p className="text-slate-700">{t.webhooks.secretLead}</p>
      <code data-testid="webhook-secret" className="block break-all rounded bg-white p-2 font-mono text-sm">
        {secret}
      </code>
      <div className="flex gap-2">
        <button
          type="button"
          className={buttonClass.secondary}
          onClick={() => void navigator.clipboard.writeText(secret).then(() => setCopied(true))}
        >
          {copied ? t.webhooks.copied : t.webhooks.copy}
        </button>
        <button type="button" className={buttonClass.primary} onClick={onDismiss}>
          {t.webhooks.dismissSecret}
        </button>
      </div>
    </section>
  );
}

function DeliveryLog({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { t, formatDateTime } = useI18n();
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const query = useQuery({
    queryKey: queryKeys.webhooks.deliveries(endpoint.id),
    queryFn: ({ signal }) => fetchWebhookDeliveries(endpoint.id, signal),
    staleTime: 0,
  });
  const redeliver = useMutation({
    mutationFn: (deliveryId: string) => redeliverWebhook(endpoint.id, deliveryId),
    onSuccess: () => {
      setNotice(t.webhooks.redelivered);
      void queryClient.invalidateQueries({ queryKey: queryKeys.webhooks.deliveries(endpoint.id) });
    },
    onError: () => setNotice(t.webhooks.actionError),
  });
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const redeliverRange = useMutation({
    // datetime-local inputs read in the browser's zone; the API wants instants.
    mutationFn: () => redeliverWebhookRange(endpoint.id, new Date(since).toISOString(), new Date(until).toISOString()),
    onSuccess: (count) => {
      setNotice(t.webhooks.rangeRedelivered(count));
      void queryClient.invalidateQueries({ queryKey: queryKeys.webhooks.deliveries(endpoint.id) });
    },
    onError: () => setNotice(t.webhooks.actionError),
  });
  const title = t.webhooks.deliveriesOf(endpoint.url);
  let body;
  if (query.isPending) body = <Spinner label={t.a11y.loading} />;
  else if (query.isError) body = <Notice title={t.webhooks.loadError} tone="error" />;
  else if (query.data.length === 0) body = <Notice title={t.webhooks.noDeliveries} />;
  else
    body = (
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-left text-sm">
          <caption className="sr-only">{title}</caption>
          <thead className="bg-slate-50 text-slate-700">
            <tr>
              {[t.webhooks.colTime, t.webhooks.colType, t.webhooks.colResult, t.webhooks.colCode, t.webhooks.colLatency, t.webhooks.colResponse, t.webhooks.colActions].map(
                (heading) => (
                  <th key={heading} scope="col" className="px-3 py-2 font-semibold">
                    {heading}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {query.data.map((d) => (
              <tr key={d.id} data-delivery={d.id}>
                <td className="px-3 py-2">
                  <time dateTime={d.last_attempt_at ?? d.created_at}>{formatDateTime(d.last_attempt_at ?? d.created_at)}</time>
                </td>
                <td className="px-3 py-2 font-mono">{d.type}</td>
                <td className="px-3 py-2">
                  {t.webhooks.statuses[d.status] ?? d.status}
                  {d.last_error ? ` · ${d.last_error}` : ''}
                </td>
                <td className="px-3 py-2">{d.response_status ?? '—'}</td>
                <td className="px-3 py-2">{d.latency_ms === null ? '—' : t.webhooks.ms(d.latency_ms)}</td>
                <td className="max-w-xs truncate px-3 py-2 font-mono" title={d.response_body}>
                  {d.response_body}
                </td>
                <td className="px-3 py-2">
                  <button
                    type="button"
                    className={buttonClass.secondary}
                    disabled={redeliver.isPending}
                    onClick={() => redeliver.mutate(d.id)}
                  >
                    {t.webhooks.redeliver}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  return (
    <section aria-label={title} className="space-y-2">
      <h2 className="text-xl font-semibold text-slate-900">{title}</h2>
      {notice ? <p role="status">{notice}</p> : null}
      {body}
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          redeliverRange.mutate();
        }}
      >
        <label className="space-y-1">
          <span className="block font-medium text-slate-900">{t.webhooks.since}</span>
          <input type="datetime-local" required value={since} onChange={(e) => setSince(e.target.value)} className="rounded-md border border-slate-300 px-2 py-1" />
        </label>
        <label className="space-y-1">
          <span className="block font-medium text-slate-900">{t.webhooks.until}</span>
          <input type="datetime-local" required value={until} onChange={(e) => setUntil(e.target.value)} className="rounded-md border border-slate-300 px-2 py-1" />
        </label>
        <button type="submit" className={buttonClass.secondary} disabled={redeliverRange.isPending}>
          {t.webhooks.redeliverRange}
        </button>
      </form>
    </section>
  );
}

function EndpointRow({
  endpoint,
  onSecret,
  onShowLog,
}: {
  endpoint: WebhookEndpoint;
  onSecret: (secret: string) => void;
  onShowLog: (endpoint: WebhookEndpoint) => void;
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [types, setTypes] = useState<WebhookType[]>(endpoint.types as WebhookType[]);
  const [removing, setRemoving] = useState(false);
  const [error, setError] = useState('');
  const refresh = () => void queryClient.invalidateQueries({ queryKey: queryKeys.webhooks.all });
  const act = useMutation({
    mutationFn: async (action: () => Promise<unknown>) => action(),
    onSuccess: () => {
      setError('');
      refresh();
    },
    onError: () => setError(t.webhooks.actionError),
  });
  const enabled = endpoint.status === 'enabled';
  const reason = endpoint.disabled_reason ? ` (${t.webhooks.reasons[endpoint.disabled_reason] ?? endpoint.disabled_reason})` : '';
  return (
    <tr data-endpoint={endpoint.id} className="align-top">
      <th scope="row" className="px-3 py-2 font-mono font-medium break-all text-slate-900">
        {endpoint.url}
        {endpoint.description ? <p className="font-sans font-normal text-slate-600">{endpoint.description}</p> : null}
      </th>
      <td className="px-3 py-2">
        {editing ? (
          <div className="space-y-2">
            <TypeChoices legend={t.webhooks.types} chosen={types} onChange={setTypes} />
            <button
              type="button"
              className={buttonClass.primary}
              disabled={types.length === 0 || act.isPending}
              onClick={() => act.mutate(() => updateWebhook(endpoint.id, { types }).then(() => setEditing(false)))}
            >
              {t.webhooks.saveTypes}
            </button>
          </div>
        ) : (
          <ul className="font-mono">
            {endpoint.types.map((type) => (
              <li key={type}>{type}</li>
            ))}
          </ul>
        )}
      </td>
      <td className="px-3 py-2">{(enabled ? t.webhooks.enabled : t.webhooks.disabled) + reason}</td>
      <td className="space-y-1 px-3 py-2">
        <div className="flex flex-wrap gap-2">
          <button type="button" className={buttonClass.secondary} onClick={() => setEditing(!editing)}>
            {t.webhooks.editTypes}
          </button>
          <button
            type="button"
            className={buttonClass.secondary}
            disabled={act.isPending}
            onClick={() => act.mutate(() => rotateWebhookSecret(endpoint.id).then((r) => onSecret(r.secret)))}
          >
            {t.webhooks.rotate}
          </button>
          <button
            type="button"
            className={buttonClass.secondary}
            disabled={act.isPending}
            onClick={() => act.mutate(() => updateWebhook(endpoint.id, { enabled: !enabled }))}
          >
            {enabled ? t.webhooks.disable : t.webhooks.enable}
          </button>
          <button type="button" className={buttonClass.secondary} onClick={() => onShowLog(endpoint)}>
            {t.webhooks.deliveries}
          </button>
          <button type="button" className={buttonClass.danger} onClick={() => setRemoving(true)}>
            {t.webhooks.remove}
          </button>
        </div>
        {error ? <p className="text-red-800">{error}</p> : null}
        {removing ? (
          <ConfirmDialog
            title={t.webhooks.removeTitle}
            confirmLabel={t.webhooks.remove}
            cancelLabel={t.common.cancel}
            tone="danger"
            busy={act.isPending}
            onCancel={() => setRemoving(false)}
            onConfirm={() => act.mutate(() => deleteWebhook(endpoint.id).then(() => setRemoving(false)))}
          >
            {t.webhooks.removeBody(endpoint.url)}
          </ConfirmDialog>
        ) : null}
      </td>
    </tr>
  );
}

/**
 * An organization's webhook endpoints (GET/POST/PATCH/DELETE /api/v1/webhooks), for its organizers:
 * register one (its signing secret shown once, with a copy button), edit its message types, rotate
 * its secret, disable or enable it, delete it, and read and redeliver from its delivery log.
 */
export function WebhooksPage() {
  const { t } = useI18n();
  useDocumentTitle(t.webhooks.title);
  const queryClient = useQueryClient();
  const formId = useId();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<WebhookType[]>(['order.paid']);
  const [secret, setSecret] = useState('');
  const [log, setLog] = useState<WebhookEndpoint | null>(null);
  const query = useQuery({ queryKey: queryKeys.webhooks.all, queryFn: ({ signal }) => fetchWebhooks(signal) });
  const create = useMutation({
    mutationFn: () => createWebhook(url.trim(), types, description.trim()),
    onSuccess: (created) => {
      setSecret(created.secret);
      setUrl('');
      setDescription('');
      void queryClient.invalidateQueries({ queryKey: queryKeys.webhooks.all });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const createError = create.isError
    ? (isApiError(create.error) && create.error.errors?.map((f) => `${f.field}: ${f.message}`).join('; ')) || t.webhooks.createError
    : '';

  let list;
  if (query.isPending) list = <Spinner label={t.a11y.loading} />;
  else if (query.isError)
    list = (
      <Notice title={t.webhooks.loadError} tone="error">
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  else if (query.data.length === 0) list = <Notice title={t.webhooks.empty} />;
  else
    list = (
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-left text-sm">
          <caption className="sr-only">{t.webhooks.endpoints}</caption>
          <thead className="bg-slate-50 text-slate-700">
            <tr>
              {[t.webhooks.colUrl, t.webhooks.colTypes, t.webhooks.colStatus, t.webhooks.colActions].map((heading) => (
                <th key={heading} scope="col" className="px-3 py-2 font-semibold">
                  {heading}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {query.data.map((endpoint) => (
              <EndpointRow key={endpoint.id} endpoint={endpoint} onSecret={setSecret} onShowLog={setLog} />
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <div className="mx-auto max-w-6xl space-y-8">
      <div className="space-y-2">
        <h1 className="text-3xl font-bold text-slate-900">{t.webhooks.title}</h1>
        <p className="text-slate-600">{t.webhooks.lead}</p>
      </div>
      {secret ? <SecretOnce secret={secret} onDismiss={() => setSecret('')} /> : null}
      <section aria-label={t.webhooks.endpoints} className="space-y-2">
        <h2 className="text-xl font-semibold text-slate-900">{t.webhooks.endpoints}</h2>
        {list}
      </section>
      {log ? <DeliveryLog key={log.id} endpoint={log} /> : null}
      <form aria-labelledby={`${formId}-title`} onSubmit={submit} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id={`${formId}-title`} className="text-xl font-semibold text-slate-900">
          {t.webhooks.create}
        </h2>
        <label className="block space-y-1">
          <span className="font-medium text-slate-900">{t.webhooks.url}</span>
          <input
            type="url"
            required
            maxLength={2048}
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            className="block w-full rounded-md border border-slate-300 px-3 py-2"
          />
        </label>
        <label className="block space-y-1">
          <span className="font-medium text-slate-900">{t.webhooks.description}</span>
          <input
            type="text"
            maxLength={500}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            className="block w-full rounded-md border border-slate-300 px-3 py-2"
          />
        </label>
        <TypeChoices legend={t.webhooks.types} chosen={types} onChange={setTypes} />
        {createError ? <p className="text-red-800">{createError}</p> : null}
        <button type="submit" className={buttonClass.primary} disabled={create.isPending || types.length === 0}>
          {create.isPending ? t.webhooks.adding : t.webhooks.add}
        </button>
      </form>
    </div>
  );
}
