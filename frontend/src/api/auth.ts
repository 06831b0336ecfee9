import { ApiError, apiRequest, call, type Schemas } from './client';

/**
 * The identity endpoints of the edge. The token endpoint speaks OAuth 2.0 (RFC 6749): a form
 * body in, `{error, error_description}` out on failure (not problem+json). Those errors are
 * turned into `ApiError`s whose `title` is the OAuth error code (`invalid_grant`, ...).
 */
export const TOKEN_PATH = '/api/v1/auth/token';
export const AUTHORIZE_PATH = '/api/v1/auth/authorize';
/** The web app as an OAuth client: public (no secret), proven by PKCE. */
export const WEB_CLIENT_ID = 'taquilla-web';

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

/**
 * The header without which the edge neither sets nor reads the refresh cookie: a cross-site form
 * cannot send it, nor a cross-site fetch without a CORS preflight the edge never grants.
 */
const CSRF_HEADERS = { 'X-Taquilla-CSRF': '1' };

async function oauthRequest<T extends object>(
  path: string,
  form: Record<string, string>,
  expected: keyof T,
  headers: Record<string, string> = {},
): Promise<T> {
  // A form body (RFC 6749), which the typed `call` does not encode: the answers are typed by hand
  // from the edge's schemas, 200 with the expected body or 400/401 OAuthError.
  const response = await apiRequest<T | Schemas['OAuthError']>(path, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers,
    auth: false,
    acceptStatuses: [400, 401, 403],
  });
  const body = response.data;
  if (response.status !== 200 || !(expected in body)) {
    const error = 'error' in body ? (body) : undefined;
    throw new ApiError({
      status: response.status,
      title: error?.error ?? 'invalid_request',
      detail: error?.error_description ?? undefined,
      type: OAUTH_ERROR_TYPE,
      correlationId: response.correlationId,
    });
  }
  return body as T;
}

async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}): Promise<TokenGrant> {
  const body = await oauthRequest<Schemas['TokenResponse']>(TOKEN_PATH, form, 'access_token', headers);
  return { accessToken: body.access_token, expiresIn: body.expires_in, refreshToken: body.refresh_token ?? null };
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** S256 challenge of the verifier (RFC 7636). */
  codeChallenge: string;
  state: string;
  scope?: string;
}

export interface Authorization {
  code: string;
  state: string | null;
  /** `redirect_uri` with `code` and `state`, where a client other than this app is sent back. */
  redirectTo: string;
}

/**
 * The sign-in page's half of the authorization code flow: the user's credentials and the client's
 * request for a one-time code. Wrong credentials are an `access_denied` OAuth error.
 */
export async function authorize(email: string, password: string, request: AuthorizationRequest): Promise<Authorization> {
  const body = await oauthRequest<Schemas['AuthorizationGranted']>(
    AUTHORIZE_PATH,
    {
      response_type: 'code',
      client_id: request.clientId,
      redirect_uri: request.redirectUri,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      state: request.state,
      ...(request.scope ? { scope: request.scope } : {}),
      username: email,
      password,
    },
    'code',
  );
  return { code: body.code, state: body.state ?? null, redirectTo: body.redirect_to };
}

/** Exchanges a code and its PKCE verifier for tokens (the client's half); the edge keeps the refresh token in its cookie. */
export function authorizationCodeGrant(code: string, codeVerifier: string, redirectUri: string): Promise<TokenGrant> {
  return tokenRequest(
    {
      grant_type: 'authorization_code',
      code,
      code_verifier: codeVerifier,
      redirect_uri: redirectUri,
      client_id: WEB_CLIENT_ID,
    },
    CSRF_HEADERS,
  );
}

/** A new access token for the refresh cookie (which rotates). */
export function refreshGrant(): Promise<TokenGrant> {
  return tokenRequest({ grant_type: 'refresh_token' }, CSRF_HEADERS);
}

export type Registration = Schemas['UserRegister'];

export async function register(registration: Registration): Promise<void> {
  await call('post', '/api/v1/auth/register', { body: registration, auth: false });
}

/** Revokes `accessToken` and the refresh cookie's whole family; the edge clears the cookie. */
export async function revokeSession(accessToken: string): Promise<void> {
  await call('post', '/api/v1/auth/logout', {
    auth: false,
    headers: { Authorization: `Bearer ${accessToken}` },
    body: {},
    timeoutMs: 5_000,
  });
}
