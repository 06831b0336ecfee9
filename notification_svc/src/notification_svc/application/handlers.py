"""Notification use cases: one async function per command, each one transaction.

A message's notifications are recorded once (the inbox's primary key is the idempotency check), then
delivered one attempt at a time: each attempt is its own handler call, so the entrypoints decide when
to try again (backoff with jitter) and what to count; the handler only records what happened.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notification_svc.application.ports import (
    ChannelSender,
    Contact,
    Directory,
    Enclosure,
    OrderTickets,
    RenderedMessage,
    Renderer,
    TicketDocuments,
    UnitOfWork,
)
from notification_svc.domain.commands import (
    AcceptMessage,
    Actor,
    AttemptDelivery,
    ListNotifications,
    RetryNotification,
)
from notification_svc.domain.errors import (
    DeliveryFailed,
    DependencyUnavailable,
    InvalidCursor,
    NotAllowed,
    NotificationNotFound,
    NotRetryable,
    RecipientUnavailable,
)
from notification_svc.domain.model import (
    AUDIENCES,
    ENCLOSES_TICKETS,
    INTERRUPTED_REASON,
    Message,
    Notification,
    NotificationStatus,
    RetryPolicy,
    SendingState,
    notifications_for,
)

Clock = Callable[[], dt.datetime]
DEFAULT_PAGE_SIZE = 50


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- messages


class Acceptance(enum.StrEnum):
    DELIVER = "deliver"  # notifications are pending: deliver them
    DUPLICATE = "duplicate"  # handled before: nothing to send
    IGNORED = "ignored"  # a type nobody is notified about


@dataclass(frozen=True, slots=True)
class AcceptedMessage:
    acceptance: Acceptance
    pending: tuple[Notification, ...] = ()


async def accept_message(cmd: AcceptMessage, uow: UnitOfWork, clock: Clock = system_clock) -> AcceptedMessage:
    """Records the message's notifications once, however often it arrives; returns those to deliver.

    A redelivered message has nothing pending (DUPLICATE), unless a crash came between recording and
    delivering: its PENDING notifications are delivered now. A replay from the dead-letter topic
    reopens the FAILED ones first.
    """
    if not AUDIENCES.get(cmd.envelope.type):
        return AcceptedMessage(Acceptance.IGNORED)
    now = clock()
    message_id = cmd.envelope.message_id
    async with uow:
        existing = list(await uow.notifications.for_message(message_id, for_update=True))
        if not existing:
            planned = notifications_for(cmd.envelope, now)
            if await uow.notifications.add_all(cmd.envelope, planned):
                await uow.commit()
                return AcceptedMessage(Acceptance.DELIVER, tuple(planned))
            # Another consumer recorded it in the meantime.
            existing = list(await uow.notifications.for_message(message_id, for_update=True))
        if cmd.replay:
            for notification in existing:
                if notification.status is NotificationStatus.FAILED:
                    notification.reopen(now)
                    await uow.notifications.save(notification)
        await uow.commit()
    pending = tuple(n for n in existing if n.status is NotificationStatus.PENDING)
    return AcceptedMessage(Acceptance.DELIVER if pending else Acceptance.DUPLICATE, pending)


# ---------------------------------------------------------------- delivery


class AttemptOutcome(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # the recipient cannot be reached: nothing to retry
    RETRYABLE = "retryable"  # failed; attempts remain
    GAVE_UP = "gave_up"  # failed for good (permanent, or out of attempts): the notification is FAILED
    HANDLED_BEFORE = "handled_before"  # no longer pending (another consumer got there first): nothing sent
    BUSY = "busy"  # another attempt is handing it to the channel right now: try again later


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    outcome: AttemptOutcome
    notification: Notification  # as saved after this attempt
    reason: str | None = None


async def attempt_delivery(
    cmd: AttemptDelivery,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    directory: Directory,
    renderer: Renderer,
    channel: ChannelSender,
    policy: RetryPolicy,
    tickets: TicketDocuments,
) -> DeliveryAttempt:
    """Tries once to deliver the notification and saves the outcome.

    The e-mail is made first (recipient, tickets, template); then a sending lease is committed, the
    channel is called outside any transaction, and the outcome is recorded. A process that dies
    between the two leaves the lease behind: whoever finds it expired gives the notification up as
    interrupted (it may have been delivered) instead of sending it a second time, and whoever finds
    it live (``BUSY``) tries again later.

    A service that the delivery needs being away (``DependencyUnavailable``) is raised to the caller,
    with nothing counted or saved. A channel, template, directory or ticket failure counts as an
    attempt; the notification is given up (FAILED) when the failure is permanent or it was the
    policy's last attempt. An unreachable recipient skips it. An order confirmation is sent only with
    its tickets: while they cannot be had, the attempt fails and nothing is sent. A notification no
    longer pending (sent, skipped or given up by another consumer of the same message) is left as it
    is. Sleeping before the next attempt is the caller's business.
    """
    prepared = await _prepare(
        cmd, uow, clock, directory=directory, renderer=renderer, policy=policy, tickets=tickets
    )
    if isinstance(prepared, DeliveryAttempt):
        return prepared
    notification, contact, message = prepared
    try:
        await channel.send(notification, contact, message)
    except Exception as exc:  # the channel refused or failed: counted, and retried or given up
        failure: Exception | None = exc
    else:
        failure = None
    async with uow:
        current = await uow.notifications.get(notification.id, for_update=True)
        if current is None or current.status is not NotificationStatus.PENDING:  # an operator's hand
            return DeliveryAttempt(AttemptOutcome.HANDLED_BEFORE, current or notification)
        if failure is None:
            current.record_sent(clock())
            return await _saved(uow, current, AttemptOutcome.SENT, None)
        outcome, reason = _failed(current, failure, clock(), policy)
        return await _saved(uow, current, outcome, reason)


async def _prepare(
    cmd: AttemptDelivery,
    uow: UnitOfWork,
    clock: Clock,
    *,
    directory: Directory,
    renderer: Renderer,
    policy: RetryPolicy,
    tickets: TicketDocuments,
) -> DeliveryAttempt | tuple[Notification, Contact, RenderedMessage]:
    """The e-mail to send, with the sending lease committed; or how the attempt ended without it."""
    envelope = cmd.envelope
    async with uow:
        # Locked while this attempt decides: another consumer of the same message (a redelivery
        # during a rebalance) waits here, then finds it handled, or sending, and sends nothing.
        notification = await uow.notifications.get(cmd.notification.id, for_update=True)
        if notification is None or notification.status is not NotificationStatus.PENDING:
            return DeliveryAttempt(AttemptOutcome.HANDLED_BEFORE, notification or cmd.notification)
        now = clock()
        state = notification.sending_state(now, policy.sending_lease)
        if state is SendingState.BUSY:
            return DeliveryAttempt(AttemptOutcome.BUSY, notification)
        if state is SendingState.INTERRUPTED:
            notification.give_up_interrupted(now)
            return await _saved(uow, notification, AttemptOutcome.GAVE_UP, INTERRUPTED_REASON)
        try:
            contact = await directory.contact(notification.recipient_role, envelope.payload)
            enclosed = await _tickets_of(envelope, tickets) if envelope.type in ENCLOSES_TICKETS else None
            context = _context(envelope, contact.name, enclosed, role=notification.recipient_role.value)
            message = renderer.render(envelope.type, contact.locale, context)
            if enclosed is not None:
                message = dataclasses.replace(message, enclosures=_enclosures(envelope, enclosed))
        except DependencyUnavailable:
            raise  # nothing counted or saved: the caller waits for the service and tries again
        except RecipientUnavailable as exc:
            notification.skip(str(exc), clock())
            return await _saved(uow, notification, AttemptOutcome.SKIPPED, str(exc))
        except Exception as exc:  # template, directory or ticket failure: the caller may retry
            outcome, reason = _failed(notification, exc, clock(), policy)
            return await _saved(uow, notification, outcome, reason)
        notification.begin_sending(now)
        await uow.notifications.save(notification)
        await uow.commit()
    return notification, contact, message


def _failed(
    notification: Notification, exc: Exception, now: dt.datetime, policy: RetryPolicy
) -> tuple[AttemptOutcome, str]:
    """Counts a failed attempt: given up when permanent or the policy's last, else retryable."""
    permanent = isinstance(exc, DeliveryFailed) and exc.permanent
    reason = exc.reason if isinstance(exc, DeliveryFailed) else type(exc).__name__
    notification.record_failure(reason, now)
    if permanent or notification.attempts >= policy.max_attempts:
        notification.give_up(now)
        return AttemptOutcome.GAVE_UP, reason
    return AttemptOutcome.RETRYABLE, reason


