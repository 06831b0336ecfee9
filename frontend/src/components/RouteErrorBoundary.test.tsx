import { screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { AppLayout } from '@/components/AppLayout';
import { RouteErrorBoundary } from '@/components/RouteErrorBoundary';
import { renderRoute } from '@/test/utils';

let shouldThrow = true;

function FlakyPage() {
  if (shouldThrow) throw new Error('kaboom');
  return <h1>Recovered content</h1>;
}

describe('RouteErrorBoundary', () => {
  beforeEach(() => {
    shouldThrow = true;
    // React and React Router log caught render errors; keep test output clean.
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('contains a crashing route inside the layout and recovers on retry', async () => {
    const { user } = renderRoute('/flaky', {
      routes: [
        {
          path: '/',
          element: <AppLayout />,
          children: [{ path: 'flaky', element: <FlakyPage />, errorElement: <RouteErrorBoundary /> }],
        },
      ],
    });

    expect(screen.getByRole('heading', { level: 1, name: 'Algo salió mal' })).toBeInTheDocument();
    // The layout around the failed route is still usable.
    expect(screen.getByRole('banner')).toBeInTheDocument();
    expect(screen.getByRole('main')).toContainElement(screen.getByRole('button', { name: 'Reintentar' }));

    shouldThrow = false;
    await user.click(screen.getByRole('button', { name: 'Reintentar' }));

    expect(await screen.findByRole('heading', { name: 'Recovered content' })).toBeInTheDocument();
    expect(screen.queryByText('Algo salió mal')).not.toBeInTheDocument();
  });

  it('renders the not-found page for unknown paths', () => {
    renderRoute('/no/such/page');
    expect(screen.getByRole('heading', { level: 1, name: 'Página no encontrada' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Volver al inicio' })).toHaveAttribute('href', '/');
  });
});
