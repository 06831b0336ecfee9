/**
 * The "Registrar Evento" form as plain data: the draft the form edits, client validation,
 * the request bodies, and the mapping of server field errors (dotted paths into the request
 * body, e.g. `zones.0.price.amount`) onto form fields. Pure functions, tested on their own.
 *
 * Form field keys double as the DOM ids' suffixes and as error keys:
 *   name, description, category, image_url, organization_id, timezone, starts_at, ends_at,
 *   venue.name, venue.city, venue.address, currency, zones,
 *   zones.<i>.name|price|capacity|max_per_order, sessions.<i>.title|starts_at|ends_at|place,
 *   sales.on_sale_at|hold_minutes|max_per_customer|waiting_room|admission_per_minute|payment_minutes|
 *   reentry_allowed|transfers_allowed
 */
import { DEFAULT_SALES, type CatalogEvent, type Category, type EventInput, type EventPatch, type SalesInput, type SessionInput, type SessionPatch } from '@/api/events';
import type { Messages } from '@/i18n';

import { PRICE } from './format';
import { isoToZonedLocal, isValidTimeZone, zonedLocalToEpoch, zonedLocalToIso } from './zonedTime';

export interface ZoneDraft {
  key: string;
  name: string;
  price: string;
  capacity: string;
  /** Places of this zone one reservation may hold; left out of the body when undefined. */
  maxPerOrder?: string;
}

/** The "Sales" section: the on-sale time on the venue's wall clock, like the other dates. */
export interface SalesDraft {
  onSaleAt: string;
  holdMinutes: string;
  /** Empty: no limit. */
  maxPerCustomer: string;
  waitingRoom: boolean;
  admissionPerMinute: string;
  paymentMinutes: string;
  reentryAllowed: boolean;
  transfersAllowed: boolean;
}

export interface SessionDraft {
  key: string;
  /** Set for sessions that already exist on the server (edit form). */
  id?: string;
  title: string;
  startsAt: string;
  endsAt: string;
  place: string;
}

export interface EventDraft {
  name: string;
  description: string;
  category: string;
  imageUrl: string;
  organizationId: string;
  timezone: string;
  startsAt: string;
  endsAt: string;
  venueName: string;
  city: string;
  address: string;
  currency: string;
  zones: ZoneDraft[];
  sessions: SessionDraft[];
  sales: SalesDraft;
}

export type FormErrors = Record<string, string>;

let keySeq = 0;
export function newKey(prefix: string): string {
  keySeq += 1;
  return `${prefix}-${keySeq}`;
}

export function emptyZone(): ZoneDraft {
  return { key: newKey('zone'), name: '', price: '', capacity: '', maxPerOrder: String(DEFAULT_MAX_PER_ORDER) };
}

/** The edge's default places per order of a zone. */
export const DEFAULT_MAX_PER_ORDER = 10;

export function emptySales(): SalesDraft {
  return {
    onSaleAt: '',
    holdMinutes: String(DEFAULT_SALES.holdMinutes),
    maxPerCustomer: '',
    waitingRoom: false,
    admissionPerMinute: String(DEFAULT_SALES.admissionPerMinute),
    paymentMinutes: String(DEFAULT_SALES.paymentMinutes),
    reentryAllowed: DEFAULT_SALES.reentryAllowed,
    transfersAllowed: DEFAULT_SALES.transfersAllowed,
  };
}

export function emptySession(draft?: Pick<EventDraft, 'startsAt' | 'endsAt'>): SessionDraft {
  return { key: newKey('session'), title: '', startsAt: draft?.startsAt ?? '', endsAt: draft?.endsAt ?? '', place: '' };
}

export function emptyDraft(timezone: string): EventDraft {
  return {
    name: '',
    description: '',
    category: '',
    imageUrl: '',
    organizationId: '',
    timezone,
    startsAt: '',
    endsAt: '',
    venueName: '',
    city: '',
    address: '',
    currency: 'MXN',
    zones: [emptyZone()],
    sessions: [],
    sales: emptySales(),
  };
}

