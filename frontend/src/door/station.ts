/**
 * One door admitting to one session. Each scan goes to the edge first; when the edge does not
 * answer within ONLINE_SCAN_TIMEOUT_MS (or the network is gone) the station switches to offline,
 * decides by itself from what the device holds (decide.ts) and queues the entries it let in and the
 * exits it let out. While offline it retries in the background (and at once when the browser says
 * the network is back): it uploads the queue, brings the pack up to date with its cursor and
 * switches back to online.
 *
 * Only the scans the device accepted are queued: a scan refused offline let nobody in or out, so
 * the edge has nothing to record for it. A ticket let in (online or offline) is `used` on this
 * device from then on: the device does not know whether the event allows re-entry, so offline it
 * lets a ticket in once, as the edge does when re-entry is not allowed.
 */
import {
  BATCH_LIMIT,
  checkIn,
  fetchCheckinPack,
  uploadScans,
  type BatchOutcome,
  type CheckinAnswer,
  type CheckinPack,
  type FirstScan,
  type ScanInput,
} from '@/api/checkins';
import { isApiError } from '@/api/client';

import { decideLocally, type Verdict } from './decide';
import { importKeys, type SigningKey } from './secret';
import type { DoorStore, PackMeta, QueuedScan, ScanType } from './store';

export type StationMode = 'online' | 'offline';

/** The answer shown at the door. */
export interface ScanOutcome extends Verdict {
  type: ScanType;
  /** `edge`: decided by the edge; `device`: decided here, offline. */
  decidedBy: 'edge' | 'device';
  firstScan: FirstScan | null;
  scannedAt: string;
  nonce: string;
}

/** An uploaded scan the edge did not accept as it was, and whether it was an entry or an exit. */
export interface SyncWarning extends BatchOutcome {
  type: ScanType;
}

/** Why the station cannot work for this session at all. */
export type StationProblem = 'not_found' | 'no_pack' | null;

export interface StationState {
  mode: StationMode;
  /** The pack is on the device: scans can be decided offline. */
  ready: boolean;
  /** The event of the session, once its pack is on the device ('' before). */
  eventId: string;
  eventName: string;
  sessionStartsAt: string;
  /** Entries and exits decided offline, waiting to be uploaded. */
  queued: number;
  admitted: number;
  capacity: number;
  syncing: boolean;
  /** When the pack was last brought up to date. */
  syncedAt: string | null;
  /** Offline scans the edge did not accept as they were (a later duplicate, a ticket revoked meanwhile). */
  conflicts: SyncWarning[];
  problem: StationProblem;
}

export interface StationApi {
  checkIn: (scan: ScanInput) => Promise<CheckinAnswer>;
  uploadScans: typeof uploadScans;
  fetchCheckinPack: (sessionId: string, cursor: string | null) => Promise<CheckinPack>;
}

export interface StationDeps {
  store: DoorStore;
  deviceId: string;
  api?: StationApi;
  now?: () => number;
  newNonce?: () => string;
  /** False when the browser knows it has no network (`navigator.onLine`). */
  browserOnline?: () => boolean;
  /** Run before each sync, e.g. to sign back in after a page loaded with no network. */
  beforeSync?: () => Promise<void>;
  /** Background retries while offline, and pack refreshes while online. */
  retryMs?: number;
  refreshMs?: number;
}

const DEFAULT_API: StationApi = { checkIn: (scan) => checkIn(scan), uploadScans, fetchCheckinPack };
const MAX_PACK_PAGES = 1000;

/** No answer at all, or the proxy saying the edge is not there: decide here. */
function unreachable(error: unknown): boolean {
  return isApiError(error) && (error.status === 0 || error.status === 502 || error.status === 503 || error.status === 504);
}

export class DoorStation {
  private state: StationState;
  private readonly listeners = new Set<() => void>();
  private readonly api: StationApi;
  private readonly now: () => number;
  private readonly newNonce: () => string;
  private readonly browserOnline: () => boolean;
  private keys: { of: string; keys: Promise<Map<string, CryptoKey>> } | null = null;
  private syncing: Promise<void> | null = null;
  private meta: PackMeta | undefined;
  /** The page left: work still in flight ends quietly. */
  private stopped = false;

  constructor(
    readonly sessionId: string,
    private readonly deps: StationDeps,
  ) {
    this.api = deps.api ?? DEFAULT_API;
    this.now = deps.now ?? Date.now;
    this.newNonce = deps.newNonce ?? (() => crypto.randomUUID());
    this.browserOnline = deps.browserOnline ?? (() => navigator.onLine);
    this.state = {
      mode: this.browserOnline() ? 'online' : 'offline',
      ready: false,
      eventId: '',
      eventName: '',
      sessionStartsAt: '',
      queued: 0,
      admitted: 0,
      capacity: 0,
      syncing: false,
      syncedAt: null,
      conflicts: [],
      problem: null,
    };
  }

