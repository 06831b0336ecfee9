import { describe, expect, it } from 'vitest';

import { toEvent } from '@/api/events';
import { es } from '@/i18n/messages/es';
import { eventBody } from '@/test/events';

import {
  createBody,
  draftFromEvent,
  emptyDraft,
  mapServerField,
  patchBody,
  placesTakenMessage,
  serverFieldMessage,
  sessionChanges,
  validateDraft,
  type EventDraft,
} from './eventForm';

const NOW = Date.UTC(2026, 0, 1);
const NEW = { isNew: true, needsOrganization: false, zonesEditable: true, now: NOW };

function validDraft(): EventDraft {
  return {
    ...emptyDraft('America/Mexico_City'),
    name: 'Noche de Jazz',
    category: 'concert',
    venueName: 'Foro Sol',
    city: 'Ciudad de México',
    address: 'Av. Viaducto s/n',
    startsAt: '2030-03-14T18:00',
    endsAt: '2030-03-14T23:00',
    zones: [
      { key: 'z1', name: 'General', price: '450', capacity: '5000' },
      { key: 'z2', name: 'VIP', price: '1800.50', capacity: '300' },
    ],
    sessions: [
      { key: 's1', title: 'Primera', startsAt: '2030-03-14T18:00', endsAt: '2030-03-14T20:00', place: 'Sala 1' },
      { key: 's2', title: 'Segunda', startsAt: '2030-03-14T20:30', endsAt: '2030-03-14T22:30', place: 'Sala 1' },
    ],
  };
}

describe('validateDraft', () => {
  it('accepts a complete draft', () => {
    expect(validateDraft(validDraft(), es, NEW)).toEqual({});
  });

  it('requires the basics', () => {
    const errors = validateDraft({ ...emptyDraft(''), zones: [] }, es, NEW);
    for (const key of ['name', 'category', 'venue.name', 'venue.city', 'venue.address', 'timezone', 'starts_at', 'ends_at', 'zones']) {
      expect(errors[key], key).toBeDefined();
    }
  });

  it('checks capacity > 0 and price >= 0 with two decimals', () => {
    const draft = validDraft();
    draft.zones = [
      { key: 'a', name: 'A', price: '-1', capacity: '0' },
      { key: 'b', name: 'B', price: '10.555', capacity: '2.5' },
      { key: 'c', name: 'C', price: '0', capacity: '1' },
      { key: 'd', name: 'c ', price: '0,5', capacity: '1' },
    ];
    const errors = validateDraft(draft, es, NEW);
    expect(errors['zones.0.capacity']).toBe(es.eventForm.errors.capacity);
    expect(errors['zones.0.price']).toBe(es.eventForm.errors.price);
    expect(errors['zones.1.capacity']).toBe(es.eventForm.errors.capacity);
    expect(errors['zones.1.price']).toBe(es.eventForm.errors.price);
    expect(errors['zones.2.price']).toBeUndefined();
    expect(errors['zones.2.capacity']).toBeUndefined();
    expect(errors['zones.3.name']).toBe(es.eventForm.errors.duplicateZone);
    expect(errors['zones.3.price']).toBeUndefined();
  });

  it('keeps sessions within the event and apart at the same place', () => {
    const draft = validDraft();
    draft.sessions = [
      { key: 'a', title: '', startsAt: '2030-03-14T17:00', endsAt: '2030-03-14T19:00', place: '' },
      { key: 'b', title: '', startsAt: '2030-03-14T19:00', endsAt: '2030-03-14T21:00', place: 'Sala 1' },
      { key: 'c', title: '', startsAt: '2030-03-14T20:00', endsAt: '2030-03-14T22:00', place: 'sala 1' },
      { key: 'd', title: '', startsAt: '2030-03-14T20:00', endsAt: '2030-03-14T22:00', place: 'Sala 2' },
      { key: 'e', title: '', startsAt: '2030-03-14T22:00', endsAt: '2030-03-14T21:00', place: 'Sala 3' },
      { key: 'f', title: '', startsAt: '2030-03-14T22:00', endsAt: '2030-03-15T01:00', place: 'Sala 4' },
    ];
    const errors = validateDraft(draft, es, NEW);
    expect(errors['sessions.0.starts_at']).toBe(es.eventForm.errors.sessionOutside);
    expect(errors['sessions.1.starts_at']).toBeUndefined();
    expect(errors['sessions.2.starts_at']).toBe(es.eventForm.errors.sessionOverlap(2));
    expect(errors['sessions.3.starts_at']).toBeUndefined();
    expect(errors['sessions.4.ends_at']).toBe(es.eventForm.errors.endBeforeStart);
    expect(errors['sessions.5.ends_at']).toBe(es.eventForm.errors.sessionOutside);
  });

  it('checks event dates, zone, URL and organization', () => {
    const draft = { ...validDraft(), startsAt: '2025-01-01T10:00', endsAt: '2024-01-01T10:00', timezone: 'Mars/Base', imageUrl: 'ftp://x' };
    const errors = validateDraft(draft, es, { ...NEW, needsOrganization: true });
    expect(errors.timezone).toBe(es.eventForm.errors.timezone);
    expect(errors.image_url).toBe(es.eventForm.errors.url);
    expect(errors.organization_id).toBe(es.eventForm.errors.required);
    const past = validateDraft({ ...validDraft(), startsAt: '2025-06-01T10:00', sessions: [] }, es, NEW);
    expect(past.starts_at).toBe(es.eventForm.errors.inPast);
    const reversed = validateDraft({ ...validDraft(), endsAt: '2030-03-14T17:00', sessions: [] }, es, NEW);
    expect(reversed.ends_at).toBe(es.eventForm.errors.endBeforeStart);
  });
});

