import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { jsonResponse, mockFetch, renderRoute, signInAs } from '@/test/utils';

const ORG = '22222222-2222-4222-8222-222222222222';

function entry(overrides: Record<string, unknown> = {}) {
  return {
    service: 'event_svc',
    id: 1,
    occurred_at: '2026-12-02T12:00:00Z',
    actor: '00000000-0000-4000-8000-0000000000a1',
    actor_kind: 'user',
    actor_role: 'organizer',
    organization_id: ORG,
    action: 'event.publish',
    target: 'event:0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77',
    correlation_id: '6d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
    outcome: 'success',
    ...overrides,
  };
}

describe('AuditPage', () => {
  it('shows the whole trail to administrators, filters it and loads more', async () => {
    const seen: URLSearchParams[] = [];
    mockFetch({
      '/api/v1/admin/organizations': () => jsonResponse({ items: [{ id: ORG, name: 'Teatro Mayor', created_at: '2026-01-01T00:00:00Z' }] }),
      '/api/v1/admin/audit': (request) => {
        const params = new URL(request.url).searchParams;
        seen.push(params);
        if (params.get('cursor') === 'next') {
          return jsonResponse({ items: [entry({ service: 'ticketing_svc', id: 7, action: 'order.refund', outcome: 'not_found' })], next_cursor: null });
        }
        return jsonResponse({ items: [entry()], next_cursor: params.get('action') ? null : 'next' });
      },
    });
    signInAs({ role: 'admin' });
    const { user } = renderRoute('/admin/audit');
    await screen.findByRole('heading', { level: 1, name: 'Auditoría' });
    const table = await screen.findByRole('table', { name: 'Registro de auditoría' });
    expect(within(table).getByText('event.publish')).toBeInTheDocument();
    expect(within(table).getByText('Hecho')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cargar más' }));
    expect(await within(table).findByText('Rechazado: not_found')).toBeInTheDocument();
    expect(within(table).getByText('order.refund')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cargar más' })).not.toBeInTheDocument();

    await user.type(screen.getByRole('searchbox', { name: 'Acción' }), 'order.');
    await waitFor(() => expect(seen.at(-1)?.get('action')).toBe('order.'));
    expect(seen.at(-1)?.get('limit')).toBe('50');
    expect(seen.at(-1)?.has('organization_id')).toBe(false);

    const organization = screen.getByRole('combobox', { name: 'Organización' });
    await within(organization).findByRole('option', { name: 'Teatro Mayor' });
    await user.selectOptions(organization, ORG);
    await waitFor(() => expect(seen.at(-1)?.get('organization_id')).toBe(ORG));
  }, 20_000); // typing, debouncing and the organization picker: slow on a loaded machine

  it("shows organizers their organization's part only", async () => {
    const paths: string[] = [];
    mockFetch({
      [`/api/v1/organizations/${ORG}/audit`]: (request) => {
        paths.push(new URL(request.url).pathname);
        return jsonResponse({ items: [entry({ action: 'event.create', target: `organization:${ORG}` })], next_cursor: null });
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG });
    renderRoute('/organization/audit');
    await screen.findByRole('heading', { level: 1, name: 'Auditoría de mi organización' });
    expect(await screen.findByText('event.create')).toBeInTheDocument();
    expect(paths).toEqual([`/api/v1/organizations/${ORG}/audit`]);
  });

  it('keeps customers away from the trail', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [] }) });
    signInAs({ role: 'customer' });
    const { router } = renderRoute('/admin/audit');
    await waitFor(() => expect(router.state.location.pathname).not.toBe('/admin/audit'));
  });
});
