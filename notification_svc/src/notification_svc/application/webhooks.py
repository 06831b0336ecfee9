"""Webhook use cases: managing an organization's endpoints, keeping the platform's messages for them,
and delivering (one attempt per call; the delivery loop decides when to call).

A message is kept once (its id is the primary key), then routed to the endpoints of its organization
as soon as that is known: order and catalog messages name it, a check-in names only the event, whose
organization the catalog's messages taught the map (routing waits for it, so an order racing ahead of
its event's catalog message is routed a moment later, not lost). A delivery is unique per
(endpoint, message): a replayed Kafka message delivers nothing twice.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import enum
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from notification_svc.application.ports import UnitOfWork
from notification_svc.application.webhook_ports import Organizations, WebhookTransport
from notification_svc.domain.commands import (
    CreateEndpoint,
    EndpointCommand,
    ListDeliveries,
    ListEndpoints,
    Redeliver,
    RedeliverRange,
    UpdateEndpoint,
    WebhookActor,
)
from notification_svc.domain.errors import InvalidCursor, NotAllowed
from notification_svc.domain.model import Message, Notification, notifications_for
from notification_svc.domain.webhooks import (
    OWNERSHIP_TYPES,
    WEBHOOK_TYPES,
    AttemptFailed,
    AttemptResult,
    Delivery,
    DeliveryNotFound,
    DeliveryStatus,
    DisabledNotice,
    DisabledReason,
    Endpoint,
    EndpointNotFound,
    EndpointStatus,
    InvalidEndpoint,
    NoticeRecipient,
    RetrySchedule,
    TargetRefused,
    disabled_notices,
    new_secret,
    note_attempt,
    organization_of,
    signature_header,
    validate_types,
    webhook_body,
)

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
UrlCheck = Callable[[str], object]  # raises InvalidEndpoint for a URL that may never be called
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_ENDPOINTS_PER_ORGANIZATION = 20
MAX_DESCRIPTION = 500
MAX_RANGE_REDELIVERIES = 1000
ROTATION_OVERLAP = dt.timedelta(hours=24)


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- authorization


def _organization_for(actor: WebhookActor, requested: uuid.UUID | None) -> uuid.UUID:
    if actor.is_admin:
        if requested is None:
            raise InvalidEndpoint("organization_id", "administrators name the organization")
        return requested
    if actor.organization_id is None or (requested is not None and requested != actor.organization_id):
        raise NotAllowed("only an organization's organizers and API clients manage its webhooks")
    return actor.organization_id


async def _own_endpoint(uow: UnitOfWork, actor: WebhookActor, endpoint_id: uuid.UUID) -> Endpoint:
    """The endpoint, locked; another organization's answers not found, as an unknown one."""
    endpoint = await uow.webhooks.endpoint(endpoint_id, for_update=True)
    if endpoint is None or not (actor.is_admin or actor.organization_id == endpoint.organization_id):
        raise EndpointNotFound(str(endpoint_id))
    return endpoint


def _description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION:
        raise InvalidEndpoint("description", f"must be at most {MAX_DESCRIPTION} characters")
    return text


# ---------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint and its signing secret, shown once (on create and on rotate)."""

    endpoint: Endpoint
    secret: str


async def create_endpoint(
    cmd: CreateEndpoint, uow: UnitOfWork, clock: Clock = system_clock, *, check_url: UrlCheck
) -> EndpointWithSecret:
    """Registers an endpoint for the organization's messages of the given types."""
    organization_id = _organization_for(cmd.actor, cmd.organization_id)
    check_url(cmd.url)
    now = clock()
    endpoint = Endpoint(
        id=uuid.uuid4(),
        organization_id=organization_id,
        url=cmd.url,
        types=validate_types(cmd.types),
        description=_description(cmd.description),
        secret=new_secret(),
        created_at=now,
        updated_at=now,
        created_by=cmd.actor.subject if cmd.actor.is_person else None,
    )
    async with uow:
        existing = await uow.webhooks.endpoints_page(
            organization_id, after=None, limit=MAX_ENDPOINTS_PER_ORGANIZATION
        )
        if len(existing) >= MAX_ENDPOINTS_PER_ORGANIZATION:
            raise InvalidEndpoint(
                "url", f"an organization has at most {MAX_ENDPOINTS_PER_ORGANIZATION} endpoints"
            )
        await uow.webhooks.add_endpoint(endpoint)
        await uow.commit()
    return EndpointWithSecret(endpoint, endpoint.secret)


