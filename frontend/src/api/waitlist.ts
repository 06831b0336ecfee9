import { call, isApiError, type Schemas } from './client';
import { num } from './parse';

/**
 * Waiting lists of sold-out zones at the edge (routes/waitlist.py), typed by its OpenAPI schemas
 * and put in the app's words here. Places freed in a zone are offered in order as a reservation
 * held for the buyer (`offerReservationId`), checked out like any other.
 */
export type WaitlistStatus = Schemas['WaitlistEntryPublic']['status'];

export const WAITLIST_PROBLEMS = {
  /** Places are left for the quantity asked: reserve them instead (409, with `available`). */
  zoneNotSoldOut: 'zone-not-sold-out',
} as const;

export interface WaitlistEntry {
  id: string;
  eventId: string;
  eventName: string;
  sessionId: string;
  zoneId: string;
  zoneName: string;
  quantity: number;
  status: WaitlistStatus;
  /** 1-based place in line while waiting; null otherwise. */
  position: number | null;
  createdAt: string;
  offeredAt: string | null;
  offerReservationId: string | null;
  offerExpiresAt: string | null;
}

export interface WaitlistLength {
  sessionId: string;
  zoneId: string;
  entries: number;
  places: number;
  offered: number;
}

export function toWaitlistEntry(body: Schemas['WaitlistEntryPublic']): WaitlistEntry {
  return {
    id: body.id,
    eventId: body.event_id,
    eventName: body.event_name,
    sessionId: body.session_id,
    zoneId: body.zone_id,
    zoneName: body.zone_name,
    quantity: body.quantity,
    status: body.status,
    position: body.position ?? null,
    createdAt: body.created_at,
    offeredAt: body.offered_at ?? null,
    offerReservationId: body.offer_reservation_id ?? null,
    offerExpiresAt: body.offer_expires_at ?? null,
  };
}

export async function joinWaitlist(request: { sessionId: string; zoneId: string; quantity: number }): Promise<WaitlistEntry> {
  const body: Schemas['WaitlistJoin'] = { session_id: request.sessionId, zone_id: request.zoneId, quantity: request.quantity };
  return toWaitlistEntry((await call('post', '/api/v1/waitlist', { body })).data);
}

export async function fetchMyWaitlist(signal?: AbortSignal): Promise<WaitlistEntry[]> {
  const { data } = await call('get', '/api/v1/me/waitlist', { signal });
  return data.items.map(toWaitlistEntry);
}

/** Leaves the list (204); with an offer out, the offer is given up. */
export async function leaveWaitlist(id: string): Promise<void> {
  await call('delete', '/api/v1/waitlist/{entry_id}', { path: { entry_id: id } });
}

export async function fetchWaitlistLengths(eventId: string, signal?: AbortSignal): Promise<WaitlistLength[]> {
  const { data } = await call('get', '/api/v1/events/{event_id}/waitlist', { path: { event_id: eventId }, signal });
  return data.lengths.map((line) => ({
    sessionId: line.session_id,
    zoneId: line.zone_id,
    entries: line.entries,
    places: line.places,
    offered: line.offered,
  }));
}

/** `available` of a zone-not-sold-out refusal (problem extensions are not in the OpenAPI). */
export function placesLeft(error: unknown): number | undefined {
  return isApiError(error) ? num(error.extensions.available) : undefined;
}
