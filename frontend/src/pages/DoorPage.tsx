import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';

import { isApiError } from '@/api/client';
import { fetchMyOrganizationEvents } from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { buttonClass } from '@/components/form/buttonClass';
import { TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { useDoorApp } from '@/door/pwa';
import { openDoorStore } from '@/door/store';
import { useI18n } from '@/i18n';
import { useDocumentTitle } from '@/lib/useDocumentTitle';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function doorPath(sessionId: string): string {
  return `/door/${encodeURIComponent(sessionId)}`;
}

/** Staff, organizers and admins choose the session their door admits to. */
export function DoorPage() {
  const { t, formatDateTime } = useI18n();
  useDocumentTitle(t.door.title);
  useDoorApp();
  const navigate = useNavigate();
  const [sessionId, setSessionId] = useState('');
  const [invalid, setInvalid] = useState(false);

  const events = useInfiniteQuery({
    queryKey: queryKeys.events.mine,
    queryFn: ({ pageParam, signal }) => fetchMyOrganizationEvents(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const kept = useQuery({ queryKey: queryKeys.door.packs, queryFn: () => openDoorStore().packs(), networkMode: 'always' });

  const onOpen = (e: FormEvent) => {
    e.preventDefault();
    const id = sessionId.trim();
    if (!UUID.test(id)) {
      setInvalid(true);
      return;
    }
    void navigate(doorPath(id));
  };

  let sessions;
  if (events.isPending) {
    sessions = <Spinner label={t.a11y.loading} />;
  } else if (events.isError) {
    sessions =
      isApiError(events.error) && events.error.status === 403 ? (
        <Notice title={t.door.noOrganization} />
      ) : (
        <Notice title={t.door.sessionsError} tone="error">
          <button type="button" className={buttonClass.secondary} onClick={() => void events.refetch()}>
            {t.common.retry}
          </button>
        </Notice>
      );
  } else {
    const list = events.data.pages
      .flatMap((page) => page.items)
      .filter((event) => event.status !== 'cancelled')
      .flatMap((event) => event.sessions.filter((session) => session.status !== 'cancelled').map((session) => ({ event, session })));
    sessions =
      list.length === 0 ? (
        <Notice title={t.door.sessionsEmpty} />
      ) : (
        <div className="space-y-4">
          <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {list.map(({ event, session }) => (
              <li key={session.id} className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
                <div>
                  <p className="font-semibold text-slate-900">{event.name}</p>
                  <p className="text-sm text-slate-600">
                    {session.title ? `${session.title} · ` : ''}
                    <time dateTime={session.startsAt}>{formatDateTime(session.startsAt)}</time>
                  </p>
                </div>
                <Link to={doorPath(session.id)} className={buttonClass.primary} aria-label={`${t.door.open}: ${event.name}, ${formatDateTime(session.startsAt)}`}>
                  {t.door.open}
                </Link>
              </li>
            ))}
          </ul>
          {events.hasNextPage ? (
            <button type="button" className={buttonClass.secondary} disabled={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
              {events.isFetchingNextPage ? t.common.loadingMore : t.common.loadMore}
            </button>
          ) : null}
        </div>
      );
  }

  return (
    <div className="mx-auto max-w-3xl space-y-8">
      <div className="space-y-2">
        <h1 className="text-3xl font-bold text-slate-900">{t.door.title}</h1>
        <p className="text-slate-600">{t.door.lead}</p>
      </div>
      {kept.data && kept.data.length > 0 ? (
        <section aria-labelledby="door-kept" className="space-y-3">
          <h2 id="door-kept" className="text-xl font-semibold text-slate-900">
            {t.door.onDevice}
          </h2>
          <p className="text-sm text-slate-600">{t.door.onDeviceLead}</p>
          <ul className="flex flex-wrap gap-2">
            {kept.data.map((pack) => (
              <li key={pack.sessionId}>
                <Link to={doorPath(pack.sessionId)} className={buttonClass.secondary}>
                  {pack.eventName} · <time dateTime={pack.sessionStartsAt}>{formatDateTime(pack.sessionStartsAt)}</time>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="door-sessions" className="space-y-3">
        <h2 id="door-sessions" className="text-xl font-semibold text-slate-900">
          {t.door.sessionsOf}
        </h2>
        {sessions}
      </section>
      <form onSubmit={onOpen} noValidate className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
        <TextField
          className="min-w-[20rem] flex-1"
          label={t.door.sessionIdLabel}
          name="session"
          maxLength={36}
          autoComplete="off"
          spellCheck={false}
          value={sessionId}
          error={invalid ? t.eventForm.errors.uuid : undefined}
          onChange={(e) => {
            setSessionId(e.target.value);
            setInvalid(false);
          }}
        />
        <button type="submit" className={buttonClass.secondary}>
          {t.door.open}
        </button>
      </form>
    </div>
  );
}
