import { screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import type { Schemas } from '@/api/client';
import { stubObjectUrls, svgResponse, ticketBody } from '@/test/orders';
import { PROBLEMS } from '@/test/reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

vi.setConfig({ testTimeout: 20_000 });

const TRANSFER_ID = '7c1f0e8f-3e4a-4e9a-b1c6-0f4d2a8e7b35';
const TOKEN = 'q0Vx3n8bH4kR1sT9uW2yZ5aC7eG0iK3mO6pQ8rS1tU4';

function transferBody(overrides: Partial<Schemas['TransferPublic']> = {}): Schemas['TransferPublic'] {
  return {
    id: TRANSFER_ID,
    ticket_id: 't1',
    new_ticket_id: null,
    status: 'pending',
    recipient_email: 'bruno@example.org',
    sender_name: 'Ana Gómez',
    event_id: 'e1',
    event_name: 'Noche de Jazz en el Foro',
    session_id: 's1',
    zone_name: 'General',
    created_at: '2026-01-02T10:00:00Z',
    expires_at: '2026-01-09T10:00:00Z',
    accepted_at: null,
    ...overrides,
  };
}

async function seriousViolations() {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } }, resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The edge for my tickets (t1 valid, t2 revoked by a transfer); `offer` answers POST …/transfer. */
function ticketsEdge(offer: (request: Request) => Response | Promise<Response>) {
  const sent: unknown[] = [];
  mockFetch({
    '/api/v1/me/tickets': () =>
      jsonResponse({
        items: [ticketBody(), ticketBody({ id: 't2', status: 'revoked', secret: null, revoked_reason: 'transferred' })],
        next_cursor: null,
      }),
    '/api/v1/tickets/t1/qr.svg': () => svgResponse(),
    '/api/v1/tickets/t1/transfer': async (request) => {
      sent.push(await request.clone().json());
      return offer(request);
    },
  });
  return sent;
}

describe('transferring a ticket (My tickets)', () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    stubObjectUrls();
  });

  it('asks the address, confirms what happens, sends it and says so', async () => {
    const sent = ticketsEdge(() => jsonResponse(transferBody(), { status: 202 }));
    signInAs({ email: 'ana@example.org' });
    const { user } = renderRoute('/me/tickets');

    const action = await screen.findByRole('button', { name: 'Transferir la entrada de General para Noche de Jazz en el Foro' });
    expect(screen.getAllByRole('button', { name: /^Transferir/ })).toHaveLength(1); // the revoked one has none
    expect(screen.getByText('Transferiste esta entrada: ya no da acceso; quien la recibió tiene una nueva.')).toBeInTheDocument();
    await user.click(action);

    const dialog = screen.getByRole('dialog', { name: 'Transferir entrada' });
    expect(await seriousViolations()).toEqual([]);
    const field = within(dialog).getByLabelText(/Correo de quien la recibe/);
    await user.type(field, 'ana@example.org');
    await user.click(within(dialog).getByRole('button', { name: 'Continuar' }));
    expect(within(dialog).getByText('Es tu propia dirección: envíala a otra persona.')).toBeInTheDocument();
    await user.clear(field);
    await user.type(field, 'bruno@example.org{Enter}');

    const confirm = screen.getByRole('dialog', { name: '¿Enviar la entrada?' });
    expect(within(confirm).getByText(/Enviaremos la entrada a bruno@example.org\. Cuando la acepte, tu entrada se anulará/)).toBeInTheDocument();
    await user.click(within(confirm).getByRole('button', { name: 'Enviar entrada' }));

    expect(await screen.findByTestId('transfer-sent')).toHaveTextContent('Entrada enviada a bruno@example.org. Sigue siendo tuya hasta que la acepte.');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(sent).toEqual([{ email: 'bruno@example.org' }]);
    expect(action).toHaveFocus();
  });

  it.each([
    ['transfers-disabled', 'El organizador no permite transferir las entradas de este evento.'],
    ['transfer-pending', 'Esta entrada ya está en camino a otra persona.'],
    ['ticket-used', 'Esta entrada ya se usó para entrar: no se puede enviar.'],
  ])('a %s refusal is explained in the dialog', async (kind, message) => {
    ticketsEdge(() => problem(409, { type: PROBLEMS + kind }));
    signInAs({ email: 'ana@example.org' });
    const { user } = renderRoute('/me/tickets');
    await user.click(await screen.findByRole('button', { name: /^Transferir la entrada/ }));
    await user.type(screen.getByLabelText(/Correo de quien la recibe/), 'bruno@example.org{Enter}');
    await user.click(screen.getByRole('button', { name: 'Enviar entrada' }));

    const dialog = await screen.findByRole('dialog', { name: 'Transferir entrada' });
    expect(within(dialog).getByRole('alert')).toHaveTextContent(message);
  });
});