async def get_endpoint(cmd: EndpointCommand, uow: UnitOfWork) -> Endpoint:
    async with uow:
        return await _own_endpoint(uow, cmd.actor, cmd.endpoint_id)


async def update_endpoint(
    cmd: UpdateEndpoint, uow: UnitOfWork, clock: Clock = system_clock, *, check_url: UrlCheck
) -> Endpoint:
    """Changes the URL, types, description, or turns it on or off (disabling fails what is pending)."""
    now = clock()
    async with uow:
        endpoint = await _own_endpoint(uow, cmd.actor, cmd.endpoint_id)
        if cmd.url is not None:
            check_url(cmd.url)
            endpoint.url = cmd.url
        if cmd.types is not None:
            endpoint.types = validate_types(cmd.types)
        if cmd.description is not None:
            endpoint.description = _description(cmd.description)
        if cmd.enabled is True and endpoint.status is EndpointStatus.DISABLED:
            endpoint.enable(now)
        elif cmd.enabled is False and endpoint.disable(DisabledReason.MANUAL, now):
            await uow.webhooks.give_up_pending(endpoint.id, "the endpoint was disabled")
        endpoint.updated_at = now
        await uow.webhooks.save_endpoint(endpoint)
        await uow.commit()
    return endpoint


async def delete_endpoint(cmd: EndpointCommand, uow: UnitOfWork) -> None:
    async with uow:
        endpoint = await _own_endpoint(uow, cmd.actor, cmd.endpoint_id)
        await uow.webhooks.remove_endpoint(endpoint.id)
        await uow.commit()


async def rotate_secret(
    cmd: EndpointCommand,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    overlap: dt.timedelta = ROTATION_OVERLAP,
) -> EndpointWithSecret:
    """A new secret; the previous one keeps signing beside it for ``overlap``."""
    now = clock()
    async with uow:
        endpoint = await _own_endpoint(uow, cmd.actor, cmd.endpoint_id)
        endpoint.rotate(new_secret(), now, overlap)
        await uow.webhooks.save_endpoint(endpoint)
        await uow.commit()
    return EndpointWithSecret(endpoint, endpoint.secret)


@dataclass(frozen=True)
class EndpointPage:
    endpoints: Sequence[Endpoint]
    next_page_token: str


async def list_endpoints(cmd: ListEndpoints, uow: UnitOfWork) -> EndpointPage:
    organization_id = (
        cmd.organization_id if cmd.actor.is_admin else _organization_for(cmd.actor, cmd.organization_id)
    )
    size = _page_size(cmd.page_size)
    after = uuid.UUID(_decode(cmd.page_token)[0]) if cmd.page_token else None
    async with uow:
        found = list(await uow.webhooks.endpoints_page(organization_id, after=after, limit=size + 1))
    following = _encode(str(found[size - 1].id)) if len(found) > size else ""
    return EndpointPage(found[:size], following)


# ---------------------------------------------------------------- deliveries (reading, redelivering)


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: Sequence[Delivery]
    next_page_token: str


async def list_deliveries(cmd: ListDeliveries, uow: UnitOfWork) -> DeliveryPage:
    """The endpoint's delivery log, newest first (keyset pagination)."""
    size = _page_size(cmd.page_size)
    before = None
    if cmd.page_token:
        at, ident = _decode(cmd.page_token)
        try:
            before = (dt.datetime.fromisoformat(at), uuid.UUID(ident))
        except ValueError:
            raise InvalidCursor(cmd.page_token) from None
    async with uow:
        endpoint = await _own_endpoint(uow, cmd.actor, cmd.endpoint_id)
        found = list(await uow.webhooks.deliveries_page(endpoint.id, before=before, limit=size + 1))
    last = found[size - 1] if len(found) > size else None
    following = _encode(last.created_at.isoformat(), str(last.id)) if last else ""
    return DeliveryPage(found[:size], following)


async def redeliver(cmd: Redeliver, uow: UnitOfWork, clock: Clock = system_clock) -> Delivery:
    """Attempts one delivery again, now, with a fresh retry window (the same ``webhook-id``)."""
    now = clock()
    async with uow:
        endpoint = await _own_endpoint(uow, cmd.actor, cmd.endpoint_id)
        delivery = await uow.webhooks.delivery(cmd.delivery_id, for_update=True)
        if delivery is None or delivery.endpoint_id != endpoint.id:
            raise DeliveryNotFound(str(cmd.delivery_id))
        delivery.redeliver(now)
        await uow.webhooks.save_delivery(delivery)
        await uow.commit()
    return delivery