/** The edit form's starting point: the event's times shown on the venue's wall clock. */
export function draftFromEvent(event: CatalogEvent): EventDraft {
  const tz = event.timezone ?? 'UTC';
  return {
    name: event.name,
    description: event.description,
    category: event.category ?? '',
    imageUrl: event.imageUrl ?? '',
    organizationId: event.organizationId ?? '',
    timezone: tz,
    startsAt: event.startsAt ? isoToZonedLocal(event.startsAt, tz) : '',
    endsAt: event.endsAt ? isoToZonedLocal(event.endsAt, tz) : '',
    venueName: event.venue.name,
    city: event.venue.city,
    address: event.venue.address,
    currency: event.zones[0]?.price.currency ?? 'MXN',
    zones: event.zones.map((zone) => ({
      key: newKey('zone'),
      name: zone.name,
      price: zone.price.amount,
      capacity: String(zone.capacity),
      maxPerOrder: String(zone.maxPerOrder ?? DEFAULT_MAX_PER_ORDER),
    })),
    sessions: event.sessions
      .filter((s) => s.status !== 'cancelled')
      .map((s) => ({
        key: newKey('session'),
        id: s.id,
        title: s.title,
        startsAt: isoToZonedLocal(s.startsAt, tz),
        endsAt: isoToZonedLocal(s.endsAt, tz),
        place: s.place,
      })),
    sales: salesDraft(event, tz),
  };
}

function salesDraft(event: CatalogEvent, tz: string): SalesDraft {
  const sales = event.sales ?? { ...DEFAULT_SALES, maxPerCustomer: event.maxPerCustomer ?? null };
  return {
    onSaleAt: sales.onSaleAt ? isoToZonedLocal(sales.onSaleAt, tz) : '',
    holdMinutes: String(sales.holdMinutes),
    maxPerCustomer: sales.maxPerCustomer === null ? '' : String(sales.maxPerCustomer),
    waitingRoom: sales.waitingRoom,
    admissionPerMinute: String(sales.admissionPerMinute),
    paymentMinutes: String(sales.paymentMinutes),
    reentryAllowed: sales.reentryAllowed,
    transfersAllowed: sales.transfersAllowed,
  };
}

// ---------------------------------------------------------------- validation

const CURRENCY = /^[A-Z]{3}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CAPACITY = 1_000_000;

/** A whole number from `min` to `max`, written with digits only. */
function wholeIn(value: string, min: number, max: number): boolean {
  const text = value.trim();
  return /^\d+$/.test(text) && Number(text) >= min && Number(text) <= max;
}

/** Case- and accent-insensitive comparison key, like the server's. */
export function fold(value: string): string {
  return value.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();
}

export interface ValidateOptions {
  /** New events must start in the future. */
  isNew: boolean;
  /** Administrators name the owning organization. */
  needsOrganization: boolean;
  /** Zones are locked once the event is published. */
  zonesEditable: boolean;
  now?: number;
}

