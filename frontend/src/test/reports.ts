import type { Schemas } from '@/api/client';

function figures(overrides: Partial<Schemas['ReportFiguresOut']> = {}): Schemas['ReportFiguresOut'] {
  return {
    tickets_sold: 0,
    tickets_refunded: 0,
    orders_paid: 0,
    refunds: 0,
    gross: [],
    refunded: [],
    net: [],
    admitted: 0,
    entries: 0,
    exits: 0,
    double_admissions: 0,
    ...overrides,
  };
}

/** A `ReportPublic` body as the edge returns it: an event with two zones, sales and refunds. */
export function reportBody(overrides: Partial<Schemas['ReportPublic']> = {}): Schemas['ReportPublic'] {
  const mxn = (amount: string) => [{ amount, currency: 'MXN' }];
  return {
    since: null,
    until: null,
    bucket: 'day',
    totals: figures({
      tickets_sold: 12,
      tickets_refunded: 2,
      orders_paid: 5,
      refunds: 1,
      gross: mxn('9000.00'),
      refunded: mxn('900.00'),
      net: mxn('8100.00'),
      admitted: 4,
      entries: 5,
      exits: 1,
    }),
    capacity: 5300,
    sell_through: '0.0019',
    waitlist_entries: 3,
    waitlist_places: 5,
    lines: [
      {
        event_id: 'e1',
        event_name: 'Noche de Jazz en el Foro',
        session_id: 's1',
        session_starts_at: '2030-03-15T02:00:00Z',
        zone_id: 'z1',
        zone_name: 'General',
        capacity: 5000,
        figures: figures({ tickets_sold: 10, tickets_refunded: 2, gross: mxn('4500.00'), admitted: 3 }),
        sell_through: '0.0016',
        waitlist_entries: 0,
        waitlist_places: 0,
      },
      {
        event_id: 'e1',
        event_name: 'Noche de Jazz en el Foro',
        session_id: 's1',
        session_starts_at: '2030-03-15T02:00:00Z',
        zone_id: 'z2',
        zone_name: 'VIP',
        capacity: 300,
        figures: figures({ tickets_sold: 2, gross: mxn('3600.00'), admitted: 1 }),
        sell_through: '0.0067',
        waitlist_entries: 3,
        waitlist_places: 5,
      },
    ],
    series: [
      { start: '2026-12-01T00:00:00Z', figures: figures({ tickets_sold: 7, gross: mxn('5000.00') }) },
      { start: '2026-12-02T00:00:00Z', figures: figures({ tickets_sold: 5, tickets_refunded: 2, gross: mxn('4000.00') }) },
    ],
    as_of: '2026-12-02T16:00:00Z',
    ...overrides,
  };
}
