import { ApiError, apiRequest } from './client';
import { isRecord, num, str } from './parse';

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
  const response = await apiRequest(TOKEN_PATH, {
    method: 'POST',
    body: new URLSearchParams(form),
    auth: false,
    acceptStatuses: [400, 401],
  });
  const body = response.data;
  if (response.status !== 200) {
    const code = isRecord(body) ? str(body.error) : undefined;
    throw new ApiError({
      status: response.status,
      title: code ?? 'invalid_request',
      detail: isRecord(body) ? str(body.error_description) : undefined,
      type: OAUTH_ERROR_TYPE,
      correlationId: response.correlationId,
    });
  }
  const accessToken = isRecord(body) ? str(body.access_token) : undefined;
  if (!isRecord(body) || !accessToken) {
    throw new ApiError({ status: response.status, title: 'Unexpected token response', correlationId: response.correlationId });
  }
  return { accessToken, expiresIn: num(body.expires_in) ?? 900, refreshToken: str(body.refresh_token) ?? null };
}

export function passwordGrant(email: string, password: string): Promise<TokenGrant> {
  return tokenRequest({ grant_type: 'password', username: email, password });
}

export function refreshGrant(refreshToken: string): Promise<TokenGrant> {
  return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
}

export interface Registration {
  email: string;
  password: string;
  full_name: string;
}

export async function register(registration: Registration): Promise<void> {
  await apiRequest('/api/v1/auth/register', { method: 'POST', body: registration, auth: false });
}

/** Revokes `accessToken` and, when given, the whole refresh-token family. */
export async function revokeSession(accessToken: string, refreshToken: string | null): Promise<void> {
  await apiRequest('/api/v1/auth/logout', {
    method: 'POST',
    auth: false,
    headers: { Authorization: `Bearer ${accessToken}` },
    body: refreshToken ? { refresh_token: refreshToken } : {},
    timeoutMs: 5_000,
  });
}
