import { ApiError, apiRequest, call, type Schemas } from './client';

/**
 * The identity endpoints of the edge. The token endpoint speaks OAuth 2.0 (RFC 6749): a form
 * body in, `{error, error_description}` out on failure (not problem+json). Those errors are
 * turned into `ApiError`s whose `title` is the OAuth error code (`invalid_grant`, ...).
 */
export const TOKEN_PATH = '/api/v1/auth/token';

export interface TokenGrant {
  accessToken: string;
  /** Seconds the access token is valid for. */
  expiresIn: number;
  refreshToken: string | null;
}

export const OAUTH_ERROR_TYPE = 'urn:ietf:params:oauth:error';

export function isOAuthError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && error.type === OAUTH_ERROR_TYPE && (code === undefined || error.title === code);
}

async function tokenRequest(form: Record<string, string>): Promise<TokenGrant> {
  // A form body (RFC 6749), which the typed `call` does not encode: the answers are typed by hand
  // from the edge's schemas, 200 TokenResponse or 400/401 OAuthError.
  const response = await apiRequest<Schemas['TokenResponse'] | Schemas['OAuthError']>(TOKEN_PATH, {
    method: 'POST',
    body: new URLSearchParams(form),
    auth: false,
    acceptStatuses: [400, 401],
  });
  const body = response.data;
  if (response.status !== 200 || !('access_token' in body)) {
    const error = 'error' in body ? body : undefined;
    throw new ApiError({
      status: response.status,
      title: error?.error ?? 'invalid_request',
      detail: error?.error_description ?? undefined,
      type: OAUTH_ERROR_TYPE,
      correlationId: response.correlationId,
    });
  }
  return { accessToken: body.access_token, expiresIn: body.expires_in, refreshToken: body.refresh_token ?? null };
}

export function passwordGrant(email: string, password: string): Promise<TokenGrant> {
  return tokenRequest({ grant_type: 'password', username: email, password });
}

export function refreshGrant(refreshToken: string): Promise<TokenGrant> {
  return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
}

export type Registration = Schemas['UserRegister'];

export async function register(registration: Registration): Promise<void> {
  await call('post', '/api/v1/auth/register', { body: registration, auth: false });
}

/** Revokes `accessToken` and, when given, the whole refresh-token family. */
export async function revokeSession(accessToken: string, refreshToken: string | null): Promise<void> {
  await call('post', '/api/v1/auth/logout', {
    auth: false,
    headers: { Authorization: `Bearer ${accessToken}` },
    body: refreshToken ? { refresh_token: refreshToken } : {},
    timeoutMs: 5_000,
  });
}
