import { api, apiRequest } from './client';
import { isRecord, num, parsePage, str, type Page } from './parse';

/**
 * The event catalog at the edge (events.py / organizations.py): `EventPublic` responses,
 * create/patch bodies, sessions, and the listing/search endpoint of the search issue
 * (GET /api/v1/events with q and filters), which may not be served yet.
 * Responses are parsed defensively: unknown fields are ignored, missing ones defaulted.
 */
export const CATEGORIES = ['concert', 'conference', 'sports', 'theatre', 'festival', 'workshop', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];
export type EventStatus = 'draft' | 'published' | 'cancelled' | 'completed';

export interface Money {
  /** Decimal string, e.g. "250.00" (never a float). */
  amount: string;
  currency: string;
}

export interface Venue {
  name: string;
  city: string;
  address: string;
}

export interface Zone {
  id: string;
  name: string;
  price: Money;
  /** Places per session. Places left come from the availability endpoint (api/reservations.ts). */
  capacity: number;
  /** Places of this zone one reservation may hold (the edge's default is 10). */
  maxPerOrder?: number;
}

/** How the event sells (`sales` of EventPublic). */
export interface SaleSettings {
  /** Nothing sells before this moment; null: from publication. */
  onSaleAt: string | null;
  /** How long a reservation holds its places. */
  holdMinutes: number;
  /** Places one account may hold and own; null: no limit. */
  maxPerCustomer: number | null;
  /** Buyers queue in a waiting room at the on-sale and are admitted at a rate. */
  waitingRoom: boolean;
  admissionPerMinute: number;
}

/** The edge's defaults for a new event (and for events that predate the sale settings). */
export const DEFAULT_SALES: SaleSettings = {
  onSaleAt: null,
  holdMinutes: 10,
  maxPerCustomer: null,
  waitingRoom: false,
  admissionPerMinute: 300,
};

export interface EventSession {
  id: string;
  title: string;
  presenter: string;
  startsAt: string;
  endsAt: string;
  place: string;
  status: string;
  capacity?: number;
  available?: number;
}

export interface CatalogEvent {
  id: string;
  name: string;
  description: string;
  category?: string;
  status?: string;
  venue: Venue;
  imageUrl?: string;
  startsAt?: string;
  endsAt?: string;
  timezone?: string;
  organizationId?: string;
  capacity?: number;
  available?: number;
  version?: number;
  zones: Zone[];
  sessions: EventSession[];
  /** Lowest zone price (computed from zones, or `min_price` from the search API). */
  minPrice?: Money;
  cancellationReason?: string;
  /** On the front page: an administrator's pick. */
  featured?: boolean;
  /** Places one account may hold and own for the whole event (`sales.max_per_customer`), if limited. */
  maxPerCustomer?: number;
  /** The sale settings, when the edge sent them. */
  sales?: SaleSettings;
}

function parseMoney(value: unknown): Money | undefined {
  if (isRecord(value)) {
    const amount = typeof value.amount === 'number' ? value.amount.toFixed(2) : str(value.amount);
    const currency = str(value.currency);
    return amount && currency ? { amount, currency } : undefined;
  }
  return undefined;
}

function parseZone(value: unknown): Zone | undefined {
  if (!isRecord(value)) return undefined;
  const name = str(value.name);
  const price = parseMoney(value.price);
  if (!name || !price) return undefined;
  const zone: Zone = { id: str(value.id) ?? name, name, price, capacity: num(value.capacity) ?? 0 };
  const maxPerOrder = num(value.max_per_order);
  if (maxPerOrder !== undefined && maxPerOrder > 0) zone.maxPerOrder = maxPerOrder;
  return zone;
}

function parseSales(value: unknown): SaleSettings | undefined {
  if (!isRecord(value)) return undefined;
  const maxPerCustomer = num(value.max_per_customer);
  return {
    onSaleAt: str(value.on_sale_at) ?? null,
    holdMinutes: num(value.hold_minutes) ?? DEFAULT_SALES.holdMinutes,
    maxPerCustomer: maxPerCustomer !== undefined && maxPerCustomer > 0 ? maxPerCustomer : null,
    waitingRoom: value.waiting_room === true,
    admissionPerMinute: num(value.admission_per_minute) ?? DEFAULT_SALES.admissionPerMinute,
  };
}

function parseSession(value: unknown): EventSession | undefined {
  if (!isRecord(value)) return undefined;
  const id = str(value.id);
  const startsAt = str(value.starts_at);
  const endsAt = str(value.ends_at);
  if (!id || !startsAt || !endsAt) return undefined;
  const session: EventSession = {
    id,
    startsAt,
    endsAt,
    title: str(value.title) ?? '',
    presenter: str(value.presenter) ?? '',
    place: str(value.place) ?? '',
    status: str(value.status) ?? 'draft',
  };
  const capacity = num(value.capacity);
  const available = num(value.available);
  if (capacity !== undefined) session.capacity = capacity;
  if (available !== undefined) session.available = available;
  return session;
}

