/** `EventPublic` bodies as the edge returns them. */
export const ORG_ID = '33333333-3333-4333-8333-333333333333';

export function eventBody(overrides: Record<string, unknown> = {}) {
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
      { id: 'z1', name: 'General', price: { amount: '450.00', currency: 'MXN' }, capacity: 5000 },
      { id: 'z2', name: 'VIP', price: { amount: '1800.00', currency: 'MXN' }, capacity: 300 },
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
    ...overrides,
  };
}
