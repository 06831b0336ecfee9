import type { Locale } from '@/i18n/locales';

import { apiRequest, call, fillPath, isApiError, type Schemas } from './client';
import type { Money } from './events';
import { str, type Page } from './parse';
import type { ReservationItem } from './reservations';

/**
 * Orders (a held reservation being paid at the payment provider), tickets and their QR codes and
 * PDF, at the edge (routes/orders.py), typed by its OpenAPI schemas and put in the app's words here.
 */
export type OrderStatus = Schemas['OrderPublic']['status'];
export type TicketStatus = Schemas['TicketPublic']['status'];

export const ORDER_STATUSES: readonly OrderStatus[] = [
  'pending_payment',
  'paid',
  'partially_refunded',
  'refunded',
  'failed',
  'expired',
  'cancelled',
];

/** Problem types of the orders API (the last segment of `type`). */
export const ORDER_PROBLEMS = {
  /** The reservation was released or expired (409). */
  reservationNotHeld: 'reservation-not-held',
  /** The reservation already has an order, named by `order_id` (409). */
  orderExists: 'order-exists',
  /** The order has no tickets: not paid (yet, or ever) (409). */
  notPaid: 'not-paid',
  /** The refund asked for is not possible; `refundable` says what is left to refund (409). */
  notRefundable: 'not-refundable',
  /** The event is not cancelled, so there are no cancellation refunds to follow (409). */
  notCancelled: 'not-cancelled',
} as const;

export interface Buyer {
  name: string;
  email: string;
  locale: Locale;
}

export interface Order {
  id: string;
  status: OrderStatus;
  reservationId: string;
  eventId: string;
  eventName: string;
  sessionId: string;
  items: ReservationItem[];
  total: Money;
  refunded: Money;
  buyer: Buyer;
  payment: { provider: string; checkoutUrl: string | null; failureCode: string | null };
  createdAt: string;
  updatedAt: string;
  payBy: string | null;
  paidAt: string | null;
  ticketIds: string[];
}

export interface Ticket {
  id: string;
  orderId: string;
  eventId: string;
  eventName: string;
  sessionId: string;
  zoneId: string;
  zoneName: string;
  holderName: string;
  status: TicketStatus;
  price: Money;
  issuedAt: string;
  /** `transferred`: revoked because it was sent to someone else, who holds a new one. */
  revokedReason: 'transferred' | null;
}

export function toOrder(body: Schemas['OrderPublic']): Order {
  return {
    id: body.id,
    status: body.status,
    reservationId: body.reservation_id,
    eventId: body.event_id,
    eventName: body.event_name,
    sessionId: body.session_id,
    items: body.items.map((item) => ({ zoneId: item.zone_id, zoneName: item.zone_name, quantity: item.quantity, unitPrice: item.unit_price })),
    total: body.total,
    refunded: body.refunded,
    buyer: { name: body.buyer.name, email: body.buyer.email, locale: body.buyer.locale },
    payment: {
      provider: body.payment.provider,
      checkoutUrl: body.payment.checkout_url ?? null,
      failureCode: body.payment.failure_code ?? null,
    },
    createdAt: body.created_at,
    updatedAt: body.updated_at,
    payBy: body.pay_by ?? null,
    paidAt: body.paid_at ?? null,
    ticketIds: body.ticket_ids,
  };
}

export function toTicket(body: Schemas['TicketPublic']): Ticket {
  return {
    id: body.id,
    orderId: body.order_id,
    eventId: body.event_id,
    eventName: body.event_name,
    sessionId: body.session_id,
    zoneId: body.zone_id,
    zoneName: body.zone_name,
    holderName: body.holder_name,
    status: body.status,
    price: body.price,
    issuedAt: body.issued_at,
    revokedReason: body.revoked_reason ?? null,
  };
}

/** States an order never leaves by itself: polling stops there. */
export function isSettled(status: OrderStatus): boolean {
  return status !== 'pending_payment';
}

/** A declined order may be paid again at the provider while its places are held (`pay_by`). */
export function canRetryPayment(order: Order, now: number): boolean {
  return (
    (order.status === 'failed' || order.status === 'pending_payment') &&
    order.payment.checkoutUrl !== null &&
    order.payBy !== null &&
    Date.parse(order.payBy) > now
  );
}

