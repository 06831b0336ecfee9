import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { eventBody, listingBody } from '@/test/events';
import { jsonResponse, mockFetch, renderRoute } from '@/test/utils';

describe('event cards', () => {
  it('sell the event: image, date badge, category, name, place and "from" price', async () => {
    mockFetch({
      '/api/v1/events': () =>
        jsonResponse({ items: [listingBody({ id: 'e1', image_url: 'https://img.example/jazz.jpg' })], next_cursor: null }),
    });
    renderRoute('/events');
    const card = await within(screen.getByRole('region', { name: 'Resultados' })).findByRole('article');
    const image = card.querySelector('img');
    expect(image).toHaveAttribute('src', 'https://img.example/jazz.jpg');
    expect(image).toHaveAttribute('alt', '');
    // 2030-03-15T00:00Z is the 14th in Mexico City: the badge speaks the venue's date.
    expect(card).toHaveTextContent(/^14mar/);
    expect(card).toHaveTextContent('Concierto');
    expect(card).toHaveTextContent('Foro Sol, Ciudad de México');
    expect(card).toHaveTextContent(/Desde 450,00/);
  });

  it('draw their category instead of a missing image or one that fails to load: no broken frame', async () => {
    mockFetch({
      '/api/v1/events': () =>
        jsonResponse({
          items: [
            listingBody({ id: 'e1', image_url: 'https://img.example/broken.jpg' }),
            listingBody({ id: 'e2', image_url: null }, eventBody({ id: 'e2', name: 'Teatro clásico', category: 'theatre' })),
          ],
          next_cursor: null,
        }),
    });
    renderRoute('/events');
    const [broken, none] = await within(screen.getByRole('region', { name: 'Resultados' })).findAllByRole('article');
    expect(within(none!).getByTestId('event-image-fallback')).toBeInTheDocument();
    expect(none!.querySelector('img')).toBeNull();

    fireEvent.error(broken!.querySelector('img')!);
    expect(broken!.querySelector('img')).toBeNull();
    expect(within(broken!).getByTestId('event-image-fallback')).toBeInTheDocument();
  });

  it('are stood in for by skeletons, with one status, while the list loads', async () => {
    let answer: (response: Response) => void = () => undefined;
    mockFetch({ '/api/v1/events': () => new Promise<Response>((resolve) => (answer = resolve)) });
    renderRoute('/events');
    expect(await screen.findByRole('status', { name: 'Buscando eventos…' })).toBeInTheDocument();
    expect(screen.getAllByTestId('event-card-skeleton')).toHaveLength(6);
    expect(document.querySelector('.motion-safe\\:animate-spin')).toBeNull();
    answer(jsonResponse({ items: [listingBody({ id: 'e1' })], next_cursor: null }));
    expect(await screen.findByRole('article')).toBeInTheDocument();
    expect(screen.queryByTestId('event-card-skeleton')).not.toBeInTheDocument();
  });
});

describe('the home page', () => {
  it('does not promote the platform status page (the footer links it)', async () => {
    mockFetch({ '/api/v1/events': () => jsonResponse({ items: [listingBody({ id: 'e1' })], next_cursor: null }) });
    renderRoute('/');
    await screen.findByRole('article');
    const statusLinks = screen.queryAllByRole('link', { name: 'Estado de la plataforma' });
    expect(statusLinks).toHaveLength(0);
    const footer = screen.getByRole('contentinfo');
    expect(within(footer).getByRole('link', { name: /Estado/ })).toHaveAttribute('href', '/status');
    expect(within(screen.getByRole('main')).queryByRole('link', { name: /Estado/ })).not.toBeInTheDocument();
  });

  it('shows skeletons, not a spinner, while the upcoming events load', async () => {
    mockFetch({ '/api/v1/events': () => new Promise<Response>(() => undefined) });
    renderRoute('/');
    expect(await screen.findByRole('status', { name: 'Cargando próximos eventos…' })).toBeInTheDocument();
    expect(screen.getAllByTestId('event-card-skeleton')).toHaveLength(6);
  });
});
