import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';

import { queryKeys } from '@/api/queryKeys';
import { changeMyPassword, fetchMe, fetchOrganization, updateMe, type User } from '@/api/users';
import { login } from '@/auth/session';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert, SelectField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { LOCALES, LOCALE_NAMES, useI18n } from '@/i18n';
import { isLocale } from '@/i18n/locales';
import { serverFieldErrors, useFocusFirstError, type FieldErrors } from '@/lib/forms';
import { problemText } from '@/lib/serverErrors';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';

const MIN_PASSWORD_LENGTH = 12;

/** The organization's name (public), its id only while the name is on its way or cannot be read. */
function OrganizationName({ id }: { id: string }) {
  const query = useQuery({
    queryKey: queryKeys.organization(id),
    queryFn: ({ signal }) => fetchOrganization(id, signal),
    staleTime: 10 * 60_000,
  });
  return <span data-testid="organization-name">{query.data?.name ?? (query.isPending ? '…' : id)}</span>;
}

function ProfileFacts({ user }: { user: User }) {
  const { t, formatDateTime } = useI18n();
  const rows: [string, ReactNode][] = [
    [t.me.email, user.email],
    [t.me.role, t.roles[user.role] ?? user.role],
    [t.me.organization, user.organizationId ? <OrganizationName id={user.organizationId} /> : t.me.noOrganization],
  ];
  if (user.createdAt) rows.push([t.me.memberSince, formatDateTime(user.createdAt, { dateStyle: 'long' })]);
  if (user.lastLoginAt) rows.push([t.me.lastLogin, formatDateTime(user.lastLoginAt)]);
  return (
    <dl className="grid gap-x-6 gap-y-3 sm:grid-cols-[max-content_1fr]">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="font-medium text-slate-700">{label}</dt>
          <dd className="break-all text-slate-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Name (saved on the account) and language (this device's choice, as the header's switch). */
function ProfileForm({ user }: { user: User }) {
  const { t, locale, setLocale } = useI18n();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);
  const [fullName, setFullName] = useState(user.fullName);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [alert, setAlert] = useState('');
  const save = useMutation({
    mutationFn: (name: string) => updateMe({ full_name: name }),
    onSuccess: (saved) => {
      queryClient.setQueryData(queryKeys.me, saved);
      const session = useAuthStore.getState();
      if (session.user) session.setUser({ ...session.user, fullName: saved.fullName });
      toast.success(t.me.saved);
    },
    onError: (error) => {
      const { fields } = serverFieldErrors(error, (field) => (field.endsWith('full_name') ? 'fullName' : null));
      setErrors(fields);
      setAlert(Object.keys(fields).length > 0 ? '' : problemText(error, t.common.genericError));
      focusFirstError();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAlert('');
    if (!fullName.trim()) {
      setErrors({ fullName: t.me.nameRequired });
      focusFirstError();
      return;
    }
    setErrors({});
    save.mutate(fullName.trim());
  };

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-4" aria-labelledby="profile-form-title">
      <h3 id="profile-form-title" className="text-lg font-semibold text-slate-900">
        {t.me.editProfile}
      </h3>
      <TextField
        label={t.me.fullName}
        name="full_name"
        autoComplete="name"
        required
        maxLength={200}
        value={fullName}
        error={errors.fullName}
        onChange={(e) => setFullName(e.target.value)}
      />
      <SelectField
        label={t.me.language}
        hint={t.me.languageHint}
        value={locale}
        onChange={(e) => {
          if (isLocale(e.target.value)) setLocale(e.target.value);
        }}
      >
        {LOCALES.map((option) => (
          <option key={option} value={option} lang={option}>
            {LOCALE_NAMES[option]}
          </option>
        ))}
      </SelectField>
      <FormAlert>{alert}</FormAlert>
      <button type="submit" className={buttonClass.primary} disabled={save.isPending || fullName.trim() === user.fullName}>
        {save.isPending ? t.common.saving : t.me.saveProfile}
      </button>
    </form>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);
  const empty = { current: '', next: '', confirm: '' };
  const [values, setValues] = useState(empty);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [alert, setAlert] = useState('');
  const change = useMutation({
    // The change ends every session of the account (this one's refresh cookie included): this tab
    // signs in again at once with the new password, so it stays signed in.
    mutationFn: async () => {
      await changeMyPassword(values.current, values.next);
      const email = useAuthStore.getState().user?.email;
      if (email) await login(email, values.next);
    },
    onSuccess: () => {
      setValues(empty);
      toast.success(t.me.passwordChanged);
    },
    onError: (error) => {
      const { fields } = serverFieldErrors(error, (field) =>
        field.endsWith('current_password') ? 'current' : field.endsWith('new_password') ? 'next' : null,
      );
      setErrors(fields);
      setAlert(Object.keys(fields).length > 0 ? '' : problemText(error, t.common.genericError));
      focusFirstError();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAlert('');
    const found: FieldErrors = {};
    if (!values.current) found.current = t.me.currentPasswordRequired;
    if (values.next.length < MIN_PASSWORD_LENGTH) found.next = t.auth.passwordTooShort;
    else if (values.next === values.current) found.next = t.me.samePassword;
    if (!found.next && values.confirm !== values.next) found.confirm = t.auth.passwordMismatch;
    setErrors(found);
    if (Object.keys(found).length > 0) {
      focusFirstError();
      return;
    }
    change.mutate();
  };

  const set = (key: keyof typeof empty) => (e: ChangeEvent<HTMLInputElement>) => setValues((v) => ({ ...v, [key]: e.target.value }));
  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-4" aria-labelledby="password-form-title">
      <h3 id="password-form-title" className="text-lg font-semibold text-slate-900">
        {t.me.changePassword}
      </h3>
      <p className="text-sm text-slate-600">{t.me.changePasswordLead}</p>
      <TextField
        label={t.me.currentPassword}
        type="password"
        autoComplete="current-password"
        required
        maxLength={128}
        value={values.current}
        error={errors.current}
        onChange={set('current')}
      />
      <TextField
        label={t.me.newPassword}
        type="password"
        autoComplete="new-password"
        required
        maxLength={128}
        hint={t.auth.passwordHint}
        value={values.next}
        error={errors.next}
        onChange={set('next')}
      />
      <TextField
        label={t.me.confirmPassword}
        type="password"
        autoComplete="new-password"
        required
        maxLength={128}
        value={values.confirm}
        error={errors.confirm}
        onChange={set('confirm')}
      />
      <FormAlert>{alert}</FormAlert>
      <button type="submit" className={buttonClass.primary} disabled={change.isPending}>
        {change.isPending ? t.common.saving : t.me.changePassword}
      </button>
    </form>
  );
}

function Profile() {
  const { t } = useI18n();
  const query = useQuery({ queryKey: queryKeys.me, queryFn: ({ signal }) => fetchMe(signal) });

  if (query.isPending) return <Spinner label={t.a11y.loading} />;
  if (query.isError) {
    return (
      <Notice title={t.me.profileError} tone="error" headingLevel={3}>
        <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
          {t.common.retry}
        </button>
      </Notice>
    );
  }
  const user = query.data;
  return (
    <div className="space-y-8">
      <div>
        <p className="mb-4 text-lg font-semibold text-slate-900">{user.fullName || user.email}</p>
        <ProfileFacts user={user} />
      </div>
      <div className="grid gap-8 border-t border-slate-200 pt-6 md:grid-cols-2">
        <ProfileForm key={user.fullName} user={user} />
        <PasswordForm />
      </div>
    </div>
  );
}

const ACTIVITY = [
  { to: '/me/orders', key: 'orders' },
  { to: '/me/tickets', key: 'tickets' },
  { to: '/me/reservations', key: 'reservations' },
  { to: '/me/waitlist', key: 'waitlist' },
] as const;

export function MePage() {
  const { t } = useI18n();
  useDocumentTitle(t.me.title);
  const role = useAuthStore((s) => s.user?.role);
  const organizes = role === 'organizer' || role === 'admin';
  return (
    <div className="mx-auto max-w-4xl space-y-10">
      <h1 className="text-3xl font-bold text-slate-900">{t.me.title}</h1>
      <section aria-labelledby="activity-title">
        <h2 id="activity-title" className="mb-4 text-xl font-semibold text-slate-900">
          {t.me.activity}
        </h2>
        <ul className="grid gap-3 sm:grid-cols-2">
          {ACTIVITY.map((item) => (
            <li key={item.to}>
              <Link
                to={item.to}
                className="block rounded-lg border border-slate-200 bg-white p-4 shadow-xs hover:border-brand-500 hover:bg-brand-50"
              >
                <span className="block font-semibold text-slate-900">{t.me.activityLinks[item.key].title}</span>
                <span className="block text-sm text-slate-600">{t.me.activityLinks[item.key].lead}</span>
              </Link>
            </li>
          ))}
          {organizes ? (
            <li>
              <Link
                to="/me/events"
                className="block rounded-lg border border-slate-200 bg-white p-4 shadow-xs hover:border-brand-500 hover:bg-brand-50"
              >
                <span className="block font-semibold text-slate-900">{t.me.myEvents}</span>
                <span className="block text-sm text-slate-600">{t.me.myEventsLead}</span>
              </Link>
            </li>
          ) : null}
        </ul>
      </section>
      <section aria-labelledby="profile-title" className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs sm:p-6">
        <h2 id="profile-title" className="mb-4 text-xl font-semibold text-slate-900">
          {t.me.profile}
        </h2>
        <Profile />
      </section>
    </div>
  );
}