function list<T>(value: unknown, parse: (v: unknown) => T | undefined): T[] {
  return Array.isArray(value) ? value.map(parse).filter((v): v is T => v !== undefined) : [];
}

function lowestPrice(zones: Zone[]): Money | undefined {
  let best: Money | undefined;
  for (const zone of zones) {
    if (!best || Number(zone.price.amount) < Number(best.amount)) best = zone.price;
  }
  return best;
}

export function parseEvent(value: unknown): CatalogEvent | undefined {
  if (!isRecord(value)) return undefined;
  const id = typeof value.id === 'number' ? String(value.id) : str(value.id);
  const name = str(value.name) ?? str(value.title);
  if (!id || !name) return undefined;
  const venueRecord = isRecord(value.venue) ? value.venue : {};
  const venue: Venue = {
    name: str(venueRecord.name) ?? (typeof value.venue === 'string' ? value.venue : (str(value.venue_name) ?? '')),
    city: str(venueRecord.city) ?? str(value.city) ?? '',
    address: str(venueRecord.address) ?? '',
  };
  const zones = list(value.zones, parseZone);
  const event: CatalogEvent = {
    id,
    name,
    description: str(value.description) ?? '',
    venue,
    zones,
    sessions: list(value.sessions, parseSession),
  };
  const optional = {
    category: str(value.category),
    status: str(value.status),
    imageUrl: str(value.image_url),
    startsAt: str(value.starts_at) ?? str(value.startsAt),
    endsAt: str(value.ends_at),
    timezone: str(value.timezone),
    organizationId: str(value.organization_id),
    capacity: num(value.capacity),
    available: num(value.available),
    version: num(value.version),
    minPrice: parseMoney(value.min_price) ?? parseMoney(value.price_from) ?? lowestPrice(zones),
    cancellationReason: str(value.cancellation_reason),
    featured: typeof value.featured === 'boolean' ? value.featured : undefined,
    maxPerCustomer: isRecord(value.sales) ? num(value.sales.max_per_customer) : undefined,
    sales: parseSales(value.sales),
  };
  for (const [key, v] of Object.entries(optional)) {
    if (v !== undefined) (event as unknown as Record<string, unknown>)[key] = v;
  }
  return event;
}

/** Accepts a bare array or a paginated envelope ({items} / {data} / {events}). */
export function parseEventList(body: unknown): CatalogEvent[] {
  const items = Array.isArray(body)
    ? body
    : isRecord(body)
      ? [body.items, body.data, body.events].find(Array.isArray)
      : undefined;
  return Array.isArray(items) ? items.map(parseEvent).filter((e): e is CatalogEvent => e !== undefined) : [];
}

function requireEvent(body: unknown): CatalogEvent {
  const event = parseEvent(body);
  if (!event) throw new TypeError('The edge returned an event without id or name');
  return event;
}

