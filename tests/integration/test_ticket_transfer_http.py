"""Ticket transfers through the running platform: a buyer sends a paid ticket to another customer's
address, the recipient gets the link by e-mail (the SMTP sink), takes it signed in, and holds a new
ticket with a new QR secret; the sender's ticket is revoked; both are e-mailed."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from devstack.testing import eventually
from tests.conftest import Platform, bearer, new_customer
from tests.integration.test_orders_http import checkout, customer, held, pay_at_the_hosted_page
from tests.integration.test_reservations_http import published_event

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROBLEMS = "https://taquilla.dev/problems/"


def mails_to(platform: Platform, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(platform.stack.maildir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] and address in message["To"]:
            found.append(message)
    return found


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


async def paid_tickets(edge: httpx.AsyncClient) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A customer's paid order of two tickets, paid at the simulator's page."""
    event = await published_event(edge)
    address, me = await customer(edge)
    reservation = await held(edge, me, event, (0, 2))
    order = (await edge.post("/api/v1/orders", headers=me, json=checkout(reservation, address))).json()
    paying = await pay_at_the_hosted_page(order["payment"]["checkout_url"], "4242424242424242")
    assert paying.status_code < 400, paying.text

    async def paid() -> dict[str, Any] | None:
        current: dict[str, Any] = (await edge.get(f"/api/v1/orders/{order['id']}", headers=me)).json()
        return current if current["status"] == "paid" else None

    return address, me, await eventually(paid, within=30, what="the order paid through the webhook")


async def test_a_ticket_sent_by_email_is_taken_by_its_recipient_with_a_new_code(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    sender_address, sender, order = await paid_tickets(edge)
    old_id = order["ticket_ids"][0]
    old = (await edge.get(f"/api/v1/tickets/{old_id}", headers=sender)).json()
    recipient_address, _, tokens = await new_customer(edge)
    recipient = bearer(tokens["access_token"])

    sent = await edge.post(
        f"/api/v1/tickets/{old_id}/transfer", headers=sender, json={"email": recipient_address}
    )
    assert sent.status_code == 202, sent.text
    transfer = sent.json()
    assert (transfer["status"], transfer["recipient_email"]) == ("pending", recipient_address)
    assert sent.headers["location"] == f"/api/v1/transfers/{transfer['id']}"
    again = await edge.post(
        f"/api/v1/tickets/{old_id}/transfer", headers=sender, json={"email": recipient_address}
    )
    assert again.status_code == 409, again.text
    assert again.json()["type"] == PROBLEMS + "transfer-pending"

    (offer,) = await eventually(
        lambda: mails_to(platform, recipient_address), within=30, what="the recipient's e-mail with the link"
    )
    link = re.search(rf"/transfers/{transfer['id']}\?token=([A-Za-z0-9_-]+)", text_of(offer))
    assert link is not None, text_of(offer)
    token = link.group(1)

    shown = await edge.get(f"/api/v1/transfers/{transfer['id']}", headers=recipient, params={"token": token})
    assert shown.status_code == 200, shown.text
    assert shown.json()["zone_name"] == old["zone_name"]
    _, _, other_tokens = await new_customer(edge)
    stranger = await edge.post(
        f"/api/v1/transfers/{transfer['id']}/accept",
        headers=bearer(other_tokens["access_token"]),
        json={"token": token},
    )
    assert stranger.status_code == 403, stranger.text
    assert stranger.json()["type"] == PROBLEMS + "not-the-recipient"

    taken = await edge.post(
        f"/api/v1/transfers/{transfer['id']}/accept", headers=recipient, json={"token": token}
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "accepted"
    new_id = taken.json()["new_ticket_id"]
    repeat = await edge.post(
        f"/api/v1/transfers/{transfer['id']}/accept", headers=recipient, json={"token": token}
    )
    assert repeat.json()["new_ticket_id"] == new_id

    mine = (await edge.get("/api/v1/me/tickets", headers=recipient)).json()["items"]
    assert [t["id"] for t in mine] == [new_id]
    assert mine[0]["status"] == "valid"
    assert mine[0]["holder_name"] == "Rita Prueba"
    assert mine[0]["secret"]
    assert mine[0]["secret"] != old["secret"]
    revoked = (await edge.get(f"/api/v1/tickets/{old_id}", headers=sender)).json()
    assert (revoked["status"], revoked["revoked_reason"], revoked["secret"]) == (
        "revoked",
        "transferred",
        None,
    )
    theirs = {
        t["id"]: t["status"] for t in (await edge.get("/api/v1/me/tickets", headers=sender)).json()["items"]
    }
    assert theirs == {old_id: "revoked", order["ticket_ids"][1]: "valid"}
    assert (await edge.get(f"/api/v1/tickets/{new_id}", headers=sender)).status_code == 404
    closed = await edge.post(
        f"/api/v1/tickets/{old_id}/transfer", headers=sender, json={"email": recipient_address}
    )
    assert closed.json()["type"] == PROBLEMS + "ticket-revoked"

    await eventually(
        lambda: (
            len(mails_to(platform, recipient_address)) == 2 and len(mails_to(platform, sender_address)) >= 2
        ),
        within=30,
        what="both sides told the ticket was taken",
    )
    told = [m for m in mails_to(platform, sender_address) if "transfer" in str(m["Subject"]).lower()]
    assert len(told) == 1
    assert recipient_address in text_of(told[0])


async def test_the_sender_cancels_a_transfer_and_keeps_the_ticket(edge: httpx.AsyncClient) -> None:
    _, sender, order = await paid_tickets(edge)
    ticket_id = order["ticket_ids"][1]
    sent = (
        await edge.post(
            f"/api/v1/tickets/{ticket_id}/transfer", headers=sender, json={"email": "x@example.org"}
        )
    ).json()

    cancelled = await edge.delete(f"/api/v1/transfers/{sent['id']}", headers=sender)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    twice = await edge.delete(f"/api/v1/transfers/{sent['id']}", headers=sender)
    assert twice.status_code == 409
    assert twice.json()["type"] == PROBLEMS + "transfer-closed"
    ticket = (await edge.get(f"/api/v1/tickets/{ticket_id}", headers=sender)).json()
    assert ticket["status"] == "valid"
