import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';

import { isApiError } from '@/api/client';
import { restoreSession, sessionHint } from '@/auth/session';
import { CameraScanner } from '@/components/door/CameraScanner';
import { buttonClass } from '@/components/form/buttonClass';
import { TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { doorDeviceId } from '@/door/device';
import { DoorStation, type ScanOutcome, type StationState } from '@/door/station';
import { useDoorApp } from '@/door/pwa';
import { openDoorStore, type ScanType } from '@/door/store';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { useAuthStore } from '@/store/auth';

/** A page loaded with no network keeps its refresh token: sign back in once the edge answers. */
async function signBackIn(): Promise<void> {
  if (useAuthStore.getState().status === 'anonymous' && sessionHint.present()) await restoreSession();
}

function useStation(sessionId: string): [DoorStation, StationState] {
  const station = useMemo(() => new DoorStation(sessionId, { store: openDoorStore(), deviceId: doorDeviceId(), beforeSync: signBackIn }), [sessionId]);
  useEffect(() => station.start(), [station]);
  return [station, useSyncExternalStore(station.subscribe, station.getState)];
}

function ConnectionBadge({ state }: { state: StationState }) {
  const { t } = useI18n();
  const online = state.mode === 'online';
  return (
    <p role="status" className="flex flex-wrap items-center gap-2 text-sm" data-mode={state.mode}>
      <span
        className={cn(
          'inline-flex items-center gap-2 rounded-full px-3 py-1 font-semibold',
          online ? 'bg-green-100 text-green-900' : 'bg-amber-100 text-amber-900',
        )}
      >
        <span aria-hidden="true" className={cn('h-2.5 w-2.5 rounded-full', online ? 'bg-green-600' : 'bg-amber-600')} />
        {online ? t.door.online : t.door.offline}
      </span>
      <span className="text-slate-700" data-queued={state.queued}>
        {t.door.queued(state.queued)}
      </span>
      {state.syncing ? <span className="text-slate-600">{t.door.syncing}</span> : null}
    </p>
  );
}

/** The words for a result: an exit's `ok` and `already_redeemed` say something else than an entry's. */
function useResultWords() {
  const { t } = useI18n();
  return {
    result: (type: ScanType, result: string) => (type === 'exit' ? t.door.exitResults[result] : undefined) ?? t.door.results[result] ?? result,
    reason: (type: ScanType, result: string) => (type === 'exit' ? t.door.exitReasons[result] : undefined) ?? t.door.reasons[result],
  };
}

/** Entry or exit: what the next scans record. */
function DirectionSwitch({ value, onChange }: { value: ScanType; onChange: (type: ScanType) => void }) {
  const { t } = useI18n();
  const options: { type: ScanType; label: string }[] = [
    { type: 'entry', label: t.door.entry },
    { type: 'exit', label: t.door.exit },
  ];
  return (
    <fieldset className="space-y-2">
      <legend className="text-lg font-semibold text-slate-900">{t.door.direction}</legend>
      <p id="door-direction-hint" className="text-sm text-slate-600">
        {t.door.directionHint}
      </p>
      <div className="inline-flex overflow-hidden rounded-lg border border-slate-300" data-direction={value}>
        {options.map((option) => (
          <label
            key={option.type}
            className={cn(
              'cursor-pointer px-6 py-3 text-lg font-semibold focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-sky-700',
              value === option.type ? (option.type === 'exit' ? 'bg-sky-800 text-white' : 'bg-slate-900 text-white') : 'bg-white text-slate-800',
            )}
          >
            <input
              type="radio"
              name="door-direction"
              value={option.type}
              checked={value === option.type}
              onChange={() => onChange(option.type)}
              aria-describedby="door-direction-hint"
              className="sr-only"
            />
            {option.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function ResultPanel({ outcome, error }: { outcome: ScanOutcome | null; error: string | null }) {
  const { t, formatDateTime } = useI18n();
  const words = useResultWords();
  let body: ReactNode;
  let tone = 'border-2 border-dashed border-slate-300 bg-white text-slate-700';
  if (error !== null) {
    tone = 'bg-slate-800 text-white';
    body = <p className="text-2xl font-bold">{error}</p>;
  } else if (outcome === null) {
    body = <p className="text-lg">{t.door.waiting}</p>;
  } else {
    const ok = outcome.result === 'ok';
    tone = ok ? (outcome.type === 'exit' ? 'bg-sky-800 text-white' : 'bg-green-700 text-white') : 'bg-red-700 text-white';
    const ticket = outcome.ticket;
    body = (
      <>
        <p className="text-4xl font-extrabold tracking-tight sm:text-5xl">
          <span aria-hidden="true">{ok ? '✓ ' : '✕ '}</span>
          {words.result(outcome.type, outcome.result)}
        </p>
        <p className="text-xl">{words.reason(outcome.type, outcome.result)}</p>
        {ticket?.holderName ? (
          <p className="text-2xl font-semibold">
            {t.door.holder}: <span data-holder>{ticket.holderName}</span>
          </p>
        ) : null}
        {ticket?.zone ? (
          <p className="text-lg">
            {t.door.zone}: {ticket.zone}
          </p>
        ) : null}
        {outcome.firstScan ? <p>{t.door.firstScan(formatDateTime(outcome.firstScan.at), outcome.firstScan.deviceId)}</p> : null}
        {outcome.decidedBy === 'device' ? <p className="text-sm font-medium underline underline-offset-4">{t.door.decidedHere}</p> : null}
      </>
    );
  }
  return (
    <section aria-labelledby="door-result-title">
      <h2 id="door-result-title" className="sr-only">
        {t.door.resultTitle}
      </h2>
      <div
        aria-live="assertive"
        aria-atomic="true"
        data-result={error === null ? (outcome?.result ?? '') : 'error'}
        data-decided-by={outcome?.decidedBy ?? ''}
        data-type={outcome?.type ?? ''}
        className={cn('min-h-48 space-y-2 rounded-xl p-6 text-center sm:p-8', tone)}
      >
        {body}
      </div>
    </section>
  );
}

/** The door itself: camera and manual entry, the answer, the counters, online or offline. */
export function DoorStationPage() {
  const { t, formatDateTime } = useI18n();
  const { sessionId = '' } = useParams();
  const [station, state] = useStation(sessionId);
  const title = state.eventName ? t.door.stationTitle(state.eventName) : t.door.stationTitleUnknown;
  useDocumentTitle(title);
  useDoorApp();

  const [outcome, setOutcome] = useState<ScanOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState('');
  const [direction, setDirection] = useState<ScanType>('entry');
  const words = useResultWords();
  const [busy, setBusy] = useState(false);
  const checking = useRef(false);

  const check = useCallback(
    async (code: string) => {
      if (checking.current || code.trim() === '') return;
      checking.current = true;
      setBusy(true);
      try {
        setOutcome(await station.scan(code, direction));
        setError(null);
      } catch (failure) {
        setOutcome(null);
        setError(isApiError(failure) && failure.detail ? `${t.door.scanError} ${failure.detail}` : t.door.scanError);
      } finally {
        checking.current = false;
        setBusy(false);
      }
    },
    [station, t, direction],
  );

  const onManual = (e: FormEvent) => {
    e.preventDefault();
    const code = secret;
    setSecret('');
    void check(code);
  };

  if (state.problem === 'not_found') {
    return (
      <div className="mx-auto max-w-3xl space-y-6">
        <h1 className="text-3xl font-bold text-slate-900">{title}</h1>
        <Notice title={t.door.notFound} tone="error">
          <Link to="/door" className={buttonClass.secondary}>
            {t.door.otherSession}
          </Link>
        </Notice>
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-5xl space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="space-y-2">
          <h1 className="text-3xl font-bold text-slate-900">{title}</h1>
          {state.sessionStartsAt ? (
            <p className="text-slate-600">
              <time dateTime={state.sessionStartsAt}>{formatDateTime(state.sessionStartsAt)}</time>
            </p>
          ) : null}
          <ConnectionBadge state={state} />
          {state.syncedAt ? <p className="text-xs text-slate-600">{t.door.lastSync(formatDateTime(state.syncedAt, { timeStyle: 'medium' }))}</p> : null}
        </div>
        <section aria-labelledby="door-counters" className="rounded-lg border border-slate-200 bg-white px-6 py-4">
          <h2 id="door-counters" className="sr-only">
            {t.door.counters}
          </h2>
          <dl className="flex gap-8 text-center">
            <div>
              <dt className="text-sm text-slate-600">{t.door.admitted}</dt>
              <dd className="text-4xl font-bold text-slate-900" data-admitted={state.admitted}>
                {state.admitted}
              </dd>
            </div>
            <div>
              <dt className="text-sm text-slate-600">{t.door.capacity}</dt>
              <dd className="text-4xl font-bold text-slate-900" data-capacity={state.capacity}>
                {state.capacity}
              </dd>
            </div>
          </dl>
        </section>
      </div>

      {!state.ready && state.mode === 'offline' ? <Notice title={t.door.noPack} tone="error" /> : null}

      <DirectionSwitch value={direction} onChange={setDirection} />

      <ResultPanel outcome={outcome} error={error} />

      <div className="grid gap-6 md:grid-cols-2">
        <section aria-labelledby="door-camera" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 id="door-camera" className="text-lg font-semibold text-slate-900">
            {t.door.camera}
          </h2>
          <CameraScanner onCode={(code) => void check(code)} />
        </section>
        <section aria-labelledby="door-manual" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 id="door-manual" className="text-lg font-semibold text-slate-900">
            {t.door.manual}
          </h2>
          <form onSubmit={onManual} className="space-y-3">
            <TextField
              label={t.door.secretLabel}
              hint={t.door.secretHint}
              name="secret"
              maxLength={256}
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
            />
            <button type="submit" className={buttonClass.primary} disabled={busy}>
              {busy ? t.door.checking : t.door.check}
            </button>
          </form>
        </section>
      </div>

      {state.conflicts.length > 0 ? (
        <section aria-labelledby="door-conflicts" className="space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-4">
          <h2 id="door-conflicts" className="text-lg font-semibold text-amber-950">
            {t.door.conflicts}
          </h2>
          <p className="text-sm text-amber-950">{t.door.conflictsLead}</p>
          <ul className="space-y-1 text-sm text-amber-950">
            {state.conflicts.map((item) => (
              <li key={item.nonce} data-conflict={item.conflict} data-type={item.type}>
                <span className="font-semibold">{item.ticket?.holderName || item.ticket?.id || item.nonce}</span>
                {' · '}
                {item.type === 'exit' ? `${t.door.exit} · ` : ''}
                {item.conflict ? t.door.conflict : words.result(item.type, item.result)}
                {item.firstScan ? ` · ${t.door.firstScan(formatDateTime(item.firstScan.at), item.firstScan.deviceId)}` : ''}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <div className="flex flex-wrap gap-3">
        <button type="button" className={buttonClass.secondary} disabled={state.syncing} onClick={() => void station.sync()}>
          {t.door.syncNow}
        </button>
        <Link to="/door" className={buttonClass.link}>
          {t.door.otherSession}
        </Link>
        {state.eventId ? (
          <Link to={`/events/${encodeURIComponent(state.eventId)}/checkin-conflicts`} className={buttonClass.link}>
            {t.checkinConflicts.title}
          </Link>
        ) : null}
      </div>
    </div>
  );
}