export function validateDraft(draft: EventDraft, messages: Messages, options: ValidateOptions): FormErrors {
  const e = messages.eventForm.errors;
  const errors: FormErrors = {};
  const required = (key: string, value: string) => {
    if (!value.trim()) errors[key] = e.required;
  };
  required('name', draft.name);
  required('category', draft.category);
  required('venue.name', draft.venueName);
  required('venue.city', draft.city);
  required('venue.address', draft.address);
  required('timezone', draft.timezone);
  required('starts_at', draft.startsAt);
  required('ends_at', draft.endsAt);
  if (draft.timezone.trim() && !isValidTimeZone(draft.timezone.trim())) errors.timezone = e.timezone;
  if (draft.imageUrl.trim() && !/^https:\/\/\S+$/i.test(draft.imageUrl.trim())) errors.image_url = e.url;
  if (options.needsOrganization) {
    if (!draft.organizationId.trim()) errors.organization_id = e.required;
    else if (!UUID.test(draft.organizationId.trim())) errors.organization_id = e.uuid;
  }

  const tz = draft.timezone.trim();
  const start = zonedLocalToEpoch(draft.startsAt, tz);
  const end = zonedLocalToEpoch(draft.endsAt, tz);
  if (start !== undefined && end !== undefined && end <= start) errors.ends_at = e.endBeforeStart;
  if (options.isNew && start !== undefined && start <= (options.now ?? Date.now())) errors.starts_at = e.inPast;

  if (options.zonesEditable) {
    if (draft.zones.length === 0) errors.zones = e.noZones;
    if (!CURRENCY.test(draft.currency)) errors.currency = e.required;
    const seen = new Set<string>();
    draft.zones.forEach((zone, i) => {
      if (!zone.name.trim()) errors[`zones.${i}.name`] = e.required;
      else if (seen.has(fold(zone.name))) errors[`zones.${i}.name`] = e.duplicateZone;
      seen.add(fold(zone.name));
      const price = zone.price.trim().replace(',', '.');
      if (!price) errors[`zones.${i}.price`] = e.required;
      else if (!PRICE.test(price)) errors[`zones.${i}.price`] = e.price;
      const capacity = zone.capacity.trim();
      if (!capacity) errors[`zones.${i}.capacity`] = e.required;
      else if (!/^\d+$/.test(capacity) || Number(capacity) < 1 || Number(capacity) > MAX_CAPACITY) {
        errors[`zones.${i}.capacity`] = e.capacity;
      }
      if (zone.maxPerOrder !== undefined && !wholeIn(zone.maxPerOrder, 1, 100)) errors[`zones.${i}.max_per_order`] = e.maxPerOrder;
    });
  }

  const sales = draft.sales;
  if (sales.onSaleAt && zonedLocalToEpoch(sales.onSaleAt, tz) === undefined && isValidTimeZone(tz)) errors['sales.on_sale_at'] = e.onSaleAt;
  if (!wholeIn(sales.holdMinutes, 2, 30)) errors['sales.hold_minutes'] = e.holdMinutes;
  if (sales.maxPerCustomer.trim() && !wholeIn(sales.maxPerCustomer, 1, 1000)) errors['sales.max_per_customer'] = e.maxPerCustomer;
  if (sales.waitingRoom) {
    // The edge refuses a waiting room without an on-sale time (field sales.waiting_room): say so before asking.
    if (!sales.onSaleAt.trim()) errors['sales.waiting_room'] = e.waitingRoomNeedsOnSale;
    if (!wholeIn(sales.admissionPerMinute, 1, 100_000)) errors['sales.admission_per_minute'] = e.admissionPerMinute;
  }
  if (!wholeIn(sales.paymentMinutes, 1, 60)) errors['sales.payment_minutes'] = e.paymentMinutes;

  const periods: ({ start: number; end: number; place: string } | null)[] = draft.sessions.map((session, i) => {
    const key = `sessions.${i}`;
    required(`${key}.starts_at`, session.startsAt);
    required(`${key}.ends_at`, session.endsAt);
    const s = zonedLocalToEpoch(session.startsAt, tz);
    const f = zonedLocalToEpoch(session.endsAt, tz);
    if (s === undefined || f === undefined) return null;
    if (f <= s) {
      errors[`${key}.ends_at`] = e.endBeforeStart;
      return null;
    }
    if (start !== undefined && s < start) errors[`${key}.starts_at`] = e.sessionOutside;
    if (end !== undefined && f > end) errors[`${key}.ends_at`] = e.sessionOutside;
    return { start: s, end: f, place: fold(session.place) };
  });
  // Sessions at the same place must not overlap (different rooms may run at the same time).
  periods.forEach((period, i) => {
    if (!period || errors[`sessions.${i}.starts_at`]) return;
    const clash = periods.findIndex(
      (other, j) => j < i && other !== null && other.place === period.place && period.start < other.end && other.start < period.end,
    );
    if (clash >= 0) errors[`sessions.${i}.starts_at`] = e.sessionOverlap(clash + 1);
  });
  return errors;
}