/** Polling an order waiting for its payment: every 2 s for the first minute, then every 10 s. */
export const ORDER_POLL = { fastMs: 2_000, slowMs: 10_000, fastPolls: 30 } as const;

/**
 * How long to wait before asking for the order again (TanStack Query's `refetchInterval`): only
 * while it waits for its payment, whose notification may reach the platform a moment after the
 * buyer is back; never once it is settled.
 */
export function orderPollInterval(order: Order | undefined, updates: number): number | false {
  if (!order || isSettled(order.status)) return false;
  return updates < ORDER_POLL.fastPolls ? ORDER_POLL.fastMs : ORDER_POLL.slowMs;
}

// ---------------------------------------------------------------- calls

export interface OrderRequest {
  reservationId: string;
  buyer: Buyer;
  /** Where the payment page sends the buyer back; `{ORDER_ID}` is filled in by the server. */
  returnUrl?: string;
}

/** The web app's order page, where the payment page sends the buyer back (the server fills in `{ORDER_ID}`). */
export function orderReturnUrl(origin: string = window.location.origin): string {
  return `${origin}/orders/{ORDER_ID}`;
}

export async function createOrder(request: OrderRequest, idempotencyKey: string): Promise<Order> {
  const body: Schemas['OrderCreate'] = {
    reservation_id: request.reservationId,
    buyer: { name: request.buyer.name, email: request.buyer.email, locale: request.buyer.locale },
    ...(request.returnUrl ? { return_url: request.returnUrl } : {}),
  };
  const { data } = await call('post', '/api/v1/orders', { body, headers: { 'Idempotency-Key': idempotencyKey } });
  return toOrder(data);
}

export async function fetchOrder(id: string, signal?: AbortSignal): Promise<Order> {
  const { data } = await call('get', '/api/v1/orders/{order_id}', { path: { order_id: id }, signal });
  return toOrder(data);
}

export async function fetchMyOrders(cursor: string | null, signal?: AbortSignal, limit = 10): Promise<Page<Order>> {
  const { data } = await call('get', '/api/v1/me/orders', { signal, query: { limit, cursor: cursor ?? undefined } });
  return { items: data.items.map(toOrder), nextCursor: data.next_cursor ?? null };
}

export interface EventOrderFilters {
  q: string;
  status: OrderStatus | '';
}

export async function fetchEventOrders(
  eventId: string,
  filters: EventOrderFilters,
  cursor: string | null,
  signal?: AbortSignal,
  limit = 20,
): Promise<Page<Order>> {
  const { data } = await call('get', '/api/v1/events/{event_id}/orders', {
    path: { event_id: eventId },
    signal,
    query: {
      q: filters.q.trim() || undefined,
      status: filters.status ? [filters.status] : undefined,
      limit,
      cursor: cursor ?? undefined,
    },
  });
  return { items: data.items.map(toOrder), nextCursor: data.next_cursor ?? null };
}

export async function fetchMyTickets(cursor: string | null, signal?: AbortSignal, limit = 10): Promise<Page<Ticket>> {
  const { data } = await call('get', '/api/v1/me/tickets', { signal, query: { limit, cursor: cursor ?? undefined } });
  return { items: data.items.map(toTicket), nextCursor: data.next_cursor ?? null };
}

export async function fetchTicket(id: string, signal?: AbortSignal): Promise<Ticket> {
  const { data } = await call('get', '/api/v1/tickets/{ticket_id}', { path: { ticket_id: id }, signal });
  return toTicket(data);
}

/** The ticket's QR code, an SVG fetched with the bearer token (an <img src> could not send it). */
export async function fetchTicketQr(id: string, signal?: AbortSignal): Promise<Blob> {
  const path = fillPath('/api/v1/tickets/{ticket_id}/qr.svg', { ticket_id: id });
  const { data } = await apiRequest<Blob>(path, { signal, responseType: 'blob' });
  // Typed as an SVG image whatever the response said, so it can only ever be shown as an image.
  return data.slice(0, data.size, 'image/svg+xml');
}

/** `attachment; filename="x.pdf"` -> "x.pdf" (only plain, safe names). */
export function attachmentName(disposition: string | null, fallback: string): string {
  const match = /filename="?([^";]+)"?/i.exec(disposition ?? '');
  const name = match?.[1]?.trim();
  return name && /^[\w.-]+$/.test(name) ? name : fallback;
}

