import { type Schemas } from '@/api/client';

type Venue = Pick<Schemas['Venue'], 'name' | 'address' | 'city'> & Partial<Pick<Schemas['Venue'], 'latitude' | 'longitude'>>;

/**
 * Where the venue is on OpenStreetMap (no API key): a marker at its coordinates when the catalog has
 * them, otherwise a search for its name, address and city.
 */
export function venueMapUrl(venue: Venue): string {
  if (typeof venue.latitude === 'number' && typeof venue.longitude === 'number') {
    const lat = venue.latitude.toFixed(6);
    const lon = venue.longitude.toFixed(6);
    return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
  }
  const query = [venue.name, venue.address, venue.city].map((part) => part.trim()).filter(Boolean).join(', ');
  return `https://www.openstreetmap.org/search?query=${encodeURIComponent(query)}`;
}

export type ShareOutcome = 'shared' | 'copied' | 'cancelled' | 'failed';

/**
 * Shares a page with the system's share sheet when the browser has one, else copies its address to
 * the clipboard. A share the reader dismisses is `cancelled`, not a failure.
 */
export async function shareLink(data: { title: string; url: string }): Promise<ShareOutcome> {
  if (typeof navigator.share === 'function') {
    try {
      await navigator.share({ title: data.title, url: data.url });
      return 'shared';
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return 'cancelled';
      // Not allowed here (e.g. no user activation): fall back to copying.
    }
  }
  try {
    await navigator.clipboard.writeText(data.url);
    return 'copied';
  } catch {
    return 'failed';
  }
}
