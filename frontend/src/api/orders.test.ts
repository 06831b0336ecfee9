import { describe, expect, it } from 'vitest';

import { orderBody } from '@/test/orders';

import { ApiError } from './client';
import { attachmentName, canRetryPayment, existingOrderId, isSettled, ORDER_POLL, ORDER_STATUSES, orderPollInterval, orderReturnUrl, toOrder } from './orders';

describe('orders', () => {
  it('polls only while the order waits for its payment, slower after the first minute', () => {
    const pending = toOrder(orderBody());
    expect(orderPollInterval(undefined, 0)).toBe(false);
    expect(orderPollInterval(pending, 1)).toBe(ORDER_POLL.fastMs);
    expect(orderPollInterval(pending, ORDER_POLL.fastPolls)).toBe(ORDER_POLL.slowMs);
    for (const status of ORDER_STATUSES.filter((s) => s !== 'pending_payment')) {
      expect(isSettled(status)).toBe(true);
      expect(orderPollInterval(toOrder(orderBody({ status })), 1)).toBe(false);
    }
  });

  it('offers to pay again only while the places are held and there is a payment page', () => {
    const now = Date.parse('2030-01-01T10:00:00Z');
    const failed = (overrides: Parameters<typeof orderBody>[0] = {}) => toOrder(orderBody({ status: 'failed', pay_by: '2030-01-01T10:05:00Z', ...overrides }));
    expect(canRetryPayment(failed(), now)).toBe(true);
    expect(canRetryPayment(failed({ pay_by: '2030-01-01T09:59:59Z' }), now)).toBe(false);
    expect(canRetryPayment(failed({ pay_by: null }), now)).toBe(false);
    expect(canRetryPayment(failed({ payment: { provider: 'stripe', checkout_url: null, failure_code: 'card_declined' } }), now)).toBe(false);
    expect(canRetryPayment(failed({ status: 'paid' }), now)).toBe(false);
  });

  it('reads the file name of an attachment, keeping only safe names', () => {
    expect(attachmentName('attachment; filename="taquilla-1.pdf"', 'x.pdf')).toBe('taquilla-1.pdf');
    expect(attachmentName('attachment; filename=plain.pdf', 'x.pdf')).toBe('plain.pdf');
    expect(attachmentName('attachment; filename="../../etc/passwd"', 'x.pdf')).toBe('x.pdf');
    expect(attachmentName(null, 'x.pdf')).toBe('x.pdf');
  });

  it('reads the order named by an order-exists refusal', () => {
    const error = new ApiError({ status: 409, title: 'Conflict', type: 'https://taquilla.dev/problems/order-exists', extensions: { order_id: 'o1' } });
    expect(existingOrderId(error)).toBe('o1');
    expect(existingOrderId(new ApiError({ status: 409, title: 'Conflict' }))).toBeUndefined();
    expect(existingOrderId(new Error('x'))).toBeUndefined();
  });

  it('asks the payment page to send the buyer back to this app, whatever its port', () => {
    expect(orderReturnUrl('http://127.0.0.1:4173')).toBe('http://127.0.0.1:4173/orders/{ORDER_ID}');
    expect(orderReturnUrl()).toBe(`${window.location.origin}/orders/{ORDER_ID}`);
  });
});
