import { useState } from 'react';
import { Link, NavLink, useNavigate } from 'react-router';

import { logout } from '@/auth/session';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';

/** Right side of the header: the signed-in user and "sign out", or sign-in / sign-up links. */
export function UserMenu() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const status = useAuthStore((s) => s.status);
  const user = useAuthStore((s) => s.user);
  const [busy, setBusy] = useState(false);

  if (status === 'restoring') return null;

  if (!user) {
    return (
      <div className="flex items-center gap-2">
        <Link to="/login" className="rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100">
          {t.nav.login}
        </Link>
        <Link to="/register" className="rounded-md bg-brand-700 px-3 py-2 text-sm font-semibold text-white hover:bg-brand-800">
          {t.nav.register}
        </Link>
      </div>
    );
  }

  const signOut = async () => {
    setBusy(true);
    try {
      // Leave first, so a protected page does not react to the sign-out by asking to sign in.
      await navigate('/', { replace: true });
      await logout();
      toast.success(t.auth.signedOut);
    } finally {
      setBusy(false);
    }
  };

  const name = user.fullName || user.email;
  return (
    <div className="flex items-center gap-2">
      <NavLink
        to="/me"
        end
        className={({ isActive }) =>
          cn(
            'flex flex-col rounded-md px-3 py-1 text-right text-sm leading-tight',
            isActive ? 'bg-brand-50 text-brand-800' : 'text-slate-800 hover:bg-slate-100',
          )
        }
      >
        <span className="font-medium" data-testid="signed-in-user">
          {name}
        </span>
        <span className="text-xs text-slate-600">{t.roles[user.role] ?? user.role}</span>
      </NavLink>
      <button
        type="button"
        onClick={() => void signOut()}
        disabled={busy}
        className="rounded-md px-3 py-2 text-sm font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-100 disabled:opacity-60"
      >
        {t.auth.logout}
      </button>
    </div>
  );
}
