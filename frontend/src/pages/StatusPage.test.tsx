import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { jsonResponse, mockFetch, renderRoute } from '@/test/utils';

describe('StatusPage', () => {
  it('lists each dependency with an accessible up/down badge', async () => {
    const fetchMock = mockFetch({
      '/readyz': () =>
        jsonResponse(
          {
            status: 'not_ready',
            checks: [
              { name: 'identity_svc', status: 'up' },
              { name: 'event_svc', status: 'down', detail: 'deadline exceeded' },
              { name: 'notification_svc', status: 'up' },
              { name: 'redis', status: 'up' },
            ],
          },
          { status: 503 },
        ),
    });

    renderRoute('/status');

    expect(screen.getByRole('heading', { level: 1, name: 'Estado de la plataforma' })).toBeInTheDocument();
    const list = await screen.findByRole('list', { name: 'Dependencias' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(4);

    const [identity, events] = items;
    expect(identity).toHaveTextContent('Servicio de identidad');
    expect(identity).toHaveTextContent('identity_svc');
    expect(within(identity!).getByText('Operativo')).toHaveAttribute('data-status', 'up');

    expect(events).toHaveTextContent('Servicio de eventos');
    expect(events).toHaveTextContent('deadline exceeded');
    expect(within(events!).getByText('Caído')).toHaveAttribute('data-status', 'down');

    expect(screen.getByRole('heading', { name: 'Algunos servicios no están disponibles' })).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith('/readyz', expect.anything());
  });

  it('shows only the summary when the edge names no dependencies (its public answer)', async () => {
    mockFetch({ '/readyz': () => jsonResponse({ status: 'not_ready' }, { status: 503 }) });
    renderRoute('/status');
    expect(await screen.findByRole('heading', { name: 'Algunos servicios no están disponibles' })).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Dependencias' })).not.toBeInTheDocument();
    expect(screen.queryByText('La plataforma no ha informado de ninguna dependencia.')).not.toBeInTheDocument();
  });

  it('shows the all-clear summary when ready', async () => {
    mockFetch({
      '/readyz': () => jsonResponse({ status: 'ready', checks: [{ name: 'redis', status: 'up' }, { name: 'blob', status: 'up' }] }),
    });

    renderRoute('/status');

    expect(await screen.findByRole('heading', { name: 'Todos los sistemas funcionan con normalidad' })).toBeInTheDocument();
    // Unknown dependency names fall back to the raw name.
    expect(screen.getByRole('list', { name: 'Dependencias' })).toHaveTextContent('blob');
    expect(screen.getAllByText('Operativo')).toHaveLength(2);
  });

  it('renders an error state, not a crash, when the edge is unreachable', async () => {
    mockFetch({
      '/readyz': () => {
        throw new TypeError('Failed to fetch');
      },
    });

    renderRoute('/status');

    expect(await screen.findByRole('heading', { name: 'No se pudo consultar el estado' })).toBeInTheDocument();
    expect(screen.getByText(/^Referencia: /)).toBeInTheDocument();
  });

  it('treats a malformed body as an error and recovers on refresh', async () => {
    let calls = 0;
    mockFetch({
      '/readyz': () => {
        calls += 1;
        return calls === 1
          ? jsonResponse({ status: 'ok' })
          : jsonResponse({ status: 'ready', checks: [{ name: 'identity_svc', status: 'up' }] });
      },
    });

    const { user } = renderRoute('/status');

    expect(await screen.findByRole('heading', { name: 'No se pudo consultar el estado' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Actualizar' }));
    expect(await screen.findByRole('heading', { name: 'Todos los sistemas funcionan con normalidad' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('status', { name: 'Notificaciones' })).toHaveTextContent('Estado actualizado'));
  });
});
