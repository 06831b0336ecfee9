import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';

import { isApiError } from '@/api/client';
import { queryKeys } from '@/api/queryKeys';
import { listUsers, updateUser, type User } from '@/api/users';
import { buttonClass } from '@/components/form/buttonClass';
import { SelectField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useDebouncedValue } from '@/lib/useDebouncedValue';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { isRole, ROLES, type Role } from '@/store/auth';
import { toast } from '@/store/toasts';

const PAGE_SIZE = 25;
const NEEDS_ORGANIZATION: readonly Role[] = ['organizer', 'staff'];

function errorText(error: unknown, fallback: string): string {
  if (isApiError(error)) return error.detail ?? error.errors?.[0]?.message ?? fallback;
  return fallback;
}

function UserRow({ user, onSaved }: { user: User; onSaved: (user: User) => void }) {
  const { t } = useI18n();
  const [role, setRole] = useState<Role>(user.role);
  const [organizationId, setOrganizationId] = useState(user.organizationId ?? '');
  const [errors, setErrors] = useState<{ role?: string; organization_id?: string }>({});
  const [busy, setBusy] = useState<'role' | 'active' | null>(null);

  // When the saved user changes (after a save, a refetch), the form starts again from it.
  const [shown, setShown] = useState({ role: user.role, organizationId: user.organizationId });
  if (shown.role !== user.role || shown.organizationId !== user.organizationId) {
    setShown({ role: user.role, organizationId: user.organizationId });
    setRole(user.role);
    setOrganizationId(user.organizationId ?? '');
  }

  const dirty = role !== user.role || organizationId.trim() !== (user.organizationId ?? '');
  const showOrganization = NEEDS_ORGANIZATION.includes(role) || organizationId !== '';

  const saveRole = async (event: FormEvent) => {
    event.preventDefault();
    setBusy('role');
    setErrors({});
    const org = organizationId.trim();
    try {
      const updated = await updateUser(user.id, {
        role,
        // Only send the organization when it changed: null removes it, omitted keeps it.
        ...(org !== (user.organizationId ?? '') ? { organization_id: org === '' ? null : org } : {}),
      });
      toast.success(t.admin.roleSaved(user.email));
      onSaved(updated);
    } catch (error) {
      const fields: { role?: string; organization_id?: string } = {};
      if (isApiError(error)) {
        for (const entry of error.errors ?? []) {
          if (entry.field === 'role' || entry.field === 'organization_id') fields[entry.field] ??= entry.message;
        }
      }
      if (Object.keys(fields).length > 0) {
        setErrors(fields);
        // The organization input may only now appear: focus it after it renders.
        setTimeout(() => {
          document.getElementById(`org-${user.id}`)?.focus();
        }, 0);
      } else {
        toast.error(isApiError(error) && error.status === 404 ? t.admin.notFound : errorText(error, t.common.genericError));
      }
    } finally {
      setBusy(null);
    }
  };

  const toggleActive = async () => {
    setBusy('active');
    try {
      const updated = await updateUser(user.id, { active: !user.active });
      toast.success(updated.active ? t.admin.activated(user.email) : t.admin.deactivated(user.email));
      onSaved(updated);
    } catch (error) {
      toast.error(errorText(error, t.common.genericError));
    } finally {
      setBusy(null);
    }
  };

  return (
    <tr className="align-top">
      <td className="px-4 py-3">
        <p className="font-medium text-slate-900">{user.email}</p>
        <p className="text-sm text-slate-600">{user.fullName}</p>
      </td>
      <td className="px-4 py-3">
        <form onSubmit={(e) => void saveRole(e)} noValidate className="flex flex-wrap items-start gap-2">
          <SelectField
            label={t.admin.roleFor(user.email)}
            srOnlyLabel
            value={role}
            onChange={(e) => {
              if (isRole(e.target.value)) setRole(e.target.value);
            }}
            error={errors.role}
            className="min-w-36"
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t.roles[r] ?? r}
              </option>
            ))}
          </SelectField>
          {showOrganization ? (
            <TextField
              id={`org-${user.id}`}
              label={t.admin.organizationFor(user.email)}
              srOnlyLabel
              placeholder={t.me.organization}
              value={organizationId}
              onChange={(e) => setOrganizationId(e.target.value)}
              error={errors.organization_id}
              hint={NEEDS_ORGANIZATION.includes(role) ? t.admin.organizationHint : undefined}
              className="min-w-72"
            />
          ) : null}
          <button
            type="submit"
            disabled={!dirty || busy !== null}
            className={cn(buttonClass.secondary, 'py-2 text-sm')}
            aria-label={t.admin.saveRoleFor(user.email)}
          >
            {busy === 'role' ? t.common.saving : t.admin.saveRole}
          </button>
        </form>
      </td>
      <td className="px-4 py-3">
        <span
          className={cn(
            'inline-flex rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset',
            user.active ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/30' : 'bg-slate-100 text-slate-700 ring-slate-500/30',
          )}
        >
          {user.active ? t.admin.active : t.admin.inactive}
        </span>
      </td>
      <td className="px-4 py-3">
        <button
          type="button"
          onClick={() => void toggleActive()}
          disabled={busy !== null}
          className={user.active ? buttonClass.danger : cn(buttonClass.secondary, 'px-3 py-1.5 text-sm')}
          aria-label={user.active ? t.admin.deactivateFor(user.email) : t.admin.activateFor(user.email)}
        >
          {user.active ? t.admin.deactivate : t.admin.activate}
        </button>
      </td>
    </tr>
  );
}