describe('request bodies', () => {
  it('builds the create body with offsets in the event time zone', () => {
    expect(createBody(validDraft(), { publish: true, includeOrganization: false })).toEqual({
      name: 'Noche de Jazz',
      description: '',
      category: 'concert',
      venue: { name: 'Foro Sol', city: 'Ciudad de México', address: 'Av. Viaducto s/n' },
      starts_at: '2030-03-14T18:00:00-06:00',
      ends_at: '2030-03-14T23:00:00-06:00',
      timezone: 'America/Mexico_City',
      zones: [
        { name: 'General', price: { amount: '450', currency: 'MXN' }, capacity: 5000 },
        { name: 'VIP', price: { amount: '1800.50', currency: 'MXN' }, capacity: 300 },
      ],
      sales: {
        on_sale_at: null,
        hold_minutes: 10,
        max_per_customer: null,
        waiting_room: false,
        payment_minutes: 10,
        reentry_allowed: false,
        transfers_allowed: true,
      },
      sessions: [
        { starts_at: '2030-03-14T18:00:00-06:00', ends_at: '2030-03-14T20:00:00-06:00', title: 'Primera', place: 'Sala 1' },
        { starts_at: '2030-03-14T20:30:00-06:00', ends_at: '2030-03-14T22:30:00-06:00', title: 'Segunda', place: 'Sala 1' },
      ],
      publish: true,
    });
  });

  it('patches only what changed and diffs sessions', () => {
    const original = draftFromEvent({
      id: 'e1',
      name: 'Jazz',
      description: '',
      category: 'concert',
      venue: { name: 'Foro', city: 'CDMX', address: 'x' },
      timezone: 'America/Mexico_City',
      startsAt: '2030-03-15T00:00:00Z',
      endsAt: '2030-03-15T05:00:00Z',
      zones: [{ id: 'z', name: 'General', price: { amount: '10.00', currency: 'MXN' }, capacity: 10 }],
      sessions: [
        { id: 's1', title: 'A', presenter: '', startsAt: '2030-03-15T00:00:00Z', endsAt: '2030-03-15T01:00:00Z', place: '', status: 'draft' },
        { id: 's2', title: 'B', presenter: '', startsAt: '2030-03-15T02:00:00Z', endsAt: '2030-03-15T03:00:00Z', place: '', status: 'draft' },
      ],
    });
    expect(original.startsAt).toBe('2030-03-14T18:00');
    expect(patchBody(original, original, true)).toEqual({});
    const edited: EventDraft = {
      ...original,
      name: 'Jazz II',
      zones: [{ ...original.zones[0]!, capacity: '20' }],
      sessions: [{ ...original.sessions[0]!, title: 'A2' }, { key: 'n', title: 'C', startsAt: '2030-03-14T21:30', endsAt: '2030-03-14T22:00', place: '' }],
    };
    expect(patchBody(edited, original, true)).toEqual({
      name: 'Jazz II',
      zones: [{ name: 'General', price: { amount: '10.00', currency: 'MXN' }, capacity: 20, max_per_order: 10 }],
    });
    expect(patchBody(edited, original, false)).toEqual({ name: 'Jazz II' });
    expect(sessionChanges(edited, original)).toEqual({
      added: [{ index: 1, body: { title: 'C', place: '', starts_at: '2030-03-14T21:30:00-06:00', ends_at: '2030-03-14T22:00:00-06:00' } }],
      changed: [{ index: 0, id: 's1', body: { title: 'A2' } }],
      removed: ['s2'],
    });
  });
});

