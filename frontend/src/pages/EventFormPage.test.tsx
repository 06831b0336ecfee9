import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { useUiStore } from '@/store/ui';
import { eventBody, ORG_ID } from '@/test/events';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

// These tests fill a long form; give them room on busy CI machines.
vi.setConfig({ testTimeout: 20_000 });

const EVENT_ID = '0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60';
const PATH = `/api/v1/events/${EVENT_ID}`;

function setValue(label: string | RegExp, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

/** The form's own alert (the toaster is a second, always-present alert region). */
function formAlert(): HTMLElement {
  const alert = document.querySelector<HTMLElement>('form [role="alert"]');
  if (!alert) throw new Error('no form alert');
  return alert;
}

/** Fills a valid event, except zone 2's capacity (0). fireEvent keeps this long form fast. */
function fillValidEvent() {
  setValue(/^Nombre del evento/, 'Concierto de Año Nuevo');
  setValue(/^Categoría/, 'concert');
  setValue(/^Empieza/, '2030-12-31T20:00');
  setValue(/^Termina/, '2031-01-01T02:00');
  setValue(/^Zona horaria/, 'Europe/Madrid');
  setValue(/^Nombre del recinto/, 'Palacio de Deportes');
  setValue(/^Ciudad/, 'Madrid');
  setValue(/^Dirección/, 'Calle de Goya 1');
  setValue(/^Nombre de la zona 1/, 'Pista');
  setValue(/^Precio de la zona 1/, '45.50');
  setValue(/^Aforo de la zona 1/, '2000');
  fireEvent.click(screen.getByRole('button', { name: 'Añadir zona' }));
  setValue(/^Nombre de la zona 2/, 'Grada');
  setValue(/^Precio de la zona 2/, '30');
  setValue(/^Aforo de la zona 2/, '0');
  fireEvent.click(screen.getByRole('button', { name: 'Añadir sesión' }));
  fireEvent.click(screen.getByRole('button', { name: 'Añadir sesión' }));
  setValue(/^Inicio de la sesión 1/, '2030-12-31T20:00');
  setValue(/^Fin de la sesión 1/, '2030-12-31T22:00');
  setValue(/^Título de la sesión 2/, 'Fin de fiesta');
  setValue(/^Inicio de la sesión 2/, '2030-12-31T22:30');
  setValue(/^Fin de la sesión 2/, '2031-01-01T01:30');
}

describe('NewEventPage', () => {
  it('sends customers away with a toast', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    signInAs({ role: 'customer' });
    const { router } = renderRoute('/events/new');
    await waitFor(() => expect(router.state.location.pathname).toBe('/events'));
    expect(await screen.findByText('No tienes permiso para ver esa página.')).toBeInTheDocument();
  });

  it('sends visitors to sign in first', async () => {
    mockFetch({});
    const { router } = renderRoute('/events/new');
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe('?next=%2Fevents%2Fnew');
  });

  it('lets an administrator choose the owning organization by its name', async () => {
    let sent: { organization_id?: string } | undefined;
    mockFetch({
      '/api/v1/admin/organizations': (request) => {
        const name = new URL(request.url).searchParams.get('name') ?? '';
        const all = [
          { id: ORG_ID, name: 'Producciones Luna', created_at: '2026-01-01T00:00:00Z' },
          { id: '44444444-4444-4444-8444-444444444444', name: 'Teatro Sol', created_at: '2026-01-01T00:00:00Z' },
        ];
        return jsonResponse({ items: all.filter((o) => o.name.toLowerCase().includes(name.toLowerCase())) });
      },
      '/api/v1/events': async (request) => {
        sent = JSON.parse(await request.text()) as { organization_id?: string };
        return jsonResponse(eventBody({ id: EVENT_ID }), { status: 201 });
      },
      [PATH]: () => jsonResponse(eventBody({ id: EVENT_ID })),
    });
    signInAs({ role: 'admin' });
    const { user, router } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    const organization = screen.getByLabelText(/^Organización/, { selector: 'select' });
    expect(screen.queryByText(/\(id\)/)).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('Buscar organización por nombre'), 'luna');
    await waitFor(() => expect(within(organization).queryByRole('option', { name: 'Teatro Sol' })).not.toBeInTheDocument());
    await user.selectOptions(organization, 'Producciones Luna');
    await user.click(screen.getByRole('button', { name: 'Publicar' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${EVENT_ID}`));
    expect(sent?.organization_id).toBe(ORG_ID);
  });

  it('validates zero capacity on its field, then publishes with two zones and two sessions', async () => {
    let sent: unknown;
    mockFetch({
      '/api/v1/events': async (request) => {
        sent = JSON.parse(await request.text());
        return jsonResponse(eventBody({ id: EVENT_ID, name: 'Concierto de Año Nuevo' }), { status: 201 });
      },
      [PATH]: () => jsonResponse(eventBody({ id: EVENT_ID, name: 'Concierto de Año Nuevo' })),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute('/events/new');
    expect(screen.getByRole('heading', { level: 1, name: 'Registrar evento' })).toBeInTheDocument();
    fillValidEvent();

    await user.click(screen.getByRole('button', { name: 'Publicar' }));
    const capacity = screen.getByLabelText(/^Aforo de la zona 2/);
    expect(capacity).toHaveAttribute('aria-invalid', 'true');
    expect(capacity).toHaveAccessibleDescription('El aforo debe ser un número entero mayor que 0.');
    await waitFor(() => expect(capacity).toHaveFocus());
    expect(sent).toBeUndefined();

    setValue(/^Aforo de la zona 2/, '500');
    await user.click(screen.getByRole('button', { name: 'Publicar' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${EVENT_ID}`));
    expect(sent).toEqual({
      name: 'Concierto de Año Nuevo',
      description: '',
      category: 'concert',
      venue: { name: 'Palacio de Deportes', city: 'Madrid', address: 'Calle de Goya 1' },
      starts_at: '2030-12-31T20:00:00+01:00',
      ends_at: '2031-01-01T02:00:00+01:00',
      timezone: 'Europe/Madrid',
      zones: [
        { name: 'Pista', price: { amount: '45.50', currency: 'MXN' }, capacity: 2000, max_per_order: 10 },
        { name: 'Grada', price: { amount: '30', currency: 'MXN' }, capacity: 500, max_per_order: 10 },
      ],
      sales: {
        on_sale_at: null,
        hold_minutes: 10,
        max_per_customer: null,
        waiting_room: false,
        payment_minutes: 10,
        reentry_allowed: false,
        transfers_allowed: true,
      },
      sessions: [
        { starts_at: '2030-12-31T20:00:00+01:00', ends_at: '2030-12-31T22:00:00+01:00', title: '', place: '' },
        { starts_at: '2030-12-31T22:30:00+01:00', ends_at: '2031-01-01T01:30:00+01:00', title: 'Fin de fiesta', place: '' },
      ],
      publish: true,
    });
    expect(await screen.findByText('Evento publicado.')).toBeInTheDocument();
  });

  it('catches overlapping sessions and sessions outside the event on the client', async () => {
    mockFetch({});
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    setValue(/^Inicio de la sesión 2/, '2030-12-31T21:00');
    await user.click(screen.getByRole('button', { name: 'Añadir sesión' }));
    setValue(/^Inicio de la sesión 3/, '2031-01-01T01:00');
    setValue(/^Fin de la sesión 3/, '2031-01-01T03:00');
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    expect(screen.getByLabelText(/^Inicio de la sesión 2/)).toHaveAccessibleDescription('Se solapa con la sesión 1 en la misma sala.');
    expect(screen.getByLabelText(/^Fin de la sesión 3/)).toHaveAccessibleDescription(
      'La sesión debe quedar dentro de las fechas del evento.',
    );
    expect(formAlert()).toHaveTextContent('Revisa los campos marcados');
  });

  it('maps server field errors onto their fields', async () => {
    mockFetch({
      '/api/v1/events': () =>
        problem(422, {
          detail: 'The request has invalid fields.',
          errors: [
            { field: 'zones.1.price.amount', message: 'must be a decimal string >= 0' },
            { field: 'sessions.1', message: 'overlaps session 0 of this event at the same place' },
            { field: 'venue.city', message: 'is required' },
            { field: 'publish', message: 'cannot publish yet' },
          ],
        }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));

    const city = screen.getByLabelText(/^Ciudad/);
    await waitFor(() => expect(city).toHaveAccessibleDescription('is required'));
    expect(screen.getByLabelText(/^Precio de la zona 2/)).toHaveAccessibleDescription('must be a decimal string >= 0');
    expect(screen.getByLabelText(/^Inicio de la sesión 2/)).toHaveAccessibleDescription('overlaps session 0 of this event at the same place');
    expect(formAlert()).toHaveTextContent('publish: cannot publish yet');
    await waitFor(() => expect(city).toHaveFocus());
  });

  it('has a Sales section: a waiting room needs an on-sale time, then every setting is sent', async () => {
    let sent: { sales?: unknown; zones?: { max_per_order?: number }[] } | undefined;
    mockFetch({
      '/api/v1/events': async (request) => {
        sent = JSON.parse(await request.text()) as typeof sent;
        return jsonResponse(eventBody({ id: EVENT_ID }), { status: 201 });
      },
      [PATH]: () => jsonResponse(eventBody({ id: EVENT_ID })),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    expect(screen.getByRole('group', { name: 'Venta' })).toBeInTheDocument();
    expect(screen.getByLabelText(/^Minutos de reserva/)).toHaveValue(10);
    // The admission rate only shows with the waiting room on.
    expect(screen.queryByLabelText(/^Personas admitidas por minuto/)).not.toBeInTheDocument();
    await user.click(screen.getByLabelText('Fila virtual'));
    expect(screen.getByLabelText(/^Personas admitidas por minuto/)).toHaveValue(300);

    setValue(/^Minutos de reserva/, '45');
    await user.click(screen.getByRole('button', { name: 'Publicar' }));
    const room = screen.getByLabelText('Fila virtual');
    expect(room).toHaveAttribute('aria-invalid', 'true');
    expect(room).toHaveAccessibleDescription(/La fila virtual necesita una fecha de venta/);
    expect(screen.getByLabelText(/^Minutos de reserva/)).toHaveAccessibleDescription(/Debe ser un número entero entre 2 y 30/);
    expect(sent).toBeUndefined();

    setValue(/^A la venta desde/, '2030-12-01T10:00');
    setValue(/^Minutos de reserva/, '15');
    setValue(/^Máximo por persona/, '6');
    setValue(/^Personas admitidas por minuto/, '600');
    setValue(/^Máximo por pedido de la zona 1/, '4');
    await user.click(screen.getByRole('button', { name: 'Publicar' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${EVENT_ID}`));
    expect(sent?.sales).toEqual({
      on_sale_at: '2030-12-01T10:00:00+01:00',
      hold_minutes: 15,
      max_per_customer: 6,
      waiting_room: true,
      admission_per_minute: 600,
      payment_minutes: 10,
      reentry_allowed: false,
      transfers_allowed: true,
    });
    expect(sent?.zones?.map((zone) => zone.max_per_order)).toEqual([4, 10]);
  });

  it('sets the minutes to pay, re-entry and transfers, refusing minutes outside 1 to 60 before sending', async () => {
    let sent: { sales?: Record<string, unknown> } | undefined;
    mockFetch({
      '/api/v1/events': async (request) => {
        sent = JSON.parse(await request.text()) as typeof sent;
        return jsonResponse(eventBody({ id: EVENT_ID }), { status: 201 });
      },
      [PATH]: () => jsonResponse(eventBody({ id: EVENT_ID })),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    const minutes = screen.getByLabelText(/^Minutos para pagar/);
    expect(minutes).toHaveValue(10);
    expect(minutes).toHaveAccessibleDescription(/mientras se paga \(de 1 a 60\)/);
    const reentry = screen.getByLabelText('Permitir reingreso');
    const transfers = screen.getByLabelText('Permitir transferencias');
    expect(reentry).not.toBeChecked();
    expect(transfers).toBeChecked();
    expect(reentry).toHaveAccessibleDescription('En la puerta se puede admitir otra vez una entrada que ya salió.');
    expect(transfers).toHaveAccessibleDescription('Quien tiene una entrada puede transferirla a otra persona.');

    setValue(/^Minutos para pagar/, '61');
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    expect(screen.getByLabelText(/^Minutos para pagar/)).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText(/^Minutos para pagar/)).toHaveAccessibleDescription(/Debe ser un número entero entre 1 y 60/);
    expect(sent).toBeUndefined();

    setValue(/^Minutos para pagar/, '25');
    await user.click(reentry);
    await user.click(transfers);
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${EVENT_ID}`));
    expect(sent?.sales).toMatchObject({ payment_minutes: 25, reentry_allowed: true, transfers_allowed: false });
  });

  it("shows the server's refusal of the minutes to pay on their field, in the reader's language", async () => {
    mockFetch({
      '/api/v1/events': () =>
        problem(422, { errors: [{ field: 'sales.payment_minutes', message: 'Input should be less than or equal to 60' }] }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    const minutes = screen.getByLabelText(/^Minutos para pagar/);
    await waitFor(() => expect(minutes).toHaveAccessibleDescription(/Debe ser un número entero entre 1 y 60/));
    expect(screen.queryByText(/less than or equal/)).not.toBeInTheDocument();
  });

  it("shows the server's waiting-room refusal on its field, in the reader's language", async () => {
    mockFetch({
      '/api/v1/events': () =>
        problem(422, { errors: [{ field: 'sales.waiting_room', message: 'a waiting room needs an on-sale time' }] }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    setValue(/^A la venta desde/, '2030-12-01T10:00');
    await user.click(screen.getByLabelText('Fila virtual'));
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    const room = screen.getByLabelText('Fila virtual');
    await waitFor(() => expect(room).toHaveAccessibleDescription(/La fila virtual necesita una fecha de venta/));
    expect(screen.queryByText(/needs an on-sale time/)).not.toBeInTheDocument();
  });

  it('asks administrators for the organization', async () => {
    mockFetch({});
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/events/new');
    fillValidEvent();
    setValue(/^Aforo de la zona 2/, '500');
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    expect(screen.getByLabelText(/^Organización/, { selector: 'select' })).toHaveAccessibleDescription(/Este campo es obligatorio/);
  });

  it('works in English too', () => {
    mockFetch({});
    useUiStore.setState({ locale: 'en' });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute('/events/new');
    expect(screen.getByRole('heading', { level: 1, name: 'Register an event' })).toBeInTheDocument();
    expect(screen.getByLabelText(/^Capacity of zone 1/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Minutes to pay/)).toHaveAccessibleDescription(/while it is paid \(1 to 60\)/);
    expect(screen.getByLabelText('Allow re-entry')).toHaveAccessibleDescription('Door staff may admit a ticket again after it left.');
    expect(screen.getByLabelText('Allow transfers')).toHaveAccessibleDescription('Ticket holders may transfer their tickets to someone else.');
  });
});

describe('EditEventPage', () => {
  it('patches with If-Match, then adds a session with the new version', async () => {
    const calls: { method: string; url: string; ifMatch: string | null; body: unknown }[] = [];
    const record = async (request: Request) => {
      const text = await request.text();
      calls.push({
        method: request.method,
        url: new URL(request.url).pathname,
        ifMatch: request.headers.get('If-Match'),
        body: text ? JSON.parse(text) : undefined,
      });
    };
    mockFetch({
      [PATH]: async (request) => {
        if (request.method === 'PATCH') {
          await record(request);
          return jsonResponse(eventBody({ status: 'draft', name: 'Jazz renovado', version: 4 }), { headers: { ETag: '"4"' } });
        }
        return jsonResponse(eventBody({ status: 'draft' }), { headers: { ETag: '"3"' } });
      },
      [`${PATH}/sessions`]: async (request) => {
        await record(request);
        return jsonResponse({ id: 's2', starts_at: '2030-03-15T04:00:00Z', ends_at: '2030-03-15T05:00:00Z' }, { status: 201, headers: { ETag: '"5"' } });
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute(`/events/${EVENT_ID}/edit`);
    const name = await screen.findByLabelText(/^Nombre del evento/);
    expect(name).toHaveValue('Noche de Jazz en el Foro');
    // The event's times are shown on the venue's clock.
    expect(screen.getByLabelText(/^Empieza/)).toHaveValue('2030-03-14T18:00');
    expect(screen.getByLabelText(/^Inicio de la sesión 1/)).toHaveValue('2030-03-14T20:00');

    setValue(/^Nombre del evento/, 'Jazz renovado');
    await user.click(screen.getByRole('button', { name: 'Añadir sesión' }));
    setValue(/^Inicio de la sesión 2/, '2030-03-14T22:00');
    setValue(/^Fin de la sesión 2/, '2030-03-14T23:00');
    await user.click(screen.getByRole('button', { name: 'Guardar cambios' }));

    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${EVENT_ID}`));
    expect(calls).toEqual([
      { method: 'PATCH', url: PATH, ifMatch: '"3"', body: { name: 'Jazz renovado' } },
      {
        method: 'POST',
        url: `${PATH}/sessions`,
        ifMatch: '"4"',
        body: { starts_at: '2030-03-14T22:00:00-06:00', ends_at: '2030-03-14T23:00:00-06:00', title: '', place: '' },
      },
    ]);
  });

  it('changes the zones of a published event, and explains places taken (409) and an unchecked change (503)', async () => {
    const answers = [
      () => problem(409, { detail: 'Zone VIP cannot be removed: 3 of its places are held or sold in a session.' }),
      () => problem(503, { detail: 'Service unavailable' }),
    ];
    let patched: unknown;
    mockFetch({
      [PATH]: async (request) => {
        if (request.method === 'PATCH') {
          patched = JSON.parse(await request.text());
          return (answers.shift() ?? answers[0]!)();
        }
        return jsonResponse(
          eventBody({ sales: { on_sale_at: '2030-03-01T16:00:00Z', hold_minutes: 10, max_per_customer: 6, waiting_room: true, admission_per_minute: 600, payment_minutes: 10, reentry_allowed: false, transfers_allowed: true } }),
          { headers: { ETag: '"3"' } },
        );
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute(`/events/${EVENT_ID}/edit`);
    await screen.findByLabelText(/^Nombre del evento/);
    // The sale settings are shown on the venue's clock.
    expect(screen.getByLabelText(/^A la venta desde/)).toHaveValue('2030-03-01T10:00');
    expect(screen.getByLabelText(/^Máximo por persona/)).toHaveValue(6);
    expect(screen.getByLabelText('Fila virtual')).toBeChecked();
    expect(screen.getByLabelText(/^Personas admitidas por minuto/)).toHaveValue(600);

    await user.click(screen.getByRole('button', { name: 'Eliminar la zona 2' }));
    await user.click(screen.getByRole('button', { name: 'Guardar cambios' }));
    await waitFor(() =>
      expect(formAlert()).toHaveTextContent('La zona VIP no se puede quitar: tiene 3 entradas reservadas o vendidas en una sesión.'),
    );
    expect(patched).toEqual({ zones: [{ name: 'General', price: { amount: '450.00', currency: 'MXN' }, capacity: 5000, max_per_order: 10 }] });

    await user.click(screen.getByRole('button', { name: 'Guardar cambios' }));
    await waitFor(() => expect(formAlert()).toHaveTextContent('Ahora no podemos comprobar las entradas reservadas o vendidas'));
  });

  it('explains a stale version (412) and offers a reload', async () => {
    mockFetch({
      [PATH]: (request) =>
        request.method === 'PATCH'
          ? problem(412, { detail: 'The event changed since version 3.' })
          : jsonResponse(eventBody({ status: 'published' })),
    });
    signInAs({ role: 'admin' });
    const { user } = renderRoute(`/events/${EVENT_ID}/edit`);
    await screen.findByLabelText(/^Nombre del evento/);
    setValue(/^Nombre del evento/, 'Otro nombre');
    // Zones of a published event can change (the edge keeps places already taken).
    expect(screen.getByLabelText(/^Nombre de la zona 1/)).toBeEnabled();
    expect(screen.queryByRole('button', { name: 'Guardar y publicar' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Guardar cambios' }));
    await waitFor(() => expect(formAlert()).toHaveTextContent('Otra persona cambió este evento'));
    expect(screen.getByRole('button', { name: 'Recargar' })).toBeInTheDocument();
  });

  it("shows the event's minutes to pay, re-entry and transfers, and patches only the one changed", async () => {
    let patched: unknown;
    const sales = { ...eventBody().sales, payment_minutes: 30, reentry_allowed: true, transfers_allowed: false };
    mockFetch({
      [PATH]: async (request) => {
        if (request.method === 'PATCH') {
          patched = JSON.parse(await request.text());
          return jsonResponse(eventBody({ sales: { ...sales, transfers_allowed: true }, version: 4 }), { headers: { ETag: '"4"' } });
        }
        return jsonResponse(eventBody({ sales }), { headers: { ETag: '"3"' } });
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute(`/events/${EVENT_ID}/edit`);
    await screen.findByLabelText(/^Nombre del evento/);
    expect(screen.getByLabelText(/^Minutos para pagar/)).toHaveValue(30);
    expect(screen.getByLabelText('Permitir reingreso')).toBeChecked();
    expect(screen.getByLabelText('Permitir transferencias')).not.toBeChecked();

    await user.click(screen.getByLabelText('Permitir transferencias'));
    await user.click(screen.getByRole('button', { name: 'Guardar cambios' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${EVENT_ID}`));
    expect(patched).toEqual({ sales: { transfers_allowed: true } });
  });
});

describe('Event form: summary, focus, leaving and time zone', () => {
  it('lists the fields with errors as links that focus their field', async () => {
    mockFetch({});
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/events/new');
    await user.click(screen.getByRole('button', { name: 'Publicar' }));
    const summary = within(formAlert()).getByRole('list', { name: 'Campos con errores' });
    const link = within(summary).getByRole('link', { name: /^Nombre del recinto:/ });
    expect(link).toHaveAttribute('href', '#ef-venue-name');
    await user.click(link);
    expect(screen.getByLabelText(/^Nombre del recinto/)).toHaveFocus();
    expect(within(summary).getByRole('link', { name: /^Aforo de la zona 1:/ })).toBeInTheDocument();
  });

  it('focuses the new row after adding, and the previous row or the add button after removing', async () => {
    mockFetch({});
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/events/new');
    await user.click(screen.getByRole('button', { name: 'Añadir zona' }));
    expect(screen.getByLabelText(/^Nombre de la zona 2/)).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Eliminar la zona 2' }));
    expect(screen.getByLabelText(/^Nombre de la zona 1/)).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Añadir sesión' }));
    expect(screen.getByLabelText(/^Título de la sesión 1/)).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Eliminar la sesión 1' }));
    expect(screen.getByRole('button', { name: 'Añadir sesión' })).toHaveFocus();
  });

  it('asks before leaving with unsaved changes, and stays when asked to', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute('/events/new');
    setValue(/^Nombre del evento/, 'Concierto');
    const beforeUnload = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(beforeUnload);
    expect(beforeUnload.defaultPrevented).toBe(true);

    await user.click(within(screen.getByRole('navigation', { name: 'Navegación principal' })).getByRole('link', { name: 'Eventos' }));
    const dialog = await screen.findByRole('dialog', { name: '¿Salir sin guardar?' });
    await user.click(within(dialog).getByRole('button', { name: 'Seguir editando' }));
    expect(router.state.location.pathname).toBe('/events/new');
    expect(screen.getByLabelText(/^Nombre del evento/)).toHaveValue('Concierto');

    await user.click(within(screen.getByRole('navigation', { name: 'Navegación principal' })).getByRole('link', { name: 'Eventos' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Salir sin guardar' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/events'));
  });

  it('leaves an untouched form without asking', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute('/events/new');
    await user.click(within(screen.getByRole('navigation', { name: 'Navegación principal' })).getByRole('link', { name: 'Eventos' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/events'));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it("takes the time zone from the venue's city until the organizer picks one, and remembers the last one saved", async () => {
    mockFetch({
      '/api/v1/events': () => jsonResponse(eventBody({ id: EVENT_ID }), { status: 201 }),
      [PATH]: () => jsonResponse(eventBody({ id: EVENT_ID })),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute('/events/new');
    setValue(/^Ciudad/, 'Bogotá');
    expect(screen.getByLabelText(/^Zona horaria/)).toHaveValue('America/Bogota');
    setValue(/^Ciudad/, 'Sevilla');
    expect(screen.getByLabelText(/^Zona horaria/)).toHaveValue('Europe/Madrid');
    setValue(/^Zona horaria/, 'Atlantic/Canary');
    setValue(/^Ciudad/, 'Lima');
    expect(screen.getByLabelText(/^Zona horaria/)).toHaveValue('Atlantic/Canary');

    setValue(/^Nombre del evento/, 'Feria');
    setValue(/^Categoría/, 'festival');
    setValue(/^Empieza/, '2030-06-01T10:00');
    setValue(/^Termina/, '2030-06-01T20:00');
    setValue(/^Nombre del recinto/, 'Recinto ferial');
    setValue(/^Dirección/, 'Calle 1');
    setValue(/^Nombre de la zona 1/, 'General');
    setValue(/^Precio de la zona 1/, '10');
    setValue(/^Aforo de la zona 1/, '100');
    await user.click(screen.getByRole('button', { name: 'Guardar borrador' }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/events/${EVENT_ID}`));
    expect(localStorage.getItem('taquilla.eventForm.timezone')).toBe('Atlantic/Canary');
  });

  it('starts a new event in the last zone saved', () => {
    localStorage.setItem('taquilla.eventForm.timezone', 'America/Lima');
    mockFetch({});
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute('/events/new');
    expect(screen.getByLabelText(/^Zona horaria/)).toHaveValue('America/Lima');
  });
});
