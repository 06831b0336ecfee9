"""The ticketing ledger's invariants, checked over a whole database at the end of a test run.

Money in equals tickets issued plus refunds, order by order (a ticket revoked because it was
transferred is counted once, as its replacement); no order has two sets of tickets; no zone sells
more places than it has tickets for. Tests end with this check so that whatever they did
(concurrent payments, duplicated notifications, refunds, cancellations), the books still balance.
"""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]

# Each query returns the rows that break one invariant: (what, order or line, details).
CHECKS: dict[str, str] = {
    "an unpaid order has tickets or refunds": """
        SELECT o.id::text, o.status FROM ticketing.orders o
        WHERE o.paid_at IS NULL AND (
            EXISTS (SELECT 1 FROM ticketing.tickets t WHERE t.order_id = o.id)
            OR EXISTS (SELECT 1 FROM ticketing.refunds r WHERE r.order_id = o.id))""",
    "a paid order's tickets do not add up to what was paid": """
        SELECT o.id::text, count(t.id)::text || ' tickets, ' || coalesce(sum(t.price_amount), 0)::text
        FROM ticketing.orders o JOIN ticketing.tickets t ON t.order_id = o.id
            AND t.revoked_reason IS DISTINCT FROM 'transferred'
        WHERE o.paid_at IS NOT NULL
        GROUP BY o.id, o.quantity, o.total_amount
        HAVING count(t.id) <> o.quantity OR sum(t.price_amount) <> o.total_amount""",
    "a paid order without tickets is not being refunded in full": """
        SELECT o.id::text, coalesce(sum(r.amount) FILTER (WHERE r.status <> 'failed'), 0)::text
        FROM ticketing.orders o LEFT JOIN ticketing.refunds r ON r.order_id = o.id
        WHERE o.paid_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ticketing.tickets t WHERE t.order_id = o.id)
        GROUP BY o.id, o.total_amount
        HAVING coalesce(sum(r.amount) FILTER (WHERE r.status <> 'failed'), 0) <> o.total_amount""",
    "an order's refunded amount is not the sum of its confirmed refunds, or passes what was paid": """
        SELECT o.id::text, o.refunded_amount::text
        FROM ticketing.orders o LEFT JOIN ticketing.refunds r ON r.order_id = o.id AND r.status = 'succeeded'
        GROUP BY o.id, o.refunded_amount, o.total_amount
        HAVING o.refunded_amount <> coalesce(sum(r.amount), 0)
            OR (SELECT coalesce(sum(x.amount), 0) FROM ticketing.refunds x
                WHERE x.order_id = o.id AND x.status <> 'failed') > o.total_amount""",
    "a revoked ticket was refunded by no refund nor replaced by a transfer": """
        SELECT t.id::text, t.order_id::text FROM ticketing.tickets t
        WHERE t.status = 'revoked' AND NOT EXISTS (
            SELECT 1 FROM ticketing.refunds r WHERE r.order_id = t.order_id AND r.ticket_ids ? t.id::text)
          AND NOT EXISTS (
            SELECT 1 FROM ticketing.ticket_transfers x
            WHERE x.ticket_id = t.id AND x.status = 'accepted' AND t.revoked_reason = 'transferred')""",
    "a zone sold more or fewer places than it has tickets for": """
        SELECT i.session_id::text || '/' || i.zone_id::text,
               i.sold::text || ' sold, ' || count(t.id)::text || ' tickets'
        FROM ticketing.inventory i
        LEFT JOIN ticketing.tickets t ON t.session_id = i.session_id AND t.zone_id = i.zone_id
            AND (t.status <> 'revoked' OR EXISTS (
                SELECT 1 FROM ticketing.refunds r
                WHERE r.order_id = t.order_id AND r.reason = 'event_cancelled' AND r.ticket_ids ? t.id::text))
        GROUP BY i.session_id, i.zone_id, i.sold
        HAVING i.sold <> count(t.id)""",
}


async def ledger_problems(database_url: str) -> list[str]:
    """What breaks the ledger's invariants in ticketing's database, one line each; empty when the
    books balance. ``database_url`` may be SQLAlchemy's (``postgresql+asyncpg://``)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        found = []
        for what, query in CHECKS.items():
            for row in await connection.fetch(query):
                found.append(f"{what}: {' '.join(str(value) for value in row.values())}")
        return found
    finally:
        await connection.close()


def check_ledger(database_url: str) -> list[str]:
    return asyncio.run(ledger_problems(database_url))
