"""Use cases against in-memory fakes: delivering each message once, one attempt at a time, and the
operators' list and retry of failed notifications."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from notification_fakes import (
    NOW,
    ORGANIZER,
    FakeChannel,
    FakeDirectory,
    FakeRenderer,
    FakeTicketDocuments,
    FakeUnitOfWork,
    clock,
    make_actor,
    make_envelope,
)

from notification_svc.application import handlers
from notification_svc.application.handlers import Acceptance, AttemptOutcome, DeliveryAttempt
from notification_svc.domain import commands
from notification_svc.domain.commands import Actor
from notification_svc.domain.errors import (
    DeliveryFailed,
    InvalidCursor,
    NotAllowed,
    NotificationNotFound,
    NotRetryable,
)
from notification_svc.domain.model import (
    INTERRUPTED_REASON,
    Notification,
    NotificationStatus,
    RecipientRole,
    RetryPolicy,
)
from taquilla_runtime.messaging.envelope import Envelope

pytestmark = pytest.mark.asyncio(loop_scope="session")
POLICY = RetryPolicy(max_attempts=3)
ORG, OPS = RecipientRole.ORGANIZER, RecipientRole.OPERATIONS
PENDING, SENT, FAILED, SKIPPED = (
    NotificationStatus.PENDING,
    NotificationStatus.SENT,
    NotificationStatus.FAILED,
    NotificationStatus.SKIPPED,
)


async def accept(
    uow: FakeUnitOfWork, envelope: Envelope, *, replay: bool = False
) -> handlers.AcceptedMessage:
    return await handlers.accept_message(commands.AcceptMessage(envelope, replay), uow, clock)


async def attempt(
    uow: FakeUnitOfWork,
    notification: Notification,
    envelope: Envelope,
    channel: FakeChannel,
    directory: FakeDirectory | None = None,
) -> DeliveryAttempt:
    return await handlers.attempt_delivery(
        commands.AttemptDelivery(notification, envelope),
        uow,
        clock,
        directory=directory or FakeDirectory(),
        renderer=FakeRenderer(),
        channel=channel,
        policy=POLICY,
        tickets=FakeTicketDocuments(),
    )


async def failed_notification(uow: FakeUnitOfWork, envelope: Envelope | None = None) -> Notification:
    """A message whose organizer's notification the channel refused for good."""
    envelope = envelope or make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    result = await attempt(
        uow, notification, envelope, FakeChannel(DeliveryFailed("SMTP 550", permanent=True))
    )
    assert result.outcome is AttemptOutcome.GAVE_UP
    return result.notification


# ---------------------------------------------------------------- messages


async def test_a_new_message_records_one_pending_notification_per_recipient() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope("EventPublished")
    accepted = await accept(uow, envelope)
    assert accepted.acceptance is Acceptance.DELIVER
    assert [n.recipient_role for n in accepted.pending] == [ORG, OPS]
    assert sorted(uow.statuses(envelope)) == sorted([(ORG, PENDING, 0), (OPS, PENDING, 0)])
    assert uow.inbox[envelope.message_id] == envelope
    assert all(n.created_at == NOW for n in accepted.pending)
    assert uow.commits == 1


async def test_a_message_is_delivered_once_however_often_it_arrives() -> None:
    uow = FakeUnitOfWork()
    channel = FakeChannel()
    envelope = make_envelope()
    for _ in range(3):
        accepted = await accept(uow, envelope)
        for notification in accepted.pending:
            await attempt(uow, notification, envelope, channel)
    assert len(channel.sent) == 1
    assert (await accept(uow, envelope)).acceptance is Acceptance.DUPLICATE
    assert uow.statuses(envelope) == [(ORG, SENT, 1)]


async def test_a_redelivered_message_delivers_what_a_crash_left_pending() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    first = await accept(uow, envelope)  # the consumer died before delivering
    again = await accept(uow, envelope)
    assert again.acceptance is Acceptance.DELIVER
    assert [n.id for n in again.pending] == [n.id for n in first.pending]


async def test_types_nobody_is_told_about_are_ignored_without_recording_them() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope("EventUpdated")
    accepted = await accept(uow, envelope)
    assert accepted.acceptance is Acceptance.IGNORED
    assert accepted.pending == ()
    assert uow.inbox == {}
    assert uow.commits == 0


async def test_a_replayed_message_reopens_its_failed_notifications_only() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    await failed_notification(uow, envelope)
    assert (await accept(uow, envelope)).acceptance is Acceptance.DUPLICATE
    replayed = await accept(uow, envelope, replay=True)
    assert replayed.acceptance is Acceptance.DELIVER
    assert uow.statuses(envelope) == [(ORG, PENDING, 1)]


# ---------------------------------------------------------------- one attempt