async def redeliver_range(cmd: RedeliverRange, uow: UnitOfWork, clock: Clock = system_clock) -> int:
    """Attempts again every delivery created in [since, until) (at most MAX_RANGE_REDELIVERIES)."""
    if cmd.until <= cmd.since:
        raise InvalidEndpoint("until", "must be after since")
    now = clock()
    async with uow:
        endpoint = await _own_endpoint(uow, cmd.actor, cmd.endpoint_id)
        found = await uow.webhooks.deliveries_between(
            endpoint.id, cmd.since, cmd.until, MAX_RANGE_REDELIVERIES
        )
        for delivery in found:
            delivery.redeliver(now)
            await uow.webhooks.save_delivery(delivery)
        await uow.commit()
    return len(found)


# ---------------------------------------------------------------- messages


class Kept(enum.StrEnum):
    KEPT = "kept"  # kept for the organization's endpoints
    DUPLICATE = "duplicate"  # kept before: nothing new
    IGNORED = "ignored"  # no webhook for this type (its event's owner may still have been learned)


async def keep_message(message: Message, uow: UnitOfWork) -> Kept:
    """Learns whose event it is, and keeps the message once if it has a webhook type."""
    owner = organization_of(message)
    async with uow:
        if owner is not None and message.type in OWNERSHIP_TYPES | {"OrderPaid", "OrderRefunded"}:
            await uow.webhooks.record_owner(message.event_id, owner)
        kept = None
        if message.type in WEBHOOK_TYPES:
            kept = await uow.webhooks.add_message(message, owner)
        await uow.commit()
    if kept is None:
        return Kept.IGNORED
    return Kept.KEPT if kept else Kept.DUPLICATE


async def route_messages(uow: UnitOfWork, clock: Clock = system_clock, *, limit: int = 100) -> int:
    """Makes the deliveries of kept messages whose organization is known; returns how many messages."""
    now = clock()
    async with uow:
        found = await uow.webhooks.routable(limit)
        for routable in found:
            message = routable.message
            webhook_type = WEBHOOK_TYPES[message.type]
            try:
                body = webhook_body(message)
            except (KeyError, TypeError, ValueError, AttributeError):
                # A payload without what its schema promises: routed to nobody rather than blocking
                # every message behind it (the consumer checked the envelope, not the payload).
                log.warning("webhook body could not be built", extra={"message_id": str(message.message_id)})
                await uow.webhooks.mark_routed(message.message_id, now)
                continue
            endpoints = await uow.webhooks.endpoints_wanting(routable.organization_id, webhook_type)
            await uow.webhooks.add_deliveries(
                [
                    Delivery(
                        id=uuid.uuid5(endpoint.id, str(message.message_id)),
                        endpoint_id=endpoint.id,
                        message_id=message.message_id,
                        webhook_type=webhook_type,
                        body=body,
                        created_at=now,
                        next_attempt_at=now,
                    )
                    for endpoint in endpoints
                ]
            )
            await uow.webhooks.mark_routed(message.message_id, now)
        await uow.commit()
    return len(found)


# ---------------------------------------------------------------- attempts


@dataclass(frozen=True)
class Claimed:
    delivery: Delivery
    endpoint: Endpoint


async def claim_due(
    uow: UnitOfWork, clock: Clock = system_clock, *, limit: int, lease: dt.timedelta
) -> list[Claimed]:
    """Due deliveries, each pushed ``lease`` ahead so no other loop attempts it meanwhile; a process
    that dies mid-attempt leaves it to be attempted again when the lease ends (same ``webhook-id``)."""
    now = clock()
    claimed: list[Claimed] = []
    async with uow:
        for delivery in await uow.webhooks.due(now, limit):
            endpoint = await uow.webhooks.endpoint(delivery.endpoint_id)
            if endpoint is None or endpoint.status is not EndpointStatus.ENABLED:
                delivery.give_up("the endpoint is disabled")
            else:
                delivery.next_attempt_at = now + lease
                claimed.append(Claimed(delivery, endpoint))
            await uow.webhooks.save_delivery(delivery)
        await uow.commit()
    return claimed


