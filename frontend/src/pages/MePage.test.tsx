import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import type * as SessionModule from '@/auth/session';
import { login } from '@/auth/session';
import { eventBody } from '@/test/events';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs, userBody } from '@/test/utils';
import { useAuthStore } from '@/store/auth';
import { useUiStore } from '@/store/ui';

vi.mock('@/auth/session', async (actual) => ({
  ...(await actual<typeof SessionModule>()),
  login: vi.fn(() => Promise.resolve()),
}));

const ORG_ID = '5a1f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f61';

function profileEdge(overrides: Record<string, (request: Request) => Response | Promise<Response>> = {}) {
  return mockFetch({
    '/api/v1/users/me': async (request) =>
      request.method === 'PATCH'
        ? jsonResponse(userBody({ role: 'organizer', organization_id: ORG_ID, full_name: ((await request.json()) as { full_name: string }).full_name }))
        : jsonResponse(userBody({ role: 'organizer', organization_id: ORG_ID })),
    [`/api/v1/organizations/${ORG_ID}`]: () => jsonResponse({ id: ORG_ID, name: 'Producciones Norte' }),
    '/api/v1/users/me/password': () => new Response(null, { status: 204 }),
    ...overrides,
  });
}

describe('MePage', () => {
  it('shows the organization by its name and links to orders, tickets, reservations and my events', async () => {
    profileEdge();
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute('/me');
    const organization = await screen.findByTestId('organization-name');
    await waitFor(() => expect(organization).toHaveTextContent('Producciones Norte'));
    const activity = screen.getByRole('region', { name: 'Tu actividad' });
    for (const [name, href] of [
      [/Mis pedidos/, '/me/orders'],
      [/Mis entradas/, '/me/tickets'],
      [/Mis reservas/, '/me/reservations'],
      [/Listas de espera/, '/me/waitlist'],
      [/Mis eventos/, '/me/events'],
    ] as const) {
      expect(within(activity).getByRole('link', { name })).toHaveAttribute('href', href);
    }
  });

  it('renames the user, and the header follows', async () => {
    const fetchMock = profileEdge();
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute('/me');
    const name = await screen.findByRole('textbox', { name: /Nombre/ });
    await user.clear(name);
    await user.type(name, 'Ana María Gómez');
    await user.click(screen.getByRole('button', { name: 'Guardar cambios' }));
    await waitFor(() => expect(useAuthStore.getState().user?.fullName).toBe('Ana María Gómez'));
    const patch = fetchMock.mock.calls.find(([url, init]) => url === '/api/v1/users/me' && init?.method === 'PATCH');
    expect(JSON.parse(patch?.[1]?.body as string)).toEqual({ full_name: 'Ana María Gómez' });
    expect(within(screen.getByRole('banner')).getByText('Ana María Gómez')).toBeInTheDocument();
  });

  it('changes the language of the app from the profile', async () => {
    profileEdge();
    signInAs();
    const { user } = renderRoute('/me');
    await user.selectOptions(await screen.findByRole('combobox', { name: /Idioma/ }), 'en');
    expect(useUiStore.getState().locale).toBe('en');
    expect(await screen.findByRole('heading', { level: 1, name: 'My account' })).toBeInTheDocument();
    useUiStore.getState().setLocale('es');
  });

  it('changes the password, signs this tab in again with it, and shows a wrong current password at its field', async () => {
    let attempts = 0;
    const fetchMock = profileEdge({
      '/api/v1/users/me/password': () =>
        ++attempts === 1
          ? problem(422, { errors: [{ field: 'current_password', code: 'incorrect', message: 'is not your current password' }] })
          : new Response(null, { status: 204 }),
    });
    signInAs();
    const { user } = renderRoute('/me');
    await user.type(await screen.findByLabelText(/Contraseña actual/), 'Vieja-Clave-Faro-01');
    await user.type(screen.getByLabelText(/^Contraseña nueva/), 'Niebla-Granate-Muelle-77');
    await user.type(screen.getByLabelText(/Repite la contraseña nueva/), 'Niebla-Granate-Muelle-77');
    await user.click(screen.getByRole('button', { name: 'Cambiar contraseña' }));

    const current = screen.getByLabelText(/Contraseña actual/);
    await waitFor(() => expect(current).toHaveAccessibleDescription('No es tu contraseña actual.'));
    await waitFor(() => expect(current).toHaveFocus());

    await user.click(screen.getByRole('button', { name: 'Cambiar contraseña' }));
    expect(await screen.findByText(/Tu contraseña se ha cambiado/)).toBeInTheDocument();
    const sent = fetchMock.mock.calls.filter(([url]) => url === '/api/v1/users/me/password').at(-1);
    expect(JSON.parse(sent?.[1]?.body as string)).toEqual({
      current_password: 'Vieja-Clave-Faro-01',
      new_password: 'Niebla-Granate-Muelle-77',
    });
    expect(login).toHaveBeenCalledWith(useAuthStore.getState().user?.email, 'Niebla-Granate-Muelle-77');
    expect(screen.getByLabelText(/Contraseña actual/)).toHaveValue('');
  });

  it('checks the new password on the client before asking', async () => {
    const fetchMock = profileEdge();
    signInAs();
    const { user } = renderRoute('/me');
    await user.type(await screen.findByLabelText(/Contraseña actual/), 'Vieja-Clave-Faro-01');
    await user.type(screen.getByLabelText(/^Contraseña nueva/), 'corta');
    await user.click(screen.getByRole('button', { name: 'Cambiar contraseña' }));
    expect(screen.getByLabelText(/^Contraseña nueva/)).toHaveAccessibleDescription(/al menos 12 caracteres/);
    expect(fetchMock.mock.calls.some(([url]) => url === '/api/v1/users/me/password')).toBe(false);
  });
});

describe('MyEventsPage', () => {
  it('filters my organization events by status, kept in the URL', async () => {
    const fetchMock = mockFetch({
      '/api/v1/organizations/me/events': (request) =>
        jsonResponse({
          items: new URL(request.url).searchParams.getAll('status').includes('cancelled') ? [eventBody({ id: 'c1', name: 'Gira cancelada', status: 'cancelled' })] : [eventBody()],
          next_cursor: null,
        }),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user, router } = renderRoute('/me/events');
    expect(await screen.findByRole('heading', { level: 1, name: 'Mis eventos' })).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'Noche de Jazz en el Foro' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Borradores y publicados' })).toHaveAttribute('aria-pressed', 'true');

    await user.click(screen.getByRole('button', { name: 'Cancelado' }));
    expect(await screen.findByRole('link', { name: 'Gira cancelada' })).toBeInTheDocument();
    expect(router.state.location.search).toBe('?status=cancelled');
    expect(fetchMock.mock.calls.map(([url]) => url as string)).toContain('/api/v1/organizations/me/events?limit=20&status=cancelled');
  });

  it('is for organizers: a customer goes back to the profile', async () => {
    mockFetch({ '/api/v1/users/me': () => jsonResponse(userBody()) });
    signInAs({ role: 'customer' });
    const { router } = renderRoute('/me/events');
    await waitFor(() => expect(router.state.location.pathname).toBe('/me'));
  });
});