  // ------------------------------------------------------------ state for React (useSyncExternalStore)

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): StationState => this.state;

  private set(patch: Partial<StationState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  // ------------------------------------------------------------ life cycle

  /** Load what the device holds, sync once, then keep syncing in the background until the returned stop. */
  start(): () => void {
    const retryMs = this.deps.retryMs ?? 10_000;
    const refreshMs = this.deps.refreshMs ?? 60_000;
    let lastSync = 0;
    const tick = () => {
      const due = this.state.mode === 'offline' || this.state.queued > 0 ? retryMs : refreshMs;
      if (this.now() - lastSync >= due) {
        lastSync = this.now();
        void this.sync();
      }
    };
    const wentOffline = () => this.set({ mode: 'offline' });
    const cameBack = () => {
      lastSync = this.now();
      void this.sync();
    };
    window.addEventListener('offline', wentOffline);
    window.addEventListener('online', cameBack);
    const timer = setInterval(tick, Math.min(retryMs, 1000));
    this.load()
      .then(() => {
        lastSync = this.now();
        return this.sync();
      })
      .catch((error: unknown) => {
        if (!this.stopped) console.error('door storage failed', error);
      });
    this.stopped = false;
    return () => {
      this.stopped = true;
      clearInterval(timer);
      window.removeEventListener('offline', wentOffline);
      window.removeEventListener('online', cameBack);
    };
  }

  /** The pack and queue already on the device. */
  async load(): Promise<void> {
    this.meta = await this.deps.store.pack(this.sessionId);
    await this.refreshCounters();
  }

  private async refreshCounters(): Promise<void> {
    const queue = await this.deps.store.queued(this.sessionId);
    const meta = this.meta;
    // The edge's last count, plus what this device let in, minus what it let out since.
    const change = queue.reduce((sum, scan) => sum + (scan.type === 'exit' ? -1 : 1), 0);
    this.set({
      queued: queue.length,
      ready: meta !== undefined,
      eventId: meta?.eventId ?? '',
      eventName: meta?.eventName ?? '',
      sessionStartsAt: meta?.sessionStartsAt ?? '',
      admitted: Math.max(0, (meta?.admitted ?? 0) + change),
      capacity: meta?.capacity ?? 0,
      syncedAt: meta?.syncedAt ?? null,
      problem: meta === undefined && this.state.problem === null && this.state.mode === 'offline' ? 'no_pack' : this.state.problem,
    });
  }

  // ------------------------------------------------------------ scanning

  /** Decide one scan: by the edge when it answers in time, here otherwise. */
  async scan(secret: string, type: ScanType = 'entry'): Promise<ScanOutcome> {
    const text = secret.trim();
    const nonce = this.newNonce();
    const scannedAt = new Date(this.edgeNow()).toISOString();
    if (this.state.mode === 'online' && this.browserOnline()) {
      try {
        const answer = await this.api.checkIn({ secret: text, sessionId: this.sessionId, deviceId: this.deps.deviceId, nonce, type });
        await this.remember(answer, type);
        return { type, result: answer.result, ticket: answer.ticket, firstScan: answer.firstScan, scannedAt: answer.scannedAt, nonce, decidedBy: 'edge' };
      } catch (error) {
        if (!unreachable(error)) throw error;
        this.set({ mode: 'offline' });
      }
    } else if (this.state.mode === 'online') {
      this.set({ mode: 'offline' });
    }
    return this.decideHere({ secret: text, nonce, scannedAt, type, sessionId: this.sessionId });
  }

  /**
   * The time on the edge's clock: offline scans carry it (the edge refuses scans more than a few
   * minutes in its future) and the validity window is checked against it.
   */
  private edgeNow(): number {
    return this.now() + (this.meta?.clockOffsetMs ?? 0);
  }

  private async remember(answer: CheckinAnswer, type: ScanType): Promise<void> {
    const { store } = this.deps;
    if (answer.ticket && type === 'entry' && (answer.result === 'ok' || answer.result === 'already_redeemed')) {
      await store.markUsed(this.sessionId, answer.ticket);
      if (answer.result === 'ok') await store.admit(this.sessionId, answer.ticket.id, answer.scannedAt);
    } else if (answer.ticket && type === 'exit' && (answer.result === 'ok' || answer.result === 'already_redeemed')) {
      // Out (or, says the edge, not inside): not inside through this device either. A ticket that
      // left had entered, so it is used.
      if (answer.result === 'ok') await store.markUsed(this.sessionId, answer.ticket);
      await store.leave(this.sessionId, answer.ticket.id);
    }
    await store.setCounters(this.sessionId, answer.admitted, answer.capacity);
    if (this.meta) this.meta = { ...this.meta, admitted: answer.admitted, capacity: answer.capacity };
    await this.refreshCounters();
  }

  private importedKeys(keys: readonly SigningKey[]): Promise<Map<string, CryptoKey>> {
    const of = JSON.stringify(keys);
    if (this.keys?.of !== of) this.keys = { of, keys: importKeys(keys) };
    return this.keys.keys;
  }

  private async decideHere(scan: QueuedScan): Promise<ScanOutcome> {
    const { store } = this.deps;
    const keys = await this.importedKeys(this.meta?.keys ?? []);
    const verdict = await decideLocally(
      { secret: scan.secret, sessionId: this.sessionId, now: Date.parse(scan.scannedAt), keys, type: scan.type },
      { ticket: (id) => store.ticket(this.sessionId, id), admittedHere: (id) => store.admittedHere(this.sessionId, id) },
    );
    if (verdict.result === 'ok' && verdict.ticket) {
      if (scan.type === 'exit') {
        await store.leave(this.sessionId, verdict.ticket.id);
      } else {
        await store.markUsed(this.sessionId, verdict.ticket);
        await store.admit(this.sessionId, verdict.ticket.id, scan.scannedAt);
      }
      await store.enqueue(scan);
      await this.refreshCounters();
    }
    return { ...verdict, type: scan.type, firstScan: null, scannedAt: scan.scannedAt, nonce: scan.nonce, decidedBy: 'device' };
  }

  // ------------------------------------------------------------ syncing

  /** Upload the queue, then bring the pack up to date; online again when both worked. One at a time. */
  sync(): Promise<void> {
    this.syncing ??= this.runSync().finally(() => {
      this.syncing = null;
      this.set({ syncing: false });
    });
    return this.syncing;
  }

  private async runSync(): Promise<void> {
    if (this.stopped) return;
    if (!this.browserOnline()) {
      this.set({ mode: 'offline' });
      await this.refreshCounters();
      return;
    }
    this.set({ syncing: true });
    try {
      await this.deps.beforeSync?.();
      await this.upload();
      await this.refreshPack();
      this.set({ mode: 'online', problem: null });
    } catch (error) {
      if (isApiError(error) && (error.status === 403 || error.status === 404)) {
        this.set({ problem: 'not_found' });
      } else {
        this.set({ mode: 'offline' });
        if (!unreachable(error) && !this.stopped) console.error('door sync failed', error);
      }
    }
    await this.refreshCounters().catch(() => undefined);
  }

  private async upload(): Promise<void> {
    const { store } = this.deps;
    for (;;) {
      // A door that was left (or replaced) uploads nothing more: the one on screen does.
      if (this.stopped) return;
      const chunk = (await store.queued(this.sessionId)).slice(0, BATCH_LIMIT);
      if (chunk.length === 0) return;
      const outcomes = await this.api.uploadScans(this.sessionId, this.deps.deviceId, chunk);
      await store.dequeue(chunk.map((scan) => scan.nonce));
      const types = new Map(chunk.map((scan) => [scan.nonce, scan.type]));
      const disagreements = outcomes
        .filter((outcome) => outcome.conflict || outcome.result !== 'ok')
        .map((outcome) => ({ ...outcome, type: types.get(outcome.nonce) ?? 'entry' }));
      if (disagreements.length > 0) this.set({ conflicts: [...disagreements, ...this.state.conflicts].slice(0, 100) });
    }
  }

  private async refreshPack(): Promise<void> {
    let cursor = this.meta?.cursor ?? null;
    for (let page = 0; page < MAX_PACK_PAGES; page++) {
      const pack = await this.api.fetchCheckinPack(this.sessionId, cursor);
      const meta: PackMeta = {
        sessionId: this.sessionId,
        eventId: pack.eventId,
        eventName: pack.eventName,
        sessionStartsAt: pack.sessionStartsAt,
        keys: pack.keys,
        cursor: pack.cursor,
        admitted: pack.admitted,
        capacity: pack.capacity,
        syncedAt: new Date(this.now()).toISOString(),
        clockOffsetMs: pack.serverTime === null ? (this.meta?.clockOffsetMs ?? 0) : pack.serverTime - this.now(),
      };
      await this.deps.store.savePack(meta, pack.tickets, pack.revoked);
      this.meta = meta;
      cursor = pack.cursor;
      if (pack.complete) return;
    }
  }
}
