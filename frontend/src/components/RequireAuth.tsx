import { useEffect, useRef, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';

import { useI18n } from '@/i18n';
import { loginPath } from '@/lib/navigation';
import { useAuthStore, type Role } from '@/store/auth';
import { toast } from '@/store/toasts';

import { Spinner } from './Spinner';

/**
 * Guards a route: anonymous visitors go to /login?next=<here> and come back after signing in;
 * signed-in users without one of `roles` are sent to `redirectTo` with a toast.
 */
export function RequireAuth({
  children,
  roles,
  redirectTo = '/',
}: {
  children: ReactNode;
  roles?: readonly Role[];
  redirectTo?: string;
}) {
  const { t } = useI18n();
  const location = useLocation();
  const status = useAuthStore((s) => s.status);
  const user = useAuthStore((s) => s.user);
  const forbidden = status === 'authenticated' && user !== null && roles !== undefined && !roles.includes(user.role);
  const anonymous = status === 'anonymous' || (status === 'authenticated' && user === null);
  const notified = useRef(false);

  useEffect(() => {
    if (notified.current) return;
    if (forbidden) {
      notified.current = true;
      toast.error(t.auth.forbidden);
    } else if (anonymous) {
      notified.current = true;
      toast.info(t.auth.signInRequired);
    }
  }, [forbidden, anonymous, t]);

  if (status === 'restoring') {
    return (
      <div className="py-16 text-center">
        <Spinner label={t.auth.restoring} size="lg" />
      </div>
    );
  }
  if (anonymous) {
    return <Navigate to={loginPath(`${location.pathname}${location.search}${location.hash}`)} replace />;
  }
  if (forbidden) {
    return <Navigate to={redirectTo} replace />;
  }
  return <>{children}</>;
}
