/** Reservation and availability bodies as the edge returns them (routes/reservations.py). */
import type { Schemas } from '@/api/client';

import { eventBody } from './events';

const EVENT_ID = eventBody().id;

export function zoneAvailability(zoneId: string, overrides: Partial<Schemas['ZoneAvailabilityOut']> = {}): Schemas['ZoneAvailabilityOut'] {
  return { session_id: 's1', zone_id: zoneId, capacity: 100, available: 100, status: 'on_sale', ...overrides };
}

export function availabilityBody(
  zones: Schemas['ZoneAvailabilityOut'][] = [zoneAvailability('z1'), zoneAvailability('z2')],
  overrides: Partial<Schemas['AvailabilityPublic']> = {},
): Schemas['AvailabilityPublic'] {
  return { event_id: EVENT_ID, zones, as_of: '2030-01-01T00:00:00Z', on_sale_at: null, ...overrides };
}

export function reservationBody(overrides: Partial<Schemas['ReservationPublic']> = {}): Schemas['ReservationPublic'] {
  return {
    id: 'r1',
    status: 'held',
    event_id: EVENT_ID,
    event_name: 'Noche de Jazz en el Foro',
    session_id: 's1',
    items: [
      { zone_id: 'z1', zone_name: 'General', quantity: 2, unit_price: { amount: '450.00', currency: 'MXN' } },
      { zone_id: 'z2', zone_name: 'VIP', quantity: 1, unit_price: { amount: '1800.00', currency: 'MXN' } },
    ],
    total: { amount: '2700.00', currency: 'MXN' },
    expires_at: new Date(Date.now() + 10 * 60_000).toISOString(),
    created_at: new Date().toISOString(),
    ended_at: null,
    ...overrides,
  };
}

export const PROBLEMS = 'https://taquilla.dev/problems/';

/** A waiting-list entry as the edge returns it (routes/waitlist.py). */
export function waitlistEntryBody(overrides: Partial<Schemas['WaitlistEntryPublic']> = {}): Schemas['WaitlistEntryPublic'] {
  return {
    id: 'w1',
    event_id: EVENT_ID,
    event_name: 'Noche de Jazz en el Foro',
    session_id: 's1',
    zone_id: 'z1',
    zone_name: 'General',
    quantity: 2,
    status: 'waiting',
    position: 3,
    created_at: '2026-01-01T10:00:00Z',
    offered_at: null,
    offer_reservation_id: null,
    offer_expires_at: null,
    ...overrides,
  };
}
