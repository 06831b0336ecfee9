/**
 * The waiting room on the client: the queue entry kept per event in sessionStorage (so a reload
 * keeps the buyer's place, and closing the tab forgets it, like the session itself), and the
 * wording of waits.
 */
import type { Messages } from '@/i18n';

/** The room opens this long before the on-sale (the edge's rule). */
export const OPENS_BEFORE_MS = 30 * 60_000;

const storageKey = (eventId: string) => `taquilla.queue.${eventId}`;

export function storedQueueId(eventId: string): string | null {
  try {
    return sessionStorage.getItem(storageKey(eventId));
  } catch {
    return null;
  }
}

export function rememberQueueId(eventId: string, queueId: string): void {
  try {
    sessionStorage.setItem(storageKey(eventId), queueId);
  } catch {
    // Storage disabled: the place is kept until the page is reloaded.
  }
}

export function forgetQueueId(eventId: string): void {
  try {
    sessionStorage.removeItem(storageKey(eventId));
  } catch {
    // Nothing stored.
  }
}

/** When the waiting room of a sale opening at `onSaleAt` opens (ISO), or null without an on-sale time. */
export function roomOpensAt(onSaleAt: string | null | undefined): number | null {
  const onSale = onSaleAt ? Date.parse(onSaleAt) : NaN;
  return Number.isNaN(onSale) ? null : onSale - OPENS_BEFORE_MS;
}

/** An estimated wait in words: "less than a minute", "about 3 minutes", "about 1 h 20 min". */
export function formatWait(seconds: number, t: Messages): string {
  if (seconds < 60) return t.queue.waitUnderMinute;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return t.queue.waitMinutes(minutes);
  return t.queue.waitHours(Math.floor(minutes / 60), minutes % 60);
}

/** 3725 -> "1:02:05"; under an hour like the hold's countdown, "02:05". */
export function formatClock(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(rest).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}
