import { Link, NavLink } from 'react-router';

import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useAuthStore } from '@/store/auth';

import { LanguageSwitcher } from './LanguageSwitcher';
import { UserMenu } from './UserMenu';

const navLinkClass = ({ isActive }: { isActive: boolean }) =>
  cn(
    'rounded-md px-3 py-2 text-sm font-medium transition-colors',
    isActive ? 'bg-brand-50 text-brand-800' : 'text-slate-700 hover:bg-slate-100 hover:text-slate-900',
  );

export function Header() {
  const { t } = useI18n();
  const role = useAuthStore((s) => s.user?.role);
  const canCreate = role === 'organizer' || role === 'admin';
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-4 px-4 py-3 sm:px-6">
        <Link to="/" className="flex items-center gap-2 rounded-md text-xl font-bold text-brand-800" aria-label={t.a11y.homeLink}>
          <svg className="h-7 w-7" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <path
              fill="currentColor"
              d="M4 8a2 2 0 0 1 2-2h20a2 2 0 0 1 2 2v4a4 4 0 0 0 0 8v4a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-4a4 4 0 0 0 0-8z"
            />
          </svg>
          <span>{t.app.name}</span>
        </Link>
        <nav aria-label={t.a11y.mainNav}>
          <ul className="flex flex-wrap items-center gap-1">
            <li>
              <NavLink to="/" end className={navLinkClass}>
                {t.nav.home}
              </NavLink>
            </li>
            <li>
              <NavLink to="/events" end className={navLinkClass}>
                {t.nav.events}
              </NavLink>
            </li>
            {role ? (
              <>
                <li>
                  <NavLink to="/me/reservations" className={navLinkClass}>
                    {t.nav.reservations}
                  </NavLink>
                </li>
                <li>
                  <NavLink to="/me/orders" className={navLinkClass}>
                    {t.nav.orders}
                  </NavLink>
                </li>
                <li>
                  <NavLink to="/me/tickets" className={navLinkClass}>
                    {t.nav.tickets}
                  </NavLink>
                </li>
              </>
            ) : null}
            {canCreate ? (
              <li>
                <NavLink to="/events/new" className={navLinkClass}>
                  {t.nav.newEvent}
                </NavLink>
              </li>
            ) : null}
            {role === 'organizer' ? (
              <li>
                <NavLink to="/organizer/webhooks" className={navLinkClass}>
                  {t.nav.webhooks}
                </NavLink>
              </li>
            ) : null}
            {role === 'staff' || canCreate ? (
              <li>
                <NavLink to="/door" className={navLinkClass}>
                  {t.nav.door}
                </NavLink>
              </li>
            ) : null}
            {role === 'admin' ? (
              <li>
                <NavLink to="/admin/users" className={navLinkClass}>
                  {t.nav.admin}
                </NavLink>
              </li>
            ) : null}
            {role === 'admin' || role === 'organizer' ? (
              <li>
                <NavLink to={role === 'admin' ? '/admin/audit' : '/organization/audit'} className={navLinkClass}>
                  {t.nav.audit}
                </NavLink>
              </li>
            ) : null}
            <li>
              <NavLink to="/status" className={navLinkClass}>
                {t.nav.status}
              </NavLink>
            </li>
          </ul>
        </nav>
        <div className="flex flex-wrap items-center gap-3">
          <UserMenu />
          <LanguageSwitcher />
        </div>
      </div>
    </header>
  );
}