async def _saved(
    uow: UnitOfWork, notification: Notification, outcome: AttemptOutcome, reason: str | None
) -> DeliveryAttempt:
    await uow.notifications.save(notification)
    await uow.commit()
    return DeliveryAttempt(outcome, notification, reason)


async def _tickets_of(envelope: Message, tickets: TicketDocuments) -> OrderTickets:
    order_id = str(envelope.payload.get("order", {}).get("id", ""))
    ticket_ids = [str(t.get("id", "")) for t in envelope.payload.get("tickets", [])]
    if not order_id or not ticket_ids:
        raise DeliveryFailed("the message names no order or no tickets", permanent=True)
    return await tickets.for_order(order_id, ticket_ids)


def _enclosures(envelope: Message, enclosed: OrderTickets) -> tuple[Enclosure, ...]:
    """Each ticket's QR code in the order the e-mail lists them, then the PDF."""
    ids = [str(t.get("id", "")) for t in envelope.payload.get("tickets", [])]
    return (*(enclosed.qr_codes[i] for i in ids if i in enclosed.qr_codes), enclosed.pdf)


def _context(
    envelope: Message, recipient_name: str, enclosed: OrderTickets | None = None, *, role: str = ""
) -> dict[str, Any]:
    payload = envelope.payload
    # Messages about orders name the catalog event only in the envelope.
    event = payload.get("event") or {"id": str(envelope.event_id), "name": envelope.name}
    context: dict[str, Any] = {
        "event": event,
        "recipient_name": recipient_name,
        "starts_at": event.get("startsAt", ""),
        "type": envelope.type,
        "correlation_id": str(envelope.correlation_id),
    }
    if "order" in payload:
        qr_codes = enclosed.qr_codes if enclosed is not None else {}
        context["order"] = payload["order"]
        context["tickets"] = [
            # "qr": the content id of the ticket's inline QR code, empty when it has none.
            {**ticket, "qr": qr.content_id if (qr := qr_codes.get(str(ticket.get("id")))) else ""}
            for ticket in payload.get("tickets", [])
        ]
        context["refund"] = payload.get("refund", {})
    if "transfer" in payload:
        # "sender" or "recipient": TicketTransferred tells both, each their own way.
        context["role"] = role
        context["transfer"] = payload["transfer"]
        context["ticket"] = payload.get("ticket", {})
        context["token"] = payload.get("token", "")
    if "offer" in payload:
        context["offer"] = payload["offer"]
    if "endpoint" in payload:
        context["endpoint"] = payload["endpoint"]
    return context


