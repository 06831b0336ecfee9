import { api } from './client';

/**
 * Minimal event summary used by the home page. The events API arrives in a
 * later issue; until then this is parsed defensively and unknown fields ignored.
 */
export interface EventSummary {
  id: string;
  title: string;
  startsAt?: string;
  venue?: string;
  city?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function parseEvent(value: unknown): EventSummary | undefined {
  if (!isRecord(value)) return undefined;
  const id = typeof value.id === 'number' ? String(value.id) : str(value.id);
  const title = str(value.title) ?? str(value.name);
  if (!id || !title) return undefined;
  const event: EventSummary = { id, title };
  const startsAt = str(value.starts_at) ?? str(value.startsAt);
  const venue = isRecord(value.venue) ? str(value.venue.name) : (str(value.venue) ?? str(value.venue_name));
  const city = str(value.city) ?? (isRecord(value.venue) ? str(value.venue.city) : undefined);
  if (startsAt) event.startsAt = startsAt;
  if (venue) event.venue = venue;
  if (city) event.city = city;
  return event;
}

/** Accepts a bare array or a paginated envelope ({items} / {data} / {events}). */
export function parseEventList(body: unknown): EventSummary[] {
  const list = Array.isArray(body)
    ? body
    : isRecord(body)
      ? [body.items, body.data, body.events].find(Array.isArray)
      : undefined;
  if (!Array.isArray(list)) return [];
  return list.map(parseEvent).filter((e): e is EventSummary => e !== undefined);
}

export async function fetchUpcomingEvents(limit: number, signal?: AbortSignal): Promise<EventSummary[]> {
  const body = await api.get('/api/v1/events', { query: { limit }, signal });
  return parseEventList(body);
}
