import { apiRequest, call, fillPath, type Schemas } from './client';
import { attachmentName } from './orders';

/**
 * The organizers' reports and exports at the edge (routes/reports.py), typed by its OpenAPI schemas
 * and put in the app's words here. Reports are read from counters that follow the sales within
 * seconds; exports stream every order or ticket of an event as CSV or XLSX.
 */
export type ReportBucket = Schemas['ReportPublic']['bucket'];

export interface Money {
  amount: string;
  currency: string;
}

export interface ReportFigures {
  ticketsSold: number;
  ticketsRefunded: number;
  ordersPaid: number;
  refunds: number;
  gross: Money[];
  refunded: Money[];
  net: Money[];
  admitted: number;
  entries: number;
  exits: number;
  doubleAdmissions: number;
}

export interface ReportLine {
  eventId: string;
  eventName: string;
  sessionId: string;
  sessionStartsAt: string | null;
  zoneId: string;
  zoneName: string;
  capacity: number;
  figures: ReportFigures;
  /** "0.0000".."1.0000" */
  sellThrough: string;
  waitlistEntries: number;
  waitlistPlaces: number;
}

export interface Report {
  since: string | null;
  until: string | null;
  bucket: ReportBucket;
  totals: ReportFigures;
  capacity: number;
  sellThrough: string;
  waitlistEntries: number;
  waitlistPlaces: number;
  lines: ReportLine[];
  series: { start: string; figures: ReportFigures }[];
  asOf: string;
}

export interface ReportFilters {
  /** yyyy-mm-dd (UTC day), or '' for no bound. */
  from: string;
  to: string;
  bucket: ReportBucket;
}

function toFigures(body: Schemas['ReportFiguresOut']): ReportFigures {
  return {
    ticketsSold: body.tickets_sold,
    ticketsRefunded: body.tickets_refunded,
    ordersPaid: body.orders_paid,
    refunds: body.refunds,
    gross: body.gross,
    refunded: body.refunded,
    net: body.net,
    admitted: body.admitted,
    entries: body.entries,
    exits: body.exits,
    doubleAdmissions: body.double_admissions,
  };
}

export function toReport(body: Schemas['ReportPublic']): Report {
  return {
    since: body.since ?? null,
    until: body.until ?? null,
    bucket: body.bucket,
    totals: toFigures(body.totals),
    capacity: body.capacity,
    sellThrough: body.sell_through,
    waitlistEntries: body.waitlist_entries,
    waitlistPlaces: body.waitlist_places,
    lines: body.lines.map((line) => ({
      eventId: line.event_id,
      eventName: line.event_name,
      sessionId: line.session_id,
      sessionStartsAt: line.session_starts_at ?? null,
      zoneId: line.zone_id,
      zoneName: line.zone_name,
      capacity: line.capacity,
      figures: toFigures(line.figures),
      sellThrough: line.sell_through,
      waitlistEntries: line.waitlist_entries,
      waitlistPlaces: line.waitlist_places,
    })),
    series: body.series.map((bucket) => ({ start: bucket.start, figures: toFigures(bucket.figures) })),
    asOf: body.as_of,
  };
}

function reportQuery(filters: ReportFilters) {
  return {
    bucket: filters.bucket,
    ...(filters.from ? { from: filters.from } : {}),
    ...(filters.to ? { to: filters.to } : {}),
  };
}

export async function fetchEventReport(eventId: string, filters: ReportFilters, signal?: AbortSignal): Promise<Report> {
  const { data } = await call('get', '/api/v1/events/{event_id}/report', {
    path: { event_id: eventId },
    query: reportQuery(filters),
    signal,
  });
  return toReport(data);
}

export async function fetchOrganizationReport(organizationId: string, filters: ReportFilters, signal?: AbortSignal): Promise<Report> {
  const { data } = await call('get', '/api/v1/organizations/{organization_id}/report', {
    path: { organization_id: organizationId },
    query: reportQuery(filters),
    signal,
  });
  return toReport(data);
}

export type ExportKind = 'orders' | 'attendees';
export type ExportFormat = 'csv' | 'xlsx';

export interface ExportProgress {
  /** Bytes received so far. */
  bytes: number;
  /** Rows received so far (CSV only: XLSX arrives as one zip at the end); null when unknown. */
  rows: number | null;
  /** Rows the server said would come (`X-Total-Rows`); null when it did not say. */
  total: number | null;
}

const NEWLINE = 10;

/** Downloads an export as it streams, reporting bytes (and, for CSV, rows) as they arrive. */
export async function downloadExport(
  eventId: string,
  kind: ExportKind,
  format: ExportFormat,
  onProgress: (progress: ExportProgress) => void,
  signal?: AbortSignal,
): Promise<{ blob: Blob; filename: string }> {
  const path = fillPath(`/api/v1/events/{event_id}/exports/${kind}.${format}`, { event_id: eventId });
  let bytes = 0;
  let lines = 0;
  const response = await apiRequest<Blob>(path, {
    responseType: 'blob',
    signal,
    timeoutMs: 60_000,
    onChunk: (chunk, headers) => {
      bytes += chunk.length;
      if (format === 'csv') for (const byte of chunk) if (byte === NEWLINE) lines += 1;
      const announced = Number(headers.get('X-Total-Rows'));
      onProgress({
        bytes,
        // The first line is the header row.
        rows: format === 'csv' ? Math.max(lines - 1, 0) : null,
        total: Number.isFinite(announced) && headers.has('X-Total-Rows') ? announced : null,
      });
    },
  });
  return { blob: response.data, filename: attachmentName(response.headers.get('Content-Disposition'), `${kind}.${format}`) };
}
