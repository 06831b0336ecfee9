import { useCallback, useState, useSyncExternalStore } from 'react';

/** The clock as an external store: the time it last read, read again on `refresh`. */
function createClock() {
  let now = Date.now();
  return {
    read: () => now,
    refresh: () => {
      now = Date.now();
    },
  };
}

/**
 * Date.now(), refreshed every `intervalMs` while `active` (and at once when it becomes active).
 * While inactive the value stands still.
 */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [clock] = useState(createClock);
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (!active) return () => {};
      const tick = () => {
        clock.refresh();
        onChange();
      };
      tick();
      const timer = setInterval(tick, intervalMs);
      return () => clearInterval(timer);
    },
    [active, intervalMs, clock],
  );
  return useSyncExternalStore(subscribe, clock.read);
}

/** Longest delay setTimeout honours (about 24.8 days); longer waits are taken in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Whether the moment `at` (ms since the epoch) has come; a component re-renders once when it does. */
export function useHasPassed(at: number | null): boolean {
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (at === null) return () => {};
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wait = () => {
        const left = at - Date.now();
        if (left <= 0) {
          onChange();
          return;
        }
        timer = setTimeout(wait, Math.min(left, MAX_TIMEOUT_MS));
      };
      wait();
      return () => clearTimeout(timer);
    },
    [at],
  );
  return useSyncExternalStore(subscribe, () => at !== null && Date.now() >= at);
}

/** Whole seconds until `deadline` (ISO date-time), never below 0; rounded up so 0 means "over". */
export function secondsLeft(deadline: string, now: number): number {
  const end = Date.parse(deadline);
  if (Number.isNaN(end)) return 0;
  return Math.max(0, Math.ceil((end - now) / 1000));
}

/** 605 -> "10:05". */
export function formatCountdown(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return `${String(minutes).padStart(2, '0')}:${String(rest).padStart(2, '0')}`;
}

/**
 * Moments worth telling a screen-reader user about, in seconds left: announcing every second
 * (or every minute) would drown everything else the page says.
 */
const MILESTONES = [10, 30, 60, 120, 300] as const;

/** The milestone the countdown has most recently passed, or null before the first one. */
export function passedMilestone(seconds: number): number | null {
  return MILESTONES.find((m) => seconds <= m) ?? null;
}
