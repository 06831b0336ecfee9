import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { challengeOf } from '@/auth/pkce';
import { useAuthStore } from '@/store/auth';
import { eventBody } from '@/test/events';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs, userBody } from '@/test/utils';

const TOKENS = { access_token: 'access-1', token_type: 'Bearer', expires_in: 900, refresh_token: 'refresh-1', scope: '' };

function authEdge(role: 'customer' | 'organizer' = 'customer') {
  return mockFetch({
    '/api/v1/auth/authorize': async (request) => {
      const form = new URLSearchParams(await request.text());
      const state = form.get('state');
      return form.get('password') === 'Faro-Cobalto-Marea-2026'
        ? jsonResponse({ code: 'code-1', state, expires_in: 60, redirect_to: `${form.get('redirect_uri')}?code=code-1&state=${state}` })
        : jsonResponse({ error: 'access_denied', error_description: 'wrong email or password' }, { status: 400 });
    },
    '/api/v1/auth/token': () => jsonResponse(TOKENS),
    '/api/v1/users/me': () => jsonResponse(userBody({ role, email: 'ana@example.org' })),
    '/api/v1/auth/logout': () => new Response(null, { status: 204 }),
    '/api/v1/events': () => jsonResponse({ items: [] }),
    '/api/v1/organizations/me/events': () => jsonResponse({ items: [], next_cursor: null }),
  });
}

