import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { describe, expect, it, vi } from 'vitest';

import { ORG_ID } from '@/test/events';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';
import { useUiStore } from '@/store/ui';

// Typing a URL key by key and axe are slow on a loaded machine (as in test/a11y.test.tsx).
vi.setConfig({ testTimeout: 20_000 });

const ENDPOINT = '11111111-1111-4111-8111-111111111111';
const DELIVERY = '22222222-2222-4222-8222-222222222222';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function endpointBody(overrides: Record<string, unknown> = {}) {
  return {
    id: ENDPOINT,
    organization_id: ORG_ID,
    url: 'https://hooks.example.com/taquilla',
    types: ['order.paid'],
    description: 'ERP',
    status: 'enabled',
    disabled_reason: null,
    previous_secret_expires_at: null,
    created_at: '2026-12-01T10:00:00Z',
    updated_at: '2026-12-01T10:00:00Z',
    ...overrides,
  };
}

function deliveryBody(overrides: Record<string, unknown> = {}) {
  return {
    id: DELIVERY,
    endpoint_id: ENDPOINT,
    webhook_id: 'msg_abc',
    type: 'order.paid',
    status: 'failed',
    attempts: 3,
    created_at: '2026-12-01T11:00:00Z',
    last_attempt_at: '2026-12-01T11:05:00Z',
    next_attempt_at: null,
    response_status: 500,
    latency_ms: 120,
    response_body: 'oops',
    last_error: 'answered 500',
    ...overrides,
  };
}

