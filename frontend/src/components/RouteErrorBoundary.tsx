import { useQueryErrorResetBoundary } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { isRouteErrorResponse, Link, useLocation, useNavigate, useNavigation, useRouteError } from 'react-router';

import { isApiError } from '@/api/client';
import { useI18n } from '@/i18n';
import { NotFoundPage } from '@/pages/NotFoundPage';

function describe(error: unknown): string | undefined {
  if (isRouteErrorResponse(error)) return `${error.status} ${error.statusText}`;
  if (isApiError(error)) return [error.status, error.title, error.correlationId].filter(Boolean).join(' · ');
  if (error instanceof Error) return error.message;
  return undefined;
}

/**
 * `errorElement` for every route. Catches render and loader errors of that
 * route only, so the surrounding layout (header, nav, footer) keeps working.
 * "Retry" resets TanStack Query error state and re-navigates to the current
 * URL: the new location clears React Router's render-error state and re-runs
 * any route loaders, so both render and data errors get a fresh attempt.
 */
export function RouteErrorBoundary() {
  const error = useRouteError();
  const { t } = useI18n();
  const location = useLocation();
  const navigate = useNavigate();
  const navigation = useNavigation();
  const { reset } = useQueryErrorResetBoundary();
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  if (isRouteErrorResponse(error) && error.status === 404) {
    return <NotFoundPage />;
  }

  const retry = () => {
    reset();
    void navigate(
      { pathname: location.pathname, search: location.search, hash: location.hash },
      { replace: true, preventScrollReset: true, state: location.state as unknown },
    );
  };
  const details = describe(error);

  return (
    <section aria-labelledby="route-error-title" className="mx-auto max-w-xl py-16 text-center">
      <h1 id="route-error-title" ref={headingRef} tabIndex={-1} className="text-2xl font-bold text-slate-900">
        {t.error.title}
      </h1>
      <p className="mt-3 text-slate-600">{t.error.body}</p>
      <div className="mt-6 flex justify-center gap-3">
        <button
          type="button"
          onClick={retry}
          disabled={navigation.state !== 'idle'}
          className="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800 disabled:opacity-60"
        >
          {t.error.retry}
        </button>
        <Link to="/" className="rounded-md px-4 py-2 font-medium text-brand-800 ring-1 ring-inset ring-brand-200 hover:bg-brand-50">
          {t.error.home}
        </Link>
      </div>
      {details && import.meta.env.DEV ? (
        <details className="mt-8 text-left text-sm text-slate-500">
          <summary className="cursor-pointer">{t.error.details}</summary>
          <pre className="mt-2 overflow-auto whitespace-pre-wrap rounded-sm bg-slate-100 p-3">{details}</pre>
        </details>
      ) : null}
    </section>
  );
}
