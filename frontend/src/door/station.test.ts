import 'fake-indexeddb/auto';

import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { jsonResponse, mockFetch, problem } from '@/test/utils';

import vectors from './fixtures/ticket-secrets.json';
import { DoorStation, type StationDeps } from './station';
import { closeDoorStoreForTests, openDoorStore } from './store';

const SESSION = vectors.session_id;
const DURING = Date.parse('2026-12-24T21:30:00Z');
const { valid, second } = vectors.secrets;
const PACK_PATH = `/api/v1/sessions/${SESSION}/checkin-pack`;

function packBody(overrides: Record<string, unknown> = {}) {
  return {
    session_id: SESSION,
    event_id: 'e1',
    event_name: 'Noche de Jazz',
    session_starts_at: '2026-12-24T20:00:00Z',
    keys: vectors.keys,
    tickets: [{ id: valid.ticket_id, zone: 'General', zone_id: vectors.zone_id, holder_name: 'Ana Gómez', status: 'valid' }],
    revoked: [],
    admitted: 10,
    capacity: 300,
    cursor: 'c1',
    complete: true,
    ...overrides,
  };
}

function answer(result: string, admitted = 11) {
  return {
    result,
    ticket: { id: valid.ticket_id, zone: 'General', zone_id: vectors.zone_id, holder_name: 'Ana Gómez' },
    first_scan: result === 'already_redeemed' ? { at: '2026-12-24T21:00:00Z', device_id: 'door-a' } : null,
    scanned_at: '2026-12-24T21:30:00Z',
    admitted,
    capacity: 300,
  };
}

let online = true;
let nonces = 0;

function station(overrides: Partial<StationDeps> = {}) {
  return new DoorStation(SESSION, {
    store: openDoorStore(),
    deviceId: 'door-test',
    now: () => DURING,
    newNonce: () => `n${++nonces}`,
    browserOnline: () => online,
    ...overrides,
  });
}

/** A fetch that never answers until aborted, like an edge that has gone quiet. */
function silentEdge() {
  const signals: AbortSignal[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((_input: RequestInfo | URL, init?: RequestInit) => {
      return new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal;
        if (signal) signals.push(signal);
        signal?.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
      });
    }),
  );
  return signals;
}

beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory());
  online = true;
  nonces = 0;
});

afterEach(async () => {
  await closeDoorStoreForTests();
});

