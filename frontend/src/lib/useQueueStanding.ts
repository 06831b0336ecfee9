import { useQuery } from '@tanstack/react-query';

import { isApiError } from '@/api/client';
import { fetchQueueStanding, joinQueue, type QueueStanding } from '@/api/queue';
import { queryKeys } from '@/api/queryKeys';

import { forgetQueueId, rememberQueueId, storedQueueId } from './waitingRoom';

/** How often the place in the line is read while waiting. */
export const QUEUE_POLL_MS = 3_000;
/** Once admitted, each read renews the 10-minute admission: once a minute keeps it alive. */
export const ADMISSION_REFRESH_MS = 60_000;
/** After a 503 or a network failure: nobody is let in meanwhile, so try again soon. */
export const QUEUE_RETRY_MS = 5_000;

/** The entry kept for this event, or a new one (joining again returns the same entry). */
async function standingFor(eventId: string, signal: AbortSignal): Promise<QueueStanding> {
  const stored = storedQueueId(eventId);
  if (stored) {
    try {
      return await fetchQueueStanding(stored, signal);
    } catch (error) {
      // 404: an entry of another account (signed in as someone else) or one the room forgot.
      if (!(isApiError(error) && error.status === 404)) throw error;
      forgetQueueId(eventId);
    }
  }
  const standing = await joinQueue(eventId);
  rememberQueueId(eventId, standing.queueId);
  return standing;
}

/**
 * The signed-in buyer's place in the event's waiting room, joining it on first use. Polled while
 * the page is visible (TanStack Query skips interval fetches while the document is hidden):
 * every few seconds while waiting, once a minute once admitted (to renew the admission), not at
 * all once sold out or refused (409).
 */
export function useQueueStanding(eventId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.queue(eventId),
    queryFn: ({ signal }) => standingFor(eventId, signal),
    enabled,
    staleTime: 0,
    retry: false,
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
    refetchInterval: (query) => {
      const { data, error } = query.state;
      if (error) return isApiError(error) && (error.status === 0 || error.status >= 500) ? QUEUE_RETRY_MS : false;
      if (!data || data.status === 'sold_out') return false;
      return data.status === 'admitted' ? ADMISSION_REFRESH_MS : QUEUE_POLL_MS;
    },
  });
}
