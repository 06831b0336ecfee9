import { screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { describe, expect, it, vi } from 'vitest';

import { eventBody, ORG_ID } from '@/test/events';
import { stubObjectUrls } from '@/test/orders';
import { reportBody } from '@/test/reports';
import { jsonResponse, mockFetch, problem, renderRoute, signInAs } from '@/test/utils';

vi.setConfig({ testTimeout: 20_000 });

const EVENT = eventBody().id;

async function seriousViolations() {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } }, resultTypes: ['violations'] });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
}

/** A CSV body sent in two chunks, as a stream. */
function streamedCsv(chunks: string[], total: number): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="orders-0b6f0c9e.csv"',
      'X-Total-Rows': String(total),
    },
  });
}

describe('EventReportPage', () => {
  it('shows the totals, a table beside each chart, and asks again with the filters', async () => {
    const queries: string[] = [];
    mockFetch({
      [`/api/v1/events/${EVENT}`]: () => jsonResponse(eventBody()),
      [`/api/v1/events/${EVENT}/report`]: (request) => {
        queries.push(new URL(request.url).search);
        return jsonResponse(reportBody());
      },
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute(`/events/${EVENT}/report`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Panel de ventas de Noche de Jazz en el Foro' })).toBeInTheDocument();
    const sold = (await screen.findByText('Entradas vendidas')).closest('div') as HTMLElement;
    expect(within(sold).getByText('12')).toBeInTheDocument();
    expect(screen.getByText('4 de 10 entradas han entrado')).toBeInTheDocument();
    expect(screen.getByText('5 plazas pedidas')).toBeInTheDocument();

    const byZone = screen.getByRole('table', { name: 'Por sesión y zona' });
    const vip = within(byZone).getByRole('rowheader', { name: 'VIP' }).closest('tr') as HTMLElement;
    expect(within(vip).getByText('300')).toBeInTheDocument();
    const overTime = screen.getByRole('table', { name: 'Ventas en el tiempo' });
    expect(within(overTime).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByRole('table', { name: 'Progreso del acceso' })).toBeInTheDocument();
    expect(queries).toEqual(['?bucket=day']);

    const filters = screen.getByRole('search', { name: 'Filtrar el panel' });
    await user.type(within(filters).getByLabelText('Desde'), '2026-12-01');
    await user.type(within(filters).getByLabelText('Hasta'), '2026-12-02');
    await user.selectOptions(within(filters).getByLabelText('Agrupar por'), 'hour');
    await user.click(within(filters).getByRole('button', { name: 'Aplicar' }));
    // "Hasta" includes its day: the API's `to` excludes it.
    await waitFor(() => expect(queries).toContain('?bucket=hour&from=2026-12-01&to=2026-12-03'));
    expect(await seriousViolations()).toEqual([]);
  });

  it('downloads an export as it streams and says how many rows came', async () => {
    const saved = stubObjectUrls();
    mockFetch({
      [`/api/v1/events/${EVENT}`]: () => jsonResponse(eventBody()),
      [`/api/v1/events/${EVENT}/report`]: () => jsonResponse(reportBody()),
      [`/api/v1/events/${EVENT}/exports/orders.csv`]: () =>
        streamedCsv(['\ufefforder_id,status\no1,paid\n', 'o2,refunded\n'], 2),
    });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    const { user } = renderRoute(`/events/${EVENT}/report`);

    await user.click(await screen.findByRole('button', { name: 'Pedidos (CSV)' }));

    expect(await screen.findByText('Exportación descargada.')).toBeInTheDocument();
    expect(saved).toHaveLength(1);
    expect(await saved[0]?.text()).toContain('o2,refunded');
  });

  it('tells an organizer of another organization the dashboard is not theirs', async () => {
    mockFetch({
      [`/api/v1/events/${EVENT}`]: () => jsonResponse(eventBody()),
      [`/api/v1/events/${EVENT}/report`]: () => problem(404),
    });
    signInAs({ role: 'organizer', organization_id: 'another' });
    renderRoute(`/events/${EVENT}/report`);
    expect(await screen.findByRole('heading', { name: 'No puedes ver el panel de este evento.' })).toBeInTheDocument();
  });
});

describe('OrganizationReportPage', () => {
  it("shows the organization's events together, with the event in each line", async () => {
    mockFetch({ [`/api/v1/organizations/${ORG_ID}/report`]: () => jsonResponse(reportBody()) });
    signInAs({ role: 'organizer', organization_id: ORG_ID });
    renderRoute(`/organizations/${ORG_ID}/report`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Panel de la organización' })).toBeInTheDocument();
    const byZone = await screen.findByRole('table', { name: 'Por sesión y zona' });
    expect(within(byZone).getAllByText('Noche de Jazz en el Foro')).toHaveLength(2);
    expect(await seriousViolations()).toEqual([]);
  });
});
