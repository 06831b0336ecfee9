import { Link } from 'react-router';

import { useI18n } from '@/i18n';

export function Footer() {
  const { t } = useI18n();
  return (
    <footer className="border-t border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-col gap-3 px-4 py-6 text-sm text-slate-600 sm:flex-row sm:items-center sm:justify-between sm:px-6">
        <p>{t.footer.copyright(new Date().getFullYear())}</p>
        <nav aria-label={t.a11y.footerNav}>
          <ul className="flex gap-4">
            <li>
              <Link to="/status" className="rounded-sm underline-offset-4 hover:underline">
                {t.footer.status}
              </Link>
            </li>
            <li>
              {/* Served by the edge (proxied), so a full page load rather than a client-side route. */}
              <a href="/docs" className="rounded-sm underline-offset-4 hover:underline">
                {t.footer.apiDocs}
              </a>
            </li>
          </ul>
        </nav>
      </div>
    </footer>
  );
}