export function AdminUsersPage() {
  const { t } = useI18n();
  useDocumentTitle(t.admin.title);
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const roleParam = params.get('role') ?? '';
  const role: Role | '' = isRole(roleParam) ? roleParam : '';
  const [emailInput, setEmailInput] = useState(params.get('email') ?? '');
  const email = useDebouncedValue(emailInput.trim(), 300);

  useEffect(() => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (email) next.set('email', email);
        else next.delete('email');
        return next;
      },
      { replace: true },
    );
  }, [email, setParams]);

  const filters = { role, email };
  const query = useInfiniteQuery({
    queryKey: queryKeys.admin.users(filters),
    queryFn: ({ pageParam, signal }) => listUsers({ ...filters, limit: PAGE_SIZE, cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  const onSaved = (updated: User) => {
    queryClient.setQueryData(queryKeys.admin.users(filters), (data: typeof query.data) =>
      data
        ? { ...data, pages: data.pages.map((page) => ({ ...page, items: page.items.map((u) => (u.id === updated.id ? updated : u)) })) }
        : data,
    );
    void queryClient.invalidateQueries({ queryKey: ['admin', 'users'], refetchType: 'none' });
  };

  const users = query.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-3xl font-bold text-slate-900">{t.admin.title}</h1>
        <p className="mt-2 text-slate-600">{t.admin.lead}</p>
      </div>
      <div role="search" aria-label={t.admin.filters} className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2">
        <SelectField
          label={t.admin.role}
          value={role}
          onChange={(e) =>
            setParams(
              (current) => {
                const next = new URLSearchParams(current);
                if (e.target.value) next.set('role', e.target.value);
                else next.delete('role');
                return next;
              },
              { replace: true },
            )
          }
        >
          <option value="">{t.admin.allRoles}</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t.roles[r] ?? r}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t.admin.emailSearch}
          type="search"
          hint={t.admin.emailSearchHint}
          value={emailInput}
          maxLength={254}
          onChange={(e) => setEmailInput(e.target.value)}
        />
      </div>

      <div aria-busy={query.isFetching}>
        {query.isPending ? (
          <Spinner label={t.a11y.loading} size="lg" />
        ) : query.isError ? (
          <Notice title={t.admin.loadError} body={errorText(query.error, t.common.genericError)} tone="error">
            <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
              {t.common.retry}
            </button>
          </Notice>
        ) : users.length === 0 ? (
          <Notice title={t.admin.empty} />
        ) : (
          <div className="space-y-4">
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
              <table className="min-w-full divide-y divide-slate-200 text-left">
                <caption className="sr-only">{t.admin.results}</caption>
                <thead className="bg-slate-50 text-sm text-slate-700">
                  <tr>
                    <th scope="col" className="px-4 py-2 font-semibold">
                      {t.admin.colUser}
                    </th>
                    <th scope="col" className="px-4 py-2 font-semibold">
                      {t.admin.colRole}
                    </th>
                    <th scope="col" className="px-4 py-2 font-semibold">
                      {t.admin.colStatus}
                    </th>
                    <th scope="col" className="px-4 py-2 font-semibold">
                      {t.admin.colActions}
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-200">
                  {users.map((user) => (
                    <UserRow key={user.id} user={user} onSaved={onSaved} />
                  ))}
                </tbody>
              </table>
            </div>
            {query.hasNextPage ? (
              <button
                type="button"
                className={buttonClass.secondary}
                disabled={query.isFetchingNextPage}
                onClick={() => void query.fetchNextPage()}
              >
                {query.isFetchingNextPage ? t.common.loadingMore : t.common.loadMore}
              </button>
            ) : null}
          </div>
        )}
      </div>
    </div>
  );
}
