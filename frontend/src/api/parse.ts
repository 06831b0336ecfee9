/**
 * Small runtime guards for what the OpenAPI document does not describe (the extension members of a
 * problem, e.g. `zones` of a sold-out refusal), and the app's page of a keyset-paginated list.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A page of a keyset-paginated list: `{items, next_cursor}`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total?: number;
}