async def test_a_delivered_notification_is_marked_sent_with_its_attempt() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    channel = FakeChannel()
    result = await attempt(uow, notification, envelope, channel)
    assert result.outcome is AttemptOutcome.SENT
    assert (result.notification.status, result.notification.attempts) == (SENT, 1)
    assert channel.sent == [(notification.id, ORGANIZER.address, "EventCreated:es:Noche de Jazz")]
    assert uow.statuses(envelope) == [(ORG, SENT, 1)]
    assert notification.status is PENDING, "the command's notification is left as it was"


async def test_a_failing_channel_returns_a_retryable_attempt_without_marking_the_notification_sent() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    result = await attempt(uow, notification, envelope, FakeChannel(DeliveryFailed("SMTP 451")))
    assert result.outcome is AttemptOutcome.RETRYABLE
    assert result.reason == "SMTP 451"
    assert uow.statuses(envelope) == [(ORG, PENDING, 1)]
    assert uow.stored[notification.id].last_error == "SMTP 451"


async def test_the_last_allowed_attempt_gives_the_notification_up() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    channel = FakeChannel(*(DeliveryFailed("SMTP 451") for _ in range(POLICY.max_attempts)))
    outcomes = []
    for _ in range(POLICY.max_attempts):
        result = await attempt(uow, notification, envelope, channel)
        outcomes.append(result.outcome)
        notification = result.notification
    assert outcomes == [AttemptOutcome.RETRYABLE, AttemptOutcome.RETRYABLE, AttemptOutcome.GAVE_UP]
    assert uow.statuses(envelope) == [(ORG, FAILED, 3)]
    assert channel.sent == []


async def test_a_permanent_refusal_gives_up_at_once() -> None:
    uow = FakeUnitOfWork()
    notification = await failed_notification(uow)
    assert (notification.status, notification.attempts, notification.last_error) == (FAILED, 1, "SMTP 550")


async def test_an_unexpected_failure_counts_as_an_attempt_named_by_its_type() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    result = await attempt(uow, notification, envelope, FakeChannel(KeyError("secret@example.org")))
    assert (result.outcome, result.reason) == (AttemptOutcome.RETRYABLE, "KeyError")


async def test_an_unavailable_recipient_skips_the_notification_and_sends_nothing() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope("EventPublished")
    channel = FakeChannel()
    directory = FakeDirectory(unavailable=[ORG])
    results = [
        await attempt(uow, n, envelope, channel, directory) for n in (await accept(uow, envelope)).pending
    ]
    assert [r.outcome for r in results] == [AttemptOutcome.SKIPPED, AttemptOutcome.SENT]
    assert sorted(uow.statuses(envelope)) == sorted([(ORG, SKIPPED, 0), (OPS, SENT, 1)])
    assert results[0].notification.last_error == "the organizer is inactive"
    assert len(channel.sent) == 1


# ---------------------------------------------------------------- operators


async def test_admins_list_failed_notifications_newest_first_a_page_at_a_time() -> None:
    uow = FakeUnitOfWork()
    failed = []
    for minutes in range(3):
        envelope = make_envelope()
        later = NOW + dt.timedelta(minutes=minutes)
        await handlers.accept_message(commands.AcceptMessage(envelope), uow, lambda at=later: at)
        (notification,) = await uow.notifications.for_message(envelope.message_id)
        result = await attempt(
            uow, notification, envelope, FakeChannel(DeliveryFailed("SMTP 550", permanent=True))
        )
        failed.append(result.notification.id)
    await accept(uow, make_envelope())  # pending: not listed
    admin = make_actor()

    first = await handlers.list_notifications(
        commands.ListNotifications(admin, status=FAILED, page_size=2), uow
    )
    assert [n.id for n in first.notifications] == failed[:0:-1]
    assert first.next_page_token
    second = await handlers.list_notifications(
        commands.ListNotifications(admin, status=FAILED, page_size=2, page_token=first.next_page_token), uow
    )
    assert [n.id for n in second.notifications] == failed[:1]
    assert second.next_page_token == ""


async def test_notifications_are_listed_by_event() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope("EventPublished")
    await accept(uow, envelope)
    await accept(uow, make_envelope())
    page = await handlers.list_notifications(
        commands.ListNotifications(make_actor(), event_id=envelope.event_id), uow
    )
    assert {n.recipient_role for n in page.notifications} == {ORG, OPS}


@pytest.mark.parametrize("actor", [make_actor(admin=False), None])
async def test_only_admins_list_notifications(actor: Actor | None) -> None:
    with pytest.raises(NotAllowed):
        await handlers.list_notifications(commands.ListNotifications(actor), FakeUnitOfWork())


async def test_a_page_token_this_service_did_not_issue_is_refused_to_admins_only() -> None:
    with pytest.raises(InvalidCursor):
        await handlers.list_notifications(
            commands.ListNotifications(make_actor(), page_token="not-a-token"), FakeUnitOfWork()
        )
    with pytest.raises(NotAllowed):
        await handlers.list_notifications(
            commands.ListNotifications(make_actor(admin=False), page_token="not-a-token"),
            FakeUnitOfWork(),
        )


