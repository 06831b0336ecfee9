/**
 * A ticket's QR secret, read and verified in the browser, offline.
 *
 * The format is ticketing_svc's (adapters/ticket_signing.py, version 1): the unpadded upper-case
 * RFC 4648 base32 of
 *
 *     version 0x01 | n (1..8) | key id (n ASCII bytes) | ticket id (16) | session id (16) | zone id (16)
 *     | valid_from (u32 BE seconds) | valid_until (u32 BE) | Ed25519 signature (64) over all before it
 *
 * Only the canonical text verifies (a character changed anywhere, even in the unused low bits of the
 * last one, is refused), exactly as the service decides. Keys are the edge's JWKs (`kid`, `x`:
 * base64url of the 32 raw bytes); WebCrypto verifies (Ed25519 is in Chromium 137+, Firefox 129+,
 * Safari 17+, Node 20).
 */

const VERSION = 1;
const SIGNATURE_SIZE = 64;
const BODY_AFTER_KID = 3 * 16 + 8;
const MAX_SECRET_CHARS = 256;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const KID = /^[A-Za-z0-9._-]{1,8}$/;

export type SecretProblem = 'malformed' | 'unsupported_version' | 'unknown_key' | 'bad_signature';

export class InvalidSecret extends Error {
  override readonly name = 'InvalidSecret';
  constructor(readonly reason: SecretProblem) {
    super(reason);
  }
}

/** What a genuine secret proves: this ticket admits to this session's zone between the two times. */
export interface TicketClaims {
  kid: string;
  ticketId: string;
  sessionId: string;
  zoneId: string;
  /** Epoch milliseconds, whole seconds. */
  validFrom: number;
  validUntil: number;
}

/** A public key that verifies tickets, as the edge lists it (`x`: base64url raw 32 bytes). */
export interface SigningKey {
  kid: string;
  x: string;
}

function base32Decode(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of text) {
    const value = BASE32.indexOf(char);
    if (value < 0) return null;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  // Canonical text only: the bits left over must be zero, and a length base32 never produces
  // (1, 3 or 6 characters past a multiple of 8) is refused.
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

function uuidOf(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface DecodedSecret {
  claims: TicketClaims;
  body: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

/** The record inside a secret, signature not checked; `InvalidSecret` when it has not the format's shape. */
export function decodeSecret(secret: string): DecodedSecret {
  const text = secret.trim();
  if (text.length === 0 || text.length > MAX_SECRET_CHARS) throw new InvalidSecret('malformed');
  const decoded = base32Decode(text);
  if (decoded === null || decoded.length < 2) throw new InvalidSecret('malformed');
  const raw = new Uint8Array(decoded);
  if (raw[0] !== VERSION) throw new InvalidSecret('unsupported_version');
  const kidSize = raw[1] ?? 0;
  const bodySize = 2 + kidSize + BODY_AFTER_KID;
  if (kidSize < 1 || kidSize > 8 || raw.length !== bodySize + SIGNATURE_SIZE) throw new InvalidSecret('malformed');
  const kid = String.fromCharCode(...raw.subarray(2, 2 + kidSize));
  if (!KID.test(kid)) throw new InvalidSecret('malformed');
  const at = 2 + kidSize;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return {
    claims: {
      kid,
      ticketId: uuidOf(raw.subarray(at, at + 16)),
      sessionId: uuidOf(raw.subarray(at + 16, at + 32)),
      zoneId: uuidOf(raw.subarray(at + 32, at + 48)),
      validFrom: view.getUint32(at + 48) * 1000,
      validUntil: view.getUint32(at + 52) * 1000,
    },
    body: raw.slice(0, bodySize),
    signature: raw.slice(bodySize),
  };
}

/** Imported keys by key id, ready to verify; a key WebCrypto refuses is left out (its tickets read as unknown). */
export async function importKeys(keys: readonly SigningKey[]): Promise<Map<string, CryptoKey>> {
  const imported = new Map<string, CryptoKey>();
  for (const key of keys) {
    try {
      const cryptoKey = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: key.x }, { name: 'Ed25519' }, false, ['verify']);
      imported.set(key.kid, cryptoKey);
    } catch {
      // A malformed key (or a browser without Ed25519) verifies nothing.
    }
  }
  return imported;
}

/** The claims a secret proves with one of `keys`, or `InvalidSecret` saying why not. Validity times are the caller's. */
export async function verifySecret(secret: string, keys: ReadonlyMap<string, CryptoKey>): Promise<TicketClaims> {
  const { claims, body, signature } = decodeSecret(secret);
  const key = keys.get(claims.kid);
  if (key === undefined) throw new InvalidSecret('unknown_key');
  const genuine = await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, body);
  if (!genuine) throw new InvalidSecret('bad_signature');
  return claims;
}
