import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';

import { isApiError } from '@/api/client';
import type { Ticket } from '@/api/orders';
import { queryKeys } from '@/api/queryKeys';
import { problemKind } from '@/api/reservations';
import { offerTransfer } from '@/api/transfers';
import { ConfirmDialog } from '@/components/ConfirmDialog';
import { buttonClass } from '@/components/form/buttonClass';
import { FormAlert, TextField } from '@/components/form/fields';
import { useI18n } from '@/i18n';
import { useAuthStore } from '@/store/auth';

// The edge's shape of an address (schemas/orders.py EMAIL_PATTERN), and its bound.
const EMAIL = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$/;
const EMAIL_MAX = 254;

type Step = { kind: 'closed' } | { kind: 'email' } | { kind: 'confirm'; email: string };

/**
 * The "Transfer" action of one of my valid tickets: a dialog asks the recipient's address, a
 * confirmation says what happens (the ticket stays mine until they accept it; then its QR stops
 * working), and the outcome is announced next to the button.
 */
export function TransferTicket({ ticket }: { ticket: Ticket }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const ownEmail = useAuthStore((s) => s.user?.email ?? '');
  const [step, setStep] = useState<Step>({ kind: 'closed' });
  const [email, setEmail] = useState('');
  const [emailError, setEmailError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<string | null>(null);

  if (ticket.status !== 'valid') return null;

  const open = () => {
    setEmailError(undefined);
    setFormError(null);
    setStep({ kind: 'email' });
  };

  const next = (e?: FormEvent) => {
    e?.preventDefault();
    const typed = email.trim();
    if (!EMAIL.test(typed) || typed.length > EMAIL_MAX) {
      setEmailError(t.transfers.errors.email);
      return;
    }
    if (ownEmail && typed.toLowerCase() === ownEmail.toLowerCase()) {
      setEmailError(t.transfers.errors.own);
      return;
    }
    setEmailError(undefined);
    setStep({ kind: 'confirm', email: typed });
  };

  const send = async (to: string) => {
    if (sending) return;
    setSending(true);
    try {
      await offerTransfer(ticket.id, to);
      setSent(to);
      setEmail('');
      setStep({ kind: 'closed' });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tickets.mine });
    } catch (error) {
      const kind = problemKind(error);
      const known = kind ? t.transfers.problems[kind] : undefined;
      if (known) setFormError(known);
      else if (isApiError(error) && error.status === 422) setEmailError(t.transfers.errors.email);
      else setFormError(isApiError(error) && error.isNetworkError ? t.common.networkError : t.common.genericError);
      setStep({ kind: 'email' });
    } finally {
      setSending(false);
    }
  };

  return (
    <div className="space-y-2">
      <button
        type="button"
        className={buttonClass.secondary}
        aria-label={t.transfers.actionFor(ticket.eventName, ticket.zoneName)}
        onClick={open}
      >
        {t.transfers.action}
      </button>
      {/* Present from the start so the outcome is announced when it arrives. */}
      <div role="status">
        {sent ? (
          <p data-testid="transfer-sent" className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm font-medium text-emerald-900">
            {t.transfers.sent(sent)}
          </p>
        ) : null}
      </div>
      {step.kind === 'email' ? (
        <ConfirmDialog
          title={t.transfers.dialogTitle}
          confirmLabel={t.transfers.continue}
          cancelLabel={t.transfers.cancel}
          onConfirm={() => next()}
          onCancel={() => setStep({ kind: 'closed' })}
        >
          <p>{t.transfers.dialogLead(ticket.eventName, ticket.zoneName)}</p>
          <FormAlert>{formError}</FormAlert>
          <form noValidate onSubmit={next}>
            <TextField
              label={t.transfers.emailLabel}
              hint={t.transfers.emailHint}
              type="email"
              autoComplete="email"
              maxLength={EMAIL_MAX}
              required
              value={email}
              error={emailError}
              onChange={(e) => setEmail(e.target.value)}
            />
          </form>
        </ConfirmDialog>
      ) : null}
      {step.kind === 'confirm' ? (
        <ConfirmDialog
          title={t.transfers.confirmTitle}
          confirmLabel={t.transfers.confirm}
          cancelLabel={t.transfers.cancel}
          busy={sending}
          onConfirm={() => void send(step.email)}
          onCancel={() => setStep({ kind: 'email' })}
        >
          <p>{t.transfers.confirmBody(step.email)}</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
