import { call, type Schemas } from './client';
import { type Page } from './parse';
import type { paths } from './schema';

/**
 * The event catalog at the edge (events.py / organizations.py), typed by its OpenAPI schemas:
 * `EventPublic` for one event, `EventListing` for the listing and search, create/patch bodies
 * and sessions. The answers are put in the app's words (`CatalogEvent`) here.
 */
export const CATEGORIES = ['concert', 'conference', 'sports', 'theatre', 'festival', 'workshop', 'other'] as const satisfies readonly Schemas['EventPublic']['category'][];
export type Category = (typeof CATEGORIES)[number];

/** A category from the address bar or a form, when it is one. */
export function asCategory(value: string | undefined): Category | undefined {
  return CATEGORIES.find((category) => category === value);
}
export type EventStatus = Schemas['EventPublic']['status'];

/** Decimal `amount` string, e.g. "250.00" (never a float), and its currency. */
export type Money = Schemas['Money'];

/** Where an event takes place (the coordinates the edge also sends are not shown). */
export type Venue = Pick<Schemas['Venue'], 'name' | 'city' | 'address'>;

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
  /** How long an order's places stay held for payment. */
  paymentMinutes: number;
  /** Door staff may admit a ticket again after it exited. */
  reentryAllowed: boolean;
  /** Holders may transfer their tickets to someone else. */
  transfersAllowed: boolean;
}

/** The edge's defaults for a new event. */
export const DEFAULT_SALES: SaleSettings = {
  onSaleAt: null,
  holdMinutes: 10,
  maxPerCustomer: null,
  waitingRoom: false,
  admissionPerMinute: 300,
  paymentMinutes: 10,
  reentryAllowed: false,
  transfersAllowed: true,
};

export interface EventSession {
  id: string;
  title: string;
  presenter: string;
  startsAt: string;
  endsAt: string;
  place: string;
  status: Schemas['SessionPublic']['status'];
  capacity?: number;
}

export interface CatalogEvent {
  id: string;
  name: string;
  description: string;
  category?: Category;
  /** Absent on the listing, which shows published events only. */
  status?: EventStatus;
  venue: Venue;
  imageUrl?: string;
  startsAt?: string;
  endsAt?: string;
  timezone?: string;
  organizationId?: string;
  capacity?: number;
  version?: number;
  zones: Zone[];
  sessions: EventSession[];
  /** Lowest zone price (computed from zones, or `price_from` of the listing). */
  minPrice?: Money;
  cancellationReason?: string;
  /** On the front page: an administrator's pick. */
  featured?: boolean;
  /** Places one account may hold and own for the whole event (`sales.max_per_customer`), if limited. */
  maxPerCustomer?: number;
  /** The sale settings, when the edge sent them. */
  sales?: SaleSettings;
}

function toZone(zone: Schemas['ZonePublic']): Zone {
  return { id: zone.id, name: zone.name, price: zone.price, capacity: zone.capacity, maxPerOrder: zone.max_per_order };
}

function toSales(sales: Schemas['SalesPublic']): SaleSettings {
  return {
    onSaleAt: sales.on_sale_at,
    holdMinutes: sales.hold_minutes,
    maxPerCustomer: sales.max_per_customer,
    waitingRoom: sales.waiting_room,
    admissionPerMinute: sales.admission_per_minute,
    paymentMinutes: sales.payment_minutes,
    reentryAllowed: sales.reentry_allowed,
    transfersAllowed: sales.transfers_allowed,
  };
}

function toSession(session: Schemas['SessionPublic']): EventSession {
  return {
    id: session.id,
    title: session.title,
    presenter: session.presenter,
    startsAt: session.starts_at,
    endsAt: session.ends_at,
    place: session.place,
    status: session.status,
    capacity: session.capacity,
  };
}

