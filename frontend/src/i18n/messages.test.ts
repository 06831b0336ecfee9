import { describe, expect, it } from 'vitest';

import { en } from './messages/en';
import { es } from './messages/es';

/** Every leaf path of a dictionary: "orders.statuses.paid", "checkout.submit" (functions are leaves). */
function leaves(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key));
}

function at(dictionary: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], dictionary);
}

describe('dictionaries', () => {
  it('es and en have exactly the same keys', () => {
    expect(leaves(en).sort()).toEqual(leaves(es).sort());
  });

  it('have no empty strings, and every parameterised message is a function in both', () => {
    for (const path of leaves(es)) {
      const spanish = at(es, path);
      const english = at(en, path);
      expect(typeof english, path).toBe(typeof spanish);
      if (typeof spanish === 'string') {
        expect(spanish.trim(), path).not.toBe('');
        expect((english as string).trim(), path).not.toBe('');
      }
    }
  });

  it('name every order and ticket status, and the declines, in both languages', () => {
    for (const status of ['pending_payment', 'paid', 'partially_refunded', 'refunded', 'failed', 'expired', 'cancelled']) {
      expect(es.orders.statuses[status], status).toBeTruthy();
      expect(en.orders.statuses[status], status).toBeTruthy();
      expect(es.orders.messages[status], status).toBeTruthy();
      expect(en.orders.messages[status], status).toBeTruthy();
    }
    for (const status of ['valid', 'used', 'revoked']) {
      expect(es.tickets.statuses[status]).toBeTruthy();
      expect(en.tickets.statuses[status]).toBeTruthy();
    }
    expect(Object.keys(en.orders.declines).sort()).toEqual(Object.keys(es.orders.declines).sort());
    expect(es.checkout.submit('10 €')).toBe('Pagar 10 €');
    expect(en.checkout.submit('€10')).toBe('Pay €10');
  });
});
