import type { ReportFilters } from '@/api/reports';

/** How often a visible dashboard asks again (TanStack Query pauses while the tab is hidden). */
export const LIVE_INTERVAL_MS = 5_000;
const DAY_MS = 86_400_000;

export const DEFAULT_FILTERS: ReportFilters = { from: '', to: '', bucket: 'day' };

/** The day after a yyyy-mm-dd date: the form's "to" includes its day, the API's excludes it. */
function dayAfter(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

function daysAgo(days: number): string {
  return new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10);
}

/** What the form says, as the API asks for it. */
export function apiFilters(form: ReportFilters): ReportFilters {
  const from = form.bucket === 'hour' && !form.from ? daysAgo(2) : form.from;
  return { from, to: form.to ? dayAfter(form.to) : '', bucket: form.bucket };
}