export async function fetchOrderPdf(id: string): Promise<{ blob: Blob; filename: string }> {
  const path = fillPath('/api/v1/orders/{order_id}/tickets.pdf', { order_id: id });
  const response = await apiRequest<Blob>(path, { responseType: 'blob', timeoutMs: 60_000 });
  return {
    blob: response.data.slice(0, response.data.size, 'application/pdf'),
    filename: attachmentName(response.headers.get('Content-Disposition'), `taquilla-${id}.pdf`),
  };
}

/** `order_id` of an `order-exists` refusal. */
export function existingOrderId(error: unknown): string | undefined {
  return isApiError(error) ? str(error.extensions.order_id) : undefined;
}

// ---------------------------------------------------------------- refunds

export type RefundStatus = Schemas['RefundOut']['status'];

export interface Refund {
  id: string;
  orderId: string;
  amount: Money;
  status: RefundStatus;
  reason: string;
  ticketIds: string[];
  requestedAt: string;
  settledAt: string | null;
}

/** Either tickets (each refunded at its price and revoked) or an amount (a goodwill refund, nothing revoked). */
export type RefundRequest = ({ kind: 'tickets'; ticketIds: string[] } | { kind: 'amount'; amount: Money }) & { reason: string };

export function toRefund(body: Schemas['RefundOut']): Refund {
  return {
    id: body.id,
    orderId: body.order_id,
    amount: body.amount,
    status: body.status,
    reason: body.reason,
    ticketIds: body.ticket_ids,
    requestedAt: body.requested_at,
    settledAt: body.settled_at ?? null,
  };
}

export function refundBody(request: RefundRequest): Schemas['RefundCreate'] {
  const reason = request.reason.trim();
  return {
    ...(request.kind === 'tickets' ? { ticket_ids: request.ticketIds } : { amount: { amount: request.amount.amount, currency: request.amount.currency } }),
    ...(reason ? { reason } : {}),
  };
}

/** Organizer of the event or admin: refund tickets or an amount of a paid order. */
export async function refundOrder(orderId: string, request: RefundRequest, idempotencyKey: string): Promise<{ refund: Refund; order: Order }> {
  const { data } = await call('post', '/api/v1/orders/{order_id}/refunds', {
    path: { order_id: orderId },
    body: refundBody(request),
    headers: { 'Idempotency-Key': idempotencyKey },
  });
  return { refund: toRefund(data.refund), order: toOrder(data.order) };
}

/** `refundable` of a `not-refundable` refusal: what is left to refund (problem extensions are not in the OpenAPI, so checked here). */
export function refundableAmount(error: unknown): Money | undefined {
  if (!isApiError(error)) return undefined;
  const refundable = error.extensions.refundable;
  if (typeof refundable !== 'object' || refundable === null) return undefined;
  const amount = str((refundable as Record<string, unknown>).amount);
  const currency = str((refundable as Record<string, unknown>).currency);
  return amount !== undefined && currency !== undefined ? { amount, currency } : undefined;
}

export interface EventRefunds {
  eventId: string;
  startedAt: string;
  finishedAt: string | null;
  /** Paid orders of the event when it was cancelled. */
  orders: number;
  /** Of them, those whose refund was requested. */
  requested: number;
  /** Of them, those the payment provider confirmed. */
  refunded: number;
  amountRefunded: Money;
}

/** How far the refunds of a cancelled event have come (`not-cancelled` 409 otherwise). */
export async function fetchEventRefunds(eventId: string, signal?: AbortSignal): Promise<EventRefunds> {
  const { data } = await call('get', '/api/v1/events/{event_id}/refunds', { path: { event_id: eventId }, signal });
  return {
    eventId: data.event_id,
    startedAt: data.started_at,
    finishedAt: data.finished_at ?? null,
    orders: data.orders,
    requested: data.requested,
    refunded: data.refunded,
    amountRefunded: data.amount_refunded,
  };
}

/** Poll the cancellation's refunds every few seconds until they are finished (or the event is not cancelled). */
export function eventRefundsPollInterval(data: EventRefunds | undefined, failed: boolean): number | false {
  if (failed || (data && data.finishedAt !== null)) return false;
  return 3_000;
}
