import { useEffect, useRef, useState } from 'react';
import { Link, NavLink, useLocation } from 'react-router';

import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useAuthStore } from '@/store/auth';

import { LanguageSwitcher } from './LanguageSwitcher';
import { UserMenu } from './UserMenu';

const navLinkClass = ({ isActive }: { isActive: boolean }) =>
  cn(
    'block rounded-md px-3 py-2 text-sm font-medium transition-colors',
    isActive ? 'bg-brand-50 text-brand-800' : 'text-slate-700 hover:bg-slate-100 hover:text-slate-900',
  );

/**
 * The site header. From the `md` breakpoint up it is one row with the navigation; on small screens it
 * is one row with the logo and a menu button that opens the navigation below it (a disclosure:
 * `aria-expanded`, focus moves into the menu, Escape closes it and gives focus back to the button,
 * and it closes after navigating).
 */
export function Header() {
  const { t } = useI18n();
  const role = useAuthStore((s) => s.user?.role);
  const canCreate = role === 'organizer' || role === 'admin';
  const { pathname } = useLocation();
  const [open, setOpen] = useState(false);
  const [openedAt, setOpenedAt] = useState(pathname);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);

  // A navigation closes the menu (adjusting state while rendering, not in an effect).
  if (open && openedAt !== pathname) setOpen(false);

  useEffect(() => {
    if (!open) return undefined;
    menuRef.current?.querySelector<HTMLElement>('a[href], button:not([disabled])')?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      buttonRef.current?.focus();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [open]);

  const toggle = () => {
    setOpenedAt(pathname);
    setOpen((value) => !value);
  };

  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-3 sm:px-6">
        <Link to="/" className="flex items-center gap-2 rounded-md text-xl font-bold text-brand-800" aria-label={t.a11y.homeLink}>
          <svg className="h-7 w-7" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <path
              fill="currentColor"
              d="M4 8a2 2 0 0 1 2-2h20a2 2 0 0 1 2 2v4a4 4 0 0 0 0 8v4a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-4a4 4 0 0 0 0-8z"
            />
          </svg>
          <span>{t.app.name}</span>
        </Link>
        <button
          ref={buttonRef}
          type="button"
          className="inline-flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-100 md:hidden"
          aria-expanded={open}
          aria-controls="site-menu"
          onClick={toggle}
        >
          <svg className="h-5 w-5" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
            {open ? (
              <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            ) : (
              <path d="M3 5h14M3 10h14M3 15h14" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            )}
          </svg>
          {t.nav.menu}
        </button>
        <div
          id="site-menu"
          ref={menuRef}
          className={cn(
            'w-full flex-col gap-3 border-t border-slate-200 pt-3 md:flex md:w-auto md:flex-1 md:flex-row md:flex-wrap md:items-center md:justify-between md:border-0 md:pt-0',
            open ? 'flex' : 'hidden',
          )}
        >
          <nav aria-label={t.a11y.mainNav}>
            <ul className="flex flex-col gap-1 md:flex-row md:flex-wrap md:items-center">
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
      </div>
    </header>
  );
}
