import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { eventBody, listingBody } from '@/test/events';
import { jsonResponse, mockFetch, problem, renderRoute } from '@/test/utils';

function calledPaths(fetchMock: ReturnType<typeof mockFetch>): string[] {
  return fetchMock.mock.calls.map(([url]) => url as string).filter((url) => url.startsWith('/api/v1/events'));
}

describe('EventsPage', () => {
  it('shows tiles with price and loads more with the cursor', async () => {
    const fetchMock = mockFetch({
      '/api/v1/events': (request) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        return cursor === 'c2'
          ? jsonResponse({ items: [listingBody({}, eventBody({ id: 'e2', name: 'Teatro clásico', category: 'theatre' }))], next_cursor: null })
          : jsonResponse({ items: [listingBody({ id: 'e1' })], next_cursor: 'c2', total: 2 });
      },
    });
    const { user } = renderRoute('/events');
    const results = screen.getByRole('region', { name: 'Resultados' });
    const first = await within(results).findByRole('article');
    expect(first).toHaveTextContent('Noche de Jazz en el Foro');
    expect(first).toHaveTextContent('Foro Sol, Ciudad de México');
    expect(first).toHaveTextContent(/Desde 450,00/);
    expect(within(first).getByRole('link', { name: 'Noche de Jazz en el Foro' })).toHaveAttribute('href', '/events/e1');
    expect(screen.getByText('2 eventos')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Cargar más' }));
    expect(await within(results).findByText('Teatro clásico')).toBeInTheDocument();
    expect(calledPaths(fetchMock)).toContain('/api/v1/events?limit=12&cursor=c2');
  });

  it('searches from the third character, debounced', async () => {
    const fetchMock = mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    const { user, router } = renderRoute('/events');
    await screen.findByText('No encontramos eventos con esos criterios.');
    const box = screen.getByRole('searchbox', { name: 'Buscar eventos' });

    await user.type(box, 'ja');
    expect(box).toHaveAccessibleDescription('Escribe al menos 3 caracteres.');
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(calledPaths(fetchMock).some((p) => p.includes('q='))).toBe(false);

    await user.type(box, 'zz');
    await waitFor(() => expect(calledPaths(fetchMock)).toContain('/api/v1/events?q=jazz&limit=12&count=true'));
    // Typing quickly sent one request for the whole word, not one per key.
    expect(calledPaths(fetchMock).filter((p) => p.includes('q=jaz'))).toEqual(['/api/v1/events?q=jazz&limit=12&count=true']);
    expect(router.state.location.search).toBe('?q=jazz');
  });

  it('applies filters from the URL and the controls', async () => {
    const fetchMock = mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    const { user } = renderRoute('/events?category=theatre&from=2030-01-01');
    await screen.findByText('No encontramos eventos con esos criterios.');
    expect(calledPaths(fetchMock)[0]).toBe('/api/v1/events?category=theatre&date_from=2030-01-01&limit=12&count=true');
    await user.click(screen.getByRole('checkbox', { name: 'Solo con entradas disponibles' }));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Ordenar por' }), 'price');
    await waitFor(() =>
      expect(calledPaths(fetchMock)).toContain(
        '/api/v1/events?category=theatre&date_from=2030-01-01&currency=EUR&available=true&sort=price&limit=12&count=true',
      ),
    );
  });

  it('filters by a price range typed in either notation, and says when a price is not one', async () => {
    const fetchMock = mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    const { user, router } = renderRoute('/events');
    await screen.findByText('No encontramos eventos con esos criterios.');
    const minimum = screen.getByRole('textbox', { name: 'Precio mínimo' });
    await user.type(minimum, '50000');
    await user.type(screen.getByRole('textbox', { name: 'Precio máximo' }), '120000,50');
    await waitFor(() =>
      expect(calledPaths(fetchMock)).toContain('/api/v1/events?price_min=50000&price_max=120000.50&currency=EUR&limit=12&count=true'),
    );
    expect(router.state.location.search).toBe('?price_min=50000&price_max=120000.50');

    await user.clear(minimum);
    await user.type(minimum, 'barato');
    expect(minimum).toHaveAccessibleDescription('Un número, p. ej. 50000 o 25.50 Escribe un precio: un número, p. ej. 50000 o 25.50.');
    expect(minimum).toHaveAttribute('aria-invalid', 'true');
    await waitFor(() => expect(router.state.location.search).toBe('?price_max=120000.50'));
  });

  it('shows a wrong price or date range at its field and does not search, never as a connection problem', async () => {
    const fetchMock = mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    const { user } = renderRoute('/events?from=2030-05-10&to=2030-05-01');
    const to = await screen.findByLabelText('Hasta');
    expect(to).toHaveAccessibleDescription('La fecha «Hasta» no puede ser anterior a la fecha «Desde».');
    expect(to).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('heading', { name: 'Revisa los filtros' })).toBeInTheDocument();
    expect(screen.queryByText(/Comprueba tu conexión/)).not.toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();

    await user.clear(to);
    await user.type(to, '2030-05-20');
    await user.type(screen.getByRole('textbox', { name: 'Precio mínimo' }), '100');
    const maximum = screen.getByRole('textbox', { name: 'Precio máximo' });
    await user.type(maximum, '20');
    expect(await screen.findByText('El precio máximo no puede ser menor que el mínimo.')).toBeInTheDocument();
    expect(maximum).toHaveAttribute('aria-invalid', 'true');
    expect(to).not.toHaveAttribute('aria-invalid');
    expect(calledPaths(fetchMock).some((path) => path.includes('price_max=20'))).toBe(false);
  });

  it("puts the server's field errors (422) at the fields, in the reader's language", async () => {
    mockFetch({
      '/api/v1/events': () =>
        problem(422, {
          errors: [
            { field: 'date_to', message: 'must be after date_from' },
            { field: 'query.price_min', message: "String should match pattern '^\\d{1,10}(\\.\\d{1,2})?$'" },
          ],
        }),
    });
    renderRoute('/events?from=2030-05-10&to=2030-05-10&price_min=5');
    const to = await screen.findByLabelText('Hasta');
    await waitFor(() => expect(to).toHaveAccessibleDescription('La fecha «Hasta» no puede ser anterior a la fecha «Desde».'));
    expect(screen.getByRole('textbox', { name: 'Precio mínimo' })).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('heading', { name: 'Revisa los filtros' })).toBeInTheDocument();
    expect(screen.queryByText(/Comprueba tu conexión|must be after|should match/)).not.toBeInTheDocument();
  });

  it('keeps the scroll position of the list when coming back from an event', async () => {
    mockFetch({
      '/api/v1/events': () => jsonResponse({ items: [listingBody({ id: 'e1' })], next_cursor: null }),
      '/api/v1/events/e1': () => jsonResponse(eventBody({ id: 'e1', status: 'draft' })),
    });
    const scrollTo = vi.spyOn(window, 'scrollTo').mockImplementation(() => undefined);
    const focus = vi.spyOn(HTMLElement.prototype, 'focus');
    const { user, router } = renderRoute('/events');
    const link = await screen.findByRole('link', { name: 'Noche de Jazz en el Foro' });
    Object.defineProperty(window, 'scrollY', { value: 1400, configurable: true });
    await user.click(link);
    await screen.findByRole('heading', { level: 1, name: 'Noche de Jazz en el Foro' });
    // Focus goes to the new page without scrolling it (ScrollRestoration decides where it shows).
    expect(focus).toHaveBeenLastCalledWith({ preventScroll: true });
    Object.defineProperty(window, 'scrollY', { value: 0, configurable: true });
    scrollTo.mockClear();
    await act(() => router.navigate(-1));
    await screen.findByRole('heading', { level: 1, name: 'Eventos' });
    await waitFor(() => expect(scrollTo).toHaveBeenLastCalledWith(0, 1400));
    scrollTo.mockRestore();
    focus.mockRestore();
  });

  it('compares prices within one currency: the euro by default in Spanish, or the one the buyer picks', async () => {
    const fetchMock = mockFetch({
      '/api/v1/events': () =>
        jsonResponse({
          items: [listingBody({ id: 'e1', price_from: { amount: '25.50', currency: 'EUR' } }), listingBody({ id: 'e2', price_from: { amount: '60000.00', currency: 'COP' } })],
          next_cursor: null,
        }),
    });
    const { user, router } = renderRoute('/events');
    const results = screen.getByRole('region', { name: 'Resultados' });
    // Each price in its own currency's format (pesos without cents).
    const [euros, pesos] = await within(results).findAllByRole('article');
    expect(euros).toHaveTextContent('Desde 25,50 €');
    expect(pesos).toHaveTextContent(/Desde 60\.000\sCOP/);
    // No price filter, no price order: the currency is not sent (it would change nothing).
    expect(calledPaths(fetchMock)[0]).toBe('/api/v1/events?limit=12&count=true');

    const picker = screen.getByRole('combobox', { name: 'Moneda' });
    expect(picker).toHaveValue('EUR');
    expect(picker).toHaveAccessibleDescription('Los precios se filtran y ordenan en esta moneda.');
    await user.type(screen.getByRole('textbox', { name: 'Precio máximo' }), '100');
    await waitFor(() => expect(calledPaths(fetchMock)).toContain('/api/v1/events?price_max=100&currency=EUR&limit=12&count=true'));
    await user.selectOptions(picker, 'COP');
    await waitFor(() => expect(calledPaths(fetchMock)).toContain('/api/v1/events?price_max=100&currency=COP&limit=12&count=true'));
    expect(router.state.location.search).toBe('?price_max=100&currency=COP');
  });

  it.each([404, 405, 501])('degrades to "search unavailable" on %i', async (status) => {
    mockFetch({ '/api/v1/events': () => problem(status) });
    renderRoute('/events');
    expect(await screen.findByRole('heading', { name: 'La búsqueda no está disponible todavía' })).toBeInTheDocument();
  });

  it('offers a retry on other failures', async () => {
    let calls = 0;
    mockFetch({
      '/api/v1/events': () => {
        calls += 1;
        if (calls <= 2) throw new TypeError('Failed to fetch');
        return jsonResponse({ items: [listingBody()], next_cursor: null });
      },
    });
    const { user } = renderRoute('/events');
    await user.click(await screen.findByRole('button', { name: 'Reintentar' }, { timeout: 3000 }));
    expect(await screen.findByText('Noche de Jazz en el Foro')).toBeInTheDocument();
  });
});

describe('EventsPage filters on small screens', () => {
  it('folds the filters behind a button that counts them and opens the panel', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    const { user } = renderRoute('/events?category=theatre&available=true');
    await screen.findByText('No encontramos eventos con esos criterios.');
    const button = screen.getByRole('button', { name: 'Filtros (2)' });
    const panel = document.getElementById('event-filters');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(panel).toHaveClass('hidden');

    await user.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    expect(panel).not.toHaveClass('hidden');

    await user.click(screen.getByRole('button', { name: 'Ver resultados' }));
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(screen.getByRole('heading', { name: 'Resultados' })).toHaveFocus();
  });

  it('keeps the panel open while a filter shows an error', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [], next_cursor: null }) });
    renderRoute('/events?from=2030-02-01&to=2030-01-01');
    const button = await screen.findByRole('button', { name: 'Filtros (2)' });
    expect(button).toHaveAttribute('aria-expanded', 'true');
    expect(document.getElementById('event-filters')).not.toHaveClass('hidden');
  });
});