// ---------------------------------------------------------------- request bodies

function iso(local: string, tz: string): string {
  return zonedLocalToIso(local, tz) ?? local;
}

function zonesBody(draft: EventDraft) {
  return draft.zones.map((zone) => ({
    name: zone.name.trim(),
    price: { amount: zone.price.trim().replace(',', '.'), currency: draft.currency },
    capacity: Number(zone.capacity),
    ...(zone.maxPerOrder === undefined ? {} : { max_per_order: Number(zone.maxPerOrder) }),
  }));
}

/** Every sale setting, as the edge takes them (the rate only matters with a waiting room on). */
function salesBody(sales: SalesDraft, tz: string): SalesInput {
  const body: SalesInput = {
    on_sale_at: sales.onSaleAt ? iso(sales.onSaleAt, tz) : null,
    hold_minutes: Number(sales.holdMinutes),
    max_per_customer: sales.maxPerCustomer.trim() ? Number(sales.maxPerCustomer) : null,
    waiting_room: sales.waitingRoom,
    payment_minutes: Number(sales.paymentMinutes),
    reentry_allowed: sales.reentryAllowed,
    transfers_allowed: sales.transfersAllowed,
  };
  if (sales.waitingRoom) body.admission_per_minute = Number(sales.admissionPerMinute);
  return body;
}

