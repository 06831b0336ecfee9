"""The gRPC servicer over in-memory fakes, on an in-process server: it translates, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import grpc
import pytest
import pytest_asyncio
from notification_fakes import (
    FakeChannel,
    FakeDirectory,
    FakeRenderer,
    FakeTicketDocuments,
    FakeUnitOfWork,
    clock,
    make_envelope,
    make_principal,
)

from devstack.testing import in_process_service
from notification_svc.application import handlers
from notification_svc.domain import commands
from notification_svc.domain.errors import DeliveryFailed
from notification_svc.domain.model import RetryPolicy
from notification_svc.entrypoints.delivery import Courier
from notification_svc.entrypoints.grpc_server import SERVICE_NAME, NotificationServicer
from taquilla.notifications.v1 import notification_service_pb2 as pb
from taquilla.notifications.v1 import notification_service_pb2_grpc
from taquilla_runtime.principal import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Served:
    def __init__(self, uow: FakeUnitOfWork, channel: FakeChannel, stub: Any) -> None:
        self.uow = uow
        self.channel = channel
        self.stub = stub


@pytest_asyncio.fixture(loop_scope="session")
async def served() -> AsyncIterator[Served]:
    uow = FakeUnitOfWork()
    channel = FakeChannel()

    async def no_wait(seconds: float) -> None:
        return None

    courier = Courier(
        lambda: uow,
        directory=FakeDirectory(),
        renderer=FakeRenderer(),
        channel=channel,
        policy=RetryPolicy(max_attempts=1),
        tickets=FakeTicketDocuments(),
        clock=clock,
        sleep=no_wait,
    )
    servicer = NotificationServicer(lambda: uow, courier, clock)
    async with (
        in_process_service(
            SERVICE_NAME,
            partial(notification_service_pb2_grpc.add_NotificationServiceServicer_to_server, servicer),
        ) as address,
        grpc.aio.insecure_channel(address) as grpc_channel,
    ):
        yield Served(uow, channel, notification_service_pb2_grpc.NotificationServiceStub(grpc_channel))


def as_admin() -> tuple[tuple[str, str], ...]:
    return (make_principal().to_metadata(),)


async def failed_notification_id(served: Served) -> str:
    envelope = make_envelope()
    accepted = await handlers.accept_message(commands.AcceptMessage(envelope), served.uow, clock)
    served.channel.failures.append(DeliveryFailed("SMTP 451"))
    attempt = await handlers.attempt_delivery(
        commands.AttemptDelivery(accepted.pending[0], envelope),
        served.uow,
        clock,
        directory=FakeDirectory(),
        renderer=FakeRenderer(),
        channel=served.channel,
        policy=RetryPolicy(max_attempts=1),
        tickets=FakeTicketDocuments(),
    )
    return str(attempt.notification.id)


async def test_a_retry_delivers_at_once_and_answers_how_it_ended(served: Served) -> None:
    notification_id = await failed_notification_id(served)
    reply = await served.stub.RetryNotification(
        pb.RetryNotificationRequest(notification_id=notification_id), metadata=as_admin()
    )
    assert (reply.notification.status, reply.notification.attempts) == (pb.NOTIFICATION_STATUS_SENT, 2)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await served.stub.RetryNotification(
            pb.RetryNotificationRequest(notification_id=notification_id), metadata=as_admin()
        )
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION


async def test_failed_notifications_are_listed_for_admins(served: Served) -> None:
    notification_id = await failed_notification_id(served)
    reply = await served.stub.ListNotifications(
        pb.ListNotificationsRequest(status=pb.NOTIFICATION_STATUS_FAILED), metadata=as_admin()
    )
    assert notification_id in [n.id for n in reply.notifications]


def as_organizer() -> tuple[tuple[str, str], ...]:
    return (make_principal(Role.ORGANIZER).to_metadata(),)


# The metadata is signed when the test runs: a signed principal lives 60 s, and a long run collects
# its tests minutes before it calls them.
@pytest.mark.parametrize(
    ("request_", "metadata", "code"),
    [
        (pb.ListNotificationsRequest(), as_organizer, "PERMISSION_DENIED"),
        (pb.ListNotificationsRequest(page_token="nope"), as_organizer, "PERMISSION_DENIED"),
        (pb.ListNotificationsRequest(page_token="nope"), as_admin, "INVALID_ARGUMENT"),
        (pb.ListNotificationsRequest(page_size=201), as_admin, "INVALID_ARGUMENT"),
        (pb.ListNotificationsRequest(event_id="nope"), as_admin, "INVALID_ARGUMENT"),
    ],
)
async def test_list_refusals_map_to_status_codes(
    served: Served,
    request_: pb.ListNotificationsRequest,
    metadata: Callable[[], tuple[tuple[str, str], ...]],
    code: str,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await served.stub.ListNotifications(request_, metadata=metadata())
    assert refused.value.code() is grpc.StatusCode[code]


async def test_retrying_an_unknown_notification_is_not_found(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await served.stub.RetryNotification(
            pb.RetryNotificationRequest(notification_id=str(make_principal().subject)), metadata=as_admin()
        )
    assert refused.value.code() is grpc.StatusCode.NOT_FOUND
