import { useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';

import { isOAuthError, register } from '@/api/auth';
import { login } from '@/auth/session';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert, TextField } from '@/components/form/fields';
import { useI18n } from '@/i18n';
import { EMAIL_PATTERN, serverFieldErrors, useFocusFirstError, type FieldErrors } from '@/lib/forms';
import { safeNext } from '@/lib/navigation';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';
import { problemText } from '@/lib/serverErrors';

const MIN_PASSWORD = 12;
const FIELDS = ['full_name', 'email', 'password', 'confirm'] as const;

export function RegisterPage() {
  const { t } = useI18n();
  useDocumentTitle(t.auth.registerTitle);
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'), '/me');
  const user = useAuthStore((s) => s.user);
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);
  const [values, setValues] = useState({ full_name: '', email: '', password: '', confirm: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  if (user && !submitting) return <Navigate to={next} replace />;

  const set = (field: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [field]: e.target.value }));

  const validate = (): FieldErrors => {
    const found: FieldErrors = {};
    if (!values.full_name.trim()) found.full_name = t.common.required;
    if (!values.email.trim()) found.email = t.common.required;
    else if (!EMAIL_PATTERN.test(values.email.trim())) found.email = t.auth.invalidEmail;
    if (!values.password) found.password = t.common.required;
    else if (values.password.length < MIN_PASSWORD) found.password = t.auth.passwordTooShort;
    if (values.password && values.confirm !== values.password) found.confirm = t.auth.passwordMismatch;
    return found;
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate();
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) {
      focusFirstError();
      return;
    }
    setSubmitting(true);
    const email = values.email.trim();
    try {
      await register({ email, password: values.password, full_name: values.full_name.trim() });
    } catch (error) {
      const { fields, unmatched } = serverFieldErrors(error, (f) =>
        (FIELDS as readonly string[]).includes(f) ? f : null,
      );
      setErrors(fields);
      if (Object.keys(fields).length === 0 || unmatched.length > 0) {
        const message = unmatched.map((e) => e.message).join(' ');
        setFormError(
          message ||
            problemText(error, t.common.genericError),
        );
      }
      setSubmitting(false);
      focusFirstError();
      return;
    }
    // The edge answers a new and an already registered address alike (202), so that sign-up never
    // tells who has an account: signing in with the new password says which one it was.
    try {
      await login(email, values.password);
      toast.success(t.auth.registered);
      void navigate(next, { replace: true });
    } catch (error) {
      if (isOAuthError(error, 'access_denied') || isOAuthError(error, 'invalid_grant')) {
        // The address already had an account (its owner was e-mailed), with another password.
        setFormError(t.auth.registerCheckEmail);
        setSubmitting(false);
        return;
      }
      // The account exists; signing in can be retried from the login page.
      toast.success(t.auth.registered);
      void navigate(`/login${next === '/me' ? '' : `?next=${encodeURIComponent(next)}`}`, { replace: true });
    }
    setSubmitting(false);
  };

  return (
    <section aria-labelledby="register-title" className="mx-auto max-w-md">
      <h1 id="register-title" className="text-3xl font-bold text-slate-900">
        {t.auth.registerTitle}
      </h1>
      <p className="mt-2 text-slate-600">{t.auth.registerLead}</p>
      <form ref={formRef} noValidate onSubmit={(e) => void onSubmit(e)} className="mt-6 space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-xs">
        <FormAlert>{formError}</FormAlert>
        <TextField
          label={t.auth.fullName}
          name="full_name"
          autoComplete="name"
          required
          maxLength={200}
          value={values.full_name}
          onChange={set('full_name')}
          error={errors.full_name}
        />
        <TextField
          label={t.auth.email}
          name="email"
          type="email"
          autoComplete="email"
          required
          maxLength={254}
          value={values.email}
          onChange={set('email')}
          error={errors.email}
        />
        <TextField
          label={t.auth.password}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          maxLength={128}
          hint={t.auth.passwordHint}
          value={values.password}
          onChange={set('password')}
          error={errors.password}
        />
        <TextField
          label={t.auth.confirmPassword}
          name="confirm"
          type="password"
          autoComplete="new-password"
          required
          value={values.confirm}
          onChange={set('confirm')}
          error={errors.confirm}
        />
        <button type="submit" disabled={submitting} className={`${buttonClass.primary} w-full`}>
          {submitting ? t.auth.submittingRegister : t.auth.submitRegister}
        </button>
      </form>
      <p className="mt-4 text-center text-sm text-slate-600">
        {t.auth.haveAccount}{' '}
        <Link to={params.get('next') ? `/login?next=${encodeURIComponent(next)}` : '/login'} className={buttonClass.link}>
          {t.auth.loginLink}
        </Link>
      </p>
    </section>
  );
}
