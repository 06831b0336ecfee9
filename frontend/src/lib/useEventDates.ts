import type { CatalogEvent, EventSession } from '@/api/events';
import { useI18n } from '@/i18n';

/** Dates of an event on the venue's clock (its own time zone), and the label of each session. */
export function useEventDates(event: CatalogEvent) {
  const { t, formatDateTime } = useI18n();
  const zoneOptions: Intl.DateTimeFormatOptions = event.timezone ? { timeZone: event.timezone } : {};
  const when = (iso: string) => formatDateTime(iso, { dateStyle: 'full', timeStyle: 'short', ...zoneOptions });
  const long = (iso: string) => formatDateTime(iso, { dateStyle: 'long', timeStyle: 'short', ...zoneOptions });
  const time = (iso: string) => formatDateTime(iso, { timeStyle: 'short', ...zoneOptions });
  const day = (iso: string) => formatDateTime(iso, { dateStyle: 'short', ...zoneOptions });
  /** The end of a range: only its time when it ends on the day it starts. */
  const until = (start: string, end: string) => (day(start) === day(end) ? time(end) : when(end));
  const sessionLabel = (session: EventSession, i: number) => `${session.title || t.eventForm.sessionLegend(i + 1)} · ${when(session.startsAt)}`;
  return { when, long, time, until, sessionLabel };
}
