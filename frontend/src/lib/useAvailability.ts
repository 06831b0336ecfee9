import { useQuery, useQueryClient } from '@tanstack/react-query';

import { queryKeys } from '@/api/queryKeys';
import { fetchAvailability, type Availability } from '@/api/reservations';

/** The edge's figures are at most 2 s old; every 5 s is fresh enough and cheap (mostly 304s). */
export const AVAILABILITY_POLL_MS = 5_000;

/**
 * Places left per session and zone, polled while the page is visible: TanStack Query skips
 * interval fetches while `document.visibilityState` is hidden and refetches on coming back.
 * Each poll sends the last ETag as If-None-Match; a 304 keeps the previous figures.
 */
export function useAvailability(eventId: string, enabled: boolean) {
  const queryClient = useQueryClient();
  const key = queryKeys.availability(eventId);
  return useQuery({
    queryKey: key,
    queryFn: ({ signal }) => fetchAvailability(eventId, queryClient.getQueryData<Availability>(key), signal),
    enabled,
    staleTime: 0,
    retry: false,
    refetchInterval: AVAILABILITY_POLL_MS,
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
  });
}
