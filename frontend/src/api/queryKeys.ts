import type { AuditFilters } from './audit';
import type { EventSearchParams } from './events';
import type { EventOrderFilters } from './orders';
import type { ReservationStatus } from './reservations';
import type { Role } from '@/store/auth';

/** Central registry of TanStack Query keys so invalidation stays consistent. */
export const queryKeys = {
  readiness: ['readiness'] as const,
  /** Pages of the audit trail: the whole platform's (organization null) or one organization's. */
  audit: (organizationId: string | null, filters: AuditFilters) => ['audit', organizationId, filters] as const,
  me: ['me'] as const,
  events: {
    all: ['events'] as const,
    upcoming: (limit: number) => ['events', 'upcoming', { limit }] as const,
    featured: (limit: number) => ['events', 'featured', { limit }] as const,
    search: (params: EventSearchParams) => ['events', 'search', params] as const,
    detail: (id: string) => ['events', 'detail', id] as const,
    mine: ['events', 'mine'] as const,
    /** My organization's events in these statuses (empty: the edge's default, drafts and published). */
    mineByStatus: (statuses: readonly string[]) => ['events', 'mine', statuses] as const,
  },
  /** An organization's public name. */
  organization: (id: string) => ['organizations', id] as const,
  availability: (eventId: string) => ['availability', eventId] as const,
  /** The organizers' dashboards (the filters are appended by the dashboard). */
  reports: {
    event: (eventId: string) => ['reports', 'event', eventId] as const,
    organization: (organizationId: string) => ['reports', 'organization', organizationId] as const,
  },
  /** The signed-in buyer's place in an event's waiting room. */
  queue: (eventId: string) => ['queue', eventId] as const,
  reservations: {
    all: ['reservations'] as const,
    /** Pages of my reservations in these states ("load more"). */
    mine: (statuses: readonly ReservationStatus[]) => ['reservations', 'mine', statuses] as const,
    /** The first page of my held reservations, for the event page to show a hold made earlier. */
    held: ['reservations', 'held'] as const,
  },
  orders: {
    all: ['orders'] as const,
    detail: (id: string) => ['orders', 'detail', id] as const,
    mine: ['orders', 'mine'] as const,
    /** Pages of an event's orders for its organizer, per search and filter ("load more"). */
    ofEvent: (eventId: string, filters: EventOrderFilters) => ['orders', 'event', eventId, filters] as const,
    /** How far the refunds of a cancelled event have come. */
    eventRefunds: (eventId: string) => ['orders', 'event-refunds', eventId] as const,
  },
  tickets: {
    all: ['tickets'] as const,
    mine: ['tickets', 'mine'] as const,
    detail: (id: string) => ['tickets', 'detail', id] as const,
    qr: (id: string) => ['tickets', 'qr', id] as const,
  },
  transfers: {
    detail: (id: string) => ['transfers', 'detail', id] as const,
  },
  reservation: (id: string) => ['reservations', 'detail', id] as const,
  door: {
    /** The sessions whose check-in pack is kept on this device (IndexedDB). */
    packs: ['door', 'packs'] as const,
    /** Tickets admitted twice while doors were offline, for the event's organizer. */
    conflicts: (eventId: string) => ['door', 'conflicts', eventId] as const,
  },
  waitlist: {
    all: ['waitlist'] as const,
    /** My waiting-list entries. */
    mine: ['waitlist', 'mine'] as const,
    /** The lengths of an event's waiting lists, for its organizer. */
    ofEvent: (eventId: string) => ['waitlist', 'event', eventId] as const,
  },
  webhooks: {
    all: ['webhooks'] as const,
    /** The delivery log of one endpoint. */
    deliveries: (endpointId: string) => ['webhooks', 'deliveries', endpointId] as const,
  },
  admin: {
    users: (filters: { role: Role | ''; email: string }) => ['admin', 'users', filters] as const,
    organizations: (name: string) => ['admin', 'organizations', name] as const,
  },
};
