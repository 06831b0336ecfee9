import { call, isApiError, newCorrelationId, type Schemas } from './client';
import type { Money } from './events';
import { isRecord, num, str, type Page } from './parse';

/**
 * Reservations (holds of places for a few minutes) and places left per session and zone, at the
 * edge (routes/reservations.py), typed by its OpenAPI schemas and put in the app's words here.
 */
export type ReservationStatus = Schemas['ReservationPublic']['status'];
export type SaleStatus = Schemas['ZoneAvailabilityOut']['status'];

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

function toItem(item: Schemas['ReservationItemOut']): ReservationItem {
  return { zoneId: item.zone_id, zoneName: item.zone_name, quantity: item.quantity, unitPrice: item.unit_price };
}

export function toReservation(body: Schemas['ReservationPublic']): Reservation {
  return {
    id: body.id,
    status: body.status,
    eventId: body.event_id,
    eventName: body.event_name,
    sessionId: body.session_id,
    items: body.items.map(toItem),
    total: body.total,
    expiresAt: body.expires_at,
    createdAt: body.created_at,
    endedAt: body.ended_at ?? null,
  };
}

function toZoneAvailability(zone: Schemas['ZoneAvailabilityOut']): ZoneAvailability {
  return {
    sessionId: zone.session_id,
    zoneId: zone.zone_id,
    capacity: zone.capacity,
    available: Math.max(0, zone.available),
    status: zone.status,
  };
}

export function toAvailability(body: Schemas['AvailabilityPublic'], etag: string | null): Availability {
  return { eventId: body.event_id, zones: body.zones.map(toZoneAvailability), asOf: body.as_of, onSaleAt: body.on_sale_at, etag };
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
  const body: Schemas['ReservationCreate'] = {
    session_id: request.sessionId,
    items: request.items.map((item) => ({ zone_id: item.zoneId, quantity: item.quantity })),
  };
  const headers: Record<string, string> = { 'Idempotency-Key': idempotencyKey };
  if (admission) headers.Admission = admission;
  return toReservation((await call('post', '/api/v1/reservations', { body, headers })).data);
}

export async function fetchReservation(id: string, signal?: AbortSignal): Promise<Reservation> {
  const { data } = await call('get', '/api/v1/reservations/{reservation_id}', { path: { reservation_id: id }, signal });
  return toReservation(data);
}

/** Releases at once (204); releasing one that already ended changes nothing. */
export async function releaseReservation(id: string): Promise<void> {
  await call('delete', '/api/v1/reservations/{reservation_id}', { path: { reservation_id: id } });
}

export async function fetchMyReservations(
  statuses: readonly ReservationStatus[],
  cursor: string | null,
  signal?: AbortSignal,
  limit = 10,
): Promise<Page<Reservation>> {
  const { data } = await call('get', '/api/v1/me/reservations', {
    signal,
    query: { status: [...statuses], limit, cursor: cursor ?? undefined },
  });
  return { items: data.items.map(toReservation), nextCursor: data.next_cursor ?? null };
}

/**
 * Places left per session and zone. With the previous answer's ETag the edge answers 304 when
 * nothing changed; then the previous answer is returned as it was.
 */
export async function fetchAvailability(eventId: string, previous: Availability | undefined, signal?: AbortSignal): Promise<Availability> {
  const headers: Record<string, string> = previous?.etag ? { 'If-None-Match': previous.etag } : {};
  const response = await call('get', '/api/v1/events/{event_id}/availability', {
    path: { event_id: eventId },
    signal,
    headers,
    acceptStatuses: [304],
    auth: false,
  });
  if (response.status === 304 && previous) return previous;
  return toAvailability(response.data, response.headers.get('ETag'));
}

// ---------------------------------------------------------------- refusals

/** The last path segment of a problem `type` ("https://taquilla.dev/problems/sold-out" -> "sold-out"). */
export function problemKind(error: unknown): string | undefined {
  if (!isApiError(error) || error.type === 'about:blank') return undefined;
  return error.type.split('/').filter(Boolean).pop();
}

/** `zones` of a sold-out refusal: the places left in each zone asked for (problem extensions are not in the OpenAPI, so checked here). */
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
