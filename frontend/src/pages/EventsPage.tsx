import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

import { isApiError } from '@/api/client';
import { CATEGORIES, searchEvents, type EventSearchParams, type EventSort } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { SelectField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { EventCard, EventCardSkeletons } from '@/components/events/EventCard';
import { useI18n, type Messages } from '@/i18n';
import { CURRENCIES, currencyLabel, defaultCurrency, isCurrency } from '@/lib/currency';
import { cn } from '@/lib/cn';
import { asPrice } from '@/lib/format';
import { INTL_LOCALES } from '@/i18n/locales';
import { useDebouncedValue } from '@/lib/useDebouncedValue';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

/** The search issue may not have shipped: these mean "not there (yet)", not "broken". */
const SEARCH_UNAVAILABLE = new Set([404, 405, 501]);
const MIN_QUERY_LENGTH = 3;
const DEBOUNCE_MS = 300;
const SORTS: EventSort[] = ['date', 'relevance', 'price'];

type FilterField = 'q' | 'city' | 'dateFrom' | 'dateTo' | 'priceMin' | 'priceMax' | 'currency';
type FilterErrors = Partial<Record<FilterField, string>>;

/** The server's names of the listing's parameters (422 `errors[].field`, maybe `query.`-prefixed). */
const SERVER_FIELDS: Record<string, FilterField> = {
  q: 'q',
  city: 'city',
  date_from: 'dateFrom',
  date_to: 'dateTo',
  price_min: 'priceMin',
  price_max: 'priceMax',
  currency: 'currency',
};

/** What is wrong with the filters as typed or chosen, before asking the server anything. */
function checkFilters(t: Messages, typed: { priceMin: string; priceMax: string }, dateFrom: string, dateTo: string): FilterErrors {
  const errors: FilterErrors = {};
  const low = typed.priceMin.trim() ? asPrice(typed.priceMin) : '';
  const high = typed.priceMax.trim() ? asPrice(typed.priceMax) : '';
  if (low === null) errors.priceMin = t.events.invalidPrice;
  if (high === null) errors.priceMax = t.events.invalidPrice;
  if (low && high && Number(high) < Number(low)) errors.priceMax = t.events.priceRange;
  if (dateFrom && dateTo && dateTo < dateFrom) errors.dateTo = t.events.dateRange;
  return errors;
}

/** A 422 of the listing, each field's error in the reader's language at that field (never the server's English). */
function serverFilterErrors(t: Messages, error: unknown): FilterErrors | null {
  if (!isApiError(error) || error.status !== 422) return null;
  const errors: FilterErrors = {};
  for (const entry of error.errors ?? []) {
    const field = SERVER_FIELDS[entry.field.replace(/^query\./, '')];
    if (!field || errors[field]) continue;
    errors[field] =
      field === 'priceMin' || field === 'priceMax'
        ? entry.field === 'price_max'
          ? t.events.priceRange
          : t.events.invalidPrice
        : field === 'dateTo' && entry.field === 'date_to'
          ? t.events.dateRange
          : field === 'dateFrom' || field === 'dateTo'
            ? t.events.invalidDate
            : t.events.invalidFilter;
  }
  return errors;
}

/** How many filters (not the search text) the URL holds, for the small screens' "Filters (n)" button. */
function countActiveFilters(params: URLSearchParams): number {
  const keys = ['category', 'city', 'from', 'to', 'price_min', 'price_max', 'currency', 'available', 'sort'];
  return keys.filter((key) => params.get(key)).length;
}

function setParam(params: URLSearchParams, key: string, value: string | null) {
  if (value) params.set(key, value);
  else params.delete(key);
}

export function EventsPage() {
  const { t, locale } = useI18n();
  useDocumentTitle(t.events.title);
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState({
    q: params.get('q') ?? '',
    city: params.get('city') ?? '',
    priceMin: params.get('price_min') ?? '',
    priceMax: params.get('price_max') ?? '',
  });
  const debounced = useDebouncedValue(text, DEBOUNCE_MS);
  const countId = useId();
  const [filtersOpen, setFiltersOpen] = useState(false);
  const resultsTitleRef = useRef<HTMLHeadingElement>(null);

  // Typed filters reach the URL (and so the query) once typing pauses; the search box only
  // from its third character.
  // Only a real change navigates: a replace navigation, even to the same URL, takes a new history
  // key, and ScrollRestoration would then scroll to the top instead of back to where the reader was.
  // Only the debounced text triggers this (the URL is read through a ref): a filter changed or
  // cleared meanwhile must not bring back text typed before it.
  const latestParams = useRef(params);
  useEffect(() => {
    latestParams.current = params;
  }, [params]);
  useEffect(() => {
    const params = latestParams.current;
    const next = new URLSearchParams(params);
    const q = debounced.q.trim();
    setParam(next, 'q', q.length >= MIN_QUERY_LENGTH ? q : null);
    setParam(next, 'city', debounced.city.trim() || null);
    setParam(next, 'price_min', asPrice(debounced.priceMin));
    setParam(next, 'price_max', asPrice(debounced.priceMax));
    if (next.toString() !== params.toString()) setParams(next, { replace: true });
  }, [debounced, setParams]);

  const sortParam = params.get('sort');
  const currencyParam = params.get('currency');
  const currency = isCurrency(currencyParam) ? currencyParam : defaultCurrency(locale);
  const sort = SORTS.includes(sortParam as EventSort) ? (sortParam as EventSort) : 'date';
  // Amounts in different currencies do not compare: a price filter or the price order applies
  // within the chosen currency (the server ignores it otherwise, so it is only sent then).
  const byPrice = Boolean(params.get('price_min') || params.get('price_max')) || sort === 'price';
  const search: EventSearchParams = {
    q: params.get('q') ?? '',
    category: params.get('category') ?? '',
    city: params.get('city') ?? '',
    dateFrom: params.get('from') ?? '',
    dateTo: params.get('to') ?? '',
    priceMin: params.get('price_min') ?? '',
    priceMax: params.get('price_max') ?? '',
    ...(byPrice ? { currency } : {}),
    available: params.get('available') === 'true',
    sort,
  };

  const checked = checkFilters(t, text, search.dateFrom ?? '', search.dateTo ?? '');
  const invalid = Object.keys(checked).length > 0;

  const query = useInfiniteQuery({
    queryKey: queryKeys.events.search(search),
    // Filters known to be wrong are shown at their fields; the server is not asked.
    enabled: !invalid,
    queryFn: ({ pageParam, signal }) => searchEvents(search, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // One automatic retry for network blips and 5xx; 4xx (and "not there yet") are final.
    retry: (failures, error) =>
      !(isApiError(error) && ((error.status >= 400 && error.status < 500) || SEARCH_UNAVAILABLE.has(error.status))) && failures < 1,
  });

  const update = (key: string, value: string | null) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        setParam(next, key, value);
        return next;
      },
      { replace: true },
    );

  const clear = () => {
    setText({ q: '', city: '', priceMin: '', priceMax: '' });
    setParams(new URLSearchParams(), { replace: true });
  };

  const fromServer = query.isError ? serverFilterErrors(t, query.error) : null;
  const fieldErrors: FilterErrors = { ...fromServer, ...checked };
  const refused = invalid || fromServer !== null;
  const events = query.data?.pages.flatMap((page) => page.items) ?? [];
  const total = query.data?.pages[0]?.total;
  const shortQuery = text.q.trim().length > 0 && text.q.trim().length < MIN_QUERY_LENGTH;
  const activeFilters = countActiveFilters(params);
  // On small screens the filters fold into a panel behind a button (the first result then shows near
  // the top); a filter with an error keeps it open so the reader sees what to fix.
  const filterErrorShown = Object.keys(fieldErrors).some((field) => field !== 'q');
  const filtersShown = filtersOpen || filterErrorShown;

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-3xl font-bold text-slate-900">{t.events.title}</h1>
        <p className="mt-2 hidden text-slate-600 sm:block">{t.events.lead}</p>
      </div>

      <form role="search" aria-label={t.events.searchLabel} onSubmit={(e) => e.preventDefault()} className="space-y-4">
        <TextField
          label={t.events.searchLabel}
          type="search"
          name="q"
          placeholder={t.events.searchPlaceholder}
          hint={shortQuery ? t.events.searchHint : undefined}
          error={fieldErrors.q}
          value={text.q}
          maxLength={200}
          onChange={(e) => setText((v) => ({ ...v, q: e.target.value }))}
        />
        <button
          type="button"
          className={cn(buttonClass.secondary, 'w-full md:hidden')}
          aria-expanded={filtersShown}
          aria-controls="event-filters"
          onClick={() => setFiltersOpen((open) => !open)}
        >
          <svg className="h-4 w-4" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            <path d="M2 4h12M4 8h8M6 12h4" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
          </svg>
          {activeFilters > 0 ? t.events.filtersWithCount(activeFilters) : t.events.filters}
        </button>
        <fieldset
          id="event-filters"
          className={cn(
            'grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 md:grid lg:grid-cols-4',
            filtersShown ? 'grid' : 'hidden',
          )}
        >
          <legend className="px-1 text-sm font-semibold text-slate-700">{t.events.filters}</legend>
          <SelectField label={t.events.category} value={search.category} onChange={(e) => update('category', e.target.value || null)}>
            <option value="">{t.events.allCategories}</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t.events.categories[c] ?? c}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t.events.city}
            value={text.city}
            maxLength={100}
            error={fieldErrors.city}
            onChange={(e) => setText((v) => ({ ...v, city: e.target.value }))}
          />
          <TextField
            label={t.events.dateFrom}
            type="date"
            value={search.dateFrom}
            error={fieldErrors.dateFrom}
            onChange={(e) => update('from', e.target.value || null)}
          />
          <TextField
            label={t.events.dateTo}
            type="date"
            value={search.dateTo}
            min={search.dateFrom || undefined}
            error={fieldErrors.dateTo}
            onChange={(e) => update('to', e.target.value || null)}
          />
          <TextField
            label={t.events.priceMin}
            inputMode="decimal"
            value={text.priceMin}
            hint={t.events.priceHint}
            error={fieldErrors.priceMin}
            onChange={(e) => setText((v) => ({ ...v, priceMin: e.target.value }))}
          />
          <TextField
            label={t.events.priceMax}
            hint={t.events.priceHint}
            error={fieldErrors.priceMax}
            inputMode="decimal"
            value={text.priceMax}
            onChange={(e) => setText((v) => ({ ...v, priceMax: e.target.value }))}
          />
          <SelectField
            label={t.events.currency}
            hint={t.events.currencyHint}
            value={currency}
            error={fieldErrors.currency}
            onChange={(e) => update('currency', e.target.value === defaultCurrency(locale) ? null : e.target.value)}
          >
            {CURRENCIES.map((code) => (
              <option key={code} value={code}>
                {currencyLabel(code, INTL_LOCALES[locale])}
              </option>
            ))}
          </SelectField>
          <SelectField label={t.events.sort} value={search.sort} onChange={(e) => update('sort', e.target.value === 'date' ? null : e.target.value)}>
            <option value="date">{t.events.sortDate}</option>
            <option value="relevance">{t.events.sortRelevance}</option>
            <option value="price">{t.events.sortPrice}</option>
          </SelectField>
          <label className="flex items-center gap-2 self-end pb-2 text-sm text-slate-800">
            <input
              type="checkbox"
              className="h-4 w-4 rounded-sm border-slate-300"
              checked={search.available}
              onChange={(e) => update('available', e.target.checked ? 'true' : null)}
            />
            {t.events.available}
          </label>
          <div className="self-end">
            <button type="button" className={buttonClass.secondary} onClick={clear}>
              {t.events.clearFilters}
            </button>
          </div>
          <div className="md:hidden">
            <button
              type="button"
              className={cn(buttonClass.primary, 'w-full')}
              onClick={() => {
                setFiltersOpen(false);
                resultsTitleRef.current?.focus();
              }}
            >
              {t.events.showResults}
            </button>
          </div>
        </fieldset>
      </form>

      <section aria-labelledby="results-title" aria-busy={query.isFetching}>
        <div className="mb-3 flex items-baseline justify-between gap-3">
          <h2 id="results-title" ref={resultsTitleRef} tabIndex={-1} className="text-xl font-semibold text-slate-900 outline-hidden">
            {t.events.results}
          </h2>
          <p id={countId} aria-live="polite" className="text-sm text-slate-600">
            {query.isSuccess && total !== undefined ? t.events.resultCount(total) : ''}
          </p>
        </div>
        {refused ? (
          <Notice title={t.events.fixFiltersTitle} body={t.events.fixFilters} headingLevel={3} />
        ) : query.isPending ? (
          <EventCardSkeletons label={t.events.loading} count={6} />
        ) : query.isError ? (
          isApiError(query.error) && SEARCH_UNAVAILABLE.has(query.error.status) ? (
            <Notice title={t.events.unavailableTitle} body={t.events.unavailable} headingLevel={3} />
          ) : (
            <Notice title={t.events.errorTitle} body={t.events.error} tone="error" headingLevel={3}>
              <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
                {t.common.retry}
              </button>
            </Notice>
          )
        ) : events.length === 0 ? (
          <Notice title={t.events.empty} body={t.events.emptyHint} headingLevel={3} />
        ) : (
          <div className="space-y-4">
            <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
              {events.map((event) => (
                <EventCard key={event.id} event={event} />
              ))}
            </ul>
            {query.hasNextPage ? (
              <button
                type="button"
                className={buttonClass.secondary}
                disabled={query.isFetchingNextPage}
                onClick={() => void query.fetchNextPage()}
              >
                {query.isFetchingNextPage ? t.common.loadingMore : t.common.loadMore}
              </button>
            ) : null}
          </div>
        )}
      </section>
    </div>
  );
}
