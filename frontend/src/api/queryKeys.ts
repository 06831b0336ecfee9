/** Central registry of TanStack Query keys so invalidation stays consistent. */
export const queryKeys = {
  readiness: ['readiness'] as const,
  events: {
    all: ['events'] as const,
    upcoming: (limit: number) => ['events', 'upcoming', { limit }] as const,
  },
};
