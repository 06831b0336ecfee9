/**
 * Vectors from the service's own code (fixtures/ticket-secrets.json), made in the repository root with
 * `uv run --frozen python` and ticketing_svc's TicketKeyRing:
 *
 *   ring = TicketKeyRing("k1", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
 *   other = TicketKeyRing("k9", Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
 *   claims = TicketClaims(ticket_id, session 5e55a000-…-0001, zone 20e00000-…-0001,
 *                         2026-12-24T18:00Z, 2026-12-25T06:00Z)
 *   valid = ring.sign(claims)            second = ring.sign(claims of ticket …0002)
 *   other_session = ring.sign(claims of ticket …0003 for session 5e55a000-…-0002)
 *   altered = valid with its 20th character from the end changed (signature bytes)
 *   unknown_key = other.sign(claims of ticket …0004)
 *   keys = [{kid, x} of ring.public_keys()]; python_verdict = what ring.verify said.
 */
import { describe, expect, it } from 'vitest';

import { decideLocally, type LocalKnowledge, type PackTicket } from './decide';
import vectors from './fixtures/ticket-secrets.json';
import { decodeSecret, importKeys, InvalidSecret, verifySecret } from './secret';

const SESSION = vectors.session_id;
const DURING = Date.parse('2026-12-24T21:30:00Z');
const { valid, second, other_session: otherSession, altered, unknown_key: unknownKey } = vectors.secrets;

async function problemOf(secret: string): Promise<string> {
  const keys = await importKeys(vectors.keys);
  try {
    await verifySecret(secret, keys);
    return 'verified';
  } catch (error) {
    return error instanceof InvalidSecret ? error.reason : String(error);
  }
}

describe('ticket secrets', () => {
  it('reads the claims the service signed', async () => {
    const claims = await verifySecret(valid.secret, await importKeys(vectors.keys));
    expect(claims).toEqual({
      kid: 'k1',
      ticketId: valid.ticket_id,
      sessionId: SESSION,
      zoneId: vectors.zone_id,
      validFrom: Date.parse(vectors.valid_from),
      validUntil: Date.parse(vectors.valid_until),
    });
  });

  it('agrees with the service on every vector', async () => {
    const verdicts: Record<string, string> = { verified: 'verified', 'bad signature': 'bad_signature', 'unknown key id': 'unknown_key' };
    for (const vector of Object.values(vectors.secrets)) {
      expect(await problemOf(vector.secret)).toBe(verdicts[vector.python_verdict]);
    }
  });

  it('refuses what is not the canonical base32 of a version 1 record', async () => {
    expect(await problemOf('')).toBe('malformed');
    expect(await problemOf('hello world')).toBe('malformed');
    expect(await problemOf(valid.secret.toLowerCase())).toBe('malformed');
    expect(await problemOf(valid.secret.slice(0, -1))).toBe('malformed');
    expect(await problemOf('A'.repeat(300))).toBe('malformed');
    // The last character carries unused low bits: only the canonical one verifies.
    const last = valid.secret.at(-1) ?? '';
    const sibling = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'['ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(last) ^ 1] ?? '';
    expect(await problemOf(valid.secret.slice(0, -1) + sibling)).toBe('malformed');
    // Version 2 does not exist yet.
    expect(await problemOf(`AI${valid.secret.slice(2)}`)).toBe('unsupported_version');
    expect(() => decodeSecret('AE')).toThrow(InvalidSecret);
  });

  it('verifies nothing with a key that is not an Ed25519 public key', async () => {
    const keys = await importKeys([{ kid: 'k1', x: 'not-a-key' }]);
    expect(keys.size).toBe(0);
  });
});

function knowledge(tickets: PackTicket[] = [], admitted: string[] = []): LocalKnowledge {
  return {
    ticket: (id) => Promise.resolve(tickets.find((t) => t.id === id)),
    admittedHere: (id) => Promise.resolve(admitted.includes(id)),
  };
}

const HOLDER: PackTicket = { id: valid.ticket_id, zone: 'General', zoneId: vectors.zone_id, holderName: 'Ana Gómez', status: 'valid' };

describe('deciding a scan offline', () => {
  async function decide(secret: string, what: LocalKnowledge = knowledge([HOLDER]), now = DURING, type: 'entry' | 'exit' = 'entry') {
    return decideLocally({ secret, sessionId: SESSION, now, keys: await importKeys(vectors.keys), type }, what);
  }

  it('admits a genuine ticket of this session, naming its holder', async () => {
    expect(await decide(valid.secret)).toEqual({
      result: 'ok',
      ticket: { id: valid.ticket_id, zone: 'General', zoneId: vectors.zone_id, holderName: 'Ana Gómez' },
    });
  });

  it('admits a genuine ticket the pack does not list yet, without a name', async () => {
    const verdict = await decide(second.secret);
    expect(verdict.result).toBe('ok');
    expect(verdict.ticket?.holderName).toBe('');
  });

  it('refuses altered and unknown-key secrets as invalid', async () => {
    expect(await decide(altered.secret)).toEqual({ result: 'invalid', ticket: null, problem: 'bad_signature' });
    expect(await decide(unknownKey.secret)).toEqual({ result: 'invalid', ticket: null, problem: 'unknown_key' });
  });

  it('refuses a ticket of another session', async () => {
    expect((await decide(otherSession.secret)).result).toBe('wrong_session');
  });

  it('refuses outside the validity window, both ends included', async () => {
    expect((await decide(valid.secret, undefined, Date.parse(vectors.valid_from) - 1)).result).toBe('invalid_time');
    expect((await decide(valid.secret, undefined, Date.parse(vectors.valid_from))).result).toBe('ok');
    expect((await decide(valid.secret, undefined, Date.parse(vectors.valid_until) + 999)).result).toBe('ok');
    expect((await decide(valid.secret, undefined, Date.parse(vectors.valid_until) + 1000)).result).toBe('invalid_time');
  });

  it('refuses a revoked ticket', async () => {
    expect((await decide(valid.secret, knowledge([{ ...HOLDER, status: 'revoked' }]))).result).toBe('revoked');
  });

  it('says already used for a ticket used before or admitted on this device', async () => {
    expect((await decide(valid.secret, knowledge([{ ...HOLDER, status: 'used' }]))).result).toBe('already_redeemed');
    expect((await decide(valid.secret, knowledge([HOLDER], [valid.ticket_id]))).result).toBe('already_redeemed');
  });

  it('lets out only a ticket admitted on this device, as the edge lets out only a ticket inside', async () => {
    const exit = (what: LocalKnowledge) => decide(valid.secret, what, DURING, 'exit');
    expect(await exit(knowledge([{ ...HOLDER, status: 'used' }], [valid.ticket_id]))).toEqual({
      result: 'ok',
      ticket: { id: valid.ticket_id, zone: 'General', zoneId: vectors.zone_id, holderName: 'Ana Gómez' },
    });
    // Never entered, or entered at another door (the device cannot know it is inside).
    expect((await exit(knowledge([HOLDER]))).result).toBe('already_redeemed');
    expect((await exit(knowledge([{ ...HOLDER, status: 'used' }]))).result).toBe('already_redeemed');
    // The checks before the type apply to exits too.
    expect((await exit(knowledge([{ ...HOLDER, status: 'revoked' }], [valid.ticket_id]))).result).toBe('revoked');
    expect((await decide(otherSession.secret, knowledge(), DURING, 'exit')).result).toBe('wrong_session');
    expect((await decide(altered.secret, knowledge(), DURING, 'exit')).result).toBe('invalid');
  });
});