# ---------------------------------------------------------------- operators


@dataclass(frozen=True, slots=True)
class NotificationPage:
    notifications: tuple[Notification, ...]
    next_page_token: str  # empty on the last page


async def list_notifications(cmd: ListNotifications, uow: UnitOfWork) -> NotificationPage:
    """A page of notifications, newest first, for administrators."""
    _require_admin(cmd.actor)
    limit = cmd.page_size or DEFAULT_PAGE_SIZE
    # The token is read after the caller is checked: a non-administrator learns nothing, not even that.
    before = _uncursor(cmd.page_token)
    async with uow:
        rows = await uow.notifications.page(
            status=cmd.status, event_id=cmd.event_id, before=before, limit=limit + 1
        )
    page = tuple(rows[:limit])
    return NotificationPage(page, _cursor(page[-1]) if len(rows) > limit else "")


@dataclass(frozen=True, slots=True)
class Reopened:
    """A notification open for delivery again, with the message to build it from."""

    notification: Notification
    envelope: Message


async def retry_notification(
    cmd: RetryNotification, uow: UnitOfWork, clock: Clock = system_clock
) -> Reopened:
    """Reopens a failed notification for an administrator; the caller then delivers it."""
    _require_admin(cmd.actor)
    async with uow:
        notification = await uow.notifications.get(cmd.notification_id, for_update=True)
        if notification is None:
            raise NotificationNotFound("notification not found")
        if notification.status is not NotificationStatus.FAILED:
            raise NotRetryable(
                f"only failed notifications can be retried; this one is {notification.status.value}"
            )
        envelope = await uow.notifications.envelope(notification.message_id)
        if envelope is None:
            raise NotRetryable("the original message is no longer kept")
        notification.reopen(clock())
        await uow.notifications.save(notification)
        await uow.commit()
    return Reopened(notification, envelope)


def _require_admin(actor: Actor | None) -> None:
    if actor is None or not actor.is_admin:
        raise NotAllowed("administrators only")


def _cursor(notification: Notification) -> str:
    raw = json.dumps([notification.created_at.isoformat(), str(notification.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _uncursor(token: str) -> tuple[dt.datetime, uuid.UUID] | None:
    if not token:
        return None
    try:
        created_at, notification_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return dt.datetime.fromisoformat(created_at), uuid.UUID(notification_id)
    except (ValueError, TypeError):
        raise InvalidCursor("cursor") from None
