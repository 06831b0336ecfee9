import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { jsonResponse, mockFetch, problem, renderRoute, signInAs, userBody } from '@/test/utils';

const ORG = '22222222-2222-4222-8222-222222222222';
const GONE = '33333333-3333-4333-8333-333333333333';
const ORGANIZATIONS = [
  { id: GONE, name: 'Sala Cerrada', created_at: '2026-01-01T00:00:00Z' },
  { id: ORG, name: 'Teatro Mayor', created_at: '2026-01-01T00:00:00Z' },
];
const organizationsEdge = (request: Request) => {
  const name = (new URL(request.url).searchParams.get('name') ?? '').toLowerCase();
  return jsonResponse({ items: ORGANIZATIONS.filter((o) => o.name.toLowerCase().includes(name)) });
};

function users() {
  return {
    rita: userBody({ id: '00000000-0000-4000-8000-0000000000a1', email: 'rita@example.org', full_name: 'Rita', role: 'customer' }),
    leo: userBody({ id: '00000000-0000-4000-8000-0000000000a2', email: 'leo@example.org', full_name: 'Leo', role: 'customer' }),
  };
}

function adminEdge() {
  const { rita, leo } = users();
  const patches: { id: string; body: unknown }[] = [];
  const fetchMock = mockFetch({
    '/api/v1/admin/organizations': organizationsEdge,
    '/api/v1/admin/users': (request) => {
      const url = new URL(request.url);
      if (url.searchParams.get('cursor') === 'next') return jsonResponse({ items: [leo], next_cursor: null });
      const email = url.searchParams.get('email');
      const items = email ? [rita, leo].filter((u) => u.email.includes(email)) : [rita];
      return jsonResponse({ items, next_cursor: email ? null : 'next' });
    },
    [`/api/v1/admin/users/${rita.id}`]: async (request) => {
      const body = JSON.parse(await request.text()) as { role?: string; organization_id?: string; active?: boolean };
      patches.push({ id: rita.id, body });
      if ((body.role === 'organizer' || body.role === 'staff') && !body.organization_id) {
        return problem(422, {
          errors: [{ field: 'organization_id', code: 'organization_required', message: 'a organizer must belong to an organization' }],
        });
      }
      if (body.organization_id === GONE) {
        return problem(422, {
          type: 'https://taquilla.dev/problems/validation-error',
          errors: [{ field: 'organization_id', code: 'not_found', message: 'no such organization' }],
        });
      }
      return jsonResponse({ ...rita, ...body });
    },
  });
  return { fetchMock, patches };
}