async def test_retrying_a_failed_notification_reopens_it_with_its_message() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    failed = await failed_notification(uow, envelope)
    later = NOW + dt.timedelta(hours=1)
    reopened = await handlers.retry_notification(
        commands.RetryNotification(make_actor(), failed.id), uow, lambda: later
    )
    assert reopened.envelope == envelope
    assert (reopened.notification.status, reopened.notification.updated_at) == (PENDING, later)
    assert uow.statuses(envelope) == [(ORG, PENDING, 1)]
    channel = FakeChannel()
    result = await attempt(uow, reopened.notification, reopened.envelope, channel)
    assert (result.outcome, result.notification.attempts) == (AttemptOutcome.SENT, 2)
    assert len(channel.sent) == 1


async def test_only_failed_notifications_can_be_retried() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    await attempt(uow, notification, envelope, FakeChannel())
    commits = uow.commits
    with pytest.raises(NotRetryable, match="this one is sent"):
        await handlers.retry_notification(
            commands.RetryNotification(make_actor(), notification.id), uow, clock
        )
    assert uow.commits == commits


async def test_a_notification_whose_message_is_no_longer_kept_cannot_be_retried() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    failed = await failed_notification(uow, envelope)
    del uow.inbox[envelope.message_id]
    with pytest.raises(NotRetryable, match="no longer kept"):
        await handlers.retry_notification(commands.RetryNotification(make_actor(), failed.id), uow, clock)
    assert uow.statuses(envelope) == [(ORG, FAILED, 1)]


async def test_retrying_an_unknown_notification_is_not_found() -> None:
    with pytest.raises(NotificationNotFound):
        await handlers.retry_notification(
            commands.RetryNotification(make_actor(), uuid.uuid4()), FakeUnitOfWork(), clock
        )


async def test_only_admins_retry_notifications() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    failed = await failed_notification(uow, envelope)
    for actor in (make_actor(admin=False), None):
        with pytest.raises(NotAllowed):
            await handlers.retry_notification(commands.RetryNotification(actor, failed.id), uow, clock)
    assert uow.statuses(envelope) == [(ORG, FAILED, 1)]


# ---------------------------------------------------------------- the sending lease


class DyingChannel(FakeChannel):
    """Hands the e-mail over, then the process dies before the outcome is recorded."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__()
        self.uow = uow
        self.leases: list[dt.datetime | None] = []

    async def send(self, notification, contact, message) -> None:  # type: ignore[no-untyped-def]
        self.leases.append(self.uow.stored[notification.id].sending_since)
        await super().send(notification, contact, message)
        raise asyncio.CancelledError  # SIGKILL, as far as this attempt can tell


async def attempt_at(
    uow: FakeUnitOfWork, notification: Notification, envelope: Envelope, channel: FakeChannel, at: dt.datetime
) -> DeliveryAttempt:
    return await handlers.attempt_delivery(
        commands.AttemptDelivery(notification, envelope),
        uow,
        lambda: at,
        directory=FakeDirectory(),
        renderer=FakeRenderer(),
        channel=channel,
        policy=POLICY,
        tickets=FakeTicketDocuments(),
    )


async def test_the_sending_lease_is_committed_before_the_channel_and_cleared_with_the_outcome() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    dying = DyingChannel(uow)

    with pytest.raises(asyncio.CancelledError):
        await attempt(uow, notification, envelope, dying)

    assert dying.leases == [NOW], "the lease was durable while the channel had the e-mail"
    assert uow.stored[notification.id].sending_since == NOW
    assert uow.statuses(envelope) == [(ORG, PENDING, 0)]


async def test_an_attempt_that_died_while_sending_is_not_sent_again_but_given_up_for_an_operator() -> None:
    uow = FakeUnitOfWork()
    envelope = make_envelope()
    (notification,) = (await accept(uow, envelope)).pending
    with pytest.raises(asyncio.CancelledError):
        await attempt(uow, notification, envelope, DyingChannel(uow))
    channel = FakeChannel()

    # Within the lease, whoever gets the message again waits: the first attempt may still be sending.
    busy = await attempt_at(uow, notification, envelope, channel, NOW + dt.timedelta(seconds=60))
    assert busy.outcome is AttemptOutcome.BUSY
    # After it, the e-mail may or may not have gone out: it is not sent a second time.
    given_up = await attempt_at(uow, notification, envelope, channel, NOW + dt.timedelta(seconds=121))
    assert given_up.outcome is AttemptOutcome.GAVE_UP
    assert given_up.reason == INTERRUPTED_REASON
    assert channel.sent == []
    stored = uow.stored[notification.id]
    assert (stored.status, stored.sending_since, stored.last_error) == (FAILED, None, INTERRUPTED_REASON)

    # An operator who finds the recipient did not get it retries: the lease is gone, it is sent.
    reopened = await handlers.retry_notification(
        commands.RetryNotification(actor=make_actor(), notification_id=notification.id), uow, clock
    )
    sent = await attempt(uow, reopened.notification, envelope, channel)
    assert sent.outcome is AttemptOutcome.SENT
    assert len(channel.sent) == 1
