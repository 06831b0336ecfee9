import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type FormEvent, type MouseEvent, type ReactNode } from 'react';
import { useBlocker, useNavigate, useParams } from 'react-router';

import { isApiError } from '@/api/client';
import {
  addSession,
  CATEGORIES,
  createEvent,
  fetchEvent,
  publishEvent,
  removeSession,
  updateEvent,
  updateSession,
  type CatalogEvent,
} from '@/api/events';
import { queryKeys } from '@/api/queryKeys';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert, SelectField, TextAreaField, TextField } from '@/components/form/fields';
import { Notice } from '@/components/Notice';
import { Spinner } from '@/components/Spinner';
import { OrganizationPicker } from '@/components/OrganizationPicker';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import {
  createBody,
  draftFromEvent,
  emptyDraft,
  emptySession,
  emptyZone,
  fieldLabel,
  mapServerField,
  patchBody,
  placesTakenMessage,
  serverFieldMessage,
  sessionChanges,
  validateDraft,
  type EventDraft,
  type FormErrors,
  type SalesDraft,
  type SessionDraft,
  type ZoneDraft,
} from '@/lib/eventForm';
import { useFocusFirstError } from '@/lib/forms';
import { useDocumentTitle } from '@/lib/useDocumentTitle';
import { cityTimeZone, initialTimeZone, rememberTimeZone } from '@/lib/venueTimeZone';
import { useAuthStore } from '@/store/auth';
import { toast } from '@/store/toasts';
import { problemText } from '@/lib/serverErrors';

const CURRENCIES = ['MXN', 'EUR', 'USD', 'COP', 'ARS', 'CLP', 'PEN', 'GBP'];

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

/** DOM id of the control showing form field `key` ("zones.0.price" -> "ef-zones-0-price"). */
const fieldId = (key: string) => `ef-${key.replace(/\./g, '-')}`;

/** Moves focus to a field named in the error summary (and scrolls it into view). */
function focusField(event: MouseEvent<HTMLAnchorElement>, key: string) {
  const target = document.getElementById(fieldId(key));
  if (!target) return;
  event.preventDefault();
  target.focus();
  target.scrollIntoView?.({ block: 'center' });
}

/** Every field with an error, each a link to its field, in the form's order. */
function ErrorSummary({ errors }: { errors: FormErrors }) {
  const { t } = useI18n();
  const keys = Object.keys(errors);
  if (keys.length === 0) return null;
  return (
    <ul className="mt-1 list-disc space-y-0.5 pl-5" aria-label={t.eventForm.errorSummaryList}>
      {keys.map((key) => (
        <li key={key}>
          <a href={`#${fieldId(key)}`} className="font-medium underline underline-offset-2" onClick={(e) => focusField(e, key)}>
            {fieldLabel(key, t)}: {errors[key]}
          </a>
        </li>
      ))}
    </ul>
  );
}

function Fieldset({ legend, lead, children }: { legend: string; lead?: ReactNode; children: ReactNode }) {
  return (
    <fieldset className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-xs">
      <legend className="px-1 text-lg font-semibold text-slate-900">{legend}</legend>
      {lead ? <p className="-mt-2 text-sm text-slate-600">{lead}</p> : null}
      {children}
    </fieldset>
  );
}

/**
 * A failed request while saving, with the session it concerned (server paths are relative to it).
 * `countsSales`: the request needed the places held and sold (zones replaced or a session removed
 * on a published event), so a 409 means places are taken and a 503 that they could not be counted.
 */
class StepFailed extends Error {
  readonly error: unknown;
  readonly sessionIndex: number | undefined;
  readonly countsSales: boolean;
  constructor(error: unknown, sessionIndex?: number, countsSales = false) {
    super('saving the event failed');
    this.error = error;
    this.sessionIndex = sessionIndex;
    this.countsSales = countsSales;
  }
}

interface SaleSwitchProps {
  /** The form field key, e.g. `sales.waiting_room`. */
  field: string;
  label: string;
  hint: string;
  checked: boolean;
  onChange: (on: boolean) => void;
  error: string | undefined;
}

