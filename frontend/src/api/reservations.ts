import { api, apiRequest, isApiError, newCorrelationId } from './client';
import type { Money } from './events';
import { isRecord, num, parsePage, str, type Page } from './parse';

/**
 * Reservations (holds of places for a few minutes) and places left per session and zone, at the
 * edge (routes/reservations.py). Bodies are parsed defensively, like the catalog's.
 */
export type ReservationStatus = 'held' | 'released' | 'expired';
export type SaleStatus = 'on_sale' | 'few_left' | 'sold_out' | 'not_on_sale';

/** Places of one zone a single order may take when the zone does not say (the edge's default). */
export const MAX_PER_ORDER = 10;

export const PROBLEM_TYPES = {
  soldOut: 'sold-out',
  notOnSale: 'not-on-sale',
  limitReached: 'limit-reached',
  /** The event has a waiting room and the `Admission` header was missing, expired or someone else's (403). */
  admissionRequired: 'admission-required',
  /** Joining a queue: the event has no waiting room, or it is not open yet (409). */
  noWaitingRoom: 'no-waiting-room',
} as const;

export interface ReservationItem {
  zoneId: string;
  zoneName: string;
  quantity: number;
  unitPrice: Money;
}

export interface Reservation {
  id: string;
  status: ReservationStatus;
  eventId: string;
  eventName: string;
  sessionId: string;
  items: ReservationItem[];
  total: Money;
  expiresAt: string;
  createdAt: string;
  endedAt: string | null;
}

export interface ZoneAvailability {
  sessionId: string;
  zoneId: string;
  capacity: number;
  available: number;
  status: SaleStatus;
}

export interface Availability {
  eventId: string;
  zones: ZoneAvailability[];
  asOf: string;
  onSaleAt: string | null;
  /** The ETag that named this answer, sent back as If-None-Match on the next poll. */
  etag: string | null;
}

const RESERVATION_STATUSES: readonly string[] = ['held', 'released', 'expired'];
const SALE_STATUSES: readonly string[] = ['on_sale', 'few_left', 'sold_out', 'not_on_sale'];

function parseMoney(value: unknown): Money | undefined {
  if (!isRecord(value)) return undefined;
  const amount = typeof value.amount === 'number' ? value.amount.toFixed(2) : str(value.amount);
  const currency = str(value.currency);
  return amount && currency ? { amount, currency } : undefined;
}

function parseItem(value: unknown): ReservationItem | undefined {
  if (!isRecord(value)) return undefined;
  const zoneId = str(value.zone_id);
  const quantity = num(value.quantity);
  const unitPrice = parseMoney(value.unit_price);
  if (!zoneId || quantity === undefined || !unitPrice) return undefined;
  return { zoneId, zoneName: str(value.zone_name) ?? '', quantity, unitPrice };
}

export function parseReservation(value: unknown): Reservation | undefined {
  if (!isRecord(value)) return undefined;
  const id = str(value.id);
  const status = str(value.status);
  const total = parseMoney(value.total);
  const expiresAt = str(value.expires_at);
  if (!id || !status || !RESERVATION_STATUSES.includes(status) || !total || !expiresAt) return undefined;
  const items = Array.isArray(value.items) ? value.items.map(parseItem).filter((i): i is ReservationItem => i !== undefined) : [];
  return {
    id,
    status: status as ReservationStatus,
    eventId: str(value.event_id) ?? '',
    eventName: str(value.event_name) ?? '',
    sessionId: str(value.session_id) ?? '',
    items,
    total,
    expiresAt,
    createdAt: str(value.created_at) ?? expiresAt,
    endedAt: str(value.ended_at) ?? null,
  };
}

function requireReservation(body: unknown): Reservation {
  const reservation = parseReservation(body);
  if (!reservation) throw new TypeError('The edge returned a reservation without id, status, total or expiry');
  return reservation;
}

function parseZoneAvailability(value: unknown): ZoneAvailability | undefined {
  if (!isRecord(value)) return undefined;
  const sessionId = str(value.session_id);
  const zoneId = str(value.zone_id);
  const status = str(value.status);
  if (!sessionId || !zoneId || !status || !SALE_STATUSES.includes(status)) return undefined;
  return {
    sessionId,
    zoneId,
    capacity: num(value.capacity) ?? 0,
    available: Math.max(0, num(value.available) ?? 0),
    status: status as SaleStatus,
  };
}

