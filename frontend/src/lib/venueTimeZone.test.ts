import { describe, expect, it } from 'vitest';

import { cityTimeZone, initialTimeZone, LAST_TIME_ZONE_KEY, rememberTimeZone } from './venueTimeZone';

describe('venue time zones', () => {
  it('knows the catalog cities whatever their accents, case and spaces', () => {
    expect(cityTimeZone(' ciudad de  MÉXICO ')).toBe('America/Mexico_City');
    expect(cityTimeZone('Bogota')).toBe('America/Bogota');
    expect(cityTimeZone('Medellín')).toBe('America/Bogota');
    expect(cityTimeZone('Sevilla')).toBe('Europe/Madrid');
    expect(cityTimeZone('Córdoba')).toBeNull();
  });

  it('starts from the last zone saved on this device', () => {
    rememberTimeZone('America/Lima');
    expect(localStorage.getItem(LAST_TIME_ZONE_KEY)).toBe('America/Lima');
    expect(initialTimeZone()).toBe('America/Lima');
  });
});