describe('AdminUsersPage', () => {
  it('sends non-admins away with a toast', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [] }) });
    signInAs({ role: 'organizer' });
    const { router } = renderRoute('/admin/users');
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    expect(await screen.findByText('No tienes permiso para ver esa página.')).toBeInTheDocument();
  });

  it('lists users with keyset load more and filters by role and email', async () => {
    const { fetchMock } = adminEdge();
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/admin/users');
    const table = await screen.findByRole('table', { name: 'Lista de usuarios' });
    expect(within(table).getByText('rita@example.org')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cargar más' }));
    expect(await within(table).findByText('leo@example.org')).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith('/api/v1/admin/users?limit=25&cursor=next', expect.anything());

    await user.selectOptions(screen.getByLabelText('Rol'), 'organizer');
    await waitFor(() => expect(fetchMock).toHaveBeenCalledWith('/api/v1/admin/users?role=organizer&limit=25', expect.anything()));

    await user.type(screen.getByLabelText('Buscar por correo'), 'leo');
    await waitFor(() =>
      expect(fetchMock).toHaveBeenCalledWith('/api/v1/admin/users?role=organizer&email=leo&limit=25', expect.anything()),
    );
  });

  it('shows the server field error for a missing organization, then saves with one', async () => {
    const { patches } = adminEdge();
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/admin/users');
    const select = await screen.findByLabelText('Rol de rita@example.org');
    await user.selectOptions(select, 'organizer');
    await user.click(screen.getByRole('button', { name: 'Guardar rol de rita@example.org' }));
    const dialog = await screen.findByRole('dialog', { name: '¿Cambiar el rol de rita@example.org?' });
    expect(dialog).toHaveAccessibleDescription(expect.stringContaining('«Cliente» a «Organizador»') as string);
    await user.click(within(dialog).getByRole('button', { name: 'Cambiar rol' }));

    const org = await screen.findByLabelText('Organización de rita@example.org');
    await waitFor(() => expect(org).toHaveAttribute('aria-invalid', 'true'));
    expect(org).toHaveAccessibleDescription(expect.stringContaining('Este rol necesita una organización.') as string);
    await waitFor(() => expect(org).toHaveFocus());

    await user.type(screen.getByLabelText('Buscar organización por nombre'), 'teatro');
    await waitFor(() => expect(within(org).queryByRole('option', { name: 'Sala Cerrada' })).not.toBeInTheDocument());
    expect(within(org).getByRole('option', { name: 'Teatro Mayor' })).toBeInTheDocument();
    await user.selectOptions(org, 'Teatro Mayor');
    await user.click(screen.getByRole('button', { name: 'Guardar rol de rita@example.org' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Cambiar rol' }));
    expect(await screen.findByText('Rol de rita@example.org actualizado.')).toBeInTheDocument();
    expect(patches.at(-1)?.body).toEqual({ role: 'organizer', organization_id: ORG });
  });

  it('asks before changing a role, and a cancelled change sends nothing', async () => {
    const { patches } = adminEdge();
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/admin/users');
    await user.selectOptions(await screen.findByLabelText('Rol de rita@example.org'), 'admin');
    const save = screen.getByRole('button', { name: 'Guardar rol de rita@example.org' });
    await user.click(save);
    const dialog = await screen.findByRole('dialog', { name: '¿Cambiar el rol de rita@example.org?' });
    expect(within(dialog).getByRole('button', { name: 'Cancelar' })).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(save).toHaveFocus();
    expect(patches).toEqual([]);
  });

  it('asks before deactivating a user', async () => {
    const { patches } = adminEdge();
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/admin/users');
    await user.click(await screen.findByRole('button', { name: 'Desactivar rita@example.org' }));
    const dialog = await screen.findByRole('dialog', { name: '¿Desactivar rita@example.org?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancelar' }));
    expect(patches).toEqual([]);
    await user.click(screen.getByRole('button', { name: 'Desactivar rita@example.org' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Desactivar' }));
    expect(await screen.findByText('rita@example.org desactivada.')).toBeInTheDocument();
    expect(patches.at(-1)?.body).toEqual({ active: false });
    expect(await screen.findByRole('button', { name: 'Activar rita@example.org' })).toBeInTheDocument();
  });

  it('offers no role change nor deactivation of the admin’s own account, and translates the server’s refusal', async () => {
    const { rita } = users();
    mockFetch({
      '/api/v1/admin/users': () => jsonResponse({ items: [{ ...rita, role: 'admin' }], next_cursor: null }),
    });
    signInAs({ id: rita.id, email: rita.email, role: 'admin' });
    renderRoute('/admin/users');
    const table = await screen.findByRole('table', { name: 'Lista de usuarios' });
    expect(within(table).getByText('Administrador')).toBeInTheDocument();
    expect(within(table).getByText(/No puedes cambiar tu propio rol/)).toBeInTheDocument();
    expect(within(table).queryByRole('button', { name: /Desactivar|Guardar rol/ })).not.toBeInTheDocument();
    expect(within(table).queryByLabelText('Rol de rita@example.org')).not.toBeInTheDocument();
  });

  it('shows a vanished organization and the refusal of the admin’s own account in Spanish, never the server’s English', async () => {
    const { rita } = users();
    mockFetch({
      '/api/v1/admin/users': () => jsonResponse({ items: [{ ...rita, role: 'staff', organization_id: ORG }], next_cursor: null }),
      '/api/v1/admin/organizations': organizationsEdge,
      [`/api/v1/admin/users/${rita.id}`]: async (request) => {
        const body = JSON.parse(await request.text()) as { organization_id?: string; active?: boolean };
        if (body.active === false) {
          return problem(409, {
            type: 'https://taquilla.dev/problems/cannot-change-own-account',
            detail: 'Administrators cannot demote or deactivate their own account.',
          });
        }
        return problem(422, {
          type: 'https://taquilla.dev/problems/validation-error',
          errors: [{ field: 'organization_id', code: 'not_found', message: 'no such organization' }],
        });
      },
    });
    // A stale session that does not know it is looking at its own account: the server still refuses.
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/admin/users');
    const org = await screen.findByLabelText('Organización de rita@example.org');
    // The current organization shows by its name, never by its id.
    await waitFor(() => expect(org).toHaveDisplayValue('Teatro Mayor'));
    await user.selectOptions(org, 'Sala Cerrada');
    await user.click(screen.getByRole('button', { name: 'Guardar rol de rita@example.org' }));
    await waitFor(() => expect(org).toHaveAccessibleDescription(expect.stringContaining('Esa organización no existe.') as string));

    await user.click(screen.getByRole('button', { name: 'Desactivar rita@example.org' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Desactivar' }));
    expect(await screen.findByText('No puedes cambiar tu propio rol ni desactivar tu propia cuenta.')).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(/such organization|Administrators cannot|2222/);
  });
});
