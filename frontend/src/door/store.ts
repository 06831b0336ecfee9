/**
 * What a door device keeps in IndexedDB so it can decide with no network: per session, the pack
 * (signing keys, tickets, revocations, the cursor of the last sync, the counters), the tickets it
 * admitted itself, and the scans it decided offline, waiting to be uploaded.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

import type { PackTicket, PackTicketStatus, ScannedTicket } from './decide';
import type { SigningKey } from './secret';

/** Someone coming in (`entry`) or going out (`exit`), the edge's `type`. */
export type ScanType = 'entry' | 'exit';

/** The session's pack without its tickets. */
export interface PackMeta {
  sessionId: string;
  eventId: string;
  eventName: string;
  sessionStartsAt: string;
  keys: SigningKey[];
  /** Passed to the next pack request: only what changed since is returned. */
  cursor: string | null;
  /** People inside and the session's capacity, as the edge last counted them. */
  admitted: number;
  capacity: number;
  /** When the pack was last brought up to date (ISO-8601). */
  syncedAt: string;
  /** The edge's clock minus this device's, measured at the last sync (ms). */
  clockOffsetMs?: number;
}

interface StoredTicket extends PackTicket {
  sessionId: string;
}

interface Admission {
  sessionId: string;
  ticketId: string;
  at: string;
}

/** A scan decided offline, to upload with POST /api/v1/checkins:batch. */
export interface QueuedScan {
  nonce: string;
  sessionId: string;
  secret: string;
  scannedAt: string;
  type: ScanType;
}

interface DoorDB extends DBSchema {
  packs: { key: string; value: PackMeta };
  tickets: { key: [string, string]; value: StoredTicket };
  admitted: { key: [string, string]; value: Admission };
  queue: { key: string; value: QueuedScan; indexes: { bySession: string } };
}

export const DOOR_DB = 'taquilla-door';

/** What the door page needs from storage; `openDoorStore` gives the IndexedDB one. */
export interface DoorStore {
  pack: (sessionId: string) => Promise<PackMeta | undefined>;
  /** Every session whose pack is on this device. */
  packs: () => Promise<PackMeta[]>;
  savePack: (meta: PackMeta, tickets: readonly PackTicket[], revoked: readonly string[]) => Promise<void>;
  setCounters: (sessionId: string, admitted: number, capacity: number) => Promise<void>;
  ticket: (sessionId: string, ticketId: string) => Promise<PackTicket | undefined>;
  /** Mark a ticket used by an answer of the edge (it knows better than the pack's last sync). */
  markUsed: (sessionId: string, ticket: ScannedTicket) => Promise<void>;
  admittedHere: (sessionId: string, ticketId: string) => Promise<boolean>;
  admit: (sessionId: string, ticketId: string, at: string) => Promise<void>;
  /** The ticket left (an exit): it is no longer inside through this device. */
  leave: (sessionId: string, ticketId: string) => Promise<void>;
  enqueue: (scan: QueuedScan) => Promise<void>;
  queued: (sessionId: string) => Promise<QueuedScan[]>;
  dequeue: (nonces: readonly string[]) => Promise<void>;
}

function open(): Promise<IDBPDatabase<DoorDB>> {
  return openDB<DoorDB>(DOOR_DB, 1, {
    upgrade(db) {
      db.createObjectStore('packs', { keyPath: 'sessionId' });
      db.createObjectStore('tickets', { keyPath: ['sessionId', 'id'] });
      db.createObjectStore('admitted', { keyPath: ['sessionId', 'ticketId'] });
      db.createObjectStore('queue', { keyPath: 'nonce' }).createIndex('bySession', 'sessionId');
    },
  });
}

function withoutSession({ sessionId: _sessionId, ...ticket }: StoredTicket): PackTicket {
  return ticket;
}

let database: Promise<IDBPDatabase<DoorDB>> | null = null;

/** The device's door storage (one connection per page). */
export function openDoorStore(): DoorStore {
  const connection = (database ??= open());
  const db = () => connection;
  return {
    pack: async (sessionId) => (await db()).get('packs', sessionId),
    packs: async () => (await db()).getAll('packs'),
    async savePack(meta, tickets, revoked) {
      const tx = (await db()).transaction(['packs', 'tickets'], 'readwrite');
      const store = tx.objectStore('tickets');
      const writes: Promise<unknown>[] = [tx.objectStore('packs').put(meta)];
      for (const ticket of tickets) writes.push(store.put({ ...ticket, sessionId: meta.sessionId }));
      for (const id of revoked) {
        writes.push(
          store.get([meta.sessionId, id]).then((known) =>
            store.put(known ? { ...known, status: 'revoked' satisfies PackTicketStatus } : { sessionId: meta.sessionId, id, zone: '', zoneId: '', holderName: '', status: 'revoked' }),
          ),
        );
      }
      await Promise.all([...writes, tx.done]);
    },
    async setCounters(sessionId, admitted, capacity) {
      const tx = (await db()).transaction('packs', 'readwrite');
      const meta = await tx.store.get(sessionId);
      if (meta) await tx.store.put({ ...meta, admitted, capacity });
      await tx.done;
    },
    async ticket(sessionId, ticketId) {
      const found = await (await db()).get('tickets', [sessionId, ticketId]);
      return found && withoutSession(found);
    },
    async markUsed(sessionId, ticket) {
      const tx = (await db()).transaction('tickets', 'readwrite');
      const known = await tx.store.get([sessionId, ticket.id]);
      if (!known) await tx.store.put({ ...ticket, sessionId, status: 'used' });
      else if (known.status === 'valid') await tx.store.put({ ...known, status: 'used' });
      await tx.done;
    },
    admittedHere: async (sessionId, ticketId) => (await (await db()).get('admitted', [sessionId, ticketId])) !== undefined,
    async admit(sessionId, ticketId, at) {
      await (await db()).put('admitted', { sessionId, ticketId, at });
    },
    async leave(sessionId, ticketId) {
      await (await db()).delete('admitted', [sessionId, ticketId]);
    },
    async enqueue(scan) {
      await (await db()).put('queue', scan);
    },
    async queued(sessionId) {
      const scans = await (await db()).getAllFromIndex('queue', 'bySession', sessionId);
      return scans.sort((a, b) => a.scannedAt.localeCompare(b.scannedAt));
    },
    async dequeue(nonces) {
      const tx = (await db()).transaction('queue', 'readwrite');
      await Promise.all([...nonces.map((nonce) => tx.store.delete(nonce)), tx.done]);
    },
  };
}

/** Tests: forget the connection so the next store opens a fresh database. */
export async function closeDoorStoreForTests(): Promise<void> {
  if (database) (await database).close();
  database = null;
}
