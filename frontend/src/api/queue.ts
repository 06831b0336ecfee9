import { api } from './client';
import { isRecord, num, str } from './parse';

/**
 * The on-sale waiting room at the edge (routes/reservations.py): join an event's queue, then poll
 * the entry. Once `admitted`, its `admission` goes as the `Admission` header of the reservation;
 * each poll renews it (it lasts 10 minutes).
 */
export type QueueStatus = 'waiting' | 'admitted' | 'sold_out';

export interface QueueStanding {
  queueId: string;
  eventId: string;
  status: QueueStatus;
  /** 1-based place among those waiting; 0 once admitted; null before the on-sale (the order is drawn then). */
  position: number | null;
  estimatedWaitSeconds: number | null;
  admission: string | null;
  /** When the admission ends. */
  expiresAt: string | null;
  /** When the line starts moving (the on-sale), while it has not. */
  opensAt: string | null;
}

const QUEUE_STATUSES: readonly string[] = ['waiting', 'admitted', 'sold_out'];

export function parseQueueStanding(value: unknown): QueueStanding {
  const body = isRecord(value) ? value : {};
  const queueId = str(body.queue_id);
  const status = str(body.status);
  if (!queueId || !status || !QUEUE_STATUSES.includes(status)) {
    throw new TypeError('The edge returned a queue entry without id or status');
  }
  return {
    queueId,
    eventId: str(body.event_id) ?? '',
    status: status as QueueStatus,
    position: num(body.position) ?? null,
    estimatedWaitSeconds: num(body.estimated_wait_seconds) ?? null,
    admission: str(body.admission) ?? null,
    expiresAt: str(body.expires_at) ?? null,
    opensAt: str(body.opens_at) ?? null,
  };
}

/** Joins the event's waiting room; calling again returns the same entry. 409 `…/no-waiting-room`, 503. */
export async function joinQueue(eventId: string): Promise<QueueStanding> {
  return parseQueueStanding(await api.post(`/api/v1/events/${encodeURIComponent(eventId)}/queue`));
}

/** Where the buyer stands; 404 for an entry that does not exist or is someone else's. */
export async function fetchQueueStanding(queueId: string, signal?: AbortSignal): Promise<QueueStanding> {
  return parseQueueStanding(await api.get(`/api/v1/queue/${encodeURIComponent(queueId)}`, { signal }));
}
