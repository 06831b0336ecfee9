import { call, type Schemas } from './client';

/**
 * Ticket transfers at the edge (routes/transfers.py): a holder sends a ticket to an e-mail address,
 * and whoever signs in with that address takes it with the token of the e-mail's link.
 */
export type TransferStatus = Schemas['TransferPublic']['status'];

/** Problem types of the transfers API (the last segment of `type`). */
export const TRANSFER_PROBLEMS = {
  /** The ticket was used at the door (409). */
  ticketUsed: 'ticket-used',
  /** The ticket was revoked: refunded, cancelled or already sent (409). */
  ticketRevoked: 'ticket-revoked',
  /** The organizer does not allow sending this event's tickets (409). */
  transfersDisabled: 'transfers-disabled',
  /** The ticket is already on its way to someone (409, `transfer_id`). */
  transferPending: 'transfer-pending',
  /** The transfer was taken, cancelled or expired (409, `status`). */
  transferClosed: 'transfer-closed',
  /** Signed in with an account of another address than the one it was sent to (403). */
  notTheRecipient: 'not-the-recipient',
} as const;

export interface Transfer {
  id: string;
  ticketId: string;
  newTicketId: string | null;
  status: TransferStatus;
  recipientEmail: string;
  senderName: string;
  eventId: string;
  eventName: string;
  sessionId: string;
  zoneName: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
}

export function toTransfer(body: Schemas['TransferPublic']): Transfer {
  return {
    id: body.id,
    ticketId: body.ticket_id,
    newTicketId: body.new_ticket_id ?? null,
    status: body.status,
    recipientEmail: body.recipient_email,
    senderName: body.sender_name,
    eventId: body.event_id,
    eventName: body.event_name,
    sessionId: body.session_id,
    zoneName: body.zone_name,
    createdAt: body.created_at,
    expiresAt: body.expires_at,
    acceptedAt: body.accepted_at ?? null,
  };
}

/** Sends one of my tickets to `email`; it stays mine until the recipient takes it. */
export async function offerTransfer(ticketId: string, email: string): Promise<Transfer> {
  const { data } = await call('post', '/api/v1/tickets/{ticket_id}/transfer', {
    path: { ticket_id: ticketId },
    body: { email },
  });
  return toTransfer(data);
}

export async function fetchTransfer(id: string, token: string, signal?: AbortSignal): Promise<Transfer> {
  const { data } = await call('get', '/api/v1/transfers/{transfer_id}', {
    path: { transfer_id: id },
    query: token ? { token } : {},
    signal,
  });
  return toTransfer(data);
}

export async function acceptTransfer(id: string, token: string): Promise<Transfer> {
  const { data } = await call('post', '/api/v1/transfers/{transfer_id}/accept', {
    path: { transfer_id: id },
    body: { token },
  });
  return toTransfer(data);
}

export async function cancelTransfer(id: string): Promise<Transfer> {
  const { data } = await call('delete', '/api/v1/transfers/{transfer_id}', { path: { transfer_id: id } });
  return toTransfer(data);
}