@dataclass(frozen=True)
class AttemptReport:
    delivery: Delivery
    result: AttemptResult
    disabled: Endpoint | None  # the endpoint, when this attempt disabled it
    # The e-mails telling the organization (a message per recipient), recorded with the disabling:
    # the caller delivers each notification with the notice its ``message_id`` names.
    notices: tuple[DisabledNotice, ...] = ()
    notifications: tuple[Notification, ...] = ()

    def notice_of(self, notification: Notification) -> DisabledNotice:
        return next(notice for notice in self.notices if notice.message_id == notification.message_id)


async def attempt(
    claimed: Claimed,
    uow: UnitOfWork,
    clock: Clock = system_clock,
    *,
    transport: WebhookTransport,
    schedule: RetrySchedule,
    organizations: Organizations | None = None,
) -> AttemptReport:
    """POSTs one delivery, signed with every live secret of its endpoint, and records the outcome.

    When the attempt disables the endpoint, an e-mail is recorded for every organizer of its
    organization (asked of ``organizations`` before the transaction) and for the account that
    registered it; without organizers (or when identity_svc cannot say), for that account alone, or
    the operations mailbox."""
    endpoint = claimed.endpoint
    delivery = claimed.delivery
    now = clock()
    timestamp = int(now.timestamp())
    headers = {
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            endpoint.signing_secrets(now), delivery.webhook_id, timestamp, delivery.body
        ),
    }
    try:
        result = await transport.post(endpoint.url, headers, delivery.body)
    except TargetRefused as exc:
        result = AttemptResult(0, 0, error=f"refused: {exc}")
    except AttemptFailed as exc:
        result = AttemptResult(0, 0, error=exc.reason)
    if not result.succeeded and result.error is None:
        result = AttemptResult(
            result.status_code, result.latency_ms, result.response, f"answered {result.status_code}"
        )
    done = clock()
    organizers = await _organizers(organizations, endpoint, result, done, schedule)
    disabled = None
    notices: list[DisabledNotice] = []
    planned: list[Notification] = []
    async with uow:
        current = await uow.webhooks.delivery(delivery.id, for_update=True)
        fresh = await uow.webhooks.endpoint(endpoint.id, for_update=True)
        if current is None or fresh is None:  # deleted meanwhile
            return AttemptReport(delivery, result, None)
        current.record(result, done, schedule)
        if note_attempt(fresh, result, done, schedule):
            disabled = fresh
            await uow.webhooks.give_up_pending(
                fresh.id, f"the endpoint was disabled ({fresh.disabled_reason})"
            )
            if current.status is DeliveryStatus.PENDING:
                current.give_up(f"the endpoint was disabled ({fresh.disabled_reason})")
            for notice in disabled_notices(fresh, done, organizers):
                recorded = notifications_for(notice, done)
                if await uow.notifications.add_all(notice, recorded):
                    notices.append(notice)
                    planned.extend(recorded)
        await uow.webhooks.save_delivery(current)
        await uow.webhooks.save_endpoint(fresh)
        await uow.commit()
    return AttemptReport(current, result, disabled, tuple(notices), tuple(planned))


async def _organizers(
    organizations: Organizations | None,
    endpoint: Endpoint,
    result: AttemptResult,
    now: dt.datetime,
    schedule: RetrySchedule,
) -> Sequence[NoticeRecipient]:
    """The organizers to tell, asked only when this attempt would disable the endpoint (as last
    seen): identity_svc is not called inside the transaction. Empty when it cannot say."""
    if organizations is None or not note_attempt(copy.deepcopy(endpoint), result, now, schedule):
        return ()
    try:
        return await organizations.organizers(endpoint.organization_id)
    except Exception:  # the e-mail still goes to the registering account (or operations)
        log.warning(
            "the organizers of a disabled webhook endpoint's organization are unknown",
            extra={"endpoint_id": str(endpoint.id)},
            exc_info=True,
        )
        return ()


# ---------------------------------------------------------------- cursors


def _page_size(requested: int) -> int:
    if requested < 0 or requested > MAX_PAGE_SIZE:
        raise InvalidEndpoint("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    return requested or DEFAULT_PAGE_SIZE


def _encode(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def _decode(token: str) -> list[str]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidCursor(token) from None
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
        raise InvalidCursor(token)
    return parts
