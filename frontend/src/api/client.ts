/**
 * Minimal typed HTTP client for the Taquilla edge.
 *
 * - Talks ONLY to same-origin paths ("/api/v1/...", "/readyz"); absolute or
 *   protocol-relative URLs are rejected. The dev server / nginx proxy forwards
 *   those paths to the edge.
 * - Sends an `X-Correlation-ID` on every request and reads the echoed value back.
 * - Turns non-2xx responses into `ApiError`, parsing RFC 9457
 *   `application/problem+json` bodies (and FastAPI's default validation shape).
 */
import { useAuthStore } from '@/store/auth';

import type { components, paths } from './schema';

export const CORRELATION_HEADER = 'X-Correlation-ID';
const DEFAULT_TIMEOUT_MS = 15_000;

export interface FieldError {
  field: string;
  /** The edge's stable code (`required`, `invalid_uuid`, `weak_password`...), translated by the app. */
  code?: string;
  /** English, for developers: shown only when there is no translation (see lib/serverErrors.ts). */
  message: string;
}

/** RFC 9457 problem details, plus the `errors` extension used by the edge. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

export interface ApiErrorInit {
  status: number;
  title: string;
  detail?: string | undefined;
  type?: string | undefined;
  instance?: string | undefined;
  errors?: FieldError[] | undefined;
  /** The problem's other members (RFC 9457 extensions), e.g. `zones` of a sold-out refusal. */
  extensions?: Record<string, unknown> | undefined;
  correlationId?: string | undefined;
  cause?: unknown;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when the request never produced a response (offline, timeout, CORS). */
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string;
  readonly instance: string | undefined;
  readonly errors: FieldError[] | undefined;
  /** Extension members of the problem body (never the standard ones); empty when there were none. */
  readonly extensions: Record<string, unknown>;
  readonly correlationId: string | undefined;

  constructor(init: ApiErrorInit) {
    super(init.detail ?? init.title, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.type = init.type ?? 'about:blank';
    this.instance = init.instance;
    this.errors = init.errors;
    this.extensions = init.extensions ?? {};
    this.correlationId = init.correlationId;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }

  /** Message for a given form field, if the server reported one. */
  fieldError(field: string): string | undefined {
    return this.errors?.find((e) => e.field === field)?.message;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

// ---------------------------------------------------------------------------
// Problem parsing
// ---------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** "#/email" or "/address/city" -> "email", "address.city". */
function fieldFromPointer(pointer: string): string {
  return pointer.replace(/^#?\//, '').split('/').join('.');
}

/** FastAPI `loc`: ["body", "email"] -> "email"; ["query", "limit"] -> "limit". */
function fieldFromLoc(loc: unknown[]): string {
  const parts = loc.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  const trimmed = parts.length > 1 && ['body', 'query', 'path', 'header', 'cookie'].includes(String(parts[0]))
    ? parts.slice(1)
    : parts;
  return trimmed.join('.');
}

function normalizeFieldError(entry: unknown): FieldError | undefined {
  if (!isRecord(entry)) return undefined;
  const message = optionalString(entry.message) ?? optionalString(entry.msg) ?? optionalString(entry.detail);
  if (message === undefined) return undefined;
  let field: string | undefined = optionalString(entry.field);
  if (field === undefined && typeof entry.pointer === 'string') field = fieldFromPointer(entry.pointer);
  if (field === undefined && Array.isArray(entry.loc)) field = fieldFromLoc(entry.loc);
  const code = optionalString(entry.code);
  return code === undefined ? { field: field ?? '', message } : { field: field ?? '', code, message };
}

/** Accepts `[{field, message}]`, `[{pointer, detail}]`, FastAPI `[{loc, msg}]` or `{field: message | message[]}`. */
export function normalizeFieldErrors(raw: unknown): FieldError[] | undefined {
  let out: FieldError[] = [];
  if (Array.isArray(raw)) {
    out = raw.map(normalizeFieldError).filter((e): e is FieldError => e !== undefined);
  } else if (isRecord(raw)) {
    for (const [field, value] of Object.entries(raw)) {
      const messages = Array.isArray(value) ? value : [value];
      for (const message of messages) {
        if (typeof message === 'string') out.push({ field, message });
      }
    }
  }
  return out.length > 0 ? out : undefined;
}

const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'errors']);

/**
 * Build the fields of an ApiError from a parsed error body. Unknown shapes fall
 * back to the HTTP status line so callers always get a usable title.
 */
export function parseProblem(body: unknown, fallback: { status: number; title: string }): ApiErrorInit {
  if (!isRecord(body)) {
    return { status: fallback.status, title: fallback.title };
  }
  // FastAPI's default 422 body: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}
  const detailIsList = Array.isArray(body.detail);
  const errors = normalizeFieldErrors(body.errors) ?? (detailIsList ? normalizeFieldErrors(body.detail) : undefined);
  const status = typeof body.status === 'number' && Number.isInteger(body.status) ? body.status : fallback.status;
  const extensions = Object.fromEntries(Object.entries(body).filter(([key]) => !STANDARD_MEMBERS.has(key)));
  return {
    status,
    title: optionalString(body.title) ?? fallback.title,
    detail: detailIsList ? undefined : optionalString(body.detail),
    type: optionalString(body.type),
    instance: optionalString(body.instance),
    errors,
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}

// ---------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------

const SAME_ORIGIN_BASE = 'http://same-origin.invalid';

/** Validates that `path` is a same-origin absolute path and appends the query string. */
export function buildSameOriginUrl(path: string, query?: QueryParams): string {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) {
    throw new TypeError(`API paths must be same-origin absolute paths like "/api/v1/events", got "${path}"`);
  }
  const url = new URL(path, SAME_ORIGIN_BASE);
  if (url.origin !== SAME_ORIGIN_BASE) {
    throw new TypeError(`API path escapes the current origin: "${path}"`);
  }
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) {
        for (const item of value) url.searchParams.append(key, String(item));
      } else {
        url.searchParams.set(key, String(value));
      }
    }
  }
  return `${url.pathname}${url.search}`;
}

