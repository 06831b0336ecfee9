import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';

import { isApiError } from '@/api/client';
import { queryKeys } from '@/api/queryKeys';
import { listUsers, updateUser, type User } from '@/api/users';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { buttonClass } from '@/components/form/buttonClass';
import { SelectField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { OrganizationPicker } from '@/components/OrganizationPicker';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useDebouncedValue } from '@/lib/useDebouncedValue';
import { serverFieldErrors } from '@/lib/forms';
import { fieldErrorText, problemText } from '@/lib/serverErrors';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { isRole, ROLES, useAuthStore, type Role } from '@/store/auth';
import { toast } from '@/store/toasts';

const PAGE_SIZE = 25;
const NEEDS_ORGANIZATION: readonly Role[] = ['organizer', 'staff'];

function errorText(error: unknown, fallback: string): string {
  const first = isApiError(error) ? error.errors?.[0] : undefined;
  return first ? fieldErrorText(first) : problemText(error, fallback);
}

function UserRow({ user, onSaved }: { user: User; onSaved: (user: User) => void }) {
  const { t } = useI18n();
  const [role, setRole] = useState<Role>(user.role);
  const [organizationId, setOrganizationId] = useState(user.organizationId ?? '');
  const [errors, setErrors] = useState<{ role?: string; organization_id?: string }>({});
  const [busy, setBusy] = useState<'role' | 'active' | null>(null);
  // Demoting someone and deactivating an account are confirmed first; activating is not.
  const [confirming, setConfirming] = useState<'role' | 'deactivate' | null>(null);
  // The server refuses it too (409 cannot-change-own-account): someone must stay in charge.
  const isSelf = useAuthStore((s) => s.user?.id === user.id);
  // After a refused save the organization input (which may only now appear) takes focus, once the
  // dialog has gone and handed focus back to its opener.
  const focusOrganization = useRef(false);
  useEffect(() => {
    if (!focusOrganization.current || confirming !== null) return;
    focusOrganization.current = false;
    document.getElementById(`org-${user.id}`)?.focus();
  });

  // When the saved user changes (after a save, a refetch), the form starts again from it.
  const [shown, setShown] = useState({ role: user.role, organizationId: user.organizationId });
  if (shown.role !== user.role || shown.organizationId !== user.organizationId) {
    setShown({ role: user.role, organizationId: user.organizationId });
    setRole(user.role);
    setOrganizationId(user.organizationId ?? '');
  }

  const dirty = role !== user.role || organizationId.trim() !== (user.organizationId ?? '');
  const showOrganization = NEEDS_ORGANIZATION.includes(role) || organizationId !== '';

  const askRole = (event: FormEvent) => {
    event.preventDefault();
    if (!dirty || busy !== null) return;
    // A new role is confirmed first; a change of organization alone is saved at once.
    if (role !== user.role) setConfirming('role');
    else void saveRole();
  };

  const saveRole = async () => {
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
      const fields: { role?: string; organization_id?: string } = serverFieldErrors(error, (field) =>
        field === 'role' || field === 'organization_id' ? field : null,
      ).fields;
      if (Object.keys(fields).length > 0) {
        setErrors(fields);
        focusOrganization.current = true;
      } else {
        toast.error(isApiError(error) && error.status === 404 ? t.admin.notFound : errorText(error, t.common.genericError));
      }
    } finally {
      setBusy(null);
      setConfirming(null);
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
      setConfirming(null);
    }
  };

  return (
    <tr className="align-top">
      <td className="px-4 py-3" data-label={t.admin.colUser}>
        <p className="font-medium text-slate-900">{user.email}</p>
        <p className="text-sm text-slate-600">{user.fullName}</p>
      </td>
      <td className="px-4 py-3" data-label={t.admin.colRole}>
        {isSelf ? (
          <div className="space-y-1">
            <p className="font-medium text-slate-900">
              {t.roles[user.role] ?? user.role} <span className="text-sm font-normal text-slate-600">({t.admin.ownAccount})</span>
            </p>
            <p className="max-w-72 text-xs text-slate-600">{t.admin.ownAccountHint}</p>
          </div>
        ) : (
          <form onSubmit={askRole} noValidate className="flex flex-wrap items-start gap-2">
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
              <OrganizationPicker
                id={`org-${user.id}`}
                label={t.admin.organizationFor(user.email)}
                value={organizationId}
                onChange={setOrganizationId}
                error={errors.organization_id}
                hint={NEEDS_ORGANIZATION.includes(role) ? t.admin.organizationHint : undefined}
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
        )}
        {confirming === 'role' ? (
          <ConfirmDialog
            title={t.admin.confirmRoleTitle(user.email)}
            confirmLabel={t.admin.confirmRole}
            cancelLabel={t.common.cancel}
            busy={busy === 'role'}
            onConfirm={() => void saveRole()}
            onCancel={() => setConfirming(null)}
          >
            <p>{t.admin.confirmRoleBody(t.roles[user.role] ?? user.role, t.roles[role] ?? role)}</p>
          </ConfirmDialog>
        ) : null}
      </td>
      <td className="px-4 py-3" data-label={t.admin.colStatus}>
        <span
          className={cn(
            'inline-flex rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset',
            user.active ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/30' : 'bg-slate-100 text-slate-700 ring-slate-500/30',
          )}
        >
          {user.active ? t.admin.active : t.admin.inactive}
        </span>
      </td>
      <td className="px-4 py-3" data-label={t.admin.colActions}>
        {isSelf ? null : (
          <button
            type="button"
            onClick={() => (user.active ? setConfirming('deactivate') : void toggleActive())}
            disabled={busy !== null}
            className={user.active ? buttonClass.danger : cn(buttonClass.secondary, 'px-3 py-1.5 text-sm')}
            aria-label={user.active ? t.admin.deactivateFor(user.email) : t.admin.activateFor(user.email)}
          >
            {user.active ? t.admin.deactivate : t.admin.activate}
          </button>
        )}
        {confirming === 'deactivate' ? (
          <ConfirmDialog
            title={t.admin.confirmDeactivateTitle(user.email)}
            confirmLabel={t.admin.deactivate}
            cancelLabel={t.common.cancel}
            busy={busy === 'active'}
            tone="danger"
            onConfirm={() => void toggleActive()}
            onCancel={() => setConfirming(null)}
          >
            <p>{t.admin.confirmDeactivateBody}</p>
          </ConfirmDialog>
        ) : null}
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
            <div className="rounded-lg border border-slate-200 bg-white md:overflow-x-auto">
              <table className="stack-table min-w-full divide-y divide-slate-200 text-left">
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
