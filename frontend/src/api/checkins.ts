import type { CheckinResult, PackTicket, ScannedTicket } from '@/door/decide';
import type { SigningKey } from '@/door/secret';
import type { ScanType } from '@/door/store';

import { call, type Schemas } from './client';

/**
 * Check-in at the door (the edge's checkins routes, typed by its OpenAPI schemas): one scan online,
 * a batch of scans decided offline, and the session's pack for deciding offline; answers in the
 * app's words.
 */

/** The edge must answer a scan within this, or the door decides by itself. */
export const ONLINE_SCAN_TIMEOUT_MS = 1500;
/** Uploads and packs are larger; they run in the background. */
const SYNC_TIMEOUT_MS = 15_000;
/** The edge takes at most this many scans in one batch. */
export const BATCH_LIMIT = 500;

type TicketBody = Schemas['DoorTicketOut'];
type FirstScanBody = Schemas['FirstScanOut'];

export interface FirstScan {
  at: string;
  deviceId: string;
}

export interface CheckinAnswer {
  result: CheckinResult;
  ticket: ScannedTicket | null;
  firstScan: FirstScan | null;
  scannedAt: string;
  admitted: number;
  capacity: number;
}

export interface BatchOutcome {
  nonce: string;
  result: CheckinResult;
  ticket: ScannedTicket | null;
  firstScan: FirstScan | null;
  scannedAt: string;
  /** Admitted offline at two devices (or twice): this later scan lost. */
  conflict: boolean;
}

export interface CheckinPack {
  sessionId: string;
  eventId: string;
  eventName: string;
  sessionStartsAt: string;
  keys: SigningKey[];
  tickets: PackTicket[];
  revoked: string[];
  admitted: number;
  capacity: number;
  cursor: string;
  complete: boolean;
  /** The edge's clock when it answered (its `Date` header, epoch ms), if it sent one. */
  serverTime: number | null;
}

export interface ScanInput {
  secret: string;
  sessionId: string;
  deviceId: string;
  nonce: string;
  scannedAt?: string;
  type: ScanType;
}

function toTicket(body: TicketBody | null): ScannedTicket | null {
  return body && { id: body.id, zone: body.zone, zoneId: body.zone_id, holderName: body.holder_name };
}

function toFirstScan(body: FirstScanBody | null): FirstScan | null {
  return body && { at: body.at, deviceId: body.device_id };
}

/** One scan, decided by the edge; an `ApiError` with status 0 when it did not answer within `timeoutMs`. */
export async function checkIn(scan: ScanInput, timeoutMs = ONLINE_SCAN_TIMEOUT_MS): Promise<CheckinAnswer> {
  const { data } = await call('post', '/api/v1/checkins', {
    timeoutMs,
    body: {
      secret: scan.secret,
      session_id: scan.sessionId,
      device_id: scan.deviceId,
      nonce: scan.nonce,
      type: scan.type,
      ...(scan.scannedAt ? { scanned_at: scan.scannedAt } : {}),
    },
  });
  return {
    result: data.result,
    ticket: toTicket(data.ticket),
    firstScan: toFirstScan(data.first_scan),
    scannedAt: data.scanned_at,
    admitted: data.admitted,
    capacity: data.capacity,
  };
}

/** Scans decided offline (at most BATCH_LIMIT), applied by the edge in `scannedAt` order; outcomes in the same order. */
export async function uploadScans(
  sessionId: string,
  deviceId: string,
  scans: readonly { secret: string; nonce: string; scannedAt: string; type: ScanType }[],
): Promise<BatchOutcome[]> {
  const { data } = await call('post', '/api/v1/checkins:batch', {
    timeoutMs: SYNC_TIMEOUT_MS,
    body: {
      session_id: sessionId,
      device_id: deviceId,
      scans: scans.map((scan) => ({ secret: scan.secret, nonce: scan.nonce, scanned_at: scan.scannedAt, type: scan.type })),
    },
  });
  return data.results.map((item) => ({
    nonce: item.nonce,
    result: item.result,
    ticket: toTicket(item.ticket),
    firstScan: toFirstScan(item.first_scan),
    scannedAt: item.scanned_at,
    conflict: item.conflict,
  }));
}

/** One page of the session's pack: everything, or what changed since `cursor`. */
export async function fetchCheckinPack(sessionId: string, cursor: string | null, signal?: AbortSignal): Promise<CheckinPack> {
  const { data, headers } = await call('get', '/api/v1/sessions/{session_id}/checkin-pack', {
    path: { session_id: sessionId },
    query: { cursor: cursor ?? undefined },
    timeoutMs: SYNC_TIMEOUT_MS,
    signal,
  });
  return {
    sessionId: data.session_id,
    eventId: data.event_id,
    eventName: data.event_name,
    sessionStartsAt: data.session_starts_at ?? '',
    keys: data.keys.map((key) => ({ kid: key.kid, x: key.x })),
    tickets: data.tickets.map((t) => ({ id: t.id, zone: t.zone, zoneId: t.zone_id, holderName: t.holder_name, status: t.status })),
    revoked: data.revoked,
    admitted: data.admitted,
    capacity: data.capacity,
    cursor: data.cursor,
    complete: data.complete,
    serverTime: serverTime(headers.get('Date')),
  };
}

function serverTime(header: string | null): number | null {
  const at = header === null ? Number.NaN : Date.parse(header);
  return Number.isNaN(at) ? null : at;
}

/** One scan of a ticket admitted twice, as the conflicts list shows it. */
export interface ConflictScan {
  at: string;
  deviceId: string;
  result: CheckinResult;
  type: ScanType;
  /** This scan admitted the ticket while it was already inside. */
  conflict: boolean;
}

/** A ticket admitted twice while doors were offline, with all its scans (oldest first). */
export interface CheckinConflict {
  ticket: ScannedTicket;
  scans: ConflictScan[];
}

/** The event's double admissions, most recent first (for its organizer, door staff and admins). */
export async function fetchCheckinConflicts(eventId: string, signal?: AbortSignal): Promise<CheckinConflict[]> {
  const { data } = await call('get', '/api/v1/events/{event_id}/checkin-conflicts', { path: { event_id: eventId }, signal });
  return data.items.map((item) => ({
    ticket: { id: item.ticket.id, zone: item.ticket.zone, zoneId: item.ticket.zone_id, holderName: item.ticket.holder_name },
    scans: item.scans.map((scan) => ({ at: scan.at, deviceId: scan.device_id, result: scan.result, type: scan.type, conflict: scan.conflict })),
  }));
}
