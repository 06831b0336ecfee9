/** Small runtime guards for parsing JSON from the edge without trusting its shape. */
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

export function parsePage<T>(body: unknown, parseItem: (value: unknown) => T | undefined): Page<T> {
  const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.items) ? body.items : [];
  const items = list.map(parseItem).filter((item): item is T => item !== undefined);
  const nextCursor = isRecord(body) ? (str(body.next_cursor) ?? null) : null;
  const total = isRecord(body) ? num(body.total) : undefined;
  return total === undefined ? { items, nextCursor } : { items, nextCursor, total };
}
