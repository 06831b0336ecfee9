import { call, type Schemas } from './client';
import { type Page } from './parse';

/** One entry of the audit trail (edge `AuditEntryPublic`): ids and action names only. */
export interface AuditEntry {
  /** `service` and `id` name the entry. */
  key: string;
  service: string;
  occurredAt: string;
  actor: string;
  actorRole: string | null;
  organizationId: string | null;
  action: string;
  target: string;
  correlationId: string;
  outcome: string;
}

export interface AuditFilters {
  action: string;
  actor: string;
  target: string;
  outcome: string;
  /** Administrators only: one organization's entries ('' for all). */
  organizationId?: string;
}

export function toAuditEntry(body: Schemas['AuditEntryPublic']): AuditEntry {
  return {
    key: `${body.service}:${body.id}`,
    service: body.service,
    occurredAt: body.occurred_at,
    actor: body.actor,
    actorRole: body.actor_role ?? null,
    organizationId: body.organization_id ?? null,
    action: body.action,
    target: body.target,
    correlationId: body.correlation_id,
    outcome: body.outcome,
  };
}

function toPage(body: Schemas['AuditPage']): Page<AuditEntry> {
  return { items: body.items.map(toAuditEntry), nextCursor: body.next_cursor ?? null };
}

function query(filters: AuditFilters, limit: number, cursor: string | null) {
  return {
    action: filters.action.trim() || undefined,
    actor: filters.actor.trim() || undefined,
    target: filters.target.trim() || undefined,
    outcome: filters.outcome.trim() || undefined,
    limit,
    cursor: cursor ?? undefined,
  };
}

/** The whole platform's trail, newest first (administrators). */
export async function listAudit(filters: AuditFilters, limit: number, cursor: string | null, signal?: AbortSignal): Promise<Page<AuditEntry>> {
  const { data } = await call('get', '/api/v1/admin/audit', {
    signal,
    query: { ...query(filters, limit, cursor), organization_id: filters.organizationId || undefined },
  });
  return toPage(data);
}

/** One organization's part of the trail (its organizers and administrators). */
export async function listOrganizationAudit(
  organizationId: string,
  filters: AuditFilters,
  limit: number,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<Page<AuditEntry>> {
  const { data } = await call('get', '/api/v1/organizations/{organization_id}/audit', {
    signal,
    path: { organization_id: organizationId },
    query: query(filters, limit, cursor),
  });
  return toPage(data);
}
