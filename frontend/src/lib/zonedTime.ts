/**
 * Wall-clock times in an IANA time zone without a date library. Forms use
 * `<input type="datetime-local">` ("2030-03-14T20:00"), which has no zone: the event's own
 * `timezone` gives it one, so "20:00" means 20:00 at the venue wherever the organizer is.
 */
const LOCAL_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone.trim()) return false;
  try {
    formatter(timeZone.trim());
    return true;
  } catch {
    return false;
  }
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function wallClock(ms: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offset of `timeZone` from UTC at instant `ms`, in minutes (Madrid in summer: +120). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** "2030-03-14T20:00" in `timeZone` -> the instant (epoch ms), or undefined if malformed. */
export function zonedLocalToEpoch(local: string, timeZone: string): number | undefined {
  const m = LOCAL_PATTERN.exec(local.trim());
  if (!m || !isValidTimeZone(timeZone)) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const guess = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (Number.isNaN(guess)) return undefined;
  const first = offsetMinutes(guess, timeZone);
  let instant = guess - first * 60_000;
  const second = offsetMinutes(instant, timeZone);
  if (second !== first) instant = guess - second * 60_000;
  return instant;
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/** "2030-03-14T20:00" in America/Mexico_City -> "2030-03-14T20:00:00-06:00". */
export function zonedLocalToIso(local: string, timeZone: string): string | undefined {
  const instant = zonedLocalToEpoch(local, timeZone);
  if (instant === undefined) return undefined;
  const offset = offsetMinutes(instant, timeZone);
  const w = wallClock(instant, timeZone);
  const sign = offset < 0 ? '-' : '+';
  return (
    `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/** An ISO instant -> "YYYY-MM-DDTHH:mm" as the wall clock in `timeZone` (for datetime-local). */
export function isoToZonedLocal(iso: string, timeZone: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const tz = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  const w = wallClock(ms, tz);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}