describe('mapServerField', () => {
  it.each([
    ['name', 'name'],
    ['venue.city', 'venue.city'],
    ['zones.0.price.amount', 'zones.0.price'],
    ['zones.1.price.currency', 'currency'],
    ['zones.2.capacity', 'zones.2.capacity'],
    ['zones.3', 'zones.3.name'],
    ['sessions.1', 'sessions.1.starts_at'],
    ['sessions.0.ends_at', 'sessions.0.ends_at'],
    ['publish', null],
    ['sessions.0.capacity_override', null],
  ])('%s -> %s', (field, expected) => {
    expect(mapServerField(field)).toBe(expected);
  });

  it('prefixes single-session errors with the session index', () => {
    expect(mapServerField('starts_at', 2)).toBe('sessions.2.starts_at');
    expect(mapServerField('', 1)).toBe('sessions.1.starts_at');
  });
});

describe('sale settings', () => {
  const withSales = (sales: Partial<EventDraft['sales']>): EventDraft => {
    const draft = validDraft();
    return { ...draft, sales: { ...draft.sales, ...sales } };
  };

  it('checks the ranges, and that a waiting room has an on-sale time', () => {
    const errors = validateDraft(withSales({ holdMinutes: '1', maxPerCustomer: '0', waitingRoom: true, admissionPerMinute: '100001' }), es, NEW);
    expect(errors['sales.hold_minutes']).toBe(es.eventForm.errors.holdMinutes);
    expect(errors['sales.max_per_customer']).toBe(es.eventForm.errors.maxPerCustomer);
    expect(errors['sales.waiting_room']).toBe(es.eventForm.errors.waitingRoomNeedsOnSale);
    expect(errors['sales.admission_per_minute']).toBe(es.eventForm.errors.admissionPerMinute);
    // An empty limit per customer means no limit; the rate is only checked with the room on.
    expect(validateDraft(withSales({ maxPerCustomer: '', admissionPerMinute: 'x' }), es, NEW)).toEqual({});
    const zones = validDraft().zones.map((zone, i) => ({ ...zone, maxPerOrder: i === 0 ? '101' : '6' }));
    expect(validateDraft({ ...validDraft(), zones }, es, NEW)).toEqual({ 'zones.0.max_per_order': es.eventForm.errors.maxPerOrder });
  });

  it('sends the on-sale time in the event time zone, the limits and the waiting room', () => {
    const draft = withSales({ onSaleAt: '2030-03-01T10:00', holdMinutes: '15', maxPerCustomer: '6', waitingRoom: true, admissionPerMinute: '600' });
    draft.zones = draft.zones.map((zone) => ({ ...zone, maxPerOrder: '4' }));
    const body = createBody(draft, { publish: false, includeOrganization: false });
    expect(body.sales).toEqual({
      on_sale_at: '2030-03-01T10:00:00-06:00',
      hold_minutes: 15,
      max_per_customer: 6,
      waiting_room: true,
      admission_per_minute: 600,
      payment_minutes: 10,
      reentry_allowed: false,
      transfers_allowed: true,
    });
    expect(body.zones.map((zone) => zone.max_per_order)).toEqual([4, 4]);
  });

  it('starts a new event with ten minutes to pay, no re-entry and transfers allowed', () => {
    expect(emptyDraft('UTC').sales).toMatchObject({ paymentMinutes: '10', reentryAllowed: false, transfersAllowed: true });
  });

  it('checks that the minutes to pay are a whole number from 1 to 60', () => {
    for (const paymentMinutes of ['0', '61', '', '2.5', 'diez']) {
      expect(validateDraft(withSales({ paymentMinutes }), es, NEW)).toEqual({ 'sales.payment_minutes': es.eventForm.errors.paymentMinutes });
    }
    for (const paymentMinutes of ['1', '60']) expect(validateDraft(withSales({ paymentMinutes }), es, NEW)).toEqual({});
  });

  it('sends the minutes to pay, re-entry and transfers, and patches only the one that changed', () => {
    const draft = withSales({ paymentMinutes: '25', reentryAllowed: true, transfersAllowed: false });
    expect(createBody(draft, { publish: false, includeOrganization: false }).sales).toMatchObject({
      payment_minutes: 25,
      reentry_allowed: true,
      transfers_allowed: false,
    });
    expect(patchBody({ ...draft, sales: { ...draft.sales, transfersAllowed: true } }, draft, true)).toEqual({
      sales: { transfers_allowed: true },
    });
    expect(patchBody({ ...draft, sales: { ...draft.sales, paymentMinutes: '5', reentryAllowed: false } }, draft, true)).toEqual({
      sales: { payment_minutes: 5, reentry_allowed: false },
    });
  });

  it("reads the event's minutes to pay, re-entry and transfers into the edit form", () => {
    const event = toEvent(
      eventBody({ sales: { ...eventBody().sales, payment_minutes: 30, reentry_allowed: true, transfers_allowed: false } }),
    );
    expect(draftFromEvent(event).sales).toMatchObject({ paymentMinutes: '30', reentryAllowed: true, transfersAllowed: false });
  });

  it('puts the edge refusal of the minutes to pay on its field, in the reader language', () => {
    expect(mapServerField('sales.payment_minutes')).toBe('sales.payment_minutes');
    expect(mapServerField('sales.reentry_allowed')).toBe('sales.reentry_allowed');
    expect(mapServerField('sales.transfers_allowed')).toBe('sales.transfers_allowed');
    expect(serverFieldMessage('sales.payment_minutes', 'Input should be less than or equal to 60', es)).toBe(
      es.eventForm.errors.paymentMinutes,
    );
  });

  it('patches only the settings that changed, and clears the on-sale time with null', () => {
    const original = withSales({ onSaleAt: '2030-03-01T10:00', maxPerCustomer: '6' });
    expect(patchBody(original, original, true)).toEqual({});
    expect(patchBody({ ...original, sales: { ...original.sales, maxPerCustomer: '' } }, original, true)).toEqual({
      sales: { max_per_customer: null },
    });
    expect(patchBody({ ...original, sales: { ...original.sales, onSaleAt: '', waitingRoom: true } }, original, true)).toEqual({
      sales: { on_sale_at: null, waiting_room: true, admission_per_minute: 300 },
    });
  });

  it('translates the edge messages about sale settings and places taken', () => {
    expect(mapServerField('sales.waiting_room')).toBe('sales.waiting_room');
    expect(mapServerField('zones.1.max_per_order')).toBe('zones.1.max_per_order');
    expect(serverFieldMessage('sales.waiting_room', 'a waiting room needs on_sale_at', es)).toBe(es.eventForm.errors.waitingRoomNeedsOnSale);
    expect(serverFieldMessage('zones.0.max_per_order', 'must be from 1 to 100', es)).toBe(es.eventForm.errors.maxPerOrder);
    expect(serverFieldMessage('venue.city', 'is required', es)).toBe('is required');
    expect(placesTakenMessage('Zone VIP cannot be removed: 3 of its places are held or sold in a session.', es)).toBe(
      'La zona VIP no se puede quitar: tiene 3 entradas reservadas o vendidas en una sesión.',
    );
    expect(placesTakenMessage('Zone General cannot go below 12 places: 12 are held or sold in a session.', es)).toBe(
      'La zona General no puede bajar de 12 plazas: hay 12 entradas reservadas o vendidas en una sesión.',
    );
    expect(placesTakenMessage('something else', es)).toBe(es.eventForm.placesTaken);
  });
});
