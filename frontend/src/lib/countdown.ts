import { useEffect, useState } from 'react';

/** Date.now(), refreshed every `intervalMs` while `active`. */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
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
