"""Webhook use cases over in-memory fakes: who may manage endpoints, keeping and routing messages
once, attempts and their outcomes, the delivery log and redelivery."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from notification_factories import make_order_envelope
from webhook_fakes import FakeOrganizations, ScriptedTransport, WebhookUnitOfWork

from devstack.samples import catalog_message
from notification_svc.adapters.directory import IdentityDirectory
from notification_svc.application import webhooks as handlers
from notification_svc.application.ports import Contact
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
from notification_svc.domain.errors import DependencyUnavailable, NotAllowed
from notification_svc.domain.model import RecipientRole
from notification_svc.domain.webhooks import (
    AttemptFailed,
    DeliveryStatus,
    EndpointNotFound,
    EndpointStatus,
    InvalidEndpoint,
    NoticeRecipient,
    RetrySchedule,
    TargetRefused,
)
from taquilla_runtime.messaging.envelope import Envelope

pytestmark = pytest.mark.asyncio(loop_scope="session")

NOW = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)
SCHEDULE = RetrySchedule(jitter=lambda low, high: high)
LEASE = dt.timedelta(minutes=1)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def accept_any_url(url: str) -> None:
    if "bad" in url:
        raise InvalidEndpoint("url", "is bad")


def organizer(organization_id: uuid.UUID) -> WebhookActor:
    return WebhookActor(subject=uuid.uuid4(), organization_id=organization_id)


async def register(
    uow: WebhookUnitOfWork, organization_id: uuid.UUID, *types: str
) -> handlers.EndpointWithSecret:
    return await handlers.create_endpoint(
        CreateEndpoint(organizer(organization_id), "https://hooks.example.com/t", types or ("order.paid",)),
        uow,
        Clock(),
        check_url=accept_any_url,
    )


def paid_order(organization_id: uuid.UUID) -> Envelope:
    envelope = make_order_envelope("OrderPaid")
    envelope.payload["order"]["organizationId"] = str(organization_id)
    return envelope


async def deliver_all(uow: WebhookUnitOfWork, transport: ScriptedTransport, clock: Clock) -> None:
    await handlers.route_messages(uow, clock)
    for claimed in await handlers.claim_due(uow, clock, limit=10, lease=LEASE):
        await handlers.attempt(claimed, uow, clock, transport=transport, schedule=SCHEDULE)


# ---------------------------------------------------------------- managing endpoints


async def test_an_organizer_registers_an_endpoint_and_sees_its_secret_once() -> None:
    uow, org = WebhookUnitOfWork(), uuid.uuid4()
    created = await register(uow, org, "order.paid", "ticket.checked_in")
    assert created.secret.startswith("whsec_")
    assert created.endpoint.organization_id == org
    page = await handlers.list_endpoints(ListEndpoints(organizer(org)), uow)
    assert [e.id for e in page.endpoints] == [created.endpoint.id]


async def test_an_api_client_of_the_organization_manages_it_and_has_no_mailbox() -> None:
    uow, org = WebhookUnitOfWork(), uuid.uuid4()
    client = WebhookActor(subject=uuid.uuid4(), organization_id=org, is_person=False)
    created = await handlers.create_endpoint(
        CreateEndpoint(client, "https://hooks.example.com/t", ("order.paid",)), uow, check_url=accept_any_url
    )
    assert created.endpoint.created_by is None


async def test_another_organization_sees_the_endpoint_as_unknown() -> None:
    uow = WebhookUnitOfWork()
    created = await register(uow, uuid.uuid4())
    with pytest.raises(EndpointNotFound):
        await handlers.get_endpoint(EndpointCommand(organizer(uuid.uuid4()), created.endpoint.id), uow)


async def test_someone_without_an_organization_may_not_register() -> None:
    with pytest.raises(NotAllowed):
        await handlers.create_endpoint(
            CreateEndpoint(WebhookActor(uuid.uuid4(), None), "https://h.example.com", ("order.paid",)),
            WebhookUnitOfWork(),
            check_url=accept_any_url,
        )


async def test_refuses_a_url_the_guard_refuses_and_unknown_types() -> None:
    uow, org = WebhookUnitOfWork(), uuid.uuid4()
    with pytest.raises(InvalidEndpoint):
        await handlers.create_endpoint(
            CreateEndpoint(organizer(org), "https://bad.example.com", ("order.paid",)),
            uow,
            check_url=accept_any_url,
        )
    with pytest.raises(InvalidEndpoint):
        await handlers.create_endpoint(
            CreateEndpoint(organizer(org), "https://ok.example.com", ("order.lost",)),
            uow,
            check_url=accept_any_url,
        )


async def test_rotating_keeps_the_old_secret_signing_for_a_day() -> None:
    uow, org = WebhookUnitOfWork(), uuid.uuid4()
    created = await register(uow, org)
    clock = Clock()
    rotated = await handlers.rotate_secret(EndpointCommand(organizer(org), created.endpoint.id), uow, clock)
    assert rotated.secret != created.secret
    assert rotated.endpoint.signing_secrets(NOW + dt.timedelta(hours=23)) == [rotated.secret, created.secret]
    assert rotated.endpoint.signing_secrets(NOW + dt.timedelta(hours=24)) == [rotated.secret]


async def test_disabling_by_hand_fails_what_is_pending_and_enabling_starts_afresh() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    created = await register(uow, org)
    await handlers.keep_message(paid_order(org), uow)
    await handlers.route_messages(uow, clock)
    command = UpdateEndpoint(organizer(org), created.endpoint.id, enabled=False)
    updated = await handlers.update_endpoint(command, uow, clock, check_url=accept_any_url)
    assert updated.status is EndpointStatus.DISABLED
    assert [d.status for d in uow.deliveries()] == [DeliveryStatus.FAILED]
    command = UpdateEndpoint(organizer(org), created.endpoint.id, enabled=True, types=("order.refunded",))
    updated = await handlers.update_endpoint(command, uow, clock, check_url=accept_any_url)
    assert updated.status is EndpointStatus.ENABLED
    assert updated.types == {"order.refunded"}


# ---------------------------------------------------------------- messages to deliveries


async def test_a_paid_order_is_delivered_once_to_each_endpoint_wanting_it() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    wanting = await register(uow, org, "order.paid")
    await register(uow, org, "order.refunded")
    await register(uow, uuid.uuid4(), "order.paid")  # another organization's
    envelope = paid_order(org)
    assert await handlers.keep_message(envelope, uow) is handlers.Kept.KEPT
    assert await handlers.keep_message(envelope, uow) is handlers.Kept.DUPLICATE  # a replay
    transport = ScriptedTransport(200)
    await deliver_all(uow, transport, clock)
    await deliver_all(uow, transport, clock)
    assert [c.url for c in transport.calls] == [wanting.endpoint.url]
    [delivery] = uow.deliveries()
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert transport.calls[0].headers["webhook-id"] == f"msg_{envelope.message_id.hex}"


async def test_a_check_in_waits_for_its_events_organization_then_is_delivered() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    await register(uow, org, "ticket.checked_in")
    checkin = Envelope.new(
        event_id=uuid.uuid4(),
        name="Concierto",
        type="TicketCheckedIn",
        payload={"admission": {"ticketId": str(uuid.uuid4()), "direction": "entry"}},
    )
    await handlers.keep_message(checkin, uow)
    assert await handlers.route_messages(uow, clock) == 0  # nobody knows whose event it is yet
    created = catalog_message("EventCreated", id=str(checkin.event_id), organizationId=str(org))
    assert await handlers.keep_message(created, uow) is handlers.Kept.IGNORED  # learnt, not delivered
    transport = ScriptedTransport(204)
    await deliver_all(uow, transport, clock)
    assert len(transport.calls) == 1
    assert b'"type":"ticket.checked_in"' in transport.calls[0].body


async def test_a_failed_attempt_is_retried_with_backoff_and_the_same_webhook_id() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    await register(uow, org)
    await handlers.keep_message(paid_order(org), uow)
    transport = ScriptedTransport(500, AttemptFailed("connection refused"), 200)
    await deliver_all(uow, transport, clock)
    [delivery] = uow.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert len(delivery.last_response or "") == 1024
    assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=5)
    clock.advance(seconds=4)
    await deliver_all(uow, transport, clock)
    assert len(transport.calls) == 1  # not due yet
    clock.advance(seconds=1)
    await deliver_all(uow, transport, clock)
    [delivery] = uow.deliveries()
    assert delivery.last_error == "connection refused"
    assert delivery.next_attempt_at == clock.now + dt.timedelta(seconds=10)
    clock.advance(seconds=10)
    await deliver_all(uow, transport, clock)
    assert uow.deliveries()[0].status is DeliveryStatus.SUCCEEDED
    ids = {c.headers["webhook-id"] for c in transport.calls}
    stamps = [c.headers["webhook-timestamp"] for c in transport.calls]
    assert len(ids) == 1
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3


async def test_410_gone_disables_the_endpoint() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    created = await register(uow, org)
    await handlers.keep_message(paid_order(org), uow)
    await handlers.keep_message(paid_order(org), uow)
    await handlers.route_messages(uow, clock)
    transport = ScriptedTransport(410)
    reports = [
        await handlers.attempt(c, uow, clock, transport=transport, schedule=SCHEDULE)
        for c in await handlers.claim_due(uow, clock, limit=1, lease=LEASE)
    ]
    assert reports[0].disabled is not None
    assert uow.endpoint_status(created.endpoint.id) is EndpointStatus.DISABLED
    assert {d.status for d in uow.deliveries()} == {DeliveryStatus.FAILED}
    assert await handlers.claim_due(uow, clock, limit=10, lease=LEASE) == []


async def disable_by_410(
    uow: WebhookUnitOfWork, org: uuid.UUID, organizations: FakeOrganizations
) -> handlers.AttemptReport:
    await handlers.keep_message(paid_order(org), uow)
    await handlers.route_messages(uow, Clock())
    [claimed] = await handlers.claim_due(uow, Clock(), limit=1, lease=LEASE)
    return await handlers.attempt(
        claimed,
        uow,
        Clock(),
        transport=ScriptedTransport(410),
        schedule=SCHEDULE,
        organizations=organizations,
    )


async def test_a_disabled_endpoint_is_told_to_each_organizer_and_its_registrant_once() -> None:
    uow, org = WebhookUnitOfWork(), uuid.uuid4()
    created = await register(uow, org)
    registrant = created.endpoint.created_by
    assert registrant is not None
    bea = NoticeRecipient(uuid.uuid4(), "bea@example.com", "Bea", "en")
    olga = NoticeRecipient(uuid.uuid4(), "olga@example.com", "Olga", "es")
    organizations = FakeOrganizations({org: [bea, olga, bea]})
    report = await disable_by_410(uow, org, organizations)
    assert organizations.asked == [org]
    recipients = [notice.payload["recipient"] for notice in report.notices]
    assert [(r["id"], r["email"], r["locale"]) for r in recipients] == [
        (str(bea.user_id), "bea@example.com", "en"),
        (str(olga.user_id), "olga@example.com", "es"),
        (str(registrant), "", ""),  # not an organizer: looked up when the e-mail is sent
    ]
    assert len({notice.message_id for notice in report.notices}) == 3
    assert [report.notice_of(n).message_id for n in report.notifications] == [
        notice.message_id for notice in report.notices
    ]
    # Recording the same notices again (a replay) records nothing.
    for notice in report.notices:
        assert not await uow.notifications.add_all(notice, [])


async def test_a_registrant_among_the_organizers_is_told_once() -> None:
    uow, org = WebhookUnitOfWork(), uuid.uuid4()
    created = await register(uow, org)
    assert created.endpoint.created_by is not None
    herself = NoticeRecipient(created.endpoint.created_by, "ana@example.com", "Ana", "es")
    report = await disable_by_410(uow, org, FakeOrganizations({org: [herself]}))
    assert [notice.payload["recipient"]["email"] for notice in report.notices] == ["ana@example.com"]


async def test_without_organizers_the_registrant_alone_is_told() -> None:
    for organizations in (
        FakeOrganizations({}),
        FakeOrganizations({}, DependencyUnavailable("identity_svc", "x")),
    ):
        uow, org = WebhookUnitOfWork(), uuid.uuid4()
        created = await register(uow, org)
        report = await disable_by_410(uow, org, organizations)
        [notice] = report.notices
        assert "recipient" not in notice.payload
        assert notice.payload["endpoint"]["createdBy"] == str(created.endpoint.created_by)
        assert len(report.notifications) == 1


async def test_each_notice_reaches_the_organizer_it_names_in_their_language() -> None:
    directory = IdentityDirectory("127.0.0.1:1", operations_email="ops@example.org", operations_locale="es")
    try:
        endpoint = {"id": str(uuid.uuid4()), "createdBy": None}
        recipient = {"id": str(uuid.uuid4()), "email": "bea@example.com", "name": "Bea", "locale": "en"}
        named = {"endpoint": endpoint, "recipient": recipient}
        assert await directory.contact(RecipientRole.ENDPOINT_OWNER, named) == Contact(
            "bea@example.com", "Bea", "en"
        )
        operations = await directory.contact(RecipientRole.ENDPOINT_OWNER, {"endpoint": endpoint})
        assert operations.address == "ops@example.org"
    finally:
        await directory.close()


async def test_organizers_are_not_asked_about_an_attempt_that_disables_nothing() -> None:
    uow, org = WebhookUnitOfWork(), uuid.uuid4()
    await register(uow, org)
    await handlers.keep_message(paid_order(org), uow)
    await handlers.route_messages(uow, Clock())
    [claimed] = await handlers.claim_due(uow, Clock(), limit=1, lease=LEASE)
    organizations = FakeOrganizations({})
    report = await handlers.attempt(
        claimed,
        uow,
        Clock(),
        transport=ScriptedTransport(500),
        schedule=SCHEDULE,
        organizations=organizations,
    )
    assert (report.disabled, report.notices, organizations.asked) == (None, (), [])


async def test_a_refused_address_is_a_failed_attempt() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    await register(uow, org)
    await handlers.keep_message(paid_order(org), uow)
    await deliver_all(
        uow, ScriptedTransport(TargetRefused("hooks.example.com resolves to a private address")), clock
    )
    [delivery] = uow.deliveries()
    assert delivery.status is DeliveryStatus.PENDING
    assert (delivery.last_error or "").startswith("refused: ")


async def test_a_claimed_delivery_is_not_attempted_twice_while_its_lease_lasts() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    await register(uow, org)
    await handlers.keep_message(paid_order(org), uow)
    await handlers.route_messages(uow, clock)
    assert len(await handlers.claim_due(uow, clock, limit=10, lease=LEASE)) == 1
    assert await handlers.claim_due(uow, clock, limit=10, lease=LEASE) == []
    clock.advance(minutes=1)  # its attempt died with its process: tried again
    assert len(await handlers.claim_due(uow, clock, limit=10, lease=LEASE)) == 1


# ---------------------------------------------------------------- log and redelivery


async def test_the_delivery_log_pages_newest_first_and_a_delivery_can_be_redelivered() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    created = await register(uow, org)
    for _ in range(3):
        await handlers.keep_message(paid_order(org), uow)
        await deliver_all(uow, ScriptedTransport(200), clock)
        clock.advance(seconds=1)
    actor = organizer(org)
    first = await handlers.list_deliveries(ListDeliveries(actor, created.endpoint.id, page_size=2), uow)
    second = await handlers.list_deliveries(
        ListDeliveries(actor, created.endpoint.id, page_size=2, page_token=first.next_page_token), uow
    )
    log = [*first.deliveries, *second.deliveries]
    assert [d.created_at for d in log] == sorted((d.created_at for d in log), reverse=True)
    assert second.next_page_token == ""
    again = await handlers.redeliver(Redeliver(actor, created.endpoint.id, log[-1].id), uow, clock)
    assert again.status is DeliveryStatus.PENDING
    transport = ScriptedTransport(200)
    await deliver_all(uow, transport, clock)
    assert transport.calls[0].headers["webhook-id"] == log[-1].webhook_id


async def test_a_time_range_is_redelivered() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    created = await register(uow, org)
    for _ in range(3):
        await handlers.keep_message(paid_order(org), uow)
        await deliver_all(uow, ScriptedTransport(200), clock)
        clock.advance(hours=1)
    command = RedeliverRange(organizer(org), created.endpoint.id, NOW, NOW + dt.timedelta(hours=2))
    assert await handlers.redeliver_range(command, uow, clock) == 2
    transport = ScriptedTransport()
    await deliver_all(uow, transport, clock)
    assert len(transport.calls) == 2


async def test_a_payload_missing_what_its_schema_promises_does_not_block_the_others() -> None:
    uow, org, clock = WebhookUnitOfWork(), uuid.uuid4(), Clock()
    await register(uow, org)
    broken = paid_order(org)
    del broken.payload["order"]["items"]
    broken.payload["order"] = None  # type: ignore[index]
    uow.state.owners[broken.event_id] = org
    await handlers.keep_message(broken, uow)
    await handlers.keep_message(paid_order(org), uow)
    transport = ScriptedTransport(200)
    await deliver_all(uow, transport, clock)
    assert len(transport.calls) == 1
    assert await handlers.route_messages(uow, clock) == 0
