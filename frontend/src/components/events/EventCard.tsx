import { useState } from 'react';
import { Link } from 'react-router';

import type { CatalogEvent } from '@/api/events';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/format';

/** Each category's fallback artwork: a gradient and a glyph, so a card never shows a broken frame. */
const ARTWORK: Record<string, { gradient: string; glyph: string }> = {
  concert: { gradient: 'from-brand-700 to-fuchsia-700', glyph: '♪' },
  conference: { gradient: 'from-sky-700 to-indigo-800', glyph: '◆' },
  sports: { gradient: 'from-emerald-700 to-teal-800', glyph: '●' },
  theatre: { gradient: 'from-rose-700 to-brand-800', glyph: '✦' },
  festival: { gradient: 'from-amber-600 to-rose-700', glyph: '✺' },
  workshop: { gradient: 'from-teal-700 to-sky-800', glyph: '✎' },
  other: { gradient: 'from-slate-600 to-slate-800', glyph: '★' },
};

/**
 * The event's image, or (when it has none or it fails to load) artwork drawn from its category:
 * the same frame either way. Decorative: the card's text says everything.
 */
export function EventImage({ event, className }: { event: CatalogEvent; className?: string }) {
  const [failed, setFailed] = useState<string | null>(null);
  const art = ARTWORK[event.category ?? 'other'] ?? ARTWORK.other!;
  const showImage = event.imageUrl !== undefined && event.imageUrl !== '' && failed !== event.imageUrl;
  return (
    <div className={cn('relative overflow-hidden bg-slate-200', className)}>
      {showImage ? (
        <img
          src={event.imageUrl}
          alt=""
          loading="lazy"
          className="h-full w-full object-cover"
          onError={() => setFailed(event.imageUrl ?? null)}
        />
      ) : (
        <div
          data-testid="event-image-fallback"
          aria-hidden="true"
          className={cn('flex h-full w-full items-center justify-center bg-linear-to-br text-5xl text-white/80', art.gradient)}
        >
          {art.glyph}
        </div>
      )}
    </div>
  );
}

/** A day-and-month badge in the event's own time zone ("15 MAR"). */
function DateBadge({ iso, timeZone }: { iso: string; timeZone?: string | undefined }) {
  const { formatDateTime } = useI18n();
  const zone = timeZone ? { timeZone } : {};
  return (
    <span
      aria-hidden="true"
      className="absolute left-3 top-3 flex min-w-12 flex-col items-center rounded-md bg-white px-2 py-1 leading-none text-slate-900 shadow-sm"
    >
      <span className="text-xl font-extrabold">{formatDateTime(iso, { day: 'numeric', ...zone })}</span>
      <span className="text-xs font-semibold uppercase text-brand-800">{formatDateTime(iso, { month: 'short', ...zone }).replace('.', '')}</span>
    </span>
  );
}

/** A listed event as a storefront card: image (or its fallback), date badge, category, name, place and "from" price. */
export function EventCard({ event }: { event: CatalogEvent }) {
  const { t, formatDateTime, locale } = useI18n();
  const place = [event.venue.name, event.venue.city].filter(Boolean).join(', ');
  return (
    <li>
      <article className="flex h-full flex-col overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xs">
        <div className="relative">
          <EventImage event={event} className="h-40" />
          {event.startsAt ? <DateBadge iso={event.startsAt} timeZone={event.timezone} /> : null}
        </div>
        <div className="flex flex-1 flex-col gap-2 p-4">
          {event.category ? (
            <p className="text-xs font-semibold uppercase tracking-wide text-brand-800">{t.events.categories[event.category] ?? event.category}</p>
          ) : null}
          <h3 className="text-lg font-semibold text-slate-900">
            <Link to={`/events/${encodeURIComponent(event.id)}`} className="hover:underline">
              {event.name}
            </Link>
          </h3>
          <dl className="space-y-1 text-sm text-slate-700">
            {event.startsAt ? (
              <div className="flex gap-1">
                <dt className="sr-only">{t.event.when}</dt>
                <dd>
                  <time dateTime={event.startsAt}>
                    {formatDateTime(event.startsAt, {
                      dateStyle: 'medium',
                      timeStyle: 'short',
                      ...(event.timezone ? { timeZone: event.timezone } : {}),
                    })}
                  </time>
                </dd>
              </div>
            ) : null}
            {place ? (
              <div className="flex gap-1">
                <dt className="sr-only">{t.event.where}</dt>
                <dd>{place}</dd>
              </div>
            ) : null}
          </dl>
          {event.minPrice ? (
            <p className="mt-auto pt-2 font-semibold text-slate-900">
              {t.events.from(formatMoney(event.minPrice.amount, event.minPrice.currency, locale))}
            </p>
          ) : null}
        </div>
      </article>
    </li>
  );
}

/** Placeholder cards while a list loads: the page keeps its shape; one status tells what is happening. */
export function EventCardSkeletons({ label, count = 3 }: { label: string; count?: number }) {
  return (
    <div role="status" aria-live="polite" aria-label={label}>
      <span className="sr-only">{label}</span>
      <ul aria-hidden="true" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {Array.from({ length: count }, (_, i) => (
          <li key={i} data-testid="event-card-skeleton" className="overflow-hidden rounded-lg border border-slate-200 bg-white">
            <div className="h-40 bg-slate-200 motion-safe:animate-pulse" />
            <div className="space-y-3 p-4">
              <div className="h-3 w-1/4 rounded-sm bg-slate-200 motion-safe:animate-pulse" />
              <div className="h-5 w-3/4 rounded-sm bg-slate-200 motion-safe:animate-pulse" />
              <div className="h-4 w-1/2 rounded-sm bg-slate-200 motion-safe:animate-pulse" />
              <div className="h-4 w-1/3 rounded-sm bg-slate-200 motion-safe:animate-pulse" />
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
