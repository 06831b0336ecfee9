import { LOCALES, LOCALE_NAMES, useI18n } from '@/i18n';
import { cn } from '@/lib/cn';

/** Toggle-button group; each option is labelled in its own language and marked with `lang`. */
export function LanguageSwitcher() {
  const { locale, setLocale, t } = useI18n();
  return (
    <div role="group" aria-label={t.a11y.language} className="inline-flex rounded-md border border-slate-300 bg-white p-0.5">
      {LOCALES.map((option) => {
        const active = option === locale;
        return (
          <button
            key={option}
            type="button"
            lang={option}
            aria-pressed={active}
            onClick={() => setLocale(option)}
            className={cn(
              'rounded-sm px-2.5 py-1 text-sm font-medium transition-colors',
              active ? 'bg-brand-700 text-white' : 'text-slate-700 hover:bg-slate-100',
            )}
          >
            {LOCALE_NAMES[option]}
          </button>
        );
      })}
    </div>
  );
}
