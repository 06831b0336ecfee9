import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Schemas } from '@/api/client';
import { eventBody, ORG_ID } from '@/test/events';
import { paidOrderBody } from '@/test/orders';
import { jsonResponse, mockFetch, renderRoute, signInAs } from '@/test/utils';
import { formatMoney } from '@/lib/format';
import { useUiStore } from '@/store/ui';

const EVENT = eventBody().id;
const PATH = `/events/${EVENT}/orders`;
const text = (amount: string, locale: 'es' | 'en' = 'es') => formatMoney(amount, 'MXN', locale).replace(/\s/g, ' ');

function progress(overrides: Partial<Schemas['EventRefundsPublic']> = {}): Schemas['EventRefundsPublic'] {
  return {
    event_id: EVENT,
    started_at: '2026-01-05T10:00:00Z',
    finished_at: null,
    orders: 4,
    requested: 2,
    refunded: 1,
    amount_refunded: { amount: '900.00', currency: 'MXN' },
    ...overrides,
  };
}

function edge(event: Schemas['EventPublic'], refunds: () => Response) {
  let calls = 0;
  mockFetch({
    [`/api/v1/events/${EVENT}`]: () => jsonResponse(event),
    [`/api/v1/events/${EVENT}/orders`]: () => jsonResponse({ items: [paidOrderBody({ status: 'refunded' })], next_cursor: null }),
    [`/api/v1/events/${EVENT}/refunds`]: () => {
      calls += 1;
      return refunds();
    },
  });
  return () => calls;
}

const cancelled = eventBody({ status: 'cancelled', cancelled_at: '2026-01-05T10:00:00Z', cancellation_reason: 'Lluvia' });

describe('refunds of a cancelled event', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows the refunds every few seconds until they are finished, then stops asking', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const answers = [
      progress(),
      progress({ requested: 4, refunded: 3, amount_refunded: { amount: '2250.00', currency: 'MXN' } }),
      progress({ requested: 4, refunded: 4, finished_at: '2026-01-05T10:02:00Z', amount_refunded: { amount: '2700.00', currency: 'MXN' } }),
    ];
    const calls = edge(cancelled, () => jsonResponse(answers[Math.min(calls() - 1, answers.length - 1)]));
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(PATH);

    const panel = await screen.findByRole('region', { name: 'Reembolsos de la cancelación' });
    expect(await within(panel).findByText('1 de 4 pedidos reembolsados')).toBeInTheDocument();
    expect(within(panel).getByText('En curso: se actualiza sola cada pocos segundos.')).toBeInTheDocument();
    expect(within(panel).getByText('2 pedidos con el reembolso solicitado')).toBeInTheDocument();
    expect(within(panel).getByText(`Importe reembolsado: ${text('900.00')}`)).toBeInTheDocument();
    expect(within(panel).getByRole('progressbar', { name: 'Pedidos reembolsados' })).toHaveAttribute('value', '1');
    expect(calls()).toBe(1);

    await vi.advanceTimersByTimeAsync(3_000);
    expect(await within(panel).findByText('3 de 4 pedidos reembolsados')).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await within(panel).findByText('4 de 4 pedidos reembolsados')).toBeInTheDocument();
    expect(within(panel).getByText(/^Terminado el .*: todos los pedidos pagados tienen su reembolso solicitado\.$/)).toBeInTheDocument();
    expect(within(panel).getByText(`Importe reembolsado: ${text('2700.00')}`)).toBeInTheDocument();
    expect(calls()).toBe(3);

    // Finished: no more polling, however long the page stays open.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls()).toBe(3);
  });

  it('is in English too', async () => {
    edge(cancelled, () => jsonResponse(progress({ requested: 1, refunded: 1, orders: 1, finished_at: '2026-01-05T10:02:00Z' })));
    useUiStore.setState({ locale: 'en' });
    signInAs({ role: 'admin' });
    renderRoute(PATH);
    const panel = await screen.findByRole('region', { name: 'Refunds of the cancellation' });
    expect(await within(panel).findByText('1 of 1 orders refunded')).toBeInTheDocument();
    expect(within(panel).getByText('1 order with its refund requested')).toBeInTheDocument();
    expect(within(panel).getByText(/^Finished on .*: every paid order has its refund requested\.$/)).toBeInTheDocument();
  });

  it('is not there for an event that is not cancelled', async () => {
    const calls = edge(eventBody(), () => jsonResponse(progress()));
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(PATH);
    await screen.findByRole('table');
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Pedidos de Noche de Jazz en el Foro'));
    expect(screen.queryByRole('region', { name: 'Reembolsos de la cancelación' })).not.toBeInTheDocument();
    expect(calls()).toBe(0);
  });
});
