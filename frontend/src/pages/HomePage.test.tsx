import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { eventBody, listingBody } from '@/test/events';
import { jsonResponse, mockFetch, renderRoute } from '@/test/utils';

const venue = (name: string, city: string) => ({ ...eventBody().venue, name, city });

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
      '/api/v1/events': (request) => {
        if (new URL(request.url).searchParams.has('featured')) return jsonResponse({ items: [] });
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
            listingBody({ id: 'e1', name: 'Jazz en el parque', starts_at: '2030-06-01T19:00:00Z', venue: venue('Retiro', 'Madrid') }),
            listingBody({ id: 'e2', name: 'Teatro clásico' }),
          ],
          next_cursor: null,
          total: null,
        }),
    });
    renderRoute('/');

    const section = screen.getByRole('region', { name: 'Próximos eventos' });
    const cards = await within(section).findAllByRole('article');
    expect(cards).toHaveLength(2);
    expect(cards[0]).toHaveTextContent('Jazz en el parque');
    expect(cards[0]).toHaveTextContent('Retiro, Madrid');
  });

  it('shows the featured events above the upcoming ones', async () => {
    const fetchMock = mockFetch({
      '/api/v1/events': (request) =>
        new URL(request.url).searchParams.get('featured') === 'true'
          ? jsonResponse({ items: [listingBody({ id: 'f1', name: 'Gala de Ópera', featured: true, venue: venue('Bellas Artes', 'CDMX') })] })
          : jsonResponse({ items: [listingBody({ id: 'e1', name: 'Jazz en el parque' })] }),
    });
    renderRoute('/');
    const featured = await screen.findByRole('region', { name: 'Destacados' });
    expect(within(featured).getByRole('link', { name: 'Gala de Ópera' })).toHaveAttribute('href', '/events/f1');
    expect(fetchMock).toHaveBeenCalledWith('/api/v1/events?featured=true&limit=3', expect.anything());
    const upcoming = screen.getByRole('region', { name: 'Próximos eventos' });
    expect(await within(upcoming).findByText('Jazz en el parque')).toBeInTheDocument();
    expect(featured.compareDocumentPosition(upcoming) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('leaves the featured section out when nothing is featured', async () => {
    mockFetch({
      '/api/v1/events': (request) =>
        jsonResponse({ items: new URL(request.url).searchParams.has('featured') ? [] : [listingBody({ id: 'e1', name: 'Jazz en el parque' })] }),
    });
    renderRoute('/');
    await screen.findByText('Jazz en el parque');
    expect(screen.queryByRole('region', { name: 'Destacados' })).not.toBeInTheDocument();
  });
});
