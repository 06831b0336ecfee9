import type { Schemas } from '@/api/client';

/** `EventPublic` bodies as the edge returns them (typed by its schema, so they stay complete). */
export const ORG_ID = '33333333-3333-4333-8333-333333333333';

export function eventBody(overrides: Partial<Schemas['EventPublic']> = {}): Schemas['EventPublic'] {
  return {
    id: '0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60',
    organization_id: ORG_ID,
    created_by: '00000000-0000-4000-8000-000000000001',
    name: 'Noche de Jazz en el Foro',
    description: 'Tres horas de jazz.\nPuertas 19:00.',
    category: 'concert',
    venue: { name: 'Foro Sol', city: 'Ciudad de México', address: 'Av. Viaducto s/n', latitude: null, longitude: null },
    image_url: null,
    starts_at: '2030-03-15T00:00:00Z',
    ends_at: '2030-03-15T05:00:00Z',
    timezone: 'America/Mexico_City',
    status: 'published',
    capacity: 5300,
    version: 3,
    zones: [
      { id: 'z1', name: 'General', price: { amount: '450.00', currency: 'MXN' }, capacity: 5000, max_per_order: 10 },
      { id: 'z2', name: 'VIP', price: { amount: '1800.00', currency: 'MXN' }, capacity: 300, max_per_order: 10 },
    ],
    sessions: [
      {
        id: 's1',
        event_id: '0b6f0c9e-4a1b-4d0e-9a57-1b2c3d4e5f60',
        title: 'Función de noche',
        presenter: '',
        starts_at: '2030-03-15T02:00:00Z',
        ends_at: '2030-03-15T04:00:00Z',
        place: 'Sala 1',
        capacity_override: null,
        resources: [],
        status: 'on_sale',
        capacity: 5300,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      },
    ],
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    published_at: '2026-01-01T00:00:00Z',
    cancelled_at: null,
    cancellation_reason: '',
    featured: false,
    sales: {
      on_sale_at: null,
      hold_minutes: 10,
      max_per_customer: null,
      waiting_room: false,
      admission_per_minute: 300,
      payment_minutes: 10,
      reentry_allowed: false,
      transfers_allowed: true,
    },
    ...overrides,
  };
}

/** An `EventListing` (the listing and search) made from an `EventPublic`, as the edge derives it. */
export function listingBody(
  overrides: Partial<Schemas['EventListing']> = {},
  event: Schemas['EventPublic'] = eventBody(),
): Schemas['EventListing'] {
  const prices = event.zones.map((zone) => zone.price).sort((a, b) => Number(a.amount) - Number(b.amount));
  return {
    id: event.id,
    organization_id: event.organization_id,
    name: event.name,
    category: event.category,
    venue: event.venue,
    image_url: event.image_url,
    starts_at: event.starts_at,
    ends_at: event.ends_at,
    timezone: event.timezone,
    price_from: prices[0] ?? null,
    available: true,
    version: event.version,
    featured: event.featured,
    ...overrides,
  };
}