export function newCorrelationId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  // crypto.randomUUID is only available in secure contexts; build a v4 UUID by hand.
  const bytes = c.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/json' || mime.endsWith('+json');
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 205 || response.status === 304) return undefined;
  const text = await response.text();
  if (text.length === 0) return undefined;
  if (!isJsonContentType(response.headers.get('Content-Type'))) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The body as a Blob, chunk by chunk when someone follows its progress. */
async function readBlob(response: Response, onChunk?: (chunk: Uint8Array, headers: Headers) => void): Promise<Blob> {
  if (!onChunk || !response.body) return response.blob();
  const reader = response.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    onChunk(value, response.headers);
  }
  return new Blob(chunks, { type: response.headers.get('Content-Type') ?? '' });
}

type QueryValue = string | number | boolean | null | undefined;
export type QueryParams = Record<string, QueryValue | readonly (string | number | boolean)[]>;
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method?: HttpMethod;
  query?: QueryParams;
  /** Serialized as JSON unless it is FormData / URLSearchParams / Blob. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Reuse an existing correlation id (e.g. to tie retries together). */
  correlationId?: string;
  /** Non-2xx statuses whose body should be returned instead of thrown (e.g. 503 from /readyz). */
  acceptStatuses?: readonly number[];
  timeoutMs?: number;
  /**
   * Attach the signed-in user's access token (default true). With it, a token about to
   * expire is refreshed first and a 401 triggers one silent refresh and a single retry.
   * The token endpoint and sign-up pass false.
   */
  auth?: boolean;
  /** `blob`: a 2xx body is returned as a Blob (a PDF, an image) instead of being parsed. */
  responseType?: 'json' | 'blob';
  /** With `blob`: called with each chunk of the body as it arrives (a streamed export's progress). */
  onChunk?: (chunk: Uint8Array, headers: Headers) => void;
}