export function parseAvailability(value: unknown, etag: string | null): Availability {
  const body = isRecord(value) ? value : {};
  const zones = Array.isArray(body.zones)
    ? body.zones.map(parseZoneAvailability).filter((z): z is ZoneAvailability => z !== undefined)
    : [];
  return { eventId: str(body.event_id) ?? '', zones, asOf: str(body.as_of) ?? '', onSaleAt: str(body.on_sale_at) ?? null, etag };
}

// ---------------------------------------------------------------- calls

export interface ReservationRequest {
  sessionId: string;
  items: { zoneId: string; quantity: number }[];
}

/** A new Idempotency-Key per attempt: a retry of the same attempt would reuse it. */
export function newIdempotencyKey(): string {
  return newCorrelationId();
}

/** `admission`: for events with a waiting room, the admission of the buyer's queue entry (the `Admission` header). */
export async function createReservation(request: ReservationRequest, idempotencyKey: string, admission?: string | null): Promise<Reservation> {
  const body = {
    session_id: request.sessionId,
    items: request.items.map((item) => ({ zone_id: item.zoneId, quantity: item.quantity })),
  };
  const headers: Record<string, string> = { 'Idempotency-Key': idempotencyKey };
  if (admission) headers.Admission = admission;
  return requireReservation(await api.post('/api/v1/reservations', body, { headers }));
}

export async function fetchReservation(id: string, signal?: AbortSignal): Promise<Reservation> {
  return requireReservation(await api.get(`/api/v1/reservations/${encodeURIComponent(id)}`, { signal }));
}

/** Releases at once (204); releasing one that already ended changes nothing. */
export async function releaseReservation(id: string): Promise<void> {
  await api.delete(`/api/v1/reservations/${encodeURIComponent(id)}`);
}

export async function fetchMyReservations(
  statuses: readonly ReservationStatus[],
  cursor: string | null,
  signal?: AbortSignal,
  limit = 10,
): Promise<Page<Reservation>> {
  const body = await api.get('/api/v1/me/reservations', {
    signal,
    query: { status: statuses, limit, cursor: cursor ?? undefined },
  });
  return parsePage(body, parseReservation);
}

/**
 * Places left per session and zone. With the previous answer's ETag the edge answers 304 when
 * nothing changed; then the previous answer is returned as it was.
 */
export async function fetchAvailability(eventId: string, previous: Availability | undefined, signal?: AbortSignal): Promise<Availability> {
  const headers: Record<string, string> = previous?.etag ? { 'If-None-Match': previous.etag } : {};
  const response = await apiRequest(`/api/v1/events/${encodeURIComponent(eventId)}/availability`, {
    signal,
    headers,
    acceptStatuses: [304],
    auth: false,
  });
  if (response.status === 304 && previous) return previous;
  return parseAvailability(response.data, response.headers.get('ETag'));
}

// ---------------------------------------------------------------- refusals

/** The last path segment of a problem `type` ("https://taquilla.dev/problems/sold-out" -> "sold-out"). */
export function problemKind(error: unknown): string | undefined {
  if (!isApiError(error) || error.type === 'about:blank') return undefined;
  return error.type.split('/').filter(Boolean).pop();
}

/** `zones` of a sold-out refusal: the places left in each zone asked for. */
export function soldOutZones(error: unknown): { zoneId: string; available: number }[] {
  if (!isApiError(error) || !Array.isArray(error.extensions.zones)) return [];
  return error.extensions.zones.flatMap((zone: unknown) => {
    if (!isRecord(zone)) return [];
    const zoneId = str(zone.zone_id);
    const available = num(zone.available);
    return zoneId && available !== undefined ? [{ zoneId, available }] : [];
  });
}

/** `limit` and `taken` of a limit-reached refusal. */
export function reservationLimit(error: unknown): { limit?: number; taken?: number } {
  if (!isApiError(error)) return {};
  const limit = num(error.extensions.limit);
  const taken = num(error.extensions.taken);
  return { ...(limit === undefined ? {} : { limit }), ...(taken === undefined ? {} : { taken }) };
}

/** A hold whose time ran out reads as expired even before the server says so. */
export function effectiveStatus(reservation: Reservation, now: number): ReservationStatus {
  if (reservation.status === 'held' && Date.parse(reservation.expiresAt) <= now) return 'expired';
  return reservation.status;
}