/** The lowest zone price: what the listing calls `price_from`. */
function lowestPrice(zones: readonly Zone[]): Money | undefined {
  let best: Money | undefined;
  for (const zone of zones) {
    if (!best || Number(zone.price.amount) < Number(best.amount)) best = zone.price;
  }
  return best;
}

/** One event (`EventPublic`) in the app's words. */
export function toEvent(body: Schemas['EventPublic']): CatalogEvent {
  const zones = body.zones.map(toZone);
  const event: CatalogEvent = {
    id: body.id,
    name: body.name,
    description: body.description,
    category: body.category,
    status: body.status,
    venue: body.venue,
    startsAt: body.starts_at,
    endsAt: body.ends_at,
    timezone: body.timezone,
    organizationId: body.organization_id,
    capacity: body.capacity,
    version: body.version,
    zones,
    sessions: body.sessions.map(toSession),
    featured: body.featured,
    sales: toSales(body.sales),
  };
  const minPrice = lowestPrice(zones);
  if (minPrice) event.minPrice = minPrice;
  if (body.image_url) event.imageUrl = body.image_url;
  if (body.cancellation_reason) event.cancellationReason = body.cancellation_reason;
  if (body.sales.max_per_customer !== null) event.maxPerCustomer = body.sales.max_per_customer;
  return event;
}

