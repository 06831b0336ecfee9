import type { Availability, SaleStatus, ZoneAvailability } from '@/api/reservations';

export function zoneLine(availability: Availability | undefined, sessionId: string, zoneId: string): ZoneAvailability | undefined {
  return availability?.zones.find((line) => line.sessionId === sessionId && line.zoneId === zoneId);
}

export function isSelling(status: SaleStatus | undefined): boolean {
  return status === 'on_sale' || status === 'few_left';
}

/**
 * A session as a whole: places left over its own zones that sell (never added across sessions),
 * at most the session's capacity when it has one (a cap below the sum of its zones), and one sale state.
 */
export function sessionAvailability(
  availability: Availability | undefined,
  sessionId: string,
  capacity?: number,
): { status: SaleStatus; available: number } | undefined {
  const lines = availability?.zones.filter((line) => line.sessionId === sessionId) ?? [];
  if (lines.length === 0) return undefined;
  const selling = lines.filter((line) => isSelling(line.status));
  if (selling.length === 0) {
    return { status: lines.every((line) => line.status === 'not_on_sale') ? 'not_on_sale' : 'sold_out', available: 0 };
  }
  const free = selling.reduce((sum, line) => sum + line.available, 0);
  const available = capacity !== undefined && capacity > 0 ? Math.min(free, capacity) : free;
  if (available === 0) return { status: 'sold_out', available };
  return { status: selling.every((line) => line.status === 'few_left') ? 'few_left' : 'on_sale', available };
}
