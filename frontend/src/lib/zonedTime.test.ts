import { describe, expect, it } from 'vitest';

import { isoToZonedLocal, isValidTimeZone, offsetMinutes, zonedLocalToEpoch, zonedLocalToIso } from './zonedTime';

describe('zoned wall-clock times', () => {
  it('converts a local time in a zone to ISO with that offset', () => {
    expect(zonedLocalToIso('2030-03-14T20:00', 'America/Mexico_City')).toBe('2030-03-14T20:00:00-06:00');
    expect(zonedLocalToIso('2030-07-01T21:30', 'Europe/Madrid')).toBe('2030-07-01T21:30:00+02:00');
    expect(zonedLocalToIso('2030-01-01T09:00', 'UTC')).toBe('2030-01-01T09:00:00+00:00');
    expect(zonedLocalToIso('2030-01-01T09:00', 'Asia/Kolkata')).toBe('2030-01-01T09:00:00+05:30');
  });

  it('handles daylight-saving changes', () => {
    // Madrid: winter +01:00, summer +02:00.
    expect(offsetMinutes(Date.UTC(2030, 0, 15), 'Europe/Madrid')).toBe(60);
    expect(offsetMinutes(Date.UTC(2030, 6, 15), 'Europe/Madrid')).toBe(120);
    expect(zonedLocalToEpoch('2030-10-27T12:00', 'Europe/Madrid')).toBe(Date.UTC(2030, 9, 27, 11, 0));
  });

  it('round-trips an instant back to the venue wall clock', () => {
    expect(isoToZonedLocal('2030-03-15T02:00:00Z', 'America/Mexico_City')).toBe('2030-03-14T20:00');
    expect(isoToZonedLocal('not a date', 'UTC')).toBe('');
  });

  it('rejects malformed input and unknown zones', () => {
    expect(zonedLocalToIso('2030-03-14', 'UTC')).toBeUndefined();
    expect(zonedLocalToIso('2030-03-14T20:00', 'Mars/Olympus')).toBeUndefined();
    expect(isValidTimeZone('Europe/Madrid')).toBe(true);
    expect(isValidTimeZone('Nowhere/Atlantis')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
