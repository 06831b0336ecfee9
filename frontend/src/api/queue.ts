import { call, type Schemas } from './client';

/**
 * The on-sale waiting room at the edge (routes/reservations.py): join an event's queue, then poll
 * the entry. Once `admitted`, its `admission` goes as the `Admission` header of the reservation;
 * each poll renews it (it lasts 10 minutes).
 */
export type QueueStatus = Schemas['QueueStandingPublic']['status'];

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

/** The edge's entry in the app's words. */
export function toQueueStanding(body: Schemas['QueueStandingPublic']): QueueStanding {
  return {
    queueId: body.queue_id,
    eventId: body.event_id,
    status: body.status,
    position: body.position,
    estimatedWaitSeconds: body.estimated_wait_seconds,
    admission: body.admission,
    expiresAt: body.expires_at,
    opensAt: body.opens_at,
  };
}

/** Joins the event's waiting room; calling again returns the same entry. 409 `…/no-waiting-room`, 503. */
export async function joinQueue(eventId: string): Promise<QueueStanding> {
  const { data } = await call('post', '/api/v1/events/{event_id}/queue', { path: { event_id: eventId } });
  return toQueueStanding(data);
}

/** Where the buyer stands; 404 for an entry that does not exist or is someone else's. */
export async function fetchQueueStanding(queueId: string, signal?: AbortSignal): Promise<QueueStanding> {
  const { data } = await call('get', '/api/v1/queue/{queue_id}', { path: { queue_id: queueId }, signal });
  return toQueueStanding(data);
}