/** A sale setting that is on or off: a checkbox with its hint and error tied to it, like the other fields. */
function SaleSwitch({ field, label, hint, checked, onChange, error }: SaleSwitchProps) {
  const id = fieldId(field);
  return (
    <div className="space-y-1">
      <div className="flex items-center gap-2">
        <input
          id={id}
          type="checkbox"
          className="h-4 w-4 accent-brand-700"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
          aria-invalid={error ? true : undefined}
          aria-describedby={[`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ')}
        />
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
      </div>
      <p id={`${id}-hint`} className="text-xs text-slate-600">
        {hint}
      </p>
      {error ? (
        <p id={`${id}-error`} className="text-sm font-medium text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}

interface EventFormProps {
  /** The event being edited; undefined for a new one. */
  event?: CatalogEvent;
}

function EventForm({ event }: EventFormProps) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const role = useAuthStore((s) => s.user?.role);
  const isNew = event === undefined;
  // Zones of a published event can change too; the edge keeps places already held or sold (409).
  const zonesEditable = isNew || event.status === 'draft' || event.status === 'published';
  const hasSales = !isNew && event.status !== 'draft';
  const needsOrganization = isNew && role === 'admin';
  const canPublish = isNew || event.status === 'draft';

  const initial = useMemo(() => (event ? draftFromEvent(event) : emptyDraft(initialTimeZone())), [event]);
  const [draft, setDraft] = useState<EventDraft>(initial);
  const original = useRef<EventDraft>(initial);
  const version = useRef<number | undefined>(event?.version);
  const [errors, setErrors] = useState<FormErrors>({});
  const [formError, setFormError] = useState<ReactNode>(null);
  const [submitting, setSubmitting] = useState<'save' | 'publish' | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);
  // ~400 options: build the element once so re-renders while typing skip it.
  const timeZoneOptions = useMemo(
    () => (
      <datalist id="ef-timezones">
        {timeZones().map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    ),
    [],
  );

  // The zone follows the venue's city (when it is one we know) until the organizer picks one.
  const timezoneChosen = useRef(!isNew);
  // After adding or removing a zone or a session, the control to focus once React has rendered.
  const focusAfterRender = useRef<string | null>(null);
  useEffect(() => {
    if (focusAfterRender.current === null) return;
    document.getElementById(focusAfterRender.current)?.focus();
    focusAfterRender.current = null;
  });

  // Leaving with unsaved changes asks first: links and back/forward inside the app (useBlocker),
  // reloading or closing the tab (beforeunload). A successful save leaves without asking.
  const leaving = useRef(false);
  const dirty = JSON.stringify(draft) !== JSON.stringify(initial);
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirty && !leaving.current && currentLocation.pathname !== nextLocation.pathname,
  );
  useEffect(() => {
    if (!dirty) return undefined;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (leaving.current) return;
      e.preventDefault();
      // Older browsers only ask when returnValue is set.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  const set = <K extends keyof EventDraft>(key: K, value: EventDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const setCity = (city: string) => {
    const zone = timezoneChosen.current ? null : cityTimeZone(city);
    setDraft((d) => ({ ...d, city, ...(zone ? { timezone: zone } : {}) }));
  };
  const addZone = () => {
    focusAfterRender.current = fieldId(`zones.${draft.zones.length}.name`);
    set('zones', [...draft.zones, emptyZone()]);
  };
  const removeZone = (index: number) => {
    focusAfterRender.current = index > 0 ? fieldId(`zones.${index - 1}.name`) : 'ef-add-zone';
    set('zones', draft.zones.filter((_, j) => j !== index));
  };
  const addSessionRow = () => {
    focusAfterRender.current = fieldId(`sessions.${draft.sessions.length}.title`);
    set('sessions', [...draft.sessions, emptySession(draft)]);
  };
  const removeSessionRow = (index: number) => {
    focusAfterRender.current = index > 0 ? fieldId(`sessions.${index - 1}.title`) : 'ef-add-session';
    set('sessions', draft.sessions.filter((_, j) => j !== index));
  };
  const setZone = (index: number, patch: Partial<ZoneDraft>) =>
    setDraft((d) => ({ ...d, zones: d.zones.map((z, i) => (i === index ? { ...z, ...patch } : z)) }));
  const setSales = (patch: Partial<SalesDraft>) => setDraft((d) => ({ ...d, sales: { ...d.sales, ...patch } }));
  const setSession = (index: number, patch: Partial<SessionDraft>) =>
    setDraft((d) => ({ ...d, sessions: d.sessions.map((s, i) => (i === index ? { ...s, ...patch } : s)) }));

  const err = (key: string) => errors[key];

  const showServerError = (error: unknown, sessionIndex?: number, countsSales = false) => {
    const fields: FormErrors = {};
    const unmatched: string[] = [];
    if (isApiError(error)) {
      for (const entry of error.errors ?? []) {
        const key = mapServerField(entry.field, sessionIndex);
        if (key) fields[key] ??= serverFieldMessage(key, entry.message, t);
        else unmatched.push(entry.field ? `${entry.field}: ${entry.message}` : entry.message);
      }
    }
    setErrors(fields);
    if (countsSales && isApiError(error) && (error.status === 409 || error.status === 503)) {
      setFormError(
        <p>
          {t.eventForm.conflict} {error.status === 409 ? placesTakenMessage(error.detail, t) : t.eventForm.salesUnknown}
        </p>,
      );
    } else if (isApiError(error) && error.status === 412) {
      setFormError(
        <div className="flex flex-wrap items-center gap-3">
          <span>{t.eventForm.stale}</span>
          <button type="button" className={buttonClass.secondary} onClick={() => window.location.reload()}>
            {t.eventForm.reload}
          </button>
        </div>,
      );
    } else if (unmatched.length > 0 || Object.keys(fields).length === 0) {
      const detail = problemText(error, t.common.genericError);
      setFormError(
        <>
          <p>
            {t.eventForm.conflict} {detail}
          </p>
          {unmatched.length > 0 ? (
            <ul className="mt-1 list-disc pl-5">
              {unmatched.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
        </>,
      );
    } else {
      setFormError(t.common.errorSummary);
    }
    focusFirstError();
  };

  const saveExisting = async (current: CatalogEvent, publish: boolean): Promise<CatalogEvent | undefined> => {
    let latest: CatalogEvent | undefined;
    const patch = patchBody(draft, original.current, zonesEditable);
    if (Object.keys(patch).length > 0) {
      try {
        latest = await updateEvent(current.id, version.current ?? current.version ?? 0, patch);
      } catch (error) {
        throw new StepFailed(error, undefined, hasSales && patch.zones !== undefined);
      }
      version.current = latest.version ?? version.current;
      original.current = { ...draft, sessions: original.current.sessions };
    }
    const changes = sessionChanges(draft, original.current);
    const keepsSome = draft.sessions.some((s) => s.id);
    const removeAll = async () => {
      for (const id of changes.removed) {
        try {
          version.current = await removeSession(current.id, id, version.current ?? 0);
        } catch (error) {
          throw new StepFailed(error, undefined, hasSales);
        }
        original.current = { ...original.current, sessions: original.current.sessions.filter((s) => s.id !== id) };
      }
    };
    if (keepsSome) await removeAll();
    for (const change of changes.changed) {
      try {
        version.current = await updateSession(current.id, change.id, version.current ?? 0, change.body);
      } catch (error) {
        throw new StepFailed(error, change.index);
      }
      const saved = draft.sessions[change.index];
      if (saved) {
        original.current = {
          ...original.current,
          sessions: original.current.sessions.map((s) => (s.id === change.id ? { ...saved } : s)),
        };
      }
    }
    for (const added of changes.added) {
      let result: { version: number; id?: string };
      try {
        result = await addSession(current.id, version.current ?? 0, added.body);
      } catch (error) {
        throw new StepFailed(error, added.index);
      }
      version.current = result.version;
      const saved = draft.sessions[added.index];
      if (saved && result.id) {
        const withId = { ...saved, id: result.id };
        setSession(added.index, { id: result.id });
        original.current = { ...original.current, sessions: [...original.current.sessions, withId] };
      }
    }
    if (!keepsSome) await removeAll();
    if (publish && current.status === 'draft') {
      try {
        latest = await publishEvent(current.id, version.current);
      } catch (error) {
        throw new StepFailed(error);
      }
      version.current = latest.version ?? version.current;
    }
    return latest;
  };

  const onSubmit = async (submitEvent: FormEvent<HTMLFormElement>) => {
    submitEvent.preventDefault();
    const submitter = (submitEvent.nativeEvent as SubmitEvent).submitter;
    const publish = submitter?.getAttribute('value') === 'publish';
    const found = validateDraft(draft, t, { isNew, needsOrganization, zonesEditable });
    setErrors(found);
    setFormError(Object.keys(found).length > 0 ? t.common.errorSummary : null);
    if (Object.keys(found).length > 0) {
      focusFirstError();
      return;
    }
    setSubmitting(publish ? 'publish' : 'save');
    try {
      if (isNew) {
        let created: CatalogEvent;
        try {
          created = await createEvent(createBody(draft, { publish, includeOrganization: needsOrganization }));
        } catch (error) {
          throw new StepFailed(error);
        }
        toast.success(publish ? t.eventForm.createdPublished : t.eventForm.created);
        rememberTimeZone(draft.timezone.trim());
        leaving.current = true;
        await queryClient.invalidateQueries({ queryKey: queryKeys.events.all });
        void navigate(`/events/${encodeURIComponent(created.id)}`);
      } else {
        await saveExisting(event, publish);
        toast.success(publish && event.status === 'draft' ? t.event.published : t.eventForm.updated);
        rememberTimeZone(draft.timezone.trim());
        leaving.current = true;
        await queryClient.invalidateQueries({ queryKey: queryKeys.events.all });
        void navigate(`/events/${encodeURIComponent(event.id)}`);
      }
    } catch (error) {
      if (error instanceof StepFailed) showServerError(error.error, error.sessionIndex, error.countsSales);
      else showServerError(error);
    } finally {
      setSubmitting(null);
    }
  };

  const busy = submitting !== null;

  return (
    <form ref={formRef} noValidate onSubmit={(e) => void onSubmit(e)} className="space-y-6" aria-busy={busy}>
      <p className="text-sm text-slate-600">{t.eventForm.lead}</p>
      <FormAlert>
        {formError || Object.keys(errors).length > 0 ? (
          <>
            {formError}
            <ErrorSummary errors={errors} />
          </>
        ) : null}
      </FormAlert>
      {blocker.state === 'blocked' ? (
        <ConfirmDialog
          title={t.eventForm.leaveTitle}
          confirmLabel={t.eventForm.leaveConfirm}
          cancelLabel={t.eventForm.leaveCancel}
          tone="danger"
          onConfirm={() => blocker.proceed()}
          onCancel={() => blocker.reset()}
        >
          <p>{t.eventForm.leaveBody}</p>
        </ConfirmDialog>
      ) : null}

      <Fieldset legend={t.eventForm.basics}>
        <TextField
          id={fieldId('name')}
          label={t.eventForm.name}
          required
          maxLength={200}
          value={draft.name}
          onChange={(e) => set('name', e.target.value)}
          error={err('name')}
        />
        <SelectField
          id={fieldId('category')}
          label={t.eventForm.category}
          required
          value={draft.category}
          onChange={(e) => set('category', e.target.value)}
          error={err('category')}
        >
          <option value="">{t.eventForm.chooseCategory}</option>
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {t.events.categories[c] ?? c}
            </option>
          ))}
        </SelectField>
        <TextAreaField
          id={fieldId('description')}
          label={t.eventForm.description}
          rows={4}
          maxLength={5000}
          value={draft.description}
          onChange={(e) => set('description', e.target.value)}
          error={err('description')}
        />
        <TextField
          id={fieldId('image_url')}
          label={t.eventForm.imageUrl}
          type="url"
          inputMode="url"
          maxLength={2048}
          value={draft.imageUrl}
          onChange={(e) => set('imageUrl', e.target.value)}
          error={err('image_url')}
        />
        {needsOrganization ? (
          <OrganizationPicker
            id={fieldId('organization_id')}
            label={t.eventForm.organizationId}
            srOnlyLabel={false}
            required
            hint={t.eventForm.organizationIdHint}
            value={draft.organizationId}
            onChange={(organizationId) => set('organizationId', organizationId)}
            error={err('organization_id')}
          />
        ) : null}
      </Fieldset>

      <Fieldset legend={t.eventForm.dates}>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            id={fieldId('starts_at')}
            label={t.eventForm.startsAt}
            type="datetime-local"
            required
            value={draft.startsAt}
            onChange={(e) => set('startsAt', e.target.value)}
            error={err('starts_at')}
          />
          <TextField
            id={fieldId('ends_at')}
            label={t.eventForm.endsAt}
            type="datetime-local"
            required
            value={draft.endsAt}
            onChange={(e) => set('endsAt', e.target.value)}
            error={err('ends_at')}
          />
        </div>
        <TextField
          id={fieldId('timezone')}
          label={t.eventForm.timezone}
          required
          list="ef-timezones"
          hint={t.eventForm.timezoneHint}
          value={draft.timezone}
          onChange={(e) => {
            timezoneChosen.current = true;
            set('timezone', e.target.value);
          }}
          error={err('timezone')}
        />
        {timeZoneOptions}
      </Fieldset>

      <Fieldset legend={t.eventForm.venue}>
        <TextField
          id={fieldId('venue.name')}
          label={t.eventForm.venueName}
          required
          maxLength={200}
          value={draft.venueName}
          onChange={(e) => set('venueName', e.target.value)}
          error={err('venue.name')}
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            id={fieldId('venue.city')}
            label={t.eventForm.city}
            required
            maxLength={100}
            value={draft.city}
            onChange={(e) => setCity(e.target.value)}
            error={err('venue.city')}
          />
          <TextField
            id={fieldId('venue.address')}
            label={t.eventForm.address}
            required
            maxLength={300}
            value={draft.address}
            onChange={(e) => set('address', e.target.value)}
            error={err('venue.address')}
          />
        </div>
      </Fieldset>

      <Fieldset
        legend={t.eventForm.zones}
        lead={!zonesEditable ? t.eventForm.zonesLocked : hasSales ? `${t.eventForm.zonesLead} ${t.eventForm.zonesPublished}` : t.eventForm.zonesLead}
      >
        <SelectField
          id={fieldId('currency')}
          label={t.eventForm.currency}
          className="max-w-xs"
          disabled={!zonesEditable}
          value={draft.currency}
          onChange={(e) => set('currency', e.target.value)}
          error={err('currency')}
        >
          {(CURRENCIES.includes(draft.currency) ? CURRENCIES : [draft.currency, ...CURRENCIES]).map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </SelectField>
        {err('zones') ? (
          <p id={fieldId('zones')} className="text-sm font-medium text-red-700" tabIndex={-1}>
            {err('zones')}
          </p>
        ) : null}
        <ol className="space-y-3">
          {draft.zones.map((zone, i) => (
            <li key={zone.key} className="rounded-md border border-slate-200 p-3">
              <fieldset>
                <legend className="text-sm font-semibold text-slate-700">{t.eventForm.zoneLegend(i + 1)}</legend>
                <div className="mt-2 grid items-start gap-3 sm:grid-cols-[2fr_1fr_1fr_1fr_auto]">
                  <TextField
                    id={fieldId(`zones.${i}.name`)}
                    label={t.eventForm.zoneName(i + 1)}
                    required
                    maxLength={100}
                    disabled={!zonesEditable}
                    value={zone.name}
                    onChange={(e) => setZone(i, { name: e.target.value })}
                    error={err(`zones.${i}.name`)}
                  />
                  <TextField
                    id={fieldId(`zones.${i}.price`)}
                    label={t.eventForm.zonePrice(i + 1)}
                    required
                    inputMode="decimal"
                    placeholder="0.00"
                    disabled={!zonesEditable}
                    value={zone.price}
                    onChange={(e) => setZone(i, { price: e.target.value })}
                    error={err(`zones.${i}.price`)}
                  />
                  <TextField
                    id={fieldId(`zones.${i}.capacity`)}
                    label={t.eventForm.zoneCapacity(i + 1)}
                    required
                    type="number"
                    inputMode="numeric"
                    min={1}
                    step={1}
                    disabled={!zonesEditable}
                    value={zone.capacity}
                    onChange={(e) => setZone(i, { capacity: e.target.value })}
                    error={err(`zones.${i}.capacity`)}
                  />
                  <TextField
                    id={fieldId(`zones.${i}.max_per_order`)}
                    label={t.eventForm.zoneMaxPerOrder(i + 1)}
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={100}
                    step={1}
                    disabled={!zonesEditable}
                    value={zone.maxPerOrder ?? ''}
                    onChange={(e) => setZone(i, { maxPerOrder: e.target.value })}
                    error={err(`zones.${i}.max_per_order`)}
                  />
                  {zonesEditable && draft.zones.length > 1 ? (
                    <button
                      type="button"
                      className={cn(buttonClass.danger, 'sm:mt-6')}
                      onClick={() => removeZone(i)}
                      aria-label={t.eventForm.removeZone(i + 1)}
                    >
                      {t.common.remove}
                    </button>
                  ) : null}
                </div>
              </fieldset>
            </li>
          ))}
        </ol>
        {zonesEditable ? (
          <button id="ef-add-zone" type="button" className={buttonClass.secondary} onClick={addZone}>
            {t.eventForm.addZone}
          </button>
        ) : null}
      </Fieldset>

      <Fieldset legend={t.eventForm.sales} lead={t.eventForm.salesLead}>
        <div className="grid items-start gap-4 sm:grid-cols-3">
          <TextField
            id={fieldId('sales.on_sale_at')}
            label={t.eventForm.onSaleAt}
            type="datetime-local"
            hint={t.eventForm.onSaleAtHint}
            value={draft.sales.onSaleAt}
            onChange={(e) => setSales({ onSaleAt: e.target.value })}
            error={err('sales.on_sale_at')}
          />
          <TextField
            id={fieldId('sales.hold_minutes')}
            label={t.eventForm.holdMinutes}
            required
            type="number"
            inputMode="numeric"
            min={2}
            max={30}
            step={1}
            hint={t.eventForm.holdMinutesHint}
            value={draft.sales.holdMinutes}
            onChange={(e) => setSales({ holdMinutes: e.target.value })}
            error={err('sales.hold_minutes')}
          />
          <TextField
            id={fieldId('sales.max_per_customer')}
            label={t.eventForm.maxPerCustomer}
            type="number"
            inputMode="numeric"
            min={1}
            max={1000}
            step={1}
            hint={t.eventForm.maxPerCustomerHint}
            value={draft.sales.maxPerCustomer}
            onChange={(e) => setSales({ maxPerCustomer: e.target.value })}
            error={err('sales.max_per_customer')}
          />
        </div>
        <SaleSwitch
          field="sales.waiting_room"
          label={t.eventForm.waitingRoom}
          hint={t.eventForm.waitingRoomHint}
          checked={draft.sales.waitingRoom}
          onChange={(waitingRoom) => setSales({ waitingRoom })}
          error={err('sales.waiting_room')}
        />
        {draft.sales.waitingRoom ? (
          <TextField
            id={fieldId('sales.admission_per_minute')}
            label={t.eventForm.admissionPerMinute}
            className="max-w-xs"
            required
            type="number"
            inputMode="numeric"
            min={1}
            max={100_000}
            step={1}
            hint={t.eventForm.admissionPerMinuteHint}
            value={draft.sales.admissionPerMinute}
            onChange={(e) => setSales({ admissionPerMinute: e.target.value })}
            error={err('sales.admission_per_minute')}
          />
        ) : null}
        <TextField
          id={fieldId('sales.payment_minutes')}
          label={t.eventForm.paymentMinutes}
          className="max-w-xs"
          required
          type="number"
          inputMode="numeric"
          min={1}
          max={60}
          step={1}
          hint={t.eventForm.paymentMinutesHint}
          value={draft.sales.paymentMinutes}
          onChange={(e) => setSales({ paymentMinutes: e.target.value })}
          error={err('sales.payment_minutes')}
        />
        <SaleSwitch
          field="sales.reentry_allowed"
          label={t.eventForm.reentryAllowed}
          hint={t.eventForm.reentryAllowedHint}
          checked={draft.sales.reentryAllowed}
          onChange={(reentryAllowed) => setSales({ reentryAllowed })}
          error={err('sales.reentry_allowed')}
        />
        <SaleSwitch
          field="sales.transfers_allowed"
          label={t.eventForm.transfersAllowed}
          hint={t.eventForm.transfersAllowedHint}
          checked={draft.sales.transfersAllowed}
          onChange={(transfersAllowed) => setSales({ transfersAllowed })}
          error={err('sales.transfers_allowed')}
        />
      </Fieldset>

      <Fieldset legend={t.eventForm.sessions} lead={t.eventForm.sessionsLead}>
        <ol className="space-y-3">
          {draft.sessions.map((session, i) => (
            <li key={session.key} className="rounded-md border border-slate-200 p-3">
              <fieldset>
                <legend className="text-sm font-semibold text-slate-700">{t.eventForm.sessionLegend(i + 1)}</legend>
                <div className="mt-2 grid items-start gap-3 sm:grid-cols-2">
                  <TextField
                    id={fieldId(`sessions.${i}.title`)}
                    label={t.eventForm.sessionTitle(i + 1)}
                    maxLength={200}
                    value={session.title}
                    onChange={(e) => setSession(i, { title: e.target.value })}
                    error={err(`sessions.${i}.title`)}
                  />
                  <TextField
                    id={fieldId(`sessions.${i}.place`)}
                    label={t.eventForm.sessionPlace(i + 1)}
                    maxLength={100}
                    value={session.place}
                    onChange={(e) => setSession(i, { place: e.target.value })}
                    error={err(`sessions.${i}.place`)}
                  />
                  <TextField
                    id={fieldId(`sessions.${i}.starts_at`)}
                    label={t.eventForm.sessionStarts(i + 1)}
                    type="datetime-local"
                    required
                    value={session.startsAt}
                    onChange={(e) => setSession(i, { startsAt: e.target.value })}
                    error={err(`sessions.${i}.starts_at`)}
                  />
                  <TextField
                    id={fieldId(`sessions.${i}.ends_at`)}
                    label={t.eventForm.sessionEnds(i + 1)}
                    type="datetime-local"
                    required
                    value={session.endsAt}
                    onChange={(e) => setSession(i, { endsAt: e.target.value })}
                    error={err(`sessions.${i}.ends_at`)}
                  />
                </div>
                <button
                  type="button"
                  className={cn(buttonClass.danger, 'mt-3')}
                  onClick={() => removeSessionRow(i)}
                  aria-label={t.eventForm.removeSession(i + 1)}
                >
                  {t.common.remove}
                </button>
              </fieldset>
            </li>
          ))}
        </ol>
        <button id="ef-add-session" type="button" className={buttonClass.secondary} onClick={addSessionRow}>
          {t.eventForm.addSession}
        </button>
      </Fieldset>

      <div className="flex flex-wrap gap-3">
        <button type="submit" name="intent" value="save" disabled={busy} className={buttonClass.secondary}>
          {submitting === 'save' ? t.eventForm.saving : isNew ? t.eventForm.saveDraft : t.eventForm.saveChanges}
        </button>
        {canPublish ? (
          <button type="submit" name="intent" value="publish" disabled={busy} className={buttonClass.primary}>
            {submitting === 'publish' ? t.eventForm.saving : isNew ? t.eventForm.publish : t.eventForm.saveAndPublish}
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function NewEventPage() {
  const { t } = useI18n();
  useDocumentTitle(t.eventForm.newTitle);
  return (
    <div className="mx-auto max-w-4xl space-y-4">
      <h1 className="text-3xl font-bold text-slate-900">{t.eventForm.newTitle}</h1>
      <EventForm />
    </div>
  );
}

export function EditEventPage() {
  const { t } = useI18n();
  useDocumentTitle(t.eventForm.editTitle);
  const { id = '' } = useParams();
  const query = useQuery({
    queryKey: queryKeys.events.detail(id),
    queryFn: ({ signal }) => fetchEvent(id, signal),
    // Always edit the latest version: If-Match must name it.
    staleTime: 0,
  });
  return (
    <div className="mx-auto max-w-4xl space-y-4">
      <h1 className="text-3xl font-bold text-slate-900">{t.eventForm.editTitle}</h1>
      {query.isPending ? (
        <Spinner label={t.event.loading} size="lg" />
      ) : query.isError ? (
        isApiError(query.error) && (query.error.status === 404 || query.error.status === 422) ? (
          <Notice title={t.event.notFoundTitle} body={t.event.notFound} />
        ) : (
          <Notice title={t.events.errorTitle} body={t.events.error} tone="error">
            <button type="button" className={buttonClass.secondary} onClick={() => void query.refetch()}>
              {t.common.retry}
            </button>
          </Notice>
        )
      ) : (
        <EventForm key={`${query.data.id}:${query.data.version ?? ''}`} event={query.data} />
      )}
    </div>
  );
}