/** `"3"` (or W/"3") -> 3. */
export function parseEtag(value: string | null): number | undefined {
  const match = value ? /^(?:W\/)?"(\d+)"$/.exec(value.trim()) : null;
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function ifMatch(version: number): Record<string, string> {
  return { 'If-Match': `"${version}"` };
}

// ---------------------------------------------------------------- listing and search

export async function fetchUpcomingEvents(limit: number, signal?: AbortSignal): Promise<CatalogEvent[]> {
  const body = await api.get('/api/v1/events', { query: { limit }, signal });
  return parseEventList(body);
}

/** The events administrators chose for the front page, soonest first. */
export async function fetchFeaturedEvents(limit: number, signal?: AbortSignal): Promise<CatalogEvent[]> {
  const body = await api.get('/api/v1/events', { query: { featured: true, limit }, signal });
  return parseEventList(body);
}

/** Administrators only: put a published event on the front page, or take it off. */
export async function setEventFeatured(id: string, featured: boolean): Promise<CatalogEvent> {
  return requireEvent(await api.put(`/api/v1/events/${encodeURIComponent(id)}/featured`, { featured }));
}

export type EventSort = 'date' | 'relevance' | 'price';

export interface EventSearchParams {
  q?: string;
  category?: string;
  city?: string;
  /** YYYY-MM-DD */
  dateFrom?: string;
  dateTo?: string;
  priceMin?: string;
  priceMax?: string;
  available?: boolean;
  sort?: EventSort;
  limit?: number;
}

export async function searchEvents(params: EventSearchParams, cursor: string | null, signal?: AbortSignal): Promise<Page<CatalogEvent>> {
  const body = await api.get('/api/v1/events', {
    signal,
    query: {
      q: params.q || undefined,
      category: params.category || undefined,
      city: params.city || undefined,
      date_from: params.dateFrom || undefined,
      date_to: params.dateTo || undefined,
      price_min: params.priceMin || undefined,
      price_max: params.priceMax || undefined,
      available: params.available ? true : undefined,
      sort: params.sort && params.sort !== 'date' ? params.sort : undefined,
      limit: params.limit ?? 12,
      cursor: cursor ?? undefined,
      count: cursor ? undefined : true,
    },
  });
  return parsePage(body, parseEvent);
}

export async function fetchMyOrganizationEvents(cursor: string | null, signal?: AbortSignal): Promise<Page<CatalogEvent>> {
  const body = await api.get('/api/v1/organizations/me/events', { signal, query: { limit: 20, cursor: cursor ?? undefined } });
  return parsePage(body, parseEvent);
}

// ---------------------------------------------------------------- one event

export async function fetchEvent(id: string, signal?: AbortSignal): Promise<CatalogEvent> {
  const response = await apiRequest(`/api/v1/events/${encodeURIComponent(id)}`, { signal });
  const event = requireEvent(response.data);
  const version = parseEtag(response.headers.get('ETag'));
  if (event.version === undefined && version !== undefined) event.version = version;
  return event;
}

export interface ZoneInput {
  name: string;
  price: Money;
  capacity: number;
  /** Places of this zone one reservation may hold (1..100; the edge keeps 10 when omitted). */
  max_per_order?: number;
}

/** `sales` of a create or patch body: omitted fields keep their value. */
export interface SalesInput {
  on_sale_at?: string | null;
  hold_minutes?: number;
  max_per_customer?: number | null;
  waiting_room?: boolean;
  admission_per_minute?: number;
}

export interface SessionInput {
  starts_at: string;
  ends_at: string;
  title?: string;
  place?: string;
}

export interface EventInput {
  name: string;
  description: string;
  category: string;
  venue: Venue;
  image_url?: string | null;
  starts_at: string;
  ends_at: string;
  timezone: string;
  zones: ZoneInput[];
  sales?: SalesInput;
  sessions?: SessionInput[];
  organization_id?: string;
  publish?: boolean;
}

export type EventPatch = Partial<Omit<EventInput, 'sessions' | 'organization_id' | 'publish'>>;

export async function createEvent(input: EventInput): Promise<CatalogEvent> {
  return requireEvent(await api.post('/api/v1/events', input));
}

/** PATCH with If-Match; 412 when someone changed the event since `version`. */
export async function updateEvent(id: string, version: number, patch: EventPatch): Promise<CatalogEvent> {
  return requireEvent(await api.patch(`/api/v1/events/${encodeURIComponent(id)}`, patch, { headers: ifMatch(version) }));
}

export async function publishEvent(id: string, version?: number): Promise<CatalogEvent> {
  return requireEvent(
    await api.post(`/api/v1/events/${encodeURIComponent(id)}/publish`, undefined, {
      headers: version === undefined ? undefined : ifMatch(version),
    }),
  );
}

/** Session changes return the event's new version in ETag, for the next If-Match. */
async function sessionCall(
  path: string,
  method: 'POST' | 'PATCH' | 'DELETE',
  version: number,
  body?: unknown,
): Promise<{ version: number; id?: string }> {
  const response = await apiRequest(path, { method, body, headers: ifMatch(version) });
  const id = isRecord(response.data) ? str(response.data.id) : undefined;
  const next = parseEtag(response.headers.get('ETag')) ?? version + 1;
  return id ? { version: next, id } : { version: next };
}

/** Adds a session; resolves to the event's new version and the session's id. */
export function addSession(eventId: string, version: number, session: SessionInput): Promise<{ version: number; id?: string }> {
  return sessionCall(`/api/v1/events/${encodeURIComponent(eventId)}/sessions`, 'POST', version, session);
}

export async function updateSession(eventId: string, sessionId: string, version: number, patch: Partial<SessionInput>): Promise<number> {
  const result = await sessionCall(
    `/api/v1/events/${encodeURIComponent(eventId)}/sessions/${encodeURIComponent(sessionId)}`,
    'PATCH',
    version,
    patch,
  );
  return result.version;
}

export async function removeSession(eventId: string, sessionId: string, version: number): Promise<number> {
  const path = `/api/v1/events/${encodeURIComponent(eventId)}/sessions/${encodeURIComponent(sessionId)}`;
  return (await sessionCall(path, 'DELETE', version)).version;
}
