import { ApiError, apiRequest, type Schemas } from './client';

export type DependencyCheck = Schemas['DependencyCheck'];
export type DependencyStatus = DependencyCheck['status'];

/** Body of the edge's GET /readyz (HTTP 200 when ready, 503 when not); `checks` only on its internal port. */
export type Readiness = Schemas['Readiness'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCheck(value: unknown): DependencyCheck | undefined {
  if (!isRecord(value)) return undefined;
  const { name, status, detail } = value;
  if (typeof name !== 'string' || (status !== 'up' && status !== 'down')) return undefined;
  if (detail !== undefined && detail !== null && typeof detail !== 'string') return undefined;
  return typeof detail === 'string' && detail.length > 0 ? { name, status, detail } : { name, status };
}

/**
 * Strict runtime validation of the /readyz payload; returns undefined on any mismatch. Kept although
 * the types come from the edge: a 503 may also come from the proxy in front of it (edge down), and
 * the status page must say so rather than crash.
 */
export function parseReadiness(body: unknown): Readiness | undefined {
  if (!isRecord(body)) return undefined;
  const { status, checks } = body;
  if (status !== 'ready' && status !== 'not_ready') return undefined;
  // The edge's public port answers the status alone; the checks come only from its internal port.
  if (checks === undefined || checks === null) return { status };
  if (!Array.isArray(checks)) return undefined;
  const parsed: DependencyCheck[] = [];
  for (const check of checks) {
    const item = parseCheck(check);
    if (!item) return undefined;
    parsed.push(item);
  }
  return { status, checks: parsed };
}

export async function fetchReadiness(signal?: AbortSignal): Promise<Readiness> {
  // 503 is the expected "not ready" answer, with the same body.
  const response = await apiRequest('/readyz', { signal, acceptStatuses: [503] });
  const readiness = parseReadiness(response.data);
  if (!readiness) {
    throw new ApiError({
      status: response.status,
      title: 'Unexpected readiness response',
      detail: 'GET /readyz did not return {status[, checks[]]}',
      correlationId: response.correlationId,
    });
  }
  return readiness;
}
