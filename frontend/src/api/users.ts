import { type Role } from '@/store/auth';

import { call, type Schemas } from './client';
import { type Page } from './parse';

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

/** The edge's `UserPublic` in the app's words. */
export function toUser(body: Schemas['UserPublic']): User {
  const user: User = {
    id: body.id,
    email: body.email,
    fullName: body.full_name,
    role: body.role,
    organizationId: body.organization_id ?? null,
    active: body.active,
    createdAt: body.created_at,
  };
  if (body.last_login_at) user.lastLoginAt = body.last_login_at;
  return user;
}

function toUserPage(body: Schemas['UserPage']): Page<User> {
  return { items: body.items.map(toUser), nextCursor: body.next_cursor ?? null };
}

export async function fetchMe(signal?: AbortSignal, token?: string): Promise<User> {
  const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
  return toUser((await call('get', '/api/v1/users/me', { signal, headers })).data);
}

/** Change my own profile (only the fields given). */
export async function updateMe(update: Schemas['ProfileUpdate']): Promise<User> {
  return toUser((await call('patch', '/api/v1/users/me', { body: update })).data);
}

/**
 * Change my password. `refreshToken` is this tab's: its session stays signed in while every other
 * one of the account ends.
 */
export async function changeMyPassword(currentPassword: string, newPassword: string): Promise<void> {
  await call('post', '/api/v1/users/me/password', {
    body: { current_password: currentPassword, new_password: newPassword },
  });
}

/** An organization's public name (who organizes an event). */
export async function fetchOrganization(id: string, signal?: AbortSignal): Promise<Organization> {
  const { data } = await call('get', '/api/v1/organizations/{organization_id}', { path: { organization_id: id }, signal });
  return { id: data.id, name: data.name };
}

export interface UserListParams {
  role?: Role | '';
  email?: string;
  limit?: number;
  cursor?: string | null;
}

export async function listUsers(params: UserListParams, signal?: AbortSignal): Promise<Page<User>> {
  const { data } = await call('get', '/api/v1/admin/users', {
    signal,
    query: {
      role: params.role || undefined,
      email: params.email?.trim() || undefined,
      limit: params.limit ?? 25,
      cursor: params.cursor ?? undefined,
    },
  });
  return toUserPage(data);
}

/** `organization_id` null removes the organization; undefined leaves it unchanged. */
export type UserUpdate = Schemas['UserUpdate'];

export async function updateUser(id: string, update: UserUpdate): Promise<User> {
  const { data } = await call('patch', '/api/v1/admin/users/{user_id}', { path: { user_id: id }, body: update });
  return toUser(data);
}

export interface Organization {
  id: string;
  name: string;
}

/** Admin: organizations whose name contains `name` (case-insensitive), by name. */
export async function listOrganizations(name: string, signal?: AbortSignal): Promise<Organization[]> {
  const { data } = await call('get', '/api/v1/admin/organizations', {
    signal,
    query: { name: name.trim() || undefined, limit: 50 },
  });
  return data.items.map((o) => ({ id: o.id, name: o.name }));
}