/** An event of the listing or search (`EventListing`: no zones or sessions, a `price_from`). */
export function toListedEvent(body: Schemas['EventListing']): CatalogEvent {
  const event: CatalogEvent = {
    id: body.id,
    name: body.name,
    description: '',
    category: body.category,
    venue: body.venue,
    startsAt: body.starts_at,
    endsAt: body.ends_at,
    timezone: body.timezone,
    organizationId: body.organization_id,
    version: body.version,
    zones: [],
    sessions: [],
    featured: body.featured,
  };
  if (body.price_from) event.minPrice = body.price_from;
  if (body.image_url) event.imageUrl = body.image_url;
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

function toListingPage(body: Schemas['EventListPage']): Page<CatalogEvent> {
  const page: Page<CatalogEvent> = { items: body.items.map(toListedEvent), nextCursor: body.next_cursor };
  if (body.total !== null) page.total = body.total;
  return page;
}

export async function fetchUpcomingEvents(limit: number, signal?: AbortSignal): Promise<CatalogEvent[]> {
  const { data } = await call('get', '/api/v1/events', { query: { limit }, signal });
  return data.items.map(toListedEvent);
}

/** The events administrators chose for the front page, soonest first. */
export async function fetchFeaturedEvents(limit: number, signal?: AbortSignal): Promise<CatalogEvent[]> {
  const { data } = await call('get', '/api/v1/events', { query: { featured: true, limit }, signal });
  return data.items.map(toListedEvent);
}

/** Administrators only: put a published event on the front page, or take it off. */
export async function setEventFeatured(id: string, featured: boolean): Promise<CatalogEvent> {
  const { data } = await call('put', '/api/v1/events/{event_id}/featured', { path: { event_id: id }, body: { featured } });
  return toEvent(data);
}

type ListingQuery = NonNullable<paths['/api/v1/events']['get']['parameters']['query']>;
export type EventSort = NonNullable<ListingQuery['sort']>;

export interface EventSearchParams {
  q?: string;
  category?: string;
  city?: string;
  /** YYYY-MM-DD */
  dateFrom?: string;
  dateTo?: string;
  priceMin?: string;
  priceMax?: string;
  /** ISO 4217: prices are filtered and sorted within it (sent only with a price filter or the price order). */
  currency?: string;
  available?: boolean;
  sort?: EventSort;
  limit?: number;
}

export async function searchEvents(params: EventSearchParams, cursor: string | null, signal?: AbortSignal): Promise<Page<CatalogEvent>> {
  const { data } = await call('get', '/api/v1/events', {
    signal,
    query: {
      q: params.q || undefined,
      category: asCategory(params.category),
      city: params.city || undefined,
      date_from: params.dateFrom || undefined,
      date_to: params.dateTo || undefined,
      price_min: params.priceMin || undefined,
      price_max: params.priceMax || undefined,
      currency: params.currency || undefined,
      available: params.available ? true : undefined,
      sort: params.sort && params.sort !== 'date' ? params.sort : undefined,
      limit: params.limit ?? 12,
      cursor: cursor ?? undefined,
      count: cursor ? undefined : true,
    },
  });
  return toListingPage(data);
}

/** My organization's events; without `statuses`, drafts and published ones (the edge's default). */
export async function fetchMyOrganizationEvents(
  cursor: string | null,
  signal?: AbortSignal,
  statuses: readonly NonNullable<EventStatus>[] = [],
): Promise<Page<CatalogEvent>> {
  const { data } = await call('get', '/api/v1/organizations/me/events', {
    signal,
    query: { limit: 20, cursor: cursor ?? undefined, status: statuses.length > 0 ? [...statuses] : undefined },
  });
  return { items: data.items.map(toEvent), nextCursor: data.next_cursor };
}

// ---------------------------------------------------------------- one event

export async function fetchEvent(id: string, signal?: AbortSignal): Promise<CatalogEvent> {
  const { data } = await call('get', '/api/v1/events/{event_id}', { path: { event_id: id }, signal });
  return toEvent(data);
}

/** A zone of a create or patch body; `max_per_order` 1..100 (the edge keeps 10 when omitted). */
export type ZoneInput = Schemas['ZoneBody'];
/** `sales` of a create or patch body: omitted fields keep their value. */
export type SalesInput = Schemas['SalesBody'];
export type SessionInput = Schemas['SessionCreate'];
export type SessionPatch = Schemas['SessionUpdate'];
export type EventInput = Schemas['EventCreate'];
/** A JSON merge patch of the event: omitted fields keep their value. */
export type EventPatch = Schemas['EventUpdate'];

export async function createEvent(input: EventInput): Promise<CatalogEvent> {
  return toEvent((await call('post', '/api/v1/events', { body: input })).data);
}

/** PATCH with If-Match; 412 when someone changed the event since `version`. */
export async function updateEvent(id: string, version: number, patch: EventPatch): Promise<CatalogEvent> {
  const { data } = await call('patch', '/api/v1/events/{event_id}', { path: { event_id: id }, body: patch, headers: ifMatch(version) });
  return toEvent(data);
}

export async function publishEvent(id: string, version?: number): Promise<CatalogEvent> {
  const headers = version === undefined ? undefined : ifMatch(version);
  return toEvent((await call('post', '/api/v1/events/{event_id}/publish', { path: { event_id: id }, headers })).data);
}

/** Session changes return the event's new version in ETag, for the next If-Match. */
function nextVersion(headers: Headers, version: number): number {
  return parseEtag(headers.get('ETag')) ?? version + 1;
}

/** Adds a session; resolves to the event's new version and the session's id. */
export async function addSession(eventId: string, version: number, session: SessionInput): Promise<{ version: number; id: string }> {
  const response = await call('post', '/api/v1/events/{event_id}/sessions', {
    path: { event_id: eventId },
    body: session,
    headers: ifMatch(version),
  });
  return { version: nextVersion(response.headers, version), id: response.data.id };
}

export async function updateSession(eventId: string, sessionId: string, version: number, patch: SessionPatch): Promise<number> {
  const response = await call('patch', '/api/v1/events/{event_id}/sessions/{session_id}', {
    path: { event_id: eventId, session_id: sessionId },
    body: patch,
    headers: ifMatch(version),
  });
  return nextVersion(response.headers, version);
}

export async function removeSession(eventId: string, sessionId: string, version: number): Promise<number> {
  const response = await call('delete', '/api/v1/events/{event_id}/sessions/{session_id}', {
    path: { event_id: eventId, session_id: sessionId },
    headers: ifMatch(version),
  });
  return nextVersion(response.headers, version);
}
