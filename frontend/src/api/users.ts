import { isRole, type Role } from '@/store/auth';

import { api } from './client';
import { isRecord, parsePage, str, type Page } from './parse';

/** GET /api/v1/users/me and the admin user list (edge `UserPublic`). */
export interface User {
  id: string;
  email: string;
  fullName: string;
  role: Role;
  organizationId: string | null;
  active: boolean;
  createdAt?: string;
  lastLoginAt?: string;
}

export function parseUser(value: unknown): User | undefined {
  if (!isRecord(value)) return undefined;
  const id = str(value.id);
  const email = str(value.email);
  if (!id || !email || !isRole(value.role)) return undefined;
  const user: User = {
    id,
    email,
    fullName: typeof value.full_name === 'string' ? value.full_name : '',
    role: value.role,
    organizationId: str(value.organization_id) ?? null,
    active: value.active !== false,
  };
  const createdAt = str(value.created_at);
  const lastLoginAt = str(value.last_login_at);
  if (createdAt) user.createdAt = createdAt;
  if (lastLoginAt) user.lastLoginAt = lastLoginAt;
  return user;
}

function requireUser(body: unknown): User {
  const user = parseUser(body);
  if (!user) throw new TypeError('The edge returned a user without id, email or role');
  return user;
}

export async function fetchMe(signal?: AbortSignal, token?: string): Promise<User> {
  const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
  return requireUser(await api.get('/api/v1/users/me', { signal, headers }));
}

export interface UserListParams {
  role?: Role | '';
  email?: string;
  limit?: number;
  cursor?: string | null;
}

export async function listUsers(params: UserListParams, signal?: AbortSignal): Promise<Page<User>> {
  const body = await api.get('/api/v1/admin/users', {
    signal,
    query: {
      role: params.role || undefined,
      email: params.email?.trim() || undefined,
      limit: params.limit ?? 25,
      cursor: params.cursor ?? undefined,
    },
  });
  return parsePage(body, parseUser);
}

export interface UserUpdate {
  role?: Role;
  active?: boolean;
  /** null removes the organization; undefined leaves it unchanged. */
  organization_id?: string | null;
}

export async function updateUser(id: string, update: UserUpdate): Promise<User> {
  return requireUser(await api.patch(`/api/v1/admin/users/${encodeURIComponent(id)}`, update));
}
