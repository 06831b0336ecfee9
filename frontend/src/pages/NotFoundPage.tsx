import { Link } from 'react-router';

import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

export function NotFoundPage() {
  const { t } = useI18n();
  useDocumentTitle(t.notFound.title);
  return (
    <section aria-labelledby="not-found-title" className="mx-auto max-w-xl py-16 text-center">
      <p className="text-5xl font-extrabold text-brand-700" aria-hidden="true">
        404
      </p>
      <h1 id="not-found-title" className="mt-4 text-2xl font-bold text-slate-900">
        {t.notFound.title}
      </h1>
      <p className="mt-3 text-slate-600">{t.notFound.body}</p>
      <Link
        to="/"
        className="mt-6 inline-block rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800"
      >
        {t.notFound.home}
      </Link>
    </section>
  );
}
