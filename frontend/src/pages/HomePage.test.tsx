import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { jsonResponse, mockFetch, renderRoute } from '@/test/utils';

describe('HomePage upcoming events', () => {
  it('shows a friendly notice when the events API is not available yet (404)', async () => {
    const fetchMock = mockFetch({});
    renderRoute('/');

    expect(await screen.findByText('El catálogo estará disponible muy pronto')).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith('/api/v1/events?limit=6', expect.anything());
  });

  it('shows a friendly notice on 503', async () => {
    mockFetch({
      '/api/v1/events': () =>
        jsonResponse({ title: 'Service Unavailable', status: 503 }, { status: 503, contentType: 'application/problem+json' }),
    });
    renderRoute('/');
    expect(await screen.findByText('El catálogo estará disponible muy pronto')).toBeInTheDocument();
  });

  it('offers a retry when the request fails for another reason', async () => {
    let calls = 0;
    mockFetch({
      '/api/v1/events': () => {
        calls += 1;
        // The first attempt and its single automatic retry fail.
        if (calls <= 2) throw new TypeError('Failed to fetch');
        return jsonResponse({ items: [] });
      },
    });
    const { user } = renderRoute('/');

    const retry = await screen.findByRole('button', { name: 'Reintentar' }, { timeout: 3_000 });
    expect(calls).toBe(2);
    await user.click(retry);
    expect(await screen.findByText('Todavía no hay eventos publicados. ¡Vuelve pronto!')).toBeInTheDocument();
    expect(calls).toBe(3);
  });

  it('lists upcoming events', async () => {
    mockFetch({
      '/api/v1/events': () =>
        jsonResponse({
          items: [
            { id: 'e1', title: 'Jazz en el parque', starts_at: '2030-06-01T19:00:00Z', venue: { name: 'Retiro', city: 'Madrid' } },
            { id: 'e2', title: 'Teatro clásico' },
            { bogus: true },
          ],
        }),
    });
    renderRoute('/');

    const section = screen.getByRole('region', { name: 'Próximos eventos' });
    const cards = await within(section).findAllByRole('article');
    expect(cards).toHaveLength(2);
    expect(cards[0]).toHaveTextContent('Jazz en el parque');
    expect(cards[0]).toHaveTextContent('Retiro, Madrid');
  });
});
