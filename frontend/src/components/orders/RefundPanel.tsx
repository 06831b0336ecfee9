import { useQueries, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';

import { isApiError } from '@/api/client';
import { fetchTicket, ORDER_PROBLEMS, refundableAmount, refundBody, refundOrder, type Order, type Refund, type RefundRequest, type Ticket } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { newIdempotencyKey, problemKind } from '@/api/reservations';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert, TextAreaField, TextField } from '@/components/form/fields';
import { Spinner } from '@/components/Spinner';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';
import { formatMoney } from '@/lib/format';
import { serverFieldErrors, useFocusFirstError, type FieldErrors } from '@/lib/forms';

/** Orders with money left to refund. */
const REFUNDABLE = new Set<Order['status']>(['paid', 'partially_refunded']);

const AMOUNT = /^\d{1,10}(\.\d{1,2})?$/;
const REASON_MAX = 500;

/** "12.50" -> 1250 (amounts of the API have at most two decimals). */
function toCents(amount: string): number {
  return Math.round(Number(amount) * 100);
}

function fromCents(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** Server field paths -> the form's fields (null: the form-level alert). */
function formField(field: string): string | null {
  if (field === 'amount' || field.startsWith('amount.')) return 'amount';
  if (field === 'ticket_ids' || field.startsWith('ticket_ids.')) return 'tickets';
  if (field === 'reason') return 'reason';
  return null;
}

interface Choice {
  ticket: Ticket;
  /** Its number on the order page ("Ticket 2 · General"). */
  n: number;
}

/**
 * The refund action of an order, for the organizer of its event and admins: tickets (refunded at
 * their price and revoked) or an amount (a goodwill refund), an optional reason, then a
 * confirmation saying exactly what happens. The Idempotency-Key is made once per confirmed intent:
 * confirming the very same refund again (after a network failure) reuses it, so the edge answers
 * with the refund it already made instead of a second one.
 */
export function RefundPanel({ order }: { order: Order }) {
  const { t, locale } = useI18n();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstError = useFocusFirstError(formRef);
  const attempt = useRef<{ key: string; fingerprint: string } | null>(null);
  const ids = useId().replace(/:/g, '');

  const [mode, setMode] = useState<'tickets' | 'amount'>('tickets');
  const [selected, setSelected] = useState<string[]>([]);
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<RefundRequest | null>(null);
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<Refund | null>(null);

  // The same queries as the order's ticket cards: one cache, refreshed together after a refund.
  const tickets = useQueries({
    queries: order.ticketIds.map((id) => ({
      queryKey: queryKeys.tickets.detail(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchTicket(id, signal),
      staleTime: 30_000,
    })),
  });
  const choices: Choice[] = tickets.flatMap((q, i) => (q.data?.status === 'valid' ? [{ ticket: q.data, n: i + 1 }] : []));
  const ticketsLoading = tickets.some((q) => q.isPending);

  const currency = order.total.currency;
  const money = (cents: number) => formatMoney(fromCents(cents), currency, locale);
  const left = Math.max(0, toCents(order.total.amount) - toCents(order.refunded.amount));
  const chosen = choices.filter((c) => selected.includes(c.ticket.id));
  const chosenCents = chosen.reduce((sum, c) => sum + toCents(c.ticket.price.amount), 0);
  const refundable = REFUNDABLE.has(order.status) && left > 0;

  if (!refundable && result === null) return null;

  const toggle = (id: string, on: boolean) => setSelected((current) => (on ? [...current, id] : current.filter((x) => x !== id)));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const found: FieldErrors = {};
    let request: RefundRequest | null = null;
    if (mode === 'tickets') {
      if (chosen.length === 0) found.tickets = t.refunds.errors.noTickets;
      else request = { kind: 'tickets', ticketIds: chosen.map((c) => c.ticket.id), reason };
    } else {
      const typed = amount.trim().replace(',', '.');
      if (!AMOUNT.test(typed)) found.amount = t.refunds.errors.amountFormat;
      else if (toCents(typed) <= 0) found.amount = t.refunds.errors.amountZero;
      else if (toCents(typed) > left) found.amount = t.refunds.errors.amountTooHigh(money(left));
      else request = { kind: 'amount', amount: { amount: fromCents(toCents(typed)), currency }, reason };
    }
    if (reason.trim().length > REASON_MAX) found.reason = t.refunds.errors.reasonLength;
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0 || request === null) {
      focusFirstError();
      return;
    }
    setResult(null);
    setConfirming(request);
  };

  const confirm = async () => {
    if (!confirming || sending) return;
    const request = confirming;
    // One key per intent: the same refund confirmed again after a failure reuses it.
    const fingerprint = JSON.stringify(refundBody(request));
    if (attempt.current?.fingerprint !== fingerprint) attempt.current = { key: newIdempotencyKey(), fingerprint };
    setSending(true);
    try {
      const { refund, order: updated } = await refundOrder(order.id, request, attempt.current.key);
      attempt.current = null;
      queryClient.setQueryData(queryKeys.orders.detail(order.id), updated);
      void queryClient.invalidateQueries({ queryKey: queryKeys.orders.all });
      for (const id of order.ticketIds) void queryClient.invalidateQueries({ queryKey: queryKeys.tickets.detail(id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tickets.mine });
      setResult(refund);
      setSelected([]);
      setAmount('');
      setReason('');
      setConfirming(null);
    } catch (error) {
      setConfirming(null);
      const kind = problemKind(error);
      if (kind === ORDER_PROBLEMS.notRefundable) {
        const rest = refundableAmount(error);
        setFormError(rest ? t.refunds.notRefundable(formatMoney(rest.amount, rest.currency, locale)) : t.refunds.notRefundableGeneric);
        void queryClient.invalidateQueries({ queryKey: queryKeys.orders.detail(order.id) });
        for (const id of order.ticketIds) void queryClient.invalidateQueries({ queryKey: queryKeys.tickets.detail(id) });
      } else if (isApiError(error) && error.status === 422) {
        const { fields, unmatched } = serverFieldErrors(error, formField);
        const translated: FieldErrors = {};
        if (fields.amount) translated.amount = t.refunds.errors.amountFormat;
        if (fields.tickets) translated.tickets = t.refunds.errors.noTickets;
        if (fields.reason) translated.reason = t.refunds.errors.reasonLength;
        setErrors(translated);
        setFormError(Object.keys(translated).length === 0 || unmatched.length > 0 ? t.refunds.invalid : null);
        // A key the edge refused with this body must not be sent again.
        attempt.current = null;
      } else if (isApiError(error) && error.status === 403) {
        setFormError(t.refunds.forbidden);
      } else if (isApiError(error) && error.status === 404) {
        setFormError(t.refunds.notFound);
      } else {
        setFormError(isApiError(error) && error.isNetworkError ? t.common.networkError : t.common.genericError);
      }
      focusFirstError();
    } finally {
      setSending(false);
    }
  };

  const confirmChoices = confirming?.kind === 'tickets' ? choices.filter((c) => confirming.ticketIds.includes(c.ticket.id)) : [];
  const confirmCents = confirming
    ? confirming.kind === 'tickets'
      ? confirmChoices.reduce((sum, c) => sum + toCents(c.ticket.price.amount), 0)
      : toCents(confirming.amount.amount)
    : 0;
  const resultText = result
    ? {
        succeeded: t.refunds.succeeded,
        requested: t.refunds.requested,
        failed: t.refunds.failed,
      }[result.status](formatMoney(result.amount.amount, result.amount.currency, locale))
    : null;
  const ticketsErrorId = `${ids}-tickets-error`;

  return (
    <section aria-labelledby={`${ids}-title`} className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-xs" data-testid="refund-panel">
      <h2 id={`${ids}-title`} className="text-xl font-semibold text-slate-900">
        {t.refunds.title}
      </h2>
      {/* Present from the start so the outcome is announced when it arrives. */}
      <div role="status">
        {result && resultText ? (
          <p
            data-testid="refund-result"
            data-refund-status={result.status}
            className={cn(
              'rounded-md border p-3 font-medium',
              result.status === 'failed' ? 'border-red-200 bg-red-50 text-red-900' : 'border-emerald-200 bg-emerald-50 text-emerald-900',
            )}
          >
            {resultText}
          </p>
        ) : null}
      </div>
      {refundable ? (
        <form ref={formRef} noValidate onSubmit={onSubmit} className="space-y-5" aria-labelledby={`${ids}-title`}>
          <p className="text-slate-700">{t.refunds.lead(money(left))}</p>
          <fieldset className="space-y-2">
            <legend className="text-sm font-medium text-slate-800">{t.refunds.what}</legend>
            <div className="flex flex-wrap gap-x-6 gap-y-2">
              {(['tickets', 'amount'] as const).map((value) => (
                <label key={value} className="inline-flex items-center gap-2 text-slate-900">
                  <input
                    type="radio"
                    name={`${ids}-mode`}
                    value={value}
                    checked={mode === value}
                    onChange={() => {
                      setMode(value);
                      setErrors({});
                    }}
                    className="h-4 w-4 accent-brand-700"
                  />
                  {value === 'tickets' ? t.refunds.byTickets : t.refunds.byAmount}
                </label>
              ))}
            </div>
          </fieldset>
          {mode === 'tickets' ? (
            <fieldset className="space-y-2" aria-describedby={errors.tickets ? ticketsErrorId : undefined}>
              <legend className="text-sm font-medium text-slate-800">{t.refunds.ticketsLegend}</legend>
              {ticketsLoading ? <Spinner label={t.refunds.ticketsLoading} size="sm" /> : null}
              {!ticketsLoading && choices.length === 0 ? <p className="text-slate-700">{t.refunds.noValidTickets}</p> : null}
              <ul className="space-y-1">
                {choices.map(({ ticket, n }) => (
                  <li key={ticket.id}>
                    <label className="inline-flex items-center gap-2 text-slate-900">
                      <input
                        type="checkbox"
                        name="ticket_ids"
                        value={ticket.id}
                        checked={selected.includes(ticket.id)}
                        onChange={(e) => toggle(ticket.id, e.target.checked)}
                        aria-invalid={errors.tickets ? true : undefined}
                        aria-describedby={errors.tickets ? ticketsErrorId : undefined}
                        className="h-4 w-4 accent-brand-700"
                      />
                      {t.refunds.ticketLabel(n, ticket.zoneName, formatMoney(ticket.price.amount, ticket.price.currency, locale))}
                    </label>
                  </li>
                ))}
              </ul>
              {chosen.length > 0 ? <p className="text-sm text-slate-700">{t.refunds.selected(chosen.length, money(chosenCents))}</p> : null}
              {errors.tickets ? (
                <p id={ticketsErrorId} className="text-sm font-medium text-red-700">
                  {errors.tickets}
                </p>
              ) : null}
            </fieldset>
          ) : (
            <TextField
              className="max-w-xs"
              label={t.refunds.amount}
              name="amount"
              inputMode="decimal"
              autoComplete="off"
              required
              value={amount}
              hint={t.refunds.amountHint(currency, money(left))}
              error={errors.amount}
              onChange={(e) => setAmount(e.target.value)}
            />
          )}
          <TextAreaField
            label={t.refunds.reason}
            name="reason"
            rows={2}
            maxLength={REASON_MAX}
            value={reason}
            hint={t.refunds.reasonHint}
            error={errors.reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <FormAlert>{formError}</FormAlert>
          <button type="submit" className={buttonClass.primary}>
            {t.refunds.submit}
          </button>
        </form>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={t.refunds.confirmTitle}
          confirmLabel={sending ? t.refunds.sending : t.refunds.confirm(money(confirmCents))}
          cancelLabel={t.refunds.cancel}
          busy={sending}
          tone="danger"
          onCancel={() => setConfirming(null)}
          onConfirm={() => void confirm()}
        >
          {confirming.kind === 'tickets' ? (
            <>
              <p>{t.refunds.confirmTickets(money(confirmCents), confirmChoices.length, order.buyer.name)}</p>
              <ul className="list-disc pl-6">
                {confirmChoices.map(({ ticket, n }) => (
                  <li key={ticket.id}>{t.refunds.ticketLabel(n, ticket.zoneName, formatMoney(ticket.price.amount, ticket.price.currency, locale))}</li>
                ))}
              </ul>
              <p className="font-medium text-red-900">{t.refunds.confirmRevoked}</p>
            </>
          ) : (
            <>
              <p>{t.refunds.confirmAmount(money(confirmCents), order.buyer.name)}</p>
              <p className="font-medium">{t.refunds.confirmNoRevoke}</p>
            </>
          )}
          {confirming.reason.trim() ? <p className="text-slate-700">{t.refunds.confirmReason(confirming.reason.trim())}</p> : null}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
