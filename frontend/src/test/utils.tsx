import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';
import { vi } from 'vitest';

import { type Schemas } from '@/api/client';
import { AppProviders } from '@/app/AppProviders';
import { routes as appRoutes } from '@/app/routes';
import { useAuthStore } from '@/store/auth';

export function createTestQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
}

/** Render the real route table (or a custom one) at `path`, with fresh providers. */
export function renderRoute(path: string, options: { routes?: RouteObject[] } = {}) {
  const router = createMemoryRouter(options.routes ?? appRoutes, { initialEntries: [path] });
  const queryClient = createTestQueryClient();
  const user = userEvent.setup();
  const view = render(
    <AppProviders queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { ...view, user, router, queryClient };
}

export function jsonResponse(body: unknown, init: ResponseInit & { contentType?: string } = {}): Response {
  const { contentType = 'application/json', headers, ...rest } = init;
  const merged = new Headers(headers);
  merged.set('Content-Type', contentType);
  return new Response(JSON.stringify(body), { status: 200, ...rest, headers: merged });
}

/**
 * Replace global fetch with a router keyed by pathname. Unmatched paths get a 404
 * problem; handlers may return a Response or throw to simulate network failures.
 */
export function mockFetch(handlers: Record<string, (request: Request) => Response | Promise<Response>>) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    // Drop the signal: jsdom's AbortSignal is not accepted by Node's Request.
    const { signal: _signal, ...rest } = init ?? {};
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const request = new Request(new URL(url, 'http://localhost'), rest);
    const handler = handlers[new URL(request.url).pathname];
    if (!handler) {
      return jsonResponse(
        { type: 'about:blank', title: 'Not Found', status: 404 },
        { status: 404, contentType: 'application/problem+json' },
      );
    }
    return handler(request);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

export interface TestUser {
  id?: string;
  email?: string;
  full_name?: string;
  role?: 'admin' | 'organizer' | 'staff' | 'customer';
  organization_id?: string | null;
}

/** A `UserPublic` body as the edge returns it. */
export function userBody(user: TestUser = {}): Schemas['UserPublic'] {
  return {
    id: user.id ?? '00000000-0000-4000-8000-000000000001',
    email: user.email ?? 'ana@example.org',
    full_name: user.full_name ?? 'Ana Gómez',
    role: user.role ?? 'customer',
    organization_id: user.organization_id ?? null,
    active: true,
    created_at: '2026-01-02T10:00:00Z',
    last_login_at: null,
  };
}

/** Put a signed-in session straight into the store (access token valid for 15 minutes). */
export function signInAs(user: TestUser = {}, accessToken = 'access-1') {
  const body = userBody(user);
  useAuthStore.getState().setTokens(accessToken, Date.now() + 900_000);
  useAuthStore.getState().setUser({
    id: body.id,
    email: body.email,
    fullName: body.full_name,
    role: body.role,
    organizationId: body.organization_id,
  });
}

export function problem(status: number, extra: Record<string, unknown> = {}) {
  return jsonResponse(
    { type: 'about:blank', title: `HTTP ${status}`, status, ...extra },
    { status, contentType: 'application/problem+json' },
  );
}