describe('the transfer page (/transfers/:id)', () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });

  it('sends visitors to sign in and back with the token', async () => {
    mockFetch({});
    const { router } = renderRoute(`/transfers/${TRANSFER_ID}?token=${TOKEN}`);
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe(`?next=${encodeURIComponent(`/transfers/${TRANSFER_ID}?token=${TOKEN}`)}`);
  });

  it('shows the offer and takes the ticket', async () => {
    const accepted: unknown[] = [];
    mockFetch({
      [`/api/v1/transfers/${TRANSFER_ID}`]: (request) => {
        expect(new URL(request.url).searchParams.get('token')).toBe(TOKEN);
        return jsonResponse(transferBody());
      },
      [`/api/v1/transfers/${TRANSFER_ID}/accept`]: async (request) => {
        accepted.push(await request.clone().json());
        return jsonResponse(transferBody({ status: 'accepted', new_ticket_id: 't9', accepted_at: '2026-01-03T10:00:00Z' }));
      },
    });
    signInAs({ email: 'bruno@example.org' });
    const { user } = renderRoute(`/transfers/${TRANSFER_ID}?token=${TOKEN}`);

    expect(await screen.findByText('Ana Gómez te envió una entrada.')).toBeInTheDocument();
    expect(screen.getByText('Noche de Jazz en el Foro')).toBeInTheDocument();
    expect(screen.getByTestId('transfer-status')).toHaveTextContent('Pendiente');
    expect(await seriousViolations()).toEqual([]);
    await user.click(screen.getByRole('button', { name: 'Aceptar la entrada' }));

    expect(await screen.findByText('La entrada ya es tuya, con un código QR nuevo.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Ver mis entradas' })).toHaveAttribute('href', '/me/tickets');
    expect(screen.queryByRole('button', { name: 'Aceptar la entrada' })).not.toBeInTheDocument();
    expect(accepted).toEqual([{ token: TOKEN }]);
  });

  it('tells an account of another address to sign in with the right one', async () => {
    mockFetch({ [`/api/v1/transfers/${TRANSFER_ID}`]: () => problem(403, { type: PROBLEMS + 'not-the-recipient' }) });
    signInAs({ email: 'eve@example.org' });
    renderRoute(`/transfers/${TRANSFER_ID}?token=${TOKEN}`);
    expect(await screen.findByText('Esta entrada se envió a otra dirección: inicia sesión con esa cuenta.')).toBeInTheDocument();
    expect(await seriousViolations()).toEqual([]);
  });

  it('says a cancelled offer cannot be taken', async () => {
    mockFetch({ [`/api/v1/transfers/${TRANSFER_ID}`]: () => jsonResponse(transferBody({ status: 'cancelled' })) });
    signInAs({ email: 'bruno@example.org' });
    renderRoute(`/transfers/${TRANSFER_ID}?token=${TOKEN}`);
    expect(await screen.findByText('Quien la envió canceló la transferencia.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Aceptar la entrada' })).not.toBeInTheDocument();
  });

  it('says a wrong link does not exist', async () => {
    mockFetch({});
    signInAs({ email: 'bruno@example.org' });
    renderRoute(`/transfers/${TRANSFER_ID}?token=wrong-token-0000000000000`);
    expect(await screen.findByText('Este enlace no es válido o ya no existe.')).toBeInTheDocument();
  });

  it('explains a refusal when taking it', async () => {
    mockFetch({
      [`/api/v1/transfers/${TRANSFER_ID}`]: () => jsonResponse(transferBody()),
      [`/api/v1/transfers/${TRANSFER_ID}/accept`]: () => problem(409, { type: PROBLEMS + 'ticket-used' }),
    });
    signInAs({ email: 'bruno@example.org' });
    const { user } = renderRoute(`/transfers/${TRANSFER_ID}?token=${TOKEN}`);
    await user.click(await screen.findByRole('button', { name: 'Aceptar la entrada' }));
    expect(await screen.findByText('Esta entrada ya se usó para entrar: no se puede enviar.')).toBeInTheDocument();
  });
});
