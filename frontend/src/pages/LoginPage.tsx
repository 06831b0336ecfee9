import { useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';

import { authorize, isOAuthError } from '@/api/auth';
import { isApiError } from '@/api/client';
import { login } from '@/auth/session';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert, TextField } from '@/components/form/fields';
import { useI18n } from '@/i18n';
import { EMAIL_PATTERN, useFocusFirstError, type FieldErrors } from '@/lib/forms';
import { safeNext } from '@/lib/navigation';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';
import { problemText } from '@/lib/serverErrors';

export function LoginPage() {
  const { t } = useI18n();
  useDocumentTitle(t.auth.loginTitle);
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'), '/me');
  const user = useAuthStore((s) => s.user);
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  // This page is the authorization endpoint of /.well-known/oauth-authorization-server: a client
  // that sends the user here with an OAuth request (RFC 6749 4.1.1, PKCE) is sent back with a code.
  const clientRequest = oauthRequestOf(params);

  if (user && !submitting && !clientRequest) return <Navigate to={next} replace />;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (!email.trim()) found.email = t.common.required;
    else if (!EMAIL_PATTERN.test(email.trim())) found.email = t.auth.invalidEmail;
    if (!password) found.password = t.common.required;
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) {
      focusFirstError();
      return;
    }
    setSubmitting(true);
    try {
      if (clientRequest) {
        const { redirectTo } = await authorize(email.trim(), password, clientRequest);
        window.location.assign(redirectTo);
        return;
      }
      await login(email.trim(), password);
      toast.success(t.auth.signedIn);
      void navigate(next, { replace: true });
    } catch (error) {
      if (isOAuthError(error, 'access_denied') || isOAuthError(error, 'invalid_grant') || isOAuthError(error, 'invalid_request')) {
        setFormError(t.auth.invalidCredentials);
      } else if (isApiError(error) && (error.isNetworkError || error.status >= 500)) {
        setFormError(error.isNetworkError ? t.common.networkError : t.auth.unavailable);
      } else {
        setFormError(problemText(error, t.common.genericError));
      }
      setPassword('');
      focusFirstError();
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <section aria-labelledby="login-title" className="mx-auto max-w-md">
      <h1 id="login-title" className="text-3xl font-bold text-slate-900">
        {t.auth.loginTitle}
      </h1>
      <p className="mt-2 text-slate-600">{t.auth.loginLead}</p>
      <form ref={formRef} noValidate onSubmit={(e) => void onSubmit(e)} className="mt-6 space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-xs">
        <FormAlert>{formError}</FormAlert>
        <TextField
          label={t.auth.email}
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
        />
        <TextField
          label={t.auth.password}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        <button type="submit" disabled={submitting} className={`${buttonClass.primary} w-full`}>
          {submitting ? t.auth.submittingLogin : t.auth.submitLogin}
        </button>
      </form>
      <p className="mt-4 text-center text-sm text-slate-600">
        {t.auth.noAccount}{' '}
        <Link to={params.get('next') ? `/register?next=${encodeURIComponent(next)}` : '/register'} className={buttonClass.link}>
          {t.auth.registerLink}
        </Link>
      </p>
    </section>
  );
}

/** The OAuth authorization request in the page's query, when a client sent the user here. */
function oauthRequestOf(params: URLSearchParams) {
  const clientId = params.get('client_id');
  const redirectUri = params.get('redirect_uri');
  const codeChallenge = params.get('code_challenge');
  if (params.get('response_type') !== 'code' || !clientId || !redirectUri || !codeChallenge) return null;
  return { clientId, redirectUri, codeChallenge, state: params.get('state') ?? '', scope: params.get('scope') ?? undefined };
}