describe('LoginPage', () => {
  it('validates on the client and moves focus to the first error', async () => {
    authEdge();
    const { user } = renderRoute('/login');
    await user.click(screen.getByRole('button', { name: 'Entrar' }));
    const email = screen.getByLabelText(/Correo electrónico/);
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription('Este campo es obligatorio.');
    await waitFor(() => expect(email).toHaveFocus());
  });

  it('shows wrong credentials as a form alert and clears the password', async () => {
    authEdge();
    const { user } = renderRoute('/login');
    await user.type(screen.getByLabelText(/Correo electrónico/), 'ana@example.org');
    await user.type(screen.getByLabelText(/Contraseña/), 'wrong-password');
    await user.click(screen.getByRole('button', { name: 'Entrar' }));
    const alert = await screen.findByText(/El correo o la contraseña no son correctos/);
    expect(alert.closest('[role="alert"]')).toBeInTheDocument();
    expect(screen.getByLabelText(/Contraseña/)).toHaveValue('');
  });

  it('sends a protected route to login and back after signing in; the header shows the user', async () => {
    const fetchMock = authEdge();
    const { user, router } = renderRoute('/me');
    expect(await screen.findByRole('heading', { level: 1, name: 'Iniciar sesión' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe('?next=%2Fme');

    await user.type(screen.getByLabelText(/Correo electrónico/), 'ana@example.org');
    await user.type(screen.getByLabelText(/Contraseña/), 'Faro-Cobalto-Marea-2026');
    await user.click(screen.getByRole('button', { name: 'Entrar' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Mi cuenta' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/me');
    const banner = screen.getByRole('banner');
    expect(within(banner).getByText('Ana Gómez')).toBeInTheDocument();
    // The code flow with PKCE: the credentials and the S256 challenge buy a code, the verifier
    // (sent only now) exchanges it; no password grant.
    const authorizeCall = fetchMock.mock.calls.find(([url]) => url === '/api/v1/auth/authorize');
    const asked = authorizeCall?.[1]?.body as URLSearchParams;
    expect(Object.fromEntries(asked)).toMatchObject({
      response_type: 'code',
      client_id: 'taquilla-web',
      redirect_uri: `${window.location.origin}/login`,
      code_challenge_method: 'S256',
      username: 'ana@example.org',
      password: 'Faro-Cobalto-Marea-2026',
    });
    const tokenCall = fetchMock.mock.calls.find(([url]) => url === '/api/v1/auth/token');
    const exchanged = tokenCall?.[1]?.body as URLSearchParams;
    expect(exchanged.get('grant_type')).toBe('authorization_code');
    expect(exchanged.get('code')).toBe('code-1');
    expect(await challengeOf(exchanged.get('code_verifier') ?? '')).toBe(asked.get('code_challenge'));
    expect(exchanged.has('password')).toBe(false);

    // Logout clears the session and the header offers sign-in again.
    await user.click(within(banner).getByRole('button', { name: 'Cerrar sesión' }));
    expect(await within(banner).findByRole('link', { name: 'Iniciar sesión' })).toBeInTheDocument();
    expect(useAuthStore.getState().accessToken).toBeNull();
    expect(sessionStorage.getItem('taquilla.refresh')).toBeNull();
    expect(router.state.location.pathname).toBe('/');
  });

  it('ignores an off-site next parameter', async () => {
    authEdge();
    const { user, router } = renderRoute('/login?next=//evil.example/x');
    await user.type(screen.getByLabelText(/Correo electrónico/), 'ana@example.org');
    await user.type(screen.getByLabelText(/Contraseña/), 'Faro-Cobalto-Marea-2026');
    await user.click(screen.getByRole('button', { name: 'Entrar' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/me'));
  });
});

describe('RegisterPage', () => {
  it('maps the server field errors onto their fields in the reader language and focuses the first one', async () => {
    mockFetch({
      '/api/v1/auth/register': () =>
        problem(422, {
          detail: 'The request has invalid fields.',
          errors: [
            { field: 'email', code: 'invalid_format', message: 'must be a valid email address' },
            { field: 'password', code: 'weak_password', message: 'is too common; choose a passphrase of several unrelated words' },
            { field: 'password', code: 'too_short', message: 'must be at least 12 characters long' },
          ],
        }),
    });
    const { user } = renderRoute('/register');
    await user.type(screen.getByLabelText(/Nombre completo/), 'Rita Prueba');
    await user.type(screen.getByLabelText(/^Correo electrónico/), 'rita@example.org');
    await user.type(screen.getByLabelText(/^Contraseña/), 'password1234');
    await user.type(screen.getByLabelText(/Repite la contraseña/), 'password1234');
    await user.click(screen.getByRole('button', { name: 'Crear cuenta' }));

    const email = screen.getByLabelText(/^Correo electrónico/);
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription('El formato no es válido.');
    expect(screen.getByLabelText(/^Contraseña/)).toHaveAccessibleDescription(
      expect.stringContaining('Esta contraseña es demasiado común') as string,
    );
    expect(document.body).not.toHaveTextContent(/too common|valid email/);
    await waitFor(() => expect(email).toHaveFocus());
  });

  it('tells the owner of an already registered address to check the e-mail and sign in', async () => {
    mockFetch({
      // The edge answers a taken address as it answers a new one; only signing in tells them apart.
      '/api/v1/auth/register': () => jsonResponse({ status: 'accepted', detail: 'Sign in.' }, { status: 202 }),
      '/api/v1/auth/authorize': () =>
        jsonResponse({ error: 'access_denied', error_description: 'wrong email or password' }, { status: 400 }),
    });
    const { user } = renderRoute('/register');
    await user.type(screen.getByLabelText(/Nombre completo/), 'Rita Prueba');
    await user.type(screen.getByLabelText(/^Correo electrónico/), 'rita@example.org');
    await user.type(screen.getByLabelText(/^Contraseña/), 'Viaje-Montaña-Lago-42');
    await user.type(screen.getByLabelText(/Repite la contraseña/), 'Viaje-Montaña-Lago-42');
    await user.click(screen.getByRole('button', { name: 'Crear cuenta' }));
    expect(await screen.findByText(/Revisa tu correo: esta dirección ya tiene una cuenta/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Crear una cuenta' })).toBeInTheDocument();
    expect(screen.queryByText('Cuenta creada. ¡Bienvenido a Taquilla!')).not.toBeInTheDocument();
  });

  it('checks length and confirmation before calling the server', async () => {
    const fetchMock = mockFetch({});
    const { user } = renderRoute('/register');
    await user.type(screen.getByLabelText(/Nombre completo/), 'Rita');
    await user.type(screen.getByLabelText(/^Correo electrónico/), 'rita@example.org');
    await user.type(screen.getByLabelText(/^Contraseña/), 'short');
    await user.type(screen.getByLabelText(/Repite la contraseña/), 'other');
    await user.click(screen.getByRole('button', { name: 'Crear cuenta' }));
    expect(screen.getByText('La contraseña debe tener al menos 12 caracteres.')).toBeInTheDocument();
    expect(screen.getByText('Las contraseñas no coinciden.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText(/^Contraseña/)).toHaveFocus());
    expect(fetchMock).not.toHaveBeenCalledWith('/api/v1/auth/register', expect.anything());
  });

  it('registers, signs in and lands on the account page', async () => {
    const fetchMock = mockFetch({
      '/api/v1/auth/register': () => jsonResponse({ status: 'accepted', detail: 'Sign in.' }, { status: 202 }),
      '/api/v1/auth/authorize': async (request) => {
        const state = new URLSearchParams(await request.text()).get('state');
        return jsonResponse({ code: 'code-1', state, expires_in: 60, redirect_to: '/login' });
      },
      '/api/v1/auth/token': () => jsonResponse(TOKENS),
      '/api/v1/users/me': () => jsonResponse(userBody({ full_name: 'Rita Prueba' })),
    });
    const { user } = renderRoute('/register');
    await user.type(screen.getByLabelText(/Nombre completo/), 'Rita Prueba');
    await user.type(screen.getByLabelText(/^Correo electrónico/), 'rita@example.org');
    await user.type(screen.getByLabelText(/^Contraseña/), 'Viaje-Montaña-Lago-42');
    await user.type(screen.getByLabelText(/Repite la contraseña/), 'Viaje-Montaña-Lago-42');
    await user.click(screen.getByRole('button', { name: 'Crear cuenta' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Mi cuenta' })).toBeInTheDocument();
    const registerCall = fetchMock.mock.calls.find(([url]) => url === '/api/v1/auth/register');
    expect(JSON.parse(registerCall?.[1]?.body as string)).toEqual({
      email: 'rita@example.org',
      password: 'Viaje-Montaña-Lago-42',
      full_name: 'Rita Prueba',
    });
    expect(await screen.findByText('Cuenta creada. ¡Bienvenido a Taquilla!')).toBeInTheDocument();
  });
});

describe('MePage', () => {
  it('shows the profile and, for organizers, an empty state for my events', async () => {
    authEdge('organizer');
    signInAs({ role: 'organizer', organization_id: '11111111-1111-4111-8111-111111111111' });
    renderRoute('/me');
    expect(await screen.findByText('ana@example.org')).toBeInTheDocument();
    renderRoute('/me/events');
    expect(await screen.findByText('Tu organización todavía no tiene eventos.')).toBeInTheDocument();
    expect(screen.getAllByRole('link', { name: 'Registrar evento' }).length).toBeGreaterThan(0);
  });

  it('lists my organization events with load more', async () => {
    const event = (id: string, name: string, status: 'draft' | 'published') =>
      eventBody({ id, name, status, starts_at: '2030-03-14T20:00:00Z', zones: [], sessions: [] });
    const fetchMock = mockFetch({
      '/api/v1/users/me': () => jsonResponse(userBody({ role: 'organizer' })),
      '/api/v1/organizations/me/events': (request) =>
        new URL(request.url).searchParams.get('cursor') === 'c2'
          ? jsonResponse({ items: [event('e2', 'Teatro', 'published')], next_cursor: null })
          : jsonResponse({ items: [event('e1', 'Jazz', 'draft')], next_cursor: 'c2' }),
    });
    signInAs({ role: 'organizer' });
    const { user } = renderRoute('/me/events');
    const list = await screen.findByRole('list', { name: 'Mis eventos' });
    expect(within(list).getByText('Jazz')).toBeInTheDocument();
    expect(within(list).getByText('Borrador')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Cargar más' }));
    expect(await within(list).findByText('Teatro')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cargar más' })).not.toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith('/api/v1/organizations/me/events?limit=20&cursor=c2', expect.anything());
  });

  it('does not show my events to customers', async () => {
    const fetchMock = authEdge('customer');
    signInAs({ role: 'customer' });
    renderRoute('/me');
    expect(await screen.findByText('ana@example.org')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: /Mis eventos/ })).not.toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalledWith(expect.stringContaining('/organizations/me/events'), expect.anything());
  });
});
