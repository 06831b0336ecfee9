import type { OrderStatus, TicketStatus } from '@/api/orders';
import { useI18n } from '@/i18n';
import { cn } from '@/lib/cn';

const badge = 'inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset';
const GREEN = 'bg-emerald-50 text-emerald-800 ring-emerald-600/30';
const AMBER = 'bg-amber-50 text-amber-900 ring-amber-600/30';
const RED = 'bg-red-50 text-red-800 ring-red-600/30';
const GREY = 'bg-slate-100 text-slate-700 ring-slate-500/30';

const ORDER_TONE: Record<OrderStatus, string> = {
  pending_payment: AMBER,
  paid: GREEN,
  partially_refunded: AMBER,
  refunded: GREY,
  failed: RED,
  expired: GREY,
  cancelled: GREY,
};

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  const { t } = useI18n();
  return (
    <span data-order-status={status} className={cn(badge, ORDER_TONE[status])}>
      {t.orders.statuses[status] ?? status}
    </span>
  );
}

const TICKET_TONE: Record<TicketStatus, string> = { valid: GREEN, used: GREY, revoked: RED };

export function TicketStatusBadge({ status }: { status: TicketStatus }) {
  const { t } = useI18n();
  return (
    <span data-ticket-status={status} className={cn(badge, TICKET_TONE[status])}>
      {t.tickets.statuses[status] ?? status}
    </span>
  );
}
