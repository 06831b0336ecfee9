import { screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import type { Schemas } from '@/api/client';
import { eventBody, ORG_ID } from '@/test/events';
import { ORDER_ID, paidOrderBody, stubObjectUrls, ticketBody, TICKETS, svgResponse } from '@/test/orders';
import { PROBLEMS } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';
import { formatMoney } from '@/lib/format';
import { useUiStore } from '@/store/ui';

const PATH = `/orders/${ORDER_ID}`;
const API = `/api/v1/orders/${ORDER_ID}`;
const REFUNDS = `${API}/refunds`;
// Testing Library compares text with its white space collapsed (the no-break space of "450,00 MXN" included).
const mxn = (amount: string, locale: 'es' | 'en' = 'es') => formatMoney(amount, 'MXN', locale).replace(/\s/g, ' ');
/** Accessible names keep it. */
const raw = (amount: string, locale: 'es' | 'en' = 'es') => formatMoney(amount, 'MXN', locale);

function refundBody(overrides: Partial<Schemas['RefundOut']> = {}): Schemas['RefundOut'] {
  return {
    id: 'rf1',
    order_id: ORDER_ID,
    amount: { amount: '450.00', currency: 'MXN' },
    status: 'succeeded',
    reason: '',
    ticket_ids: ['t2'],
    requested_at: '2026-01-03T10:00:00Z',
    settled_at: '2026-01-03T10:00:01Z',
    ...overrides,
  };
}

/**
 * The edge for one paid order with three tickets; `refund` answers POST …/refunds (and may change
 * the order and tickets it serves afterwards). Returns the refund requests it saw.
 */
function edge(refund: (request: Request, state: { order: Schemas['OrderPublic']; tickets: Record<string, Schemas['TicketPublic']> }) => Response | Promise<Response>) {
  const state = { order: paidOrderBody(), tickets: { ...TICKETS } };
  const sent: { key: string | null; body: unknown }[] = [];
  const eventCalls: string[] = [];
  const handlers: Record<string, (request: Request) => Response | Promise<Response>> = {
    [API]: () => jsonResponse(state.order),
    [`/api/v1/events/${eventBody().id}`]: (request) => {
      eventCalls.push(request.url);
      return jsonResponse(eventBody());
    },
    [REFUNDS]: async (request) => {
      sent.push({ key: request.headers.get('Idempotency-Key'), body: await request.clone().json() });
      return refund(request, state);
    },
  };
  for (const id of Object.keys(TICKETS)) {
    handlers[`/api/v1/tickets/${id}`] = () => jsonResponse(state.tickets[id]);
    handlers[`/api/v1/tickets/${id}/qr.svg`] = () => svgResponse();
  }
  mockFetch(handlers);
  return { sent, eventCalls, state };
}

/** Revoke t2 and mark the order partially refunded, as the edge does for a one-ticket refund. */
function refundT2(state: { order: Schemas['OrderPublic']; tickets: Record<string, Schemas['TicketPublic']> }) {
  state.order = paidOrderBody({ status: 'partially_refunded', refunded: { amount: '450.00', currency: 'MXN' } });
  state.tickets = { ...state.tickets, t2: ticketBody({ id: 't2', status: 'revoked' }) };
  return jsonResponse({ refund: refundBody(), order: state.order });
}

describe('refunding an order (organizer)', () => {
  beforeEach(() => {
    stubObjectUrls();
  });

  it('refunds one ticket after a confirmation that says what happens; Escape closes it and focus comes back', async () => {
    const { sent } = edge((_request, state) => refundT2(state));
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute(PATH);

    const panel = await screen.findByRole('region', { name: 'Reembolsar' });
    expect(within(panel).getByText(`Reembolsa entradas (a su precio; quedan anuladas) o un importe. Queda por reembolsar ${mxn('2700.00')}.`)).toBeInTheDocument();
    const second = await within(panel).findByRole('checkbox', { name: `Entrada 2 · General · ${raw('450.00')}` });
    expect(within(panel).getAllByRole('checkbox')).toHaveLength(3);

    // Nothing chosen: said at the tickets, nothing sent.
    const submit = within(panel).getByRole('button', { name: 'Reembolsar…' });
    await user.click(submit);
    expect(await within(panel).findByText('Elige al menos una entrada.')).toBeInTheDocument();
    expect(within(panel).getAllByRole('checkbox')[0]).toHaveFocus();

    await user.click(second);
    expect(within(panel).getByText(`1 entrada elegida: ${mxn('450.00')}`)).toBeInTheDocument();
    await user.type(within(panel).getByRole('textbox', { name: 'Motivo (opcional)' }), 'No puede ir');
    await user.click(submit);
    let dialog = await screen.findByRole('dialog', { name: 'Confirmar el reembolso' });
    expect(within(dialog).getByText(`Se reembolsarán ${mxn('450.00')} a Ana Gómez por 1 entrada:`)).toBeInTheDocument();
    expect(within(dialog).getByText(`Entrada 2 · General · ${mxn('450.00')}`)).toBeInTheDocument();
    expect(within(dialog).getByText(/Estas entradas quedarán anuladas/)).toBeInTheDocument();
    expect(within(dialog).getByText('Motivo: No puede ir')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Volver' })).toHaveFocus();

    // Focus stays inside the dialog.
    await user.tab();
    expect(within(dialog).getByRole('button', { name: `Reembolsar ${raw('450.00')}` })).toHaveFocus();
    await user.tab();
    expect(within(dialog).getByRole('button', { name: 'Volver' })).toHaveFocus();
    await user.tab({ shift: true });
    expect(within(dialog).getByRole('button', { name: `Reembolsar ${raw('450.00')}` })).toHaveFocus();

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(submit).toHaveFocus();
    expect(sent).toHaveLength(0);

    await user.click(submit);
    dialog = await screen.findByRole('dialog', { name: 'Confirmar el reembolso' });
    await user.click(within(dialog).getByRole('button', { name: `Reembolsar ${raw('450.00')}` }));

    expect(await within(panel).findByText(`Reembolso de ${mxn('450.00')} hecho.`)).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({ ticket_ids: ['t2'], reason: 'No puede ir' });
    expect(sent[0]?.key).toMatch(/^[0-9a-f-]{36}$/);

    // The order and its tickets were asked for again: the ticket is revoked, the order partly refunded.
    const tickets = screen.getByRole('region', { name: 'Tus entradas' });
    const revoked = within(tickets).getByRole('article', { name: 'Entrada 2 · General' });
    expect(await within(revoked).findByText('Anulada')).toBeInTheDocument();
    expect(within(revoked).queryByTestId('ticket-qr')).not.toBeInTheDocument();
    expect(await screen.findByTestId('order-refunded')).toHaveTextContent(`Te hemos devuelto ${mxn('450.00')} de ${mxn('2700.00')}.`);
    await waitFor(() => expect(within(panel).getAllByRole('checkbox')).toHaveLength(2));
  });

  it('makes the Idempotency-Key once per confirmed refund: a retry after a network failure reuses it', async () => {
    let calls = 0;
    const { sent } = edge((_request, state) => {
      calls += 1;
      if (calls === 1) throw new TypeError('Failed to fetch');
      return refundT2(state);
    });
    signInAs({ role: 'admin' });
    const { user } = renderRoute(PATH);
    const panel = await screen.findByRole('region', { name: 'Reembolsar' });
    await user.click(await within(panel).findByRole('checkbox', { name: `Entrada 2 · General · ${raw('450.00')}` }));
    const confirmOnce = async () => {
      await user.click(within(panel).getByRole('button', { name: 'Reembolsar…' }));
      const dialog = await screen.findByRole('dialog');
      await user.click(within(dialog).getByRole('button', { name: `Reembolsar ${raw('450.00')}` }));
    };
    await confirmOnce();
    expect(await within(panel).findByRole('alert')).toHaveTextContent('No hay conexión con el servidor');
    await confirmOnce();
    expect(await within(panel).findByText(`Reembolso de ${mxn('450.00')} hecho.`)).toBeInTheDocument();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.key).toBe(sent[0]?.key);
  });

  it('refunds an amount: checked here first, and a refusal says what is left to refund', async () => {
    const { sent } = edge(() =>
      problem(409, { type: `${PROBLEMS}not-refundable`, title: 'Not refundable', refundable: { amount: '5.00', currency: 'MXN' } }),
    );
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute(PATH);
    const panel = await screen.findByRole('region', { name: 'Reembolsar' });
    await user.click(within(panel).getByRole('radio', { name: 'Un importe (sin anular entradas)' }));
    const amount = within(panel).getByRole('textbox', { name: /^Importe/ });
    const submit = within(panel).getByRole('button', { name: 'Reembolsar…' });

    for (const [typed, message] of [
      ['0', 'El importe debe ser mayor que cero.'],
      ['10.555', 'Escribe un importe con hasta dos decimales, por ejemplo 10.50.'],
      ['abc', 'Escribe un importe con hasta dos decimales, por ejemplo 10.50.'],
      ['2700.01', `No puede pasar de lo que queda por reembolsar: ${mxn('2700.00')}.`],
    ] as const) {
      await user.clear(amount);
      await user.type(amount, typed);
      await user.click(submit);
      expect(await within(panel).findByText(message)).toBeInTheDocument();
      expect(amount).toHaveAttribute('aria-invalid', 'true');
      expect(amount).toHaveFocus();
    }
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

    await user.clear(amount);
    await user.type(amount, '10,5');
    await user.click(submit);
    const dialog = await screen.findByRole('dialog', { name: 'Confirmar el reembolso' });
    expect(within(dialog).getByText(`Se reembolsarán ${mxn('10.50')} a Ana Gómez.`)).toBeInTheDocument();
    expect(within(dialog).getByText('No se anula ninguna entrada. No se puede deshacer.')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: `Reembolsar ${raw('10.50')}` }));

    expect(await within(panel).findByRole('alert')).toHaveTextContent(
      `No se puede reembolsar lo pedido: queda por reembolsar como máximo ${mxn('5.00')}.`,
    );
    expect(sent[0]?.body).toEqual({ amount: { amount: '10.50', currency: 'MXN' } });
  });

  it('shows the edge’s field errors at the fields, and a pending refund as requested (in English)', async () => {
    let calls = 0;
    edge((_request, state) => {
      calls += 1;
      if (calls === 1) return problem(422, { errors: [{ field: 'amount.amount', message: 'too many decimals' }] });
      state.order = paidOrderBody({ status: 'partially_refunded', refunded: { amount: '100.00', currency: 'MXN' } });
      return jsonResponse({
        refund: refundBody({ status: 'requested', amount: { amount: '100.00', currency: 'MXN' }, ticket_ids: [], settled_at: null }),
        order: state.order,
      });
    });
    useUiStore.setState({ locale: 'en' });
    signInAs({ role: 'admin' });
    const { user } = renderRoute(PATH);
    const panel = await screen.findByRole('region', { name: 'Refund' });
    await user.click(within(panel).getByRole('radio', { name: 'An amount (no ticket is revoked)' }));
    await user.type(within(panel).getByRole('textbox', { name: /^Amount/ }), '100');
    const send = async () => {
      await user.click(within(panel).getByRole('button', { name: 'Refund…' }));
      const dialog = await screen.findByRole('dialog', { name: 'Confirm the refund' });
      await user.click(within(dialog).getByRole('button', { name: `Refund ${raw('100.00', 'en')}` }));
    };
    await send();
    expect(await within(panel).findByText('Enter an amount with up to two decimals, for example 10.50.')).toBeInTheDocument();
    await send();
    expect(await within(panel).findByText(`Refund of ${mxn('100.00', 'en')} requested: the payment provider has not confirmed it yet. We keep asking until it does.`)).toBeInTheDocument();
    expect(within(panel).getByTestId('refund-result')).toHaveAttribute('data-refund-status', 'requested');
  });

  it('is offered only to whoever manages the event', async () => {
    const { eventCalls } = edge(() => problem(403));
    signInAs({ role: 'customer' });
    const view = renderRoute(PATH);
    await screen.findByRole('region', { name: 'Tus entradas' });
    expect(screen.queryByRole('region', { name: 'Reembolsar' })).not.toBeInTheDocument();
    expect(eventCalls).toHaveLength(0);
    view.unmount();

    // An organizer of another organization: the event says it is not theirs.
    signInAs({ role: 'organizer', organization_id: '44444444-4444-4444-8444-444444444444' });
    renderRoute(PATH);
    await screen.findByRole('region', { name: 'Tus entradas' });
    await waitFor(() => expect(eventCalls).toHaveLength(1));
    expect(screen.queryByRole('region', { name: 'Reembolsar' })).not.toBeInTheDocument();
  });

  it('says so when the edge refuses the viewer', async () => {
    edge(() => problem(403));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    signInAs({ role: 'admin' });
    const { user } = renderRoute(PATH);
    const panel = await screen.findByRole('region', { name: 'Reembolsar' });
    await user.click(await within(panel).findByRole('checkbox', { name: `Entrada 1 · General · ${raw('450.00')}` }));
    await user.click(within(panel).getByRole('button', { name: 'Reembolsar…' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: /^Reembolsar / }));
    expect(await within(panel).findByRole('alert')).toHaveTextContent('Solo quien organiza el evento o una persona administradora puede reembolsar este pedido.');
  });
});