/**
 * How the client obtains and renews access tokens. Installed by `src/auth/session.ts`;
 * without it the client just sends the in-memory token from the auth store.
 */
export interface AuthHooks {
  /** The token to send now, refreshed first when it is about to expire; null when signed out. */
  getAccessToken: () => Promise<string | null>;
  /** A request sent with `token` got 401: resolve to a new token to retry with once, or null. */
  onUnauthorized: (token: string) => Promise<string | null>;
}

let authHooks: AuthHooks | null = null;

export function configureAuth(hooks: AuthHooks | null): void {
  authHooks = hooks;
}

async function currentAccessToken(): Promise<string | null> {
  if (authHooks) return authHooks.getAccessToken();
  return useAuthStore.getState().accessToken;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
  correlationId: string;
}

function encodeBody(body: unknown, headers: Headers): BodyInit | undefined {
  if (body === undefined) return undefined;
  if (body instanceof FormData || body instanceof URLSearchParams || body instanceof Blob) return body;
  if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  return JSON.stringify(body);
}

/**
 * Perform a request and return the parsed body with response metadata.
 * `T` is NOT validated at runtime: callers handling untrusted shapes should
 * request `unknown` and validate (see `api/health.ts`).
 */
export async function apiRequest<T = unknown>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const useAuth = options.auth !== false && !new Headers(options.headers).has('Authorization');
  const token = useAuth ? await currentAccessToken() : null;
  try {
    return await sendRequest<T>(path, options, token);
  } catch (error) {
    if (!(token && authHooks && error instanceof ApiError && error.status === 401)) throw error;
    // The token was rejected (expired, revoked, signing key rotated): refresh once and retry once.
    const renewed = await authHooks.onUnauthorized(token);
    if (!renewed) throw error;
    return sendRequest<T>(path, options, renewed);
  }
}

