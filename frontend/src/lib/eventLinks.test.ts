import { afterEach, describe, expect, it, vi } from 'vitest';

import { shareLink, venueMapUrl } from './eventLinks';

describe('venueMapUrl', () => {
  it('searches OpenStreetMap for the venue, its address and city', () => {
    expect(venueMapUrl({ name: 'Foro Sol', address: 'Av. Viaducto s/n', city: 'Ciudad de México' })).toBe(
      'https://www.openstreetmap.org/search?query=Foro%20Sol%2C%20Av.%20Viaducto%20s%2Fn%2C%20Ciudad%20de%20M%C3%A9xico',
    );
  });

  it('puts a marker at the coordinates when the catalog has them', () => {
    expect(venueMapUrl({ name: 'X', address: '', city: 'Madrid', latitude: 40.4168, longitude: -3.7038 })).toBe(
      'https://www.openstreetmap.org/?mlat=40.416800&mlon=-3.703800#map=17/40.416800/-3.703800',
    );
  });
});

describe('shareLink', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('uses the share sheet when there is one, and a dismissed sheet is no failure', async () => {
    const share = vi.fn().mockResolvedValueOnce(undefined).mockRejectedValueOnce(new DOMException('no', 'AbortError'));
    vi.stubGlobal('navigator', { ...navigator, share });
    expect(await shareLink({ title: 'Jazz', url: 'https://t.example/e/1' })).toBe('shared');
    expect(share).toHaveBeenCalledWith({ title: 'Jazz', url: 'https://t.example/e/1' });
    expect(await shareLink({ title: 'Jazz', url: 'https://t.example/e/1' })).toBe('cancelled');
  });

  it('copies the link without a share sheet, and says when it cannot', async () => {
    const writeText = vi.fn().mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('denied'));
    vi.stubGlobal('navigator', { ...navigator, share: undefined, clipboard: { writeText } });
    expect(await shareLink({ title: 'Jazz', url: 'https://t.example/e/1' })).toBe('copied');
    expect(writeText).toHaveBeenCalledWith('https://t.example/e/1');
    expect(await shareLink({ title: 'Jazz', url: 'https://t.example/e/1' })).toBe('failed');
  });
});
