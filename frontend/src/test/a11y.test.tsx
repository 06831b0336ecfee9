/**
 * axe-core on the main pages rendered with realistic data (jsdom: layout-dependent rules such
 * as colour contrast are left to the browser journeys in e2e/, which run axe in chromium).
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { eventBody, listingBody, ORG_ID } from './events';
import { CHECKOUT_URL, ORDER_ID, orderBody, paidOrderBody, stubObjectUrls, ticketBody, ticketHandlers, TICKETS } from './orders';
import { availabilityBody, reservationBody, zoneAvailability } from './reservations';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs, userBody } from './utils';

vi.setConfig({ testTimeout: 20_000 });

async function seriousViolations() {
  const result = await axe.run(document.body, {
    rules: { 'color-contrast': { enabled: false } },
    resultTypes: ['violations'],
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

function edge() {
  return mockFetch({
    '/api/v1/events': () => jsonResponse({ items: [eventBody(), eventBody({ id: 'e2', name: 'Teatro' })], next_cursor: 'c', total: 9 }),
    [`/api/v1/events/${eventBody().id}`]: () =>
      jsonResponse(
        eventBody({
          status: 'draft',
          zones: [
            { id: 'z1', name: 'General', price: { amount: '450.00', currency: 'MXN' }, capacity: 5000, max_per_order: 10 },
            { id: 'z2', name: 'VIP', price: { amount: '1800.00', currency: 'MXN' }, capacity: 300, max_per_order: 10 },
          ],
        }),
      ),
    [`/api/v1/events/${eventBody().id}/availability`]: () =>
      jsonResponse(availabilityBody([zoneAvailability('z1', { available: 0, status: 'sold_out' }), zoneAvailability('z2', { available: 5, status: 'few_left' })])),
    '/api/v1/me/reservations': (request) =>
      jsonResponse(
        new URL(request.url).searchParams.getAll('status').includes('held')
          ? { items: [reservationBody()], next_cursor: null }
          : { items: [reservationBody({ id: 'r2', status: 'released', ended_at: '2026-01-01T00:00:00Z' })], next_cursor: 'n' },
      ),
    '/api/v1/users/me': () => jsonResponse(userBody({ role: 'admin' })),
    '/api/v1/organizations/me/events': () => jsonResponse({ items: [eventBody()], next_cursor: null }),
    '/api/v1/admin/organizations': () => jsonResponse({ items: [{ id: ORG_ID, name: 'Producciones Demo', created_at: '2026-01-01T00:00:00Z' }] }),
    '/api/v1/admin/users': () =>
      jsonResponse({ items: [userBody({ email: 'a@example.org' }), userBody({ id: 'u2', email: 'b@example.org', role: 'staff', organization_id: ORG_ID })], next_cursor: 'x' }),
    '/api/v1/admin/audit': () =>
      jsonResponse({
        items: [
          {
            service: 'event_svc',
            id: 1,
            occurred_at: '2026-12-02T12:00:00Z',
            actor: 'u1',
            actor_kind: 'user',
            actor_role: 'organizer',
            organization_id: ORG_ID,
            action: 'event.publish',
            target: 'event:e1',
            correlation_id: 'c1',
            outcome: 'success',
          },
          {
            service: 'ticketing_svc',
            id: 2,
            occurred_at: '2026-12-02T11:00:00Z',
            actor: 'u2',
            actor_kind: 'user',
            actor_role: 'customer',
            organization_id: null,
            action: 'order.refund',
            target: 'order:o1',
            correlation_id: 'c2',
            outcome: 'permission_denied',
          },
        ],
        next_cursor: 'n',
      }),
    '/api/v1/auth/register': () => problem(422, { errors: [{ field: 'password', message: 'is too common' }] }),
    '/api/v1/reservations/r1': () => jsonResponse(reservationBody()),
    [`/api/v1/orders/${ORDER_ID}`]: () => jsonResponse(paidOrderBody({ status: 'partially_refunded', refunded: { amount: '450.00', currency: 'MXN' } })),
    ...ticketHandlers({ ...TICKETS, t2: ticketBody({ id: 't2', status: 'revoked' }) }),
    '/api/v1/me/orders': () =>
      jsonResponse({ items: [paidOrderBody(), orderBody({ id: 'o2', status: 'failed', event_name: 'Teatro' })], next_cursor: 'n' }),
    '/api/v1/me/tickets': () =>
      jsonResponse({ items: [ticketBody(), ticketBody({ id: 't2', status: 'revoked', event_name: 'Teatro' })], next_cursor: 'n' }),
    [`/api/v1/events/${eventBody().id}/orders`]: () =>
      jsonResponse({ items: [paidOrderBody(), orderBody({ id: 'o2', status: 'pending_payment' })], next_cursor: 'n' }),
    [`/api/v1/events/${eventBody().id}/checkin-conflicts`]: () =>
      jsonResponse({
        items: [
          {
            ticket: { id: 't1', zone: 'General', zone_id: 'z1', holder_name: 'Ana Gómez', status: 'used' },
            scans: [
              { at: '2026-12-24T21:00:00Z', device_id: 'puerta-norte', result: 'ok', type: 'entry', conflict: false },
              { at: '2026-12-24T21:05:00Z', device_id: 'puerta-sur', result: 'already_redeemed', type: 'entry', conflict: true },
            ],
          },
        ],
      }),
  });
}

describe('accessibility (axe)', () => {
  beforeEach(() => {
    // jsdom has no canvas; axe only uses it to detect icon ligatures.
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    stubObjectUrls();
  });

  it.each(['/', '/events', `/events/${eventBody().id}`, '/login', '/register', '/status', '/nope'])(
    '%s has no serious violations',
    async (path) => {
      edge();
      renderRoute(path);
      await waitFor(() => expect(screen.queryByRole('status', { name: /Cargando|Buscando/ })).not.toBeInTheDocument());
      await screen.findByRole('heading', { level: 1 });
      expect(await seriousViolations()).toEqual([]);
    },
  );

  it.each([
    '/me',
    '/me/events',
    '/me/reservations',
    '/admin/users',
    '/admin/audit',
    '/events/new',
    `/events/${eventBody().id}/edit`,
    '/me/orders',
    '/me/tickets',
    '/checkout/r1',
    `/orders/${ORDER_ID}`,
    `/events/${eventBody().id}/orders`,
    `/events/${eventBody().id}/checkin-conflicts`,
  ])(
    '%s (signed in as admin) has no serious violations',
    async (path) => {
      edge();
      signInAs({ role: 'admin' });
      renderRoute(path);
      await screen.findByRole('heading', { level: 1 });
      await waitFor(() => expect(document.querySelector('[aria-busy="true"], .motion-safe\\:animate-spin')).toBeNull());
      expect(await seriousViolations()).toEqual([]);
    },
  );

  it("the organization's audit trail (signed in as organizer) has no serious violations", async () => {
    mockFetch({
      [`/api/v1/organizations/${ORG_ID}/audit`]: () =>
        jsonResponse({
          items: [
            {
              service: 'event_svc',
              id: 1,
              occurred_at: '2026-12-02T12:00:00Z',
              actor: 'u1',
              actor_kind: 'user',
              actor_role: 'organizer',
              organization_id: ORG_ID,
              action: 'event.create',
              target: `organization:${ORG_ID}`,
              correlation_id: 'c1',
              outcome: 'success',
            },
          ],
          next_cursor: null,
        }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute('/organization/audit');
    await screen.findByText('event.create');
    expect(await seriousViolations()).toEqual([]);
  });

  it('a published event with sessions to choose, places left and steppers has no serious violations', async () => {
    const twoSessions = eventBody().sessions.flatMap((session) => [session, { ...session, id: 's2', title: 'Función de tarde' }]);
    mockFetch({
      [`/api/v1/events/${eventBody().id}`]: () => jsonResponse(eventBody({ sessions: twoSessions })),
      [`/api/v1/events/${eventBody().id}/availability`]: () =>
        jsonResponse(
          availabilityBody([
            zoneAvailability('z1', { available: 0, status: 'sold_out' }),
            zoneAvailability('z2', { available: 5, status: 'few_left' }),
            zoneAvailability('z1', { session_id: 's2', available: 0, status: 'not_on_sale' }),
            zoneAvailability('z2', { session_id: 's2', available: 0, status: 'not_on_sale' }),
          ]),
        ),
    });
    renderRoute(`/events/${eventBody().id}`);
    await screen.findByRole('group', { name: 'Elige una sesión' });
    await screen.findAllByText('Últimas entradas');
    fireEvent.click(screen.getByRole('button', { name: 'Reservar' }));
    await screen.findByText('Elige al menos una entrada.');
    expect(await seriousViolations()).toEqual([]);
  });

  it('an event page showing a hold has no serious violations', async () => {
    mockFetch({
      [`/api/v1/events/${eventBody().id}`]: () => jsonResponse(eventBody()),
      [`/api/v1/events/${eventBody().id}/availability`]: () => jsonResponse(availabilityBody()),
      '/api/v1/me/reservations': () => jsonResponse({ items: [reservationBody()], next_cursor: null }),
    });
    signInAs();
    renderRoute(`/events/${eventBody().id}`);
    await screen.findByRole('timer');
    expect(await seriousViolations()).toEqual([]);
  });

  it.each([
    ['waiting', { status: 'waiting', position: 12, estimated_wait_seconds: 90, admission: null, expires_at: null, opens_at: null }],
    ['before the on-sale', { status: 'waiting', position: null, estimated_wait_seconds: 600, admission: null, expires_at: null, opens_at: '2030-01-01T10:00:00Z' }],
    ['admitted', { status: 'admitted', position: 0, estimated_wait_seconds: 0, admission: 'a', expires_at: '2030-01-01T10:10:00Z', opens_at: null }],
  ])('the queue page (%s) has no serious violations', async (_name, standing) => {
    const sales = { on_sale_at: '2020-01-01T10:00:00Z', hold_minutes: 10, max_per_customer: 4, waiting_room: true, admission_per_minute: 300, payment_minutes: 10, reentry_allowed: false, transfers_allowed: true };
    mockFetch({
      [`/api/v1/events/${eventBody().id}`]: () => jsonResponse(eventBody({ sales })),
      [`/api/v1/events/${eventBody().id}/availability`]: () => jsonResponse(availabilityBody()),
      [`/api/v1/events/${eventBody().id}/queue`]: () => jsonResponse({ queue_id: 'q1', event_id: eventBody().id, ...standing }),
      '/api/v1/me/reservations': () => jsonResponse({ items: [], next_cursor: null }),
    });
    signInAs();
    renderRoute(`/events/${eventBody().id}/queue`);
    await screen.findByRole('heading', { level: 2 });
    await waitFor(() => expect(document.querySelector('.motion-safe\\:animate-spin')).toBeNull());
    expect(await seriousViolations()).toEqual([]);
  });

  it('the event form with errors has no serious violations', async () => {
    edge();
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute('/events/new');
    fireEvent.click(screen.getByRole('button', { name: 'Añadir sesión' }));
    fireEvent.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    await screen.findAllByText('Este campo es obligatorio.');
    expect(await seriousViolations()).toEqual([]);
  });

  it('a declined order offering to pay again has no serious violations', async () => {
    mockFetch({
      [`/api/v1/orders/${ORDER_ID}`]: () =>
        jsonResponse(orderBody({ status: 'failed', payment: { provider: 'stripe', checkout_url: CHECKOUT_URL, failure_code: 'card_declined' } })),
    });
    signInAs();
    renderRoute(`/orders/${ORDER_ID}`);
    await screen.findByRole('button', { name: 'Intentar de nuevo' });
    expect(await seriousViolations()).toEqual([]);
  });

  it('a paid order with QR codes has no serious violations', async () => {
    mockFetch({ [`/api/v1/orders/${ORDER_ID}`]: () => jsonResponse(paidOrderBody()), ...ticketHandlers() });
    signInAs();
    renderRoute(`/orders/${ORDER_ID}`);
    await waitFor(async () => expect(await screen.findAllByRole('img', { name: /^Código QR/ })).toHaveLength(3));
    expect(await seriousViolations()).toEqual([]);
  });

  it('the checkout form with errors has no serious violations', async () => {
    mockFetch({
      '/api/v1/reservations/r1': () => jsonResponse(reservationBody()),
      '/api/v1/orders': () => problem(422, { errors: [{ field: 'buyer.email', message: 'bad' }] }),
    });
    signInAs({ full_name: '' });
    renderRoute('/checkout/r1');
    fireEvent.click(await screen.findByRole('button', { name: /^Pagar/ }));
    await screen.findByText('Escribe tu nombre.');
    expect(await seriousViolations()).toEqual([]);
  });

  it('the refund form with errors, its confirmation dialog and its outcome have no serious violations', async () => {
    mockFetch({
      [`/api/v1/orders/${ORDER_ID}`]: () => jsonResponse(paidOrderBody()),
      [`/api/v1/events/${eventBody().id}`]: () => jsonResponse(eventBody()),
      ...ticketHandlers(),
      [`/api/v1/orders/${ORDER_ID}/refunds`]: () =>
        problem(409, { type: 'https://taquilla.dev/problems/not-refundable', refundable: { amount: '5.00', currency: 'MXN' } }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(`/orders/${ORDER_ID}`);
    const submit = await screen.findByRole('button', { name: 'Reembolsar…' });
    await screen.findAllByRole('checkbox');
    fireEvent.click(submit);
    await screen.findByText('Elige al menos una entrada.');
    expect(await seriousViolations()).toEqual([]);

    fireEvent.click(screen.getAllByRole('checkbox')[0] as HTMLElement);
    fireEvent.click(submit);
    const dialog = await screen.findByRole('dialog', { name: 'Confirmar el reembolso' });
    expect(await seriousViolations()).toEqual([]);

    fireEvent.click(within(dialog).getByRole('button', { name: /^Reembolsar / }));
    await screen.findByText(/queda por reembolsar como máximo/);
    expect(await seriousViolations()).toEqual([]);
  });

  it('the admin’s own row and the confirmations of a role change and a deactivation have no serious violations', async () => {
    edge();
    signInAs({ role: 'admin' });
    renderRoute('/admin/users');
    fireEvent.click(await screen.findByRole('button', { name: 'Desactivar b@example.org' }));
    const deactivation = await screen.findByRole('dialog', { name: '¿Desactivar b@example.org?' });
    expect(await seriousViolations()).toEqual([]);
    fireEvent.click(within(deactivation).getByRole('button', { name: 'Cancelar' }));
    fireEvent.change(screen.getByLabelText('Rol de b@example.org'), { target: { value: 'customer' } });
    fireEvent.click(screen.getByRole('button', { name: 'Guardar rol de b@example.org' }));
    await screen.findByRole('dialog', { name: '¿Cambiar el rol de b@example.org?' });
    expect(await seriousViolations()).toEqual([]);
  });

  it('the refunds of a cancelled event have no serious violations', async () => {
    mockFetch({
      [`/api/v1/events/${eventBody().id}`]: () => jsonResponse(eventBody({ status: 'cancelled', cancelled_at: '2026-01-05T10:00:00Z' })),
      [`/api/v1/events/${eventBody().id}/orders`]: () => jsonResponse({ items: [paidOrderBody({ status: 'refunded' })], next_cursor: null }),
      [`/api/v1/events/${eventBody().id}/refunds`]: () =>
        jsonResponse({
          event_id: eventBody().id,
          started_at: '2026-01-05T10:00:00Z',
          finished_at: null,
          orders: 4,
          requested: 2,
          refunded: 1,
          amount_refunded: { amount: '450.00', currency: 'MXN' },
        }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(`/events/${eventBody().id}/orders`);
    await screen.findByText('1 de 4 pedidos reembolsados');
    await screen.findByRole('table');
    expect(await seriousViolations()).toEqual([]);
  });
});

describe('accessibility of the storefront cards (axe)', () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });

  it('the events page while it loads (skeletons) has no serious violations', async () => {
    mockFetch({ '/api/v1/events': () => new Promise<Response>(() => undefined) });
    renderRoute('/events');
    await screen.findByRole('status', { name: 'Buscando eventos…' });
    expect(await seriousViolations()).toEqual([]);
  });

  it('cards with an image, a broken image and none have no serious violations', async () => {
    mockFetch({
      '/api/v1/events': () =>
        jsonResponse({
          items: [
            listingBody({ id: 'e1', image_url: 'https://img.example/ok.jpg' }),
            listingBody({ id: 'e2', image_url: 'https://img.example/broken.jpg' }),
            listingBody({ id: 'e3', image_url: null }),
          ],
          next_cursor: null,
        }),
    });
    renderRoute('/');
    const cards = await within(screen.getByRole('region', { name: 'Próximos eventos' })).findAllByRole('article');
    fireEvent.error(cards[1]!.querySelector('img')!);
    expect(await seriousViolations()).toEqual([]);
  });
});