async function sendRequest<T>(path: string, options: RequestOptions, token: string | null): Promise<ApiResponse<T>> {
  const { method = 'GET', query, body, signal, acceptStatuses = [], timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const url = buildSameOriginUrl(path, query);
  const sentCorrelationId = options.correlationId ?? newCorrelationId();

  const headers = new Headers(options.headers);
  headers.set('Accept', 'application/json, application/problem+json;q=0.9, */*;q=0.1');
  headers.set(CORRELATION_HEADER, sentCorrelationId);
  if (token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`);

  // Combine the caller's signal with a timeout, without relying on AbortSignal.any.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const forwardAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', forwardAbort, { once: true });

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: encodeBody(body, headers),
      credentials: 'same-origin',
      signal: controller.signal,
    });
  } catch (cause) {
    // Caller-initiated aborts propagate untouched so TanStack Query can ignore them.
    if (signal?.aborted) throw cause;
    throw new ApiError({
      status: 0,
      title: timedOut ? 'Request timed out' : 'Network error',
      detail: cause instanceof Error ? cause.message : undefined,
      correlationId: sentCorrelationId,
      cause,
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forwardAbort);
  }

  const correlationId = response.headers.get(CORRELATION_HEADER) ?? sentCorrelationId;
  const data = response.ok && options.responseType === 'blob' ? await readBlob(response, options.onChunk) : await readBody(response);

  if (!response.ok && !acceptStatuses.includes(response.status)) {
    const fallbackTitle = response.statusText || `HTTP ${response.status}`;
    const problem = parseProblem(data, { status: response.status, title: fallbackTitle });
    // The HTTP status line is authoritative; a problem body's "status" is advisory (RFC 9457 §3.1.2).
    throw new ApiError({ ...problem, status: response.status, correlationId });
  }

  return { data: data as T, status: response.status, headers: response.headers, correlationId };
}

type BodylessOptions = Omit<RequestOptions, 'method' | 'body'>;
type BodyOptions = Omit<RequestOptions, 'method'>;

/** Convenience wrappers returning only the body. */
export const api = {
  get: async <T = unknown>(path: string, options?: BodylessOptions) =>
    (await apiRequest<T>(path, { ...options, method: 'GET' })).data,
  delete: async <T = unknown>(path: string, options?: BodylessOptions) =>
    (await apiRequest<T>(path, { ...options, method: 'DELETE' })).data,
  post: async <T = unknown>(path: string, body?: unknown, options?: BodyOptions) =>
    (await apiRequest<T>(path, { ...options, body, method: 'POST' })).data,
  put: async <T = unknown>(path: string, body?: unknown, options?: BodyOptions) =>
    (await apiRequest<T>(path, { ...options, body, method: 'PUT' })).data,
  patch: async <T = unknown>(path: string, body?: unknown, options?: BodyOptions) =>
    (await apiRequest<T>(path, { ...options, body, method: 'PATCH' })).data,
};

// ---------------------------------------------------------------------------
// Typed calls: paths, parameters, bodies and answers from the edge's OpenAPI document
// ---------------------------------------------------------------------------

/** The edge's schemas (`components.schemas` of its OpenAPI document), generated into schema.d.ts. */
export type Schemas = components['schemas'];

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The edge's paths that answer `M`. */
export type PathFor<M extends Method> = {
  [P in keyof paths]: [paths[P][M]] extends [undefined] ? never : P;
}[keyof paths];

type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type SuccessStatus = 200 | 201 | 202 | 204;
type JsonContent<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;

/** The JSON body of the operation's 2xx answer (`undefined` for 204). */
export type ResponseOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R } ? JsonContent<R[keyof R & SuccessStatus]> : never;

type PathParamsOption<O> = O extends { parameters: { path: infer PP } } ? { path: PP } : { path?: never };
type QueryOption<O> = O extends { parameters: { query?: infer Q } }
  ? [Q] extends [undefined] ? { query?: never } : { query?: Q }
  : { query?: never };
type BodyOption<O> = O extends { requestBody: { content: infer C } }
  ? { body: C[keyof C] }
  : O extends { requestBody?: { content: infer C } }
    ? unknown extends C ? { body?: never } : { body?: C[keyof C] }
    : { body?: never };

/** Options of a typed call: the operation's path and query parameters and body, plus the client's own. */
export type CallOptions<P extends keyof paths, M extends Method> = Omit<RequestOptions, 'method' | 'query' | 'body'> &
  PathParamsOption<Operation<P, M>> &
  QueryOption<Operation<P, M>> &
  BodyOption<Operation<P, M>>;

/** "/api/v1/events/{event_id}" with {event_id: "a b"} -> "/api/v1/events/a%20b". */
export function fillPath(template: string, params: Record<string, string | number> | undefined): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new TypeError(`Missing path parameter "${name}" for ${template}`);
    return encodeURIComponent(String(value));
  });
}

/**
 * A request checked against the edge's OpenAPI document: `path` must be one of its paths for
 * `method`, path and query parameters and the body must match the operation, and the answer is
 * typed as its 2xx JSON body. Behaves like `apiRequest` (auth, refresh, problem+json errors).
 */
export function call<M extends Method, P extends PathFor<M>>(
  method: M,
  path: P,
  ...[options]: object extends CallOptions<P, M> ? [CallOptions<P, M>?] : [CallOptions<P, M>]
): Promise<ApiResponse<ResponseOf<P, M>>>;
// The signature above checks the caller; the implementation passes plain options to apiRequest.
export function call(method: Method, path: string, options: unknown = {}): Promise<ApiResponse<unknown>> {
  const { path: pathParams, ...rest } = options as RequestOptions & { path?: Record<string, string | number> };
  return apiRequest(fillPath(path, pathParams), { ...rest, method: method.toUpperCase() as HttpMethod });
}
