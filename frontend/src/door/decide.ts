/**
 * The door's own verdict when the edge cannot answer: the same results the edge gives
 * (docs: specs of POST /api/v1/checkins), from what the device holds: the signing keys, the
 * session's pack (tickets and revocations) and the tickets this device already admitted.
 */
import type { Schemas } from '@/api/client';

import { InvalidSecret, verifySecret, type SecretProblem } from './secret';
import type { ScanType } from './store';

/** The edge's results (`CheckInPublic.result`): the offline verdict gives the same ones. */
export const RESULTS = ['ok', 'already_redeemed', 'invalid', 'revoked', 'wrong_session', 'invalid_time'] as const satisfies readonly Schemas['CheckInPublic']['result'][];
export type CheckinResult = (typeof RESULTS)[number];

export type PackTicketStatus = Schemas['DoorTicketOut']['status'];

/** A ticket of the session as the pack lists it. */
export interface PackTicket {
  id: string;
  zone: string;
  zoneId: string;
  holderName: string;
  status: PackTicketStatus;
}

/** The ticket an answer is about (null for an invalid secret). */
export interface ScannedTicket {
  id: string;
  zone: string;
  zoneId: string;
  holderName: string;
}

export interface Verdict {
  result: CheckinResult;
  ticket: ScannedTicket | null;
  /** Why an invalid secret is invalid (local verdicts only). */
  problem?: SecretProblem;
}

/** What the device knows about one ticket, looked up once the secret is verified. */
export interface LocalKnowledge {
  ticket: (ticketId: string) => Promise<PackTicket | undefined>;
  /** The ticket entered through this device (and has not been seen leaving). */
  admittedHere: (ticketId: string) => Promise<boolean>;
}

export interface LocalScan {
  secret: string;
  /** The session the door admits to. */
  sessionId: string;
  /** Epoch milliseconds. */
  now: number;
  keys: ReadonlyMap<string, CryptoKey>;
  /** Default `entry`. */
  type?: ScanType;
}

/**
 * Decide a scan offline: invalid, wrong_session, invalid_time, revoked, then by its type. An entry
 * is already_redeemed for a ticket used (in the pack) or admitted here, else ok. An exit is ok only
 * for a ticket this device admitted (the only ones it knows to be inside); any other exit answers
 * already_redeemed, as the edge does for a ticket that is not inside.
 */
export async function decideLocally(scan: LocalScan, knowledge: LocalKnowledge): Promise<Verdict> {
  let claims;
  try {
    claims = await verifySecret(scan.secret, scan.keys);
  } catch (error) {
    if (error instanceof InvalidSecret) return { result: 'invalid', ticket: null, problem: error.reason };
    throw error;
  }
  const known = await knowledge.ticket(claims.ticketId);
  const ticket: ScannedTicket = {
    id: claims.ticketId,
    zone: known?.zone ?? '',
    zoneId: claims.zoneId,
    holderName: known?.holderName ?? '',
  };
  if (claims.sessionId !== scan.sessionId) return { result: 'wrong_session', ticket };
  // Whole seconds, both ends included, as the service compares them.
  const now = Math.floor(scan.now / 1000) * 1000;
  if (now < claims.validFrom || now > claims.validUntil) return { result: 'invalid_time', ticket };
  if (known?.status === 'revoked') return { result: 'revoked', ticket };
  const inside = await knowledge.admittedHere(claims.ticketId);
  if (scan.type === 'exit') return { result: inside ? 'ok' : 'already_redeemed', ticket };
  if (known?.status === 'used' || inside) return { result: 'already_redeemed', ticket };
  return { result: 'ok', ticket };
}