/** Only the settings that changed (omitted ones keep their value); undefined when none did. */
function salesPatch(draft: EventDraft, original: EventDraft): SalesInput | undefined {
  const tz = draft.timezone.trim();
  const now = salesBody(draft.sales, tz);
  const before = salesBody(original.sales, original.timezone);
  const patch: SalesInput = {};
  for (const key of Object.keys(now) as (keyof SalesInput)[]) {
    if (now[key] !== before[key]) Object.assign(patch, { [key]: now[key] });
  }
  // Moving the event to another time zone moves a wall-clock on-sale time with it.
  if (draft.sales.onSaleAt && tz !== original.timezone) patch.on_sale_at = now.on_sale_at ?? null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

export function sessionBody(session: SessionDraft, tz: string): SessionInput {
  return {
    starts_at: iso(session.startsAt, tz),
    ends_at: iso(session.endsAt, tz),
    title: session.title.trim(),
    place: session.place.trim(),
  };
}

export function createBody(draft: EventDraft, options: { publish: boolean; includeOrganization: boolean }): EventInput {
  const tz = draft.timezone.trim();
  const body: EventInput = {
    name: draft.name.trim(),
    description: draft.description.trim(),
    // The form offers only CATEGORIES, and the edge refuses anything else with a field error.
    category: draft.category as Category,
    venue: { name: draft.venueName.trim(), city: draft.city.trim(), address: draft.address.trim() },
    starts_at: iso(draft.startsAt, tz),
    ends_at: iso(draft.endsAt, tz),
    timezone: tz,
    zones: zonesBody(draft),
    sales: salesBody(draft.sales, tz),
    sessions: draft.sessions.map((s) => sessionBody(s, tz)),
    publish: options.publish,
  };
  if (draft.imageUrl.trim()) body.image_url = draft.imageUrl.trim();
  if (options.includeOrganization && draft.organizationId.trim()) body.organization_id = draft.organizationId.trim();
  return body;
}

/** A JSON merge patch with only what changed since `original` (zones only while editable). */
export function patchBody(draft: EventDraft, original: EventDraft, zonesEditable: boolean): EventPatch {
  const patch: EventPatch = {};
  const tz = draft.timezone.trim();
  if (draft.name.trim() !== original.name) patch.name = draft.name.trim();
  if (draft.description.trim() !== original.description) patch.description = draft.description.trim();
  if (draft.category !== original.category) patch.category = draft.category as Category;
  if (draft.imageUrl.trim() !== original.imageUrl) patch.image_url = draft.imageUrl.trim() || null;
  if (
    draft.venueName.trim() !== original.venueName ||
    draft.city.trim() !== original.city ||
    draft.address.trim() !== original.address
  ) {
    patch.venue = { name: draft.venueName.trim(), city: draft.city.trim(), address: draft.address.trim() };
  }
  if (tz !== original.timezone) patch.timezone = tz;
  const datesChanged = tz !== original.timezone || draft.startsAt !== original.startsAt || draft.endsAt !== original.endsAt;
  if (datesChanged) {
    patch.starts_at = iso(draft.startsAt, tz);
    patch.ends_at = iso(draft.endsAt, tz);
  }
  if (zonesEditable && JSON.stringify(zonesBody(draft)) !== JSON.stringify(zonesBody(original))) {
    patch.zones = zonesBody(draft);
  }
  const sales = salesPatch(draft, original);
  if (sales) patch.sales = sales;
  return patch;
}

export interface SessionChanges {
  added: { index: number; body: SessionInput }[];
  changed: { index: number; id: string; body: SessionPatch }[];
  removed: string[];
}

export function sessionChanges(draft: EventDraft, original: EventDraft): SessionChanges {
  const tz = draft.timezone.trim();
  const before = new Map(original.sessions.filter((s) => s.id).map((s) => [s.id, s]));
  const changes: SessionChanges = { added: [], changed: [], removed: [] };
  const kept = new Set<string>();
  draft.sessions.forEach((session, index) => {
    const previous = session.id ? before.get(session.id) : undefined;
    if (!session.id || !previous) {
      changes.added.push({ index, body: sessionBody(session, tz) });
      return;
    }
    kept.add(session.id);
    const body: SessionPatch = {};
    if (session.title.trim() !== previous.title) body.title = session.title.trim();
    if (session.place.trim() !== previous.place) body.place = session.place.trim();
    if (session.startsAt !== previous.startsAt || session.endsAt !== previous.endsAt || tz !== original.timezone) {
      body.starts_at = iso(session.startsAt, tz);
      body.ends_at = iso(session.endsAt, tz);
    }
    if (Object.keys(body).length > 0) changes.changed.push({ index, id: session.id, body });
  });
  for (const id of before.keys()) if (id && !kept.has(id)) changes.removed.push(id);
  return changes;
}

// ---------------------------------------------------------------- server errors -> fields

const SIMPLE_FIELDS = new Set([
  'name',
  'description',
  'category',
  'image_url',
  'organization_id',
  'timezone',
  'starts_at',
  'ends_at',
  'venue.name',
  'venue.city',
  'venue.address',
  'zones',
  'sales.on_sale_at',
  'sales.hold_minutes',
  'sales.max_per_customer',
  'sales.waiting_room',
  'sales.admission_per_minute',
  'sales.payment_minutes',
  'sales.reentry_allowed',
  'sales.transfers_allowed',
]);

/**
 * A server field path -> the form field showing it, or null when no field fits (the form
 * lists those in its alert). `sessionIndex` prefixes paths of a single-session request.
 */
export function mapServerField(field: string, sessionIndex?: number): string | null {
  const path = sessionIndex === undefined ? field : field ? `sessions.${sessionIndex}.${field}` : `sessions.${sessionIndex}`;
  if (SIMPLE_FIELDS.has(path)) return path;
  if (path === 'venue') return 'venue.name';
  if (path === 'sales') return 'sales.on_sale_at';
  let m = /^zones\.(\d+)\.price\.currency$/.exec(path);
  if (m) return 'currency';
  m = /^zones\.(\d+)(?:\.(name|price|capacity|max_per_order))?(?:\.amount)?$/.exec(path);
  if (m) return `zones.${m[1]}.${m[2] ?? 'name'}`;
  m = /^sessions\.(\d+)(?:\.(title|starts_at|ends_at|place))?$/.exec(path);
  if (m) return `sessions.${m[1]}.${m[2] ?? 'starts_at'}`;
  return null;
}

/**
 * The message shown on form field `key` for a server field error: the sale settings' rules in
 * the reader's language (the edge writes English), other fields as the server said.
 */
export function serverFieldMessage(key: string, message: string, messages: Messages): string {
  const e = messages.eventForm.errors;
  const known: Record<string, string> = {
    'sales.waiting_room': e.waitingRoomNeedsOnSale,
    'sales.hold_minutes': e.holdMinutes,
    'sales.max_per_customer': e.maxPerCustomer,
    'sales.admission_per_minute': e.admissionPerMinute,
    'sales.payment_minutes': e.paymentMinutes,
  };
  if (/^zones\.\d+\.max_per_order$/.test(key)) return e.maxPerOrder;
  return known[key] ?? message;
}

/**
 * A 409 from changing zones or removing a session of an event with sales, in the reader's
 * language. The edge names the zone and the count only in its English `detail`, so they are
 * read from there; anything else gets the general sentence.
 */
export function placesTakenMessage(detail: string | undefined, messages: Messages): string {
  const f = messages.eventForm;
  const text = detail ?? '';
  let m = /^Zone (.+) cannot be removed: (\d+) of its places/.exec(text);
  if (m) return f.placesTakenRemove(m[1] ?? '', Number(m[2]));
  m = /^Zone (.+) cannot go below (\d+) places/.exec(text);
  if (m) return f.placesTakenShrink(m[1] ?? '', Number(m[2]));
  m = /^This session has (\d+) places held or sold/.exec(text);
  if (m) return f.placesTakenSession(Number(m[1]));
  return f.placesTaken;
}

/** A form field's name as its label says it, for the error summary ("zones.1.price" -> "Precio de la zona 2"). */
export function fieldLabel(key: string, t: Messages): string {
  const [head = '', index = '', leaf = ''] = key.split('.');
  const n = Number(index) + 1;
  const f = t.eventForm;
  if (head === 'zones' && index !== '' && Number.isInteger(n)) {
    const zone: Record<string, string> = {
      name: f.zoneName(n),
      price: f.zonePrice(n),
      capacity: f.zoneCapacity(n),
      max_per_order: f.zoneMaxPerOrder(n),
    };
    return zone[leaf] ?? f.zoneLegend(n);
  }
  if (head === 'sessions' && index !== '' && Number.isInteger(n)) {
    const session: Record<string, string> = {
      title: f.sessionTitle(n),
      place: f.sessionPlace(n),
      starts_at: f.sessionStarts(n),
      ends_at: f.sessionEnds(n),
    };
    return session[leaf] ?? f.sessionLegend(n);
  }
  const simple: Record<string, string> = {
    name: f.name,
    category: f.category,
    description: f.description,
    image_url: f.imageUrl,
    organization_id: f.organizationId,
    starts_at: f.startsAt,
    ends_at: f.endsAt,
    timezone: f.timezone,
    'venue.name': f.venueName,
    'venue.city': f.city,
    'venue.address': f.address,
    currency: f.currency,
    zones: f.zones,
    sessions: f.sessions,
    'sales.on_sale_at': f.onSaleAt,
    'sales.hold_minutes': f.holdMinutes,
    'sales.max_per_customer': f.maxPerCustomer,
    'sales.waiting_room': f.waitingRoom,
    'sales.admission_per_minute': f.admissionPerMinute,
    'sales.payment_minutes': f.paymentMinutes,
    'sales.reentry_allowed': f.reentryAllowed,
    'sales.transfers_allowed': f.transfersAllowed,
  };
  return simple[key] ?? key;
}
