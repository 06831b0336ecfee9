"""The organizers' reports and exports through the running platform: after a burst of concurrent
sales and some refunds, the dashboard's totals (a read model fed by taquilla.ticketing.v1) equal the
sums over the event's orders exactly; the exports stream every order and attendee."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from devstack.testing import eventually
from tests.conftest import new_organizer
from tests.integration.test_checkin_http import scan
from tests.integration.test_orders_http import checkout, customer, held, pay_at_the_hosted_page
from tests.integration.test_reservations_http import published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
PAID = {"paid", "partially_refunded", "refunded"}


async def bought(
    edge: httpx.AsyncClient, event: dict[str, Any], *items: tuple[int, int]
) -> tuple[dict[str, str], dict[str, Any]]:
    """A buyer's paid order of ``items`` (zone index, places), paid at the simulator's page."""
    email, me = await customer(edge)
    reservation = await held(edge, me, event, *items)
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, email))).json()
    paying = await pay_at_the_hosted_page(order["payment"]["checkout_url"], "4242424242424242")
    assert paying.status_code < 400, paying.text

    async def paid() -> dict[str, Any] | None:
        current: dict[str, Any] = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        return current if current["status"] == "paid" else None

    return me, await eventually(paid, within=60, what="the order paid through the simulator's webhook")


async def every_order(
    edge: httpx.AsyncClient, organizer: dict[str, str], event_id: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = await edge.get(
            f"/api/v1/events/{event_id}/orders", headers=organizer, params={"limit": 100, "cursor": cursor}
        )
        assert page.status_code == 200, page.text
        found.extend(page.json()["items"])
        cursor = page.json()["next_cursor"] or ""
        if not cursor:
            return found


def money(values: list[dict[str, str]]) -> dict[str, Decimal]:
    return {value["currency"]: Decimal(value["amount"]) for value in values}


async def test_the_dashboards_totals_equal_the_orders_after_a_burst_of_sales_and_refunds(
    edge: httpx.AsyncClient,
) -> None:
    organizer = await new_organizer(edge)
    event = await published_event(edge, general=30, vip=6, organizer=organizer)
    baskets = [((0, 1),), ((0, 2),), ((0, 3), (1, 1)), ((1, 2),), ((0, 1), (1, 1)), ((0, 4),)]
    orders = await asyncio.gather(*(bought(edge, event, *basket) for basket in baskets))

    async def refund(order: dict[str, Any], body: dict[str, Any]) -> None:
        reply = await edge.post(f"/api/v1/orders/{order['id']}/refunds", headers=organizer, json=body)
        assert reply.status_code == 200, reply.text
        assert reply.json()["refund"]["status"] == "succeeded"

    await asyncio.gather(
        refund(orders[1][1], {"ticket_ids": orders[1][1]["ticket_ids"][:1]}),
        refund(orders[2][1], {"ticket_ids": orders[2][1]["ticket_ids"][-2:]}),
        refund(orders[5][1], {"amount": {"amount": "12.34", "currency": "EUR"}}),
        refund(orders[3][1], {"ticket_ids": orders[3][1]["ticket_ids"]}),
    )
    buyer, first = orders[0]
    ticket = (await edge.get(f"/api/v1/tickets/{first['ticket_ids'][0]}", headers=buyer)).json()
    admitted = await edge.post(
        "/api/v1/checkins", headers=organizer, json=scan(ticket, event["sessions"][0]["id"])
    )
    assert admitted.json()["result"] == "ok", admitted.text

    listed = [o for o in await every_order(edge, organizer, event["id"]) if o["status"] in PAID]
    sold = sum(item["quantity"] for o in listed for item in o["items"])
    gross = sum((Decimal(o["total"]["amount"]) for o in listed), Decimal("0"))
    refunded = sum((Decimal(o["refunded"]["amount"]) for o in listed), Decimal("0"))
    revoked = 1 + 2 + 2
    assert len(listed) == len(baskets)
    assert refunded > 0

    async def caught_up() -> dict[str, Any] | None:
        reply = await edge.get(f"/api/v1/events/{event['id']}/report", headers=organizer)
        assert reply.status_code == 200, reply.text
        report: dict[str, Any] = reply.json()
        totals = report["totals"]
        done = totals["refunds"] == 4 and totals["admitted"] == 1 and totals["orders_paid"] == len(baskets)
        return report if done else None

    report = await eventually(caught_up, within=60, what="the report consumer catching up")
    totals = report["totals"]
    assert totals["tickets_sold"] == sold
    assert totals["tickets_refunded"] == revoked
    assert money(totals["gross"]) == {"EUR": gross}
    assert money(totals["refunded"]) == {"EUR": refunded}
    assert money(totals["net"]) == {"EUR": gross - refunded}
    assert report["capacity"] == 36
    assert Decimal(report["sell_through"]) == (Decimal(sold - revoked) / 36).quantize(Decimal("0.0001"))
    by_zone: dict[str, int] = {}
    for line in report["lines"]:
        by_zone[line["zone_name"]] = by_zone.get(line["zone_name"], 0) + line["figures"]["tickets_sold"]
    assert by_zone == {
        "General": sum(q for basket in baskets for zone, q in basket if zone == 0),
        "VIP": sum(q for basket in baskets for zone, q in basket if zone == 1),
    }
    assert sum(bucket["figures"]["tickets_sold"] for bucket in report["series"]) == sold

    me = (await edge.get("/api/v1/users/me", headers=organizer)).json()
    mine = await edge.get(f"/api/v1/organizations/{me['organization_id']}/report", headers=organizer)
    assert mine.status_code == 200, mine.text
    assert mine.json()["totals"]["tickets_sold"] == sold

    # The exports: every order and every ticket, with the count announced first.
    orders_csv = await edge.get(f"/api/v1/events/{event['id']}/exports/orders.csv", headers=organizer)
    assert orders_csv.status_code == 200, orders_csv.text
    assert orders_csv.headers["content-disposition"].startswith('attachment; filename="orders-')
    rows = list(csv.DictReader(io.StringIO(orders_csv.content.decode("utf-8-sig"))))
    assert (
        int(orders_csv.headers["x-total-rows"])
        == len(rows)
        == len(await every_order(edge, organizer, event["id"]))
    )
    assert {row["order_id"] for row in rows} >= {o["id"] for o in listed}
    attendees = await edge.get(f"/api/v1/events/{event['id']}/exports/attendees.xlsx", headers=organizer)
    assert attendees.status_code == 200, attendees.text
    sheet = load_workbook(io.BytesIO(attendees.content), read_only=True).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][0] == "ticket_id"
    assert int(attendees.headers["x-total-rows"]) == len(table) - 1 == sold
    assert sum(1 for row in table[1:] if row[10] == "revoked") == revoked


async def test_reports_and_exports_are_for_the_organizations_organizers(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    event = await published_event(edge, organizer=organizer)
    stranger = await new_organizer(edge)
    me = (await edge.get("/api/v1/users/me", headers=organizer)).json()

    for path in ("report", "exports/orders.csv", "exports/attendees.xlsx"):
        refused = await edge.get(f"/api/v1/events/{event['id']}/{path}", headers=stranger)
        assert refused.status_code == 404, refused.text
    other = await edge.get(f"/api/v1/organizations/{me['organization_id']}/report", headers=stranger)
    assert other.status_code == 403, other.text
    empty = await edge.get(
        f"/api/v1/events/{event['id']}/report",
        headers=organizer,
        params={"from": "2026-01-01", "to": "2026-01-02", "bucket": "hour"},
    )
    assert empty.status_code == 200, empty.text
    assert empty.json()["totals"]["tickets_sold"] == 0
    assert {line["zone_name"] for line in empty.json()["lines"]} == {"General", "VIP"}
    backwards = await edge.get(
        f"/api/v1/events/{event['id']}/report",
        headers=organizer,
        params={"from": "2026-02-01", "to": "2026-01-01"},
    )
    assert backwards.status_code == 422, backwards.text
    bad = await edge.get(
        f"/api/v1/events/{uuid.uuid4()}/report", headers=organizer, params={"bucket": "week"}
    )
    assert bad.status_code == 422, bad.text
