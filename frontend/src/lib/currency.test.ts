import { describe, expect, it } from 'vitest';

import { currencyLabel, defaultCurrency } from './currency';

describe('defaultCurrency', () => {
  it("follows the region of the browser's language in the interface's language", () => {
    expect(defaultCurrency('es', ['es-CO', 'en-US'])).toBe('COP');
    expect(defaultCurrency('es', ['es-MX'])).toBe('MXN');
    expect(defaultCurrency('en', ['es-CO', 'en-US'])).toBe('USD');
  });

  it('falls back to the euro without a region we sell in', () => {
    expect(defaultCurrency('es', ['es'])).toBe('EUR');
    expect(defaultCurrency('es', ['en-US'])).toBe('EUR');
    expect(defaultCurrency('en', ['en-ZA'])).toBe('EUR');
    expect(defaultCurrency('es', [])).toBe('EUR');
  });
});

describe('currencyLabel', () => {
  it('names the currency in the reader’s language', () => {
    expect(currencyLabel('EUR', 'es-ES')).toBe('EUR · euro');
    expect(currencyLabel('COP', 'en-GB')).toMatch(/^COP · Colombian peso/i);
  });
});
