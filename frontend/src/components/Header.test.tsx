import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { mockFetch, renderRoute } from '@/test/utils';

describe('Header menu (small screens)', () => {
  it('opens with aria-expanded, moves focus into the menu and closes with Escape', async () => {
    mockFetch({});
    const { user } = renderRoute('/status');
    const button = screen.getByRole('button', { name: 'Menú' });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).toHaveAttribute('aria-controls', 'site-menu');
    expect(document.getElementById('site-menu')).toHaveClass('hidden');

    await user.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    expect(document.getElementById('site-menu')).not.toHaveClass('hidden');
    const nav = screen.getByRole('navigation', { name: 'Navegación principal' });
    await waitFor(() => expect(within(nav).getByRole('link', { name: 'Inicio' })).toHaveFocus());

    await user.keyboard('{Escape}');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).toHaveFocus();
  });

  it('closes after following a link', async () => {
    mockFetch({});
    const { user, router } = renderRoute('/status');
    const button = screen.getByRole('button', { name: 'Menú' });
    await user.click(button);
    const nav = screen.getByRole('navigation', { name: 'Navegación principal' });
    await user.click(within(nav).getByRole('link', { name: 'Eventos' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/events'));
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(document.getElementById('site-menu')).toHaveClass('hidden');
  });
});