describe('the door station', () => {
  it('asks the edge first and keeps its counters', async () => {
    const sent: unknown[] = [];
    mockFetch({
      [PACK_PATH]: () => jsonResponse(packBody()),
      '/api/v1/checkins': async (request) => {
        sent.push(await request.json());
        return jsonResponse(answer('ok'));
      },
    });
    const door = station();
    await door.load();
    await door.sync();
    expect(door.getState()).toMatchObject({ mode: 'online', ready: true, eventName: 'Noche de Jazz', admitted: 10, capacity: 300, queued: 0 });

    const outcome = await door.scan(` ${valid.secret}\n`);
    expect(outcome).toMatchObject({ result: 'ok', decidedBy: 'edge', ticket: { holderName: 'Ana Gómez', zone: 'General' } });
    expect(sent).toEqual([{ secret: valid.secret, session_id: SESSION, device_id: 'door-test', nonce: 'n1', type: 'entry' }]);
    expect(door.getState()).toMatchObject({ admitted: 11, capacity: 300 });
  });

  it('decides by itself when the edge does not answer in time, and queues the entry', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()) });
    const door = station();
    await door.load();
    await door.sync();
    const signals = silentEdge();

    const outcome = await door.scan(valid.secret);
    // The request was given up (its timeout is ONLINE_SCAN_TIMEOUT_MS), not answered.
    expect(signals.map((signal) => signal.aborted)).toEqual([true]);
    expect(outcome).toMatchObject({ result: 'ok', decidedBy: 'device', ticket: { holderName: 'Ana Gómez' } });
    expect(door.getState()).toMatchObject({ mode: 'offline', queued: 1, admitted: 11 });

    // Offline now: the next scans do not wait for the edge, and a ticket admitted here is used.
    const again = await door.scan(valid.secret);
    expect(again).toMatchObject({ result: 'already_redeemed', decidedBy: 'device' });
    expect(door.getState()).toMatchObject({ queued: 1, admitted: 11 });
    expect(await openDoorStore().queued(SESSION)).toEqual([
      { nonce: 'n1', sessionId: SESSION, secret: valid.secret, scannedAt: '2026-12-24T21:30:00.000Z', type: 'entry' },
    ]);
  });

  it('decides by itself when the browser has no network, without asking', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody({ revoked: [second.ticket_id] })) });
    const door = station();
    await door.load();
    await door.sync();
    const fetchMock = mockFetch({});
    online = false;

    expect(await door.scan(second.secret)).toMatchObject({ result: 'revoked', decidedBy: 'device' });
    expect(await door.scan('NOT A TICKET')).toMatchObject({ result: 'invalid', ticket: null, problem: 'malformed' });
    expect(fetchMock).not.toHaveBeenCalled();
    expect(door.getState()).toMatchObject({ mode: 'offline', queued: 0 });
  });

  it('uploads the queue when the network is back, shows conflicts and switches back', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()) });
    const door = station();
    await door.load();
    await door.sync();
    online = false;
    await door.scan(valid.secret);
    await door.scan(second.secret);
    expect(door.getState()).toMatchObject({ mode: 'offline', queued: 2, admitted: 12 });

    const batches: unknown[] = [];
    const cursors: (string | null)[] = [];
    mockFetch({
      '/api/v1/checkins:batch': async (request) => {
        batches.push(await request.json());
        return jsonResponse({
          results: [
            { ...answer('ok'), nonce: 'n1', conflict: false },
            { ...answer('already_redeemed'), nonce: 'n2', conflict: true, ticket: { id: second.ticket_id, zone: 'General', zone_id: vectors.zone_id, holder_name: 'Luis' } },
          ],
        });
      },
      [PACK_PATH]: (request) => {
        cursors.push(new URL(request.url).searchParams.get('cursor'));
        return jsonResponse(packBody({ tickets: [], admitted: 12, cursor: 'c2' }));
      },
    });
    online = true;
    await door.sync();

    expect(batches).toEqual([
      {
        session_id: SESSION,
        device_id: 'door-test',
        scans: [
          { secret: valid.secret, nonce: 'n1', scanned_at: '2026-12-24T21:30:00.000Z', type: 'entry' },
          { secret: second.secret, nonce: 'n2', scanned_at: '2026-12-24T21:30:00.000Z', type: 'entry' },
        ],
      },
    ]);
    expect(cursors).toEqual(['c1']);
    const state = door.getState();
    expect(state).toMatchObject({ mode: 'online', queued: 0, admitted: 12 });
    expect(state.conflicts).toHaveLength(1);
    expect(state.conflicts[0]).toMatchObject({ nonce: 'n2', conflict: true, ticket: { holderName: 'Luis' } });
  });

  it('keeps the queue when the upload fails, and stays offline', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()) });
    const door = station();
    await door.load();
    await door.sync();
    online = false;
    await door.scan(valid.secret);
    online = true;
    mockFetch({ '/api/v1/checkins:batch': () => problem(503) });
    await door.sync();
    expect(door.getState()).toMatchObject({ mode: 'offline', queued: 1 });
  });

  it('follows the pack pages until it is complete', async () => {
    const cursors: (string | null)[] = [];
    mockFetch({
      [PACK_PATH]: (request) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        cursors.push(cursor);
        return jsonResponse(cursor === null ? packBody({ complete: false, cursor: 'p2' }) : packBody({ tickets: [], cursor: 'p3' }));
      },
    });
    const door = station();
    await door.load();
    await door.sync();
    expect(cursors).toEqual([null, 'p2']);
    expect((await openDoorStore().pack(SESSION))?.cursor).toBe('p3');
    expect(await openDoorStore().ticket(SESSION, valid.ticket_id)).toMatchObject({ holderName: 'Ana Gómez' });
  });

  it('says when the session cannot be seen, and when nothing was ever synced offline', async () => {
    mockFetch({ [PACK_PATH]: () => problem(404) });
    const door = station();
    await door.load();
    await door.sync();
    expect(door.getState().problem).toBe('not_found');

    online = false;
    const offline = station();
    await offline.load();
    expect(offline.getState()).toMatchObject({ mode: 'offline', ready: false, problem: 'no_pack' });
  });

  it("dates offline scans by the edge's clock, as its last answer told it", async () => {
    // This device is ten minutes behind the edge.
    const edgeTime = new Date(DURING + 600_000).toUTCString();
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody(), { headers: { Date: edgeTime } }) });
    const door = station();
    await door.load();
    await door.sync();
    online = false;
    await door.scan(valid.secret);
    expect((await openDoorStore().queued(SESSION)).map((scan) => scan.scannedAt)).toEqual(['2026-12-24T21:40:00.000Z']);
  });

  it('sends exits to the edge, which counts the holder out', async () => {
    const sent: unknown[] = [];
    mockFetch({
      [PACK_PATH]: () => jsonResponse(packBody()),
      '/api/v1/checkins': async (request) => {
        const body = (await request.json()) as { type: string };
        sent.push(body);
        return jsonResponse(body.type === 'exit' ? answer('ok', 10) : answer('ok', 11));
      },
    });
    const door = station();
    await door.load();
    await door.sync();
    expect(await door.scan(valid.secret)).toMatchObject({ type: 'entry', result: 'ok' });
    expect(door.getState().admitted).toBe(11);
    expect(await door.scan(valid.secret, 'exit')).toMatchObject({ type: 'exit', result: 'ok', decidedBy: 'edge' });
    expect(sent).toEqual([
      { secret: valid.secret, session_id: SESSION, device_id: 'door-test', nonce: 'n1', type: 'entry' },
      { secret: valid.secret, session_id: SESSION, device_id: 'door-test', nonce: 'n2', type: 'exit' },
    ]);
    expect(door.getState().admitted).toBe(10);
    // Out: offline, this device no longer counts the ticket inside, so another exit is refused.
    online = false;
    expect(await door.scan(valid.secret, 'exit')).toMatchObject({ type: 'exit', result: 'already_redeemed', decidedBy: 'device' });
    expect(door.getState()).toMatchObject({ queued: 0, admitted: 10 });
  });

  it('lets out offline only a ticket it let in, queues the exit and counts it', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()) });
    const door = station();
    await door.load();
    await door.sync();
    online = false;

    // Never entered through this device: the edge's answer for a ticket not inside.
    expect(await door.scan(valid.secret, 'exit')).toMatchObject({ type: 'exit', result: 'already_redeemed', decidedBy: 'device', ticket: { holderName: 'Ana Gómez' } });
    expect(door.getState()).toMatchObject({ queued: 0, admitted: 10 });

    expect(await door.scan(valid.secret)).toMatchObject({ type: 'entry', result: 'ok' });
    expect(door.getState()).toMatchObject({ queued: 1, admitted: 11 });
    expect(await door.scan(valid.secret, 'exit')).toMatchObject({ type: 'exit', result: 'ok', decidedBy: 'device' });
    expect(door.getState()).toMatchObject({ queued: 2, admitted: 10 });
    // Out once: a second exit is refused, and so is coming back in (the device cannot know whether
    // the event allows re-entry; the edge refuses it unless it does).
    expect(await door.scan(valid.secret, 'exit')).toMatchObject({ result: 'already_redeemed' });
    expect(await door.scan(valid.secret)).toMatchObject({ type: 'entry', result: 'already_redeemed' });
    // Checks before the type still apply to exits.
    expect(await door.scan('NOT A TICKET', 'exit')).toMatchObject({ type: 'exit', result: 'invalid', ticket: null });
    expect(door.getState()).toMatchObject({ queued: 2, admitted: 10 });

    const batches: unknown[] = [];
    mockFetch({
      '/api/v1/checkins:batch': async (request) => {
        batches.push(await request.json());
        return jsonResponse({
          results: [
            { ...answer('ok'), nonce: 'n2', conflict: false },
            { ...answer('already_redeemed'), nonce: 'n3', conflict: false },
          ],
        });
      },
      [PACK_PATH]: () => jsonResponse(packBody({ tickets: [], admitted: 10, cursor: 'c2' })),
    });
    online = true;
    await door.sync();
    expect(batches).toEqual([
      {
        session_id: SESSION,
        device_id: 'door-test',
        scans: [
          { secret: valid.secret, nonce: 'n2', scanned_at: '2026-12-24T21:30:00.000Z', type: 'entry' },
          { secret: valid.secret, nonce: 'n3', scanned_at: '2026-12-24T21:30:00.000Z', type: 'exit' },
        ],
      },
    ]);
    // An exit the edge did not take as it was is a sync warning, known as an exit.
    expect(door.getState()).toMatchObject({ mode: 'online', queued: 0, admitted: 10 });
    expect(door.getState().conflicts).toMatchObject([{ nonce: 'n3', type: 'exit', result: 'already_redeemed' }]);
  });

  it('lets out offline a ticket the edge let in through this device', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()), '/api/v1/checkins': () => jsonResponse(answer('ok', 11)) });
    const door = station();
    await door.load();
    await door.sync();
    await door.scan(valid.secret);
    online = false;
    expect(await door.scan(valid.secret, 'exit')).toMatchObject({ result: 'ok', decidedBy: 'device' });
    expect(door.getState()).toMatchObject({ queued: 1, admitted: 10 });
    expect((await openDoorStore().queued(SESSION)).map((scan) => scan.type)).toEqual(['exit']);
  });

  it('passes other refusals of a scan on', async () => {
    mockFetch({ [PACK_PATH]: () => jsonResponse(packBody()), '/api/v1/checkins': () => problem(422) });
    const door = station();
    await door.load();
    await door.sync();
    await expect(door.scan(valid.secret)).rejects.toMatchObject({ status: 422 });
    expect(door.getState().mode).toBe('online');
  });
});
