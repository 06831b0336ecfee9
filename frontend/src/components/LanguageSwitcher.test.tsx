import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { UI_STORAGE_KEY } from '@/store/ui';
import { mockFetch, renderRoute } from '@/test/utils';

describe('LanguageSwitcher', () => {
  it('defaults to Spanish and switches the whole UI to English', async () => {
    mockFetch({});
    const { user } = renderRoute('/');

    const group = screen.getByRole('group', { name: 'Idioma' });
    expect(group).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Español' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('heading', { level: 1, name: 'Tus próximos planes empiezan aquí' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Saltar al contenido principal' })).toHaveAttribute('href', '#main');
    expect(document.documentElement.lang).toBe('es');

    await user.click(screen.getByRole('button', { name: 'English' }));

    expect(screen.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('button', { name: 'Español' })).toHaveAttribute('aria-pressed', 'false');
    expect(screen.getByRole('heading', { level: 1, name: 'Your next plans start here' })).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Language' })).toBeInTheDocument();
    expect(screen.getByRole('navigation', { name: 'Main navigation' })).toHaveTextContent('Status');
    expect(document.documentElement.lang).toBe('en');
    expect(localStorage.getItem(UI_STORAGE_KEY)).toContain('"locale":"en"');

    // Let the pending events query settle so nothing updates after the test ends.
    expect(await screen.findByText('The catalogue is coming soon')).toBeInTheDocument();
  });
});
