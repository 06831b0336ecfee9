/** Order and ticket bodies as the edge returns them (routes/orders.py). */
import type { Schemas } from '@/api/client';

import { eventBody } from './events';
import { jsonResponse } from './utils';

export const ORDER_ID = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const CHECKOUT_URL = 'http://127.0.0.1:12111/pay/cs_test_1';

export function orderBody(overrides: Partial<Schemas['OrderPublic']> = {}): Schemas['OrderPublic'] {
  return {
    id: ORDER_ID,
    status: 'pending_payment',
    reservation_id: 'r1',
    event_id: eventBody().id,
    event_name: 'Noche de Jazz en el Foro',
    session_id: 's1',
    items: [
      { zone_id: 'z1', zone_name: 'General', quantity: 2, unit_price: { amount: '450.00', currency: 'MXN' } },
      { zone_id: 'z2', zone_name: 'VIP', quantity: 1, unit_price: { amount: '1800.00', currency: 'MXN' } },
    ],
    total: { amount: '2700.00', currency: 'MXN' },
    refunded: { amount: '0.00', currency: 'MXN' },
    buyer: { name: 'Ana Gómez', email: 'ana@example.org', locale: 'es' },
    payment: { provider: 'stripe', checkout_url: CHECKOUT_URL, failure_code: null },
    created_at: '2026-01-02T10:00:00Z',
    updated_at: '2026-01-02T10:00:00Z',
    pay_by: new Date(Date.now() + 20 * 60_000).toISOString(),
    paid_at: null,
    ticket_ids: [],
    ...overrides,
  };
}

export function paidOrderBody(overrides: Partial<Schemas['OrderPublic']> = {}): Schemas['OrderPublic'] {
  return orderBody({
    status: 'paid',
    paid_at: '2026-01-02T10:03:00Z',
    payment: { provider: 'stripe', checkout_url: null, failure_code: null },
    ticket_ids: ['t1', 't2', 't3'],
    ...overrides,
  });
}

export function ticketBody(overrides: Partial<Schemas['TicketPublic']> = {}): Schemas['TicketPublic'] {
  return {
    id: 't1',
    order_id: ORDER_ID,
    event_id: eventBody().id,
    event_name: 'Noche de Jazz en el Foro',
    session_id: 's1',
    zone_id: 'z1',
    zone_name: 'General',
    holder_name: 'Ana Gómez',
    status: 'valid',
    secret: 'eyJ0aWNrZXQiOiJ0MSJ9.sig',
    price: { amount: '450.00', currency: 'MXN' },
    issued_at: '2026-01-02T10:03:00Z',
    ...overrides,
  };
}

/** The three tickets of `paidOrderBody()`: two General, one VIP. */
export const TICKETS: Record<string, Schemas['TicketPublic']> = {
  t1: ticketBody(),
  t2: ticketBody({ id: 't2' }),
  t3: ticketBody({ id: 't3', zone_id: 'z2', zone_name: 'VIP', price: { amount: '1800.00', currency: 'MXN' } }),
};

export const QR_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>';

export function svgResponse(): Response {
  return new Response(QR_SVG, { status: 200, headers: { 'Content-Type': 'image/svg+xml' } });
}

/** Handlers for `/api/v1/tickets/<id>` and its QR, for every ticket in `tickets`. */
export function ticketHandlers(tickets: Record<string, Schemas['TicketPublic']> = TICKETS) {
  return Object.fromEntries(
    Object.values(tickets).flatMap((ticket) => [
      [`/api/v1/tickets/${ticket.id}`, () => jsonResponse(ticket)],
      [`/api/v1/tickets/${ticket.id}/qr.svg`, () => svgResponse()],
    ]),
  ) as Record<string, () => Response>;
}

/** jsdom has no object URLs: hand out predictable ones. */
export function stubObjectUrls() {
  let n = 0;
  const created: Blob[] = [];
  const createObjectURL = (blob: Blob) => {
    created.push(blob);
    n += 1;
    return `blob:test/${n}`;
  };
  Object.defineProperty(URL, 'createObjectURL', { value: createObjectURL, configurable: true, writable: true });
  Object.defineProperty(URL, 'revokeObjectURL', { value: () => undefined, configurable: true, writable: true });
  return created;
}
