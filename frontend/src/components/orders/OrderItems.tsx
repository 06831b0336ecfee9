import type { Money } from '@/api/events';
import type { ReservationItem } from '@/api/reservations';
import { useI18n } from '@/i18n';
import { formatMoney } from '@/lib/format';

function lineTotal(amount: string, quantity: number): string {
  return (Number(amount) * quantity).toFixed(2);
}

/** The places of a reservation or an order, one line per zone, and the total. */
export function OrderItems({ items, total, label }: { items: readonly ReservationItem[]; total: Money; label: string }) {
  const { t, locale } = useI18n();
  const money = (amount: string, currency: string) => formatMoney(amount, currency, locale);
  return (
    <div>
      <ul aria-label={label} className="divide-y divide-slate-100">
        {items.map((item) => (
          <li key={item.zoneId} className="flex flex-wrap justify-between gap-2 py-1.5">
            <span className="text-slate-900">
              {t.reservations.item(item.quantity, item.zoneName)}{' '}
              <span className="text-sm text-slate-600">({t.reservations.each(money(item.unitPrice.amount, item.unitPrice.currency))})</span>
            </span>
            <span className="text-slate-900">{money(lineTotal(item.unitPrice.amount, item.quantity), item.unitPrice.currency)}</span>
          </li>
        ))}
      </ul>
      <p className="flex justify-between border-t border-slate-200 pt-2 font-semibold text-slate-900">
        <span>{t.reservations.total}</span>
        <span data-testid="order-total">{money(total.amount, total.currency)}</span>
      </p>
    </div>
  );
}
