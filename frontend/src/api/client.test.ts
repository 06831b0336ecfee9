import { afterEach, describe, expect, it, vi } from 'vitest';

import { useAuthStore } from '@/store/auth';
import { jsonResponse } from '@/test/utils';

import { api, ApiError, apiRequest, buildSameOriginUrl, call, CORRELATION_HEADER, fillPath, isApiError, parseProblem } from './client';

function stubFetch(response: Response | (() => Promise<Response>)) {
  const fn = vi.fn((_input: RequestInfo | URL, _init?: RequestInit) =>
    typeof response === 'function' ? response() : Promise.resolve(response),
  );
  vi.stubGlobal('fetch', fn);
  return fn;
}

function sentHeaders(fn: ReturnType<typeof stubFetch>): Headers {
  const init = fn.mock.calls[0]?.[1];
  return new Headers(init?.headers);
}

async function catchError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('problem+json parsing', () => {
  it('turns an RFC 9457 body into a typed ApiError with field errors', async () => {
    stubFetch(
      jsonResponse(
        {
          type: 'https://taquilla.dev/problems/validation',
          title: 'Validation failed',
          status: 422,
          detail: 'The request body is invalid.',
          instance: '/api/v1/events',
          errors: [
            { field: 'title', message: 'Required' },
            { field: 'starts_at', message: 'Must be in the future' },
          ],
        },
        { status: 422, contentType: 'application/problem+json', headers: { [CORRELATION_HEADER]: 'corr-123' } },
      ),
    );

    const error = await catchError(api.post('/api/v1/events', { title: '' }));

    expect(isApiError(error)).toBe(true);
    const apiError = error as ApiError;
    expect(apiError).toBeInstanceOf(Error);
    expect(apiError.status).toBe(422);
    expect(apiError.title).toBe('Validation failed');
    expect(apiError.detail).toBe('The request body is invalid.');
    expect(apiError.type).toBe('https://taquilla.dev/problems/validation');
    expect(apiError.instance).toBe('/api/v1/events');
    expect(apiError.errors).toEqual([
      { field: 'title', message: 'Required' },
      { field: 'starts_at', message: 'Must be in the future' },
    ]);
    expect(apiError.fieldError('starts_at')).toBe('Must be in the future');
    expect(apiError.correlationId).toBe('corr-123');
    expect(apiError.message).toBe('The request body is invalid.');
  });

  it('uses the HTTP status when the body omits or contradicts it', async () => {
    stubFetch(
      jsonResponse({ title: 'Conflict', status: 200 }, { status: 409, contentType: 'application/problem+json; charset=utf-8' }),
    );
    const error = (await catchError(api.get('/api/v1/things'))) as ApiError;
    expect(error.status).toBe(409);
    expect(error.title).toBe('Conflict');
    expect(error.detail).toBeUndefined();
    expect(error.errors).toBeUndefined();
    expect(error.type).toBe('about:blank');
  });

  it('falls back to the status line for non-JSON error bodies', async () => {
    stubFetch(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'Content-Type': 'text/html' } }));
    const error = (await catchError(api.get('/api/v1/events'))) as ApiError;
    expect(error.status).toBe(502);
    expect(error.title).toBe('Bad Gateway');
    expect(error.detail).toBeUndefined();
  });

  it('normalizes FastAPI validation errors and JSON pointers', () => {
    expect(
      parseProblem(
        { detail: [{ loc: ['body', 'email'], msg: 'value is not a valid email address', type: 'value_error' }] },
        { status: 422, title: 'Unprocessable Entity' },
      ),
    ).toMatchObject({
      status: 422,
      title: 'Unprocessable Entity',
      detail: undefined,
      errors: [{ field: 'email', message: 'value is not a valid email address' }],
    });
    expect(
      parseProblem({ title: 'Bad', errors: [{ pointer: '#/venue/city', detail: 'Required' }] }, { status: 400, title: 'x' }).errors,
    ).toEqual([{ field: 'venue.city', message: 'Required' }]);
    expect(parseProblem({ errors: { email: ['Taken', 'Too long'] } }, { status: 400, title: 'x' }).errors).toEqual([
      { field: 'email', message: 'Taken' },
      { field: 'email', message: 'Too long' },
    ]);
    expect(parseProblem('oops', { status: 500, title: 'Internal Server Error' })).toEqual({
      status: 500,
      title: 'Internal Server Error',
    });
  });

  it('reports network failures as status 0', async () => {
    stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const error = (await catchError(api.get('/readyz'))) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.isNetworkError).toBe(true);
    expect(error.title).toBe('Network error');
    expect(error.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('requests', () => {
  it('sends a correlation id and exposes the echoed one', async () => {
    const fn = stubFetch(jsonResponse({ ok: true }, { headers: { [CORRELATION_HEADER]: 'echoed-id' } }));
    const response = await apiRequest<{ ok: boolean }>('/api/v1/events', { query: { limit: 6, q: undefined } });

    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn.mock.calls[0]?.[0]).toBe('/api/v1/events?limit=6');
    const sent = sentHeaders(fn).get(CORRELATION_HEADER);
    expect(sent).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(response.correlationId).toBe('echoed-id');
    expect(response.data).toEqual({ ok: true });
  });

  it('reuses a caller-supplied correlation id and falls back to it when not echoed', async () => {
    const fn = stubFetch(jsonResponse({}));
    const response = await apiRequest('/healthz', { correlationId: 'mine' });
    expect(sentHeaders(fn).get(CORRELATION_HEADER)).toBe('mine');
    expect(response.correlationId).toBe('mine');
  });

  it('serializes JSON bodies and attaches the bearer token when signed in', async () => {
    useAuthStore.getState().setTokens('tok', Date.now() + 900_000);
    const fn = stubFetch(new Response(null, { status: 204 }));
    const data = await api.post('/api/v1/events', { title: 'Concierto' });
    const init = fn.mock.calls[0]?.[1];
    expect(data).toBeUndefined();
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"title":"Concierto"}');
    expect(sentHeaders(fn).get('Content-Type')).toBe('application/json');
    expect(sentHeaders(fn).get('Authorization')).toBe('Bearer tok');
  });

  it('returns accepted non-2xx bodies instead of throwing', async () => {
    stubFetch(jsonResponse({ status: 'not_ready', checks: [] }, { status: 503 }));
    const response = await apiRequest('/readyz', { acceptStatuses: [503] });
    expect(response.status).toBe(503);
    expect(response.data).toEqual({ status: 'not_ready', checks: [] });
  });

  it.each(['https://evil.example/api', '//evil.example/api', 'api/v1/events', '/\\evil.example'])(
    'refuses non same-origin path %s',
    async (path) => {
      const fn = stubFetch(jsonResponse({}));
      await expect(apiRequest(path)).rejects.toThrow(TypeError);
      expect(fn).not.toHaveBeenCalled();
    },
  );

  it('builds query strings, repeating array values', () => {
    expect(buildSameOriginUrl('/api/v1/events', { tag: ['music', 'jazz'], page: 2, draft: false, q: null })).toBe(
      '/api/v1/events?tag=music&tag=jazz&page=2&draft=false',
    );
  });
});

describe('typed calls', () => {
  it('fills and encodes path parameters, sends the query and body, and returns the answer', async () => {
    const fn = stubFetch(jsonResponse({ id: 'a b', featured: true }));
    const { data } = await call('put', '/api/v1/events/{event_id}/featured', {
      path: { event_id: 'a b' },
      body: { featured: true },
    });
    expect(fn.mock.calls[0]?.[0]).toBe('/api/v1/events/a%20b/featured');
    expect(fn.mock.calls[0]?.[1]?.method).toBe('PUT');
    expect(fn.mock.calls[0]?.[1]?.body).toBe('{"featured":true}');
    expect(data.featured).toBe(true);
  });

  it('refuses a template whose parameter is missing', () => {
    expect(() => fillPath('/api/v1/queue/{queue_id}', {})).toThrow(/queue_id/);
  });
});