describe('WebhooksPage', () => {
  it('registers an endpoint and shows its secret once, with a copy button', async () => {
    const created: unknown[] = [];
    let endpoints: unknown[] = [];
    mockFetch({
      '/api/v1/webhooks': async (request) => {
        if (request.method === 'POST') {
          created.push(await request.json());
          endpoints = [endpointBody()];
          return jsonResponse({ ...endpointBody(), secret: SECRET }, { status: 201 });
        }
        return jsonResponse({ items: endpoints, next_cursor: null });
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/organizer/webhooks');
    // After user-event's set-up, which puts its own clipboard on navigator.
    const writeText = vi.spyOn(navigator.clipboard, 'writeText');
    expect(await screen.findByRole('heading', { level: 1, name: 'Webhooks' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'Aún no tienes endpoints.' })).toBeInTheDocument();

    await user.type(screen.getByLabelText('URL (https)'), 'https://hooks.example.com/taquilla');
    await user.click(screen.getByRole('checkbox', { name: 'ticket.checked_in' }));
    await user.click(screen.getByRole('button', { name: 'Añadir endpoint' }));

    const secret = await screen.findByRole('alert', { name: 'Tu secreto de firma' });
    expect(within(secret).getByText(SECRET)).toBeInTheDocument();
    expect(created).toEqual([{ url: 'https://hooks.example.com/taquilla', types: ['order.paid', 'ticket.checked_in'], description: '' }]);
    await user.click(within(secret).getByRole('button', { name: 'Copiar' }));
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(await within(secret).findByRole('button', { name: 'Copiado' })).toBeInTheDocument();
    await user.click(within(secret).getByRole('button', { name: 'Ya lo guardé' }));
    expect(screen.queryByText(SECRET)).not.toBeInTheDocument();
    expect(await screen.findByRole('rowheader', { name: /hooks\.example\.com/ })).toBeInTheDocument();
  });

  it('edits the types, rotates the secret, disables and deletes an endpoint', async () => {
    const calls: string[] = [];
    mockFetch({
      '/api/v1/webhooks': () => jsonResponse({ items: [endpointBody()], next_cursor: null }),
      [`/api/v1/webhooks/${ENDPOINT}`]: async (request) => {
        if (request.method === 'DELETE') {
          calls.push('DELETE');
          return new Response(null, { status: 204 });
        }
        calls.push(`PATCH ${JSON.stringify(await request.json())}`);
        return jsonResponse(endpointBody());
      },
      [`/api/v1/webhooks/${ENDPOINT}/rotate-secret`]: () => {
        calls.push('ROTATE');
        return jsonResponse({ ...endpointBody(), secret: 'whsec_new' });
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/organizer/webhooks');
    const row = (await screen.findByRole('rowheader', { name: /hooks\.example\.com/ })).closest('tr') as HTMLElement;

    await user.click(within(row).getByRole('button', { name: 'Editar mensajes' }));
    await user.click(within(row).getByRole('checkbox', { name: 'order.refunded' }));
    await user.click(within(row).getByRole('button', { name: 'Guardar mensajes' }));
    await waitFor(() => expect(calls).toContain('PATCH {"types":["order.paid","order.refunded"]}'));

    await user.click(within(row).getByRole('button', { name: 'Rotar secreto' }));
    expect(await screen.findByText('whsec_new')).toBeInTheDocument();

    await user.click(within(row).getByRole('button', { name: 'Desactivar' }));
    await waitFor(() => expect(calls).toContain('PATCH {"enabled":false}'));

    await user.click(within(row).getByRole('button', { name: 'Eliminar' }));
    const dialog = await screen.findByRole('dialog', { name: '¿Eliminar este endpoint?' });
    await user.click(within(dialog).getByRole('button', { name: 'Eliminar' }));
    await waitFor(() => expect(calls).toContain('DELETE'));
  });

  it('shows the delivery log and redelivers a message, in English too', async () => {
    useUiStore.setState({ locale: 'en' });
    const redelivered: string[] = [];
    mockFetch({
      '/api/v1/webhooks': () =>
        jsonResponse({ items: [endpointBody({ status: 'disabled', disabled_reason: 'gone' })], next_cursor: null }),
      [`/api/v1/webhooks/${ENDPOINT}/deliveries`]: () => jsonResponse({ items: [deliveryBody()], next_cursor: null }),
      [`/api/v1/webhooks/${ENDPOINT}/deliveries/${DELIVERY}/redeliver`]: () => {
        redelivered.push(DELIVERY);
        return jsonResponse(deliveryBody({ status: 'pending' }));
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/organizer/webhooks');
    const row = (await screen.findByRole('rowheader', { name: /hooks\.example\.com/ })).closest('tr') as HTMLElement;
    expect(within(row).getByText('Disabled (it answered 410)')).toBeInTheDocument();
    await user.click(within(row).getByRole('button', { name: 'Deliveries' }));
    const log = await screen.findByRole('table', { name: 'Deliveries to https://hooks.example.com/taquilla' });
    const entry = within(log).getByText('oops').closest('tr') as HTMLElement;
    expect(within(entry).getByText('Failed · answered 500')).toBeInTheDocument();
    expect(within(entry).getByText('500')).toBeInTheDocument();
    expect(within(entry).getByText('120 ms')).toBeInTheDocument();
    await user.click(within(entry).getByRole('button', { name: 'Redeliver' }));
    expect(await screen.findByText('It will be sent again in a few seconds.')).toHaveAttribute('role', 'status');
    expect(redelivered).toEqual([DELIVERY]);
  });

  it('redelivers a time range', async () => {
    const ranges: unknown[] = [];
    mockFetch({
      '/api/v1/webhooks': () => jsonResponse({ items: [endpointBody()], next_cursor: null }),
      [`/api/v1/webhooks/${ENDPOINT}/deliveries`]: () => jsonResponse({ items: [deliveryBody()], next_cursor: null }),
      [`/api/v1/webhooks/${ENDPOINT}/redeliver`]: async (request) => {
        ranges.push(await request.json());
        return jsonResponse({ redelivered: 4 });
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/organizer/webhooks');
    const row = (await screen.findByRole('rowheader', { name: /hooks\.example\.com/ })).closest('tr') as HTMLElement;
    await user.click(within(row).getByRole('button', { name: 'Entregas' }));
    fireEvent.change(await screen.findByLabelText('Desde'), { target: { value: '2026-12-01T10:00' } });
    fireEvent.change(screen.getByLabelText('Hasta'), { target: { value: '2026-12-01T12:00' } });
    await user.click(screen.getByRole('button', { name: 'Reenviar el intervalo' }));
    expect(await screen.findByText('Se reenviarán 4 entregas.')).toBeInTheDocument();
    expect(ranges).toEqual([
      { since: new Date('2026-12-01T10:00').toISOString(), until: new Date('2026-12-01T12:00').toISOString() },
    ]);
  });

  it('offers a retry when the endpoints cannot be loaded', async () => {
    let calls = 0;
    mockFetch({ '/api/v1/webhooks': () => (++calls === 1 ? problem(500) : jsonResponse({ items: [], next_cursor: null })) });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/organizer/webhooks');
    expect(await screen.findByRole('heading', { name: 'No pudimos cargar tus webhooks.' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));
    expect(await screen.findByRole('heading', { name: 'Aún no tienes endpoints.' })).toBeInTheDocument();
  });

  it('sends customers away', async () => {
    mockFetch({});
    signInAs({ role: 'customer' });
    const { router } = renderRoute('/organizer/webhooks');
    await waitFor(() => expect(router.state.location.pathname).toBe('/events'));
  });

  it('has no serious accessibility violations with the delivery log open', async () => {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    mockFetch({
      '/api/v1/webhooks': () => jsonResponse({ items: [endpointBody()], next_cursor: null }),
      [`/api/v1/webhooks/${ENDPOINT}/deliveries`]: () => jsonResponse({ items: [deliveryBody()], next_cursor: null }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/organizer/webhooks');
    const row = (await screen.findByRole('rowheader', { name: /hooks\.example\.com/ })).closest('tr') as HTMLElement;
    await user.click(within(row).getByRole('button', { name: 'Entregas' }));
    await screen.findByText('oops');
    const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } }, resultTypes: ['violations'] });
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  });
});
