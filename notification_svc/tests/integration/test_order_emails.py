"""The buyers' e-mails end to end: ticketing's messages on a real broker, notification_svc's orders
consumer, a real PostgreSQL, the devstack's SMTP sink (a separate process keeping .eml files), and
the two RPCs of ticketing_svc the confirmation needs, served by a real grpc.aio server in the test.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import io
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from functools import partial
from typing import Any

import grpc
import pytest
import pytest_asyncio
import zxingcpp
from aiokafka import AIOKafkaProducer
from notification_factories import make_order_envelope, make_reservation_envelope, money
from PIL import Image
from prometheus_client import REGISTRY
from sqlalchemy import text

from devstack.infra import Broker, SmtpSink
from devstack.kafka import consumed_to_the_end, ensure_topics_async
from devstack.processes import free_port
from devstack.pytest_plugin import PostgresServer
from devstack.testing import eventually, in_process_service
from notification_svc.adapters.email import SmtpEmailSender
from notification_svc.adapters.templates import JinjaRenderer
from notification_svc.adapters.ticketing import TicketingDocuments
from notification_svc.application import handlers
from notification_svc.application.ports import ChannelSender, Contact, RenderedMessage
from notification_svc.bootstrap import (
    build_courier,
    build_directory,
    build_engine,
    build_orders_consumer,
    build_ticket_documents,
    unit_of_work_factory,
)
from notification_svc.config import SCHEMA, Settings
from notification_svc.domain.commands import AcceptMessage, AttemptDelivery
from notification_svc.domain.model import Notification, RetryPolicy
from notification_svc.entrypoints.cli import MIGRATIONS
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime import migrations
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import KafkaPublisher
from taquilla_runtime.principal import Principal

pytestmark = pytest.mark.asyncio(loop_scope="session")
TICKETING = pb.DESCRIPTOR.services_by_name["TicketingService"].full_name
WEB_APP = "https://tickets.example.org"
WITHIN = 30.0


class Ticketing(ticketing_service_pb2_grpc.TicketingServiceServicer):
    """ticketing_svc's GetOrderTicketsPdf and GetTicket over the orders it was told about."""

    def __init__(self) -> None:
        self.pdfs: dict[str, bytes] = {}
        self.secrets: dict[str, str] = {}
        self.callers: list[Principal | None] = []

    def issue(self, envelope: Envelope) -> None:
        """Keeps a PDF and a signed-looking secret per ticket for the paid order of ``envelope``."""
        self.pdfs[envelope.payload["order"]["id"]] = b"%PDF-1.4\n" + os.urandom(64)
        for ticket in envelope.payload["tickets"]:
            signature = base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("=")
            self.secrets[ticket["id"]] = f"T1.k1.{ticket['id']}.{signature}"

    async def GetOrderTicketsPdf(
        self, request: pb.GetOrderRequest, context: grpc.aio.ServicerContext
    ) -> pb.Document:
        self.callers.append(Principal.from_metadata(context.invocation_metadata()))
        if request.id not in self.pdfs:
            await context.abort(grpc.StatusCode.NOT_FOUND, "Order not found.")
        return pb.Document(
            content_type="application/pdf",
            content=self.pdfs[request.id],
            filename=f"taquilla-order-{request.id}.pdf",
        )

    async def GetTicket(
        self, request: pb.GetTicketRequest, context: grpc.aio.ServicerContext
    ) -> pb.TicketResponse:
        self.callers.append(Principal.from_metadata(context.invocation_metadata()))
        if request.id not in self.secrets:
            await context.abort(grpc.StatusCode.NOT_FOUND, "Ticket not found.")
        return pb.TicketResponse(
            ticket=pb.Ticket(id=request.id, secret=self.secrets[request.id], status=pb.TICKET_STATUS_VALID)
        )


def registration(servicer: Ticketing) -> Callable[[grpc.aio.Server], None]:
    return partial(ticketing_service_pb2_grpc.add_TicketingServiceServicer_to_server, servicer)


@pytest.fixture(scope="module")
def notifications_db(postgres_server: PostgresServer) -> str:
    url = postgres_server.url("notification_svc")
    migrations.upgrade(MIGRATIONS, url, SCHEMA)
    return url


class RunningConsumer:
    """notification_svc's orders consumer as bootstrap.py builds it, in this event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = build_engine(settings)
        self.directory = build_directory(settings)
        self.tickets: TicketingDocuments = build_ticket_documents(settings)
        self.dead_letters = KafkaPublisher(settings.kafka_bootstrap_servers, client_id="test-orders-dlq")
        courier = build_courier(settings, self.engine, self.directory, self.tickets)
        self.consumer = build_orders_consumer(settings, self.engine, courier, self.dead_letters)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.consumer.run())

    async def stop(self) -> None:
        self.consumer.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=30)
        await self.dead_letters.close()
        await self.tickets.close()
        await self.directory.close()
        await self.engine.dispose()

    async def statuses(self, envelope: Envelope) -> list[tuple[str, str, int]]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT recipient_role, status, attempts FROM notifications.notifications "
                    "WHERE message_id = :message ORDER BY recipient_role"
                ),
                {"message": envelope.message_id},
            )
            return [(r[0], r[1], r[2]) for r in rows]

    async def publish(self, envelope: Envelope, times: int = 1) -> None:
        """As ticketing's relay does: keyed by session id, with the envelope's headers."""
        session_id = envelope.payload.get("order", envelope.payload.get("reservation", {})).get(
            "sessionId", ""
        )
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        try:
            for _ in range(times):
                await producer.send_and_wait(
                    self.settings.orders_topic,
                    value=envelope.to_bytes(),
                    key=str(session_id).encode(),
                    headers=envelope.kafka_headers(None),
                )
        finally:
            await producer.stop()

    async def handled_everything(self) -> None:
        """Waits until the group committed every message published so far: nothing more will happen."""

        async def caught_up() -> bool:
            return await consumed_to_the_end(
                self.settings.kafka_bootstrap_servers,
                self.settings.orders_consumer_group,
                self.settings.orders_topic,
            )

        await eventually(caught_up, within=WITHIN, what="the orders consumer handled every message")


StartConsumer = Callable[..., Awaitable[RunningConsumer]]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def start_consumer(
    notifications_db: str, kafka_broker: Broker, smtp_sink: SmtpSink
) -> AsyncIterator[StartConsumer]:
    """Starts an orders consumer of its own topic and group; ``ticketing_svc_address`` is required."""
    running: list[RunningConsumer] = []

    async def start(**overrides: Any) -> RunningConsumer:
        suffix = uuid.uuid4().hex[:8]
        values: dict[str, Any] = {
            "database_url": notifications_db,
            "kafka_bootstrap_servers": kafka_broker.bootstrap_servers,
            "smtp_port": smtp_sink.port,
            "identity_svc_address": f"127.0.0.1:{free_port()}",  # buyers are never looked up
            "ticketing_deadline_seconds": 5.0,
            "web_app_url": WEB_APP,
            "orders_topic": f"ticketing-{suffix}",
            "orders_dead_letter_topic": f"ticketing-{suffix}.dlq",
            "orders_consumer_group": f"nso-{suffix}",
            "retry_base_seconds": 0.02,
            "retry_max_seconds": 0.1,
            "max_attempts": 5,
        }
        values.update(overrides)
        settings = Settings(**values)
        await ensure_topics_async(
            kafka_broker.bootstrap_servers, [settings.orders_topic, settings.orders_dead_letter_topic], 3
        )
        consumer = RunningConsumer(settings)
        await consumer.start()
        running.append(consumer)
        return consumer

    yield start
    for consumer in running:
        await consumer.stop()


@dataclass
class Orders:
    """One orders consumer for the module's tests (each test has its own buyer), and the ticketing
    server it asks."""

    consumer: RunningConsumer
    ticketing: Ticketing


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def orders(start_consumer: StartConsumer) -> AsyncIterator[Orders]:
    servicer = Ticketing()
    async with in_process_service(TICKETING, registration(servicer)) as address:
        yield Orders(await start_consumer(ticketing_svc_address=address), servicer)


def mails_to(sink: SmtpSink, address: str) -> list[EmailMessage]:
    found = []
    for path in sink.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


def buyer_of(envelope: Envelope) -> str:
    return str(envelope.payload["order"]["buyer"]["email"])


async def the_mail(sink: SmtpSink, envelope: Envelope) -> EmailMessage:
    """The one e-mail the buyer of ``envelope`` received, once it arrived."""
    (mail,) = await eventually(
        lambda: mails_to(sink, buyer_of(envelope)), within=WITHIN, what=f"an e-mail about {envelope.type}"
    )
    return mail


def body(mail: EmailMessage, subtype: str) -> str:
    part = mail.get_body(preferencelist=(subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def decode_qr(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_a_paid_order_mails_its_tickets_each_qr_inline_and_the_pdf_attached(
    orders: Orders, smtp_sink: SmtpSink
) -> None:
    servicer, consumer = orders.ticketing, orders.consumer
    envelope = make_order_envelope("OrderPaid", locale="es")
    servicer.issue(envelope)
    order = envelope.payload["order"]
    callers = len(servicer.callers)
    await consumer.publish(envelope)

    mail = await the_mail(smtp_sink, envelope)
    assert mail["Subject"] == "Tus entradas para «Festival de Música del Caribe»"
    plain, html = body(mail, "plain"), body(mail, "html")
    for ticket in envelope.payload["tickets"]:
        assert f"- Platea, a nombre de {ticket['holderName']} (COP 120.000)" in plain
        assert f'src="cid:qr-{ticket["id"]}@taquilla.local"' in html
    assert "Total: COP 240.000" in plain
    assert f"{WEB_APP}/orders/{order['id']}" in plain
    assert f'href="{WEB_APP}/orders/{order["id"]}"' in html

    images = {str(p["Content-ID"]): p for p in mail.walk() if p.get_content_type() == "image/png"}
    assert set(images) == {f"<qr-{t['id']}@taquilla.local>" for t in envelope.payload["tickets"]}
    for ticket in envelope.payload["tickets"]:
        image = images[f"<qr-{ticket['id']}@taquilla.local>"]
        assert image.get_content_disposition() == "inline"
        assert decode_qr(image.get_content()) == [servicer.secrets[ticket["id"]]]
    (pdf,) = [p for p in mail.walk() if p.get_content_disposition() == "attachment"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"taquilla-order-{order['id']}.pdf"
    assert pdf.get_content() == servicer.pdfs[order["id"]]

    # Asked as the service notification_svc, never as anybody's user.
    asked_by = servicer.callers[callers:]
    assert len(asked_by) == 3  # the PDF and each of the two tickets
    assert {(c.kind.value, c.subject) if c else None for c in asked_by} == {
        ("service", Principal.for_service("notification_svc").subject)
    }
    await eventually(
        lambda: _equals(consumer.statuses(envelope), [("buyer", "sent", 1)]),
        within=WITHIN,
        what="recorded as sent",
    )


async def test_an_english_speaking_buyer_gets_the_confirmation_in_english(
    orders: Orders, smtp_sink: SmtpSink
) -> None:
    consumer = orders.consumer
    envelope = make_order_envelope("OrderPaid", locale="en")
    orders.ticketing.issue(envelope)
    await consumer.publish(envelope)
    mail = await the_mail(smtp_sink, envelope)
    assert mail["Subject"] == 'Your tickets for "Festival de Música del Caribe"'
    assert "Total: COP 240,000" in body(mail, "plain")
    assert "- Platea, for Ana Prueba (COP 120,000)" in body(mail, "plain")
    assert len([p for p in mail.walk() if p.get_content_type() == "image/png"]) == 2


@pytest.mark.parametrize(
    ("kind", "locale", "subject", "says"),
    [
        (
            "OrderPaymentFailed",
            "es",
            "Tu pago para «Festival de Música del Caribe» fue rechazado",
            "Puedes intentarlo de nuevo hasta el 01/03/2027 20:10 UTC",
        ),
        (
            "OrderPaymentFailed",
            "en",
            'Your payment for "Festival de Música del Caribe" was declined',
            "You can try again until 2027-03-01 20:10 UTC",
        ),
        (
            "OrderExpired",
            "es",
            "Tu pedido para «Festival de Música del Caribe» venció",
            "volvieron a la venta",
        ),
        ("OrderExpired", "en", 'Your order for "Festival de Música del Caribe" expired', "are back on sale"),
    ],
)
async def test_a_declined_payment_and_an_expired_order_are_mailed_with_the_link_to_the_order(
    orders: Orders, smtp_sink: SmtpSink, kind: str, locale: str, subject: str, says: str
) -> None:
    consumer = orders.consumer
    envelope = make_order_envelope(kind, locale=locale)
    await consumer.publish(envelope)
    mail = await the_mail(smtp_sink, envelope)
    assert mail["Subject"] == subject
    assert says in body(mail, "plain")
    assert f"{WEB_APP}/orders/{envelope.payload['order']['id']}" in body(mail, "plain")
    assert [p for p in mail.walk() if p.get_content_disposition() == "attachment"] == []


async def test_a_refund_says_how_much_now_and_how_much_so_far(orders: Orders, smtp_sink: SmtpSink) -> None:
    consumer = orders.consumer
    envelope = make_order_envelope(
        "OrderRefunded", locale="en", refund={"amount": money("60000.00"), "reason": "requested_by_organizer"}
    )
    envelope.payload["order"]["refunded"] = money("180000.00")
    await consumer.publish(envelope)
    mail = await the_mail(smtp_sink, envelope)
    assert mail["Subject"] == 'We refunded your order for "Festival de Música del Caribe"'
    assert "We refunded COP 60,000 of your order" in body(mail, "plain")
    assert "(COP 180,000 of COP 240,000 refunded so far)" in body(mail, "plain")


async def test_a_payment_that_came_after_the_places_were_sold_is_explained_as_refunded_in_full(
    orders: Orders, smtp_sink: SmtpSink
) -> None:
    consumer = orders.consumer
    refund = {"amount": money("240000.00"), "reason": "sold_out_after_expiry"}
    envelope = make_order_envelope("OrderRefunded", locale="es", refund=refund)
    envelope.payload["order"]["refunded"] = money("240000.00")
    await consumer.publish(envelope)
    mail = await the_mail(smtp_sink, envelope)
    plain = body(mail, "plain")
    assert "llegó después de que terminó la reserva de tus lugares" in plain
    assert "ya se habían vendido" in plain
    assert "te lo devolvimos completo: COP 240.000" in plain


async def test_a_confirmation_delivered_three_times_is_mailed_once(
    orders: Orders, smtp_sink: SmtpSink
) -> None:
    consumer = orders.consumer
    envelope = make_order_envelope("OrderPaid")
    orders.ticketing.issue(envelope)
    await consumer.publish(envelope, times=3)
    await the_mail(smtp_sink, envelope)
    await consumer.handled_everything()  # the two redeliveries included
    assert len(mails_to(smtp_sink, buyer_of(envelope))) == 1
    assert await consumer.statuses(envelope) == [("buyer", "sent", 1)]


async def test_while_ticketing_is_down_the_partition_waits_and_the_confirmation_goes_out_once_it_is_back(
    start_consumer: StartConsumer, smtp_sink: SmtpSink
) -> None:
    port = free_port()
    consumer = await start_consumer(
        ticketing_svc_address=f"127.0.0.1:{port}",
        max_attempts=50,
        retry_base_seconds=0.05,
        retry_max_seconds=0.3,
    )
    envelope = make_order_envelope("OrderPaid", locale="en")
    await consumer.publish(envelope)
    labels = {"group": consumer.settings.orders_consumer_group, "dependency": "ticketing_svc"}

    def waited_twice() -> bool:
        return (REGISTRY.get_sample_value("taquilla_consumer_dependency_waits_total", labels) or 0) >= 2

    # ticketing_svc being away is not the notification's fault: its partition waits, no attempt is
    # used up (a short outage must not dead-letter the confirmation), and nothing is mailed.
    await eventually(waited_twice, within=WITHIN, what="the partition waiting for ticketing_svc")
    assert await consumer.statuses(envelope) == [("buyer", "pending", 0)]
    assert mails_to(smtp_sink, buyer_of(envelope)) == []

    servicer = Ticketing()
    servicer.issue(envelope)
    service = GrpcService(
        address=f"127.0.0.1:{port}",
        service_names=[TICKETING],
        register=[registration(servicer)],
        grace_seconds=1,
    )
    await service.start()
    try:
        mail = await the_mail(smtp_sink, envelope)
        assert len([p for p in mail.walk() if p.get_content_disposition() == "attachment"]) == 1
        await consumer.handled_everything()
        assert len(mails_to(smtp_sink, buyer_of(envelope))) == 1
        assert await consumer.statuses(envelope) == [("buyer", "sent", 1)]
    finally:
        await service.stop()


async def test_other_ticketing_messages_are_read_and_ignored(orders: Orders, smtp_sink: SmtpSink) -> None:
    consumer = orders.consumer
    group = consumer.settings.orders_consumer_group
    held = make_reservation_envelope("ReservationHeld")
    sold_out = Envelope.new(
        event_id=uuid.uuid4(),
        name="Festival de Música del Caribe",
        type="ZoneSoldOut",
        payload={
            "sessionId": str(uuid.uuid4()),
            "zoneId": str(uuid.uuid4()),
            "capacity": 10,
            "held": 0,
            "sold": 10,
            "available": 0,
        },
    )
    placed = make_order_envelope("OrderPlaced")
    marker = make_order_envelope("OrderExpired")

    def outcome(name: str) -> float:
        labels = {"group": group, "outcome": name}
        return REGISTRY.get_sample_value("taquilla_consumer_messages_total", labels) or 0.0

    await consumer.handled_everything()  # what earlier tests published: not counted below
    before = {name: outcome(name) for name in ("handled", "poison", "dead_lettered")}
    for envelope in (held, sold_out, placed, marker):
        await consumer.publish(envelope)
    await the_mail(smtp_sink, marker)
    await consumer.handled_everything()
    assert mails_to(smtp_sink, buyer_of(placed)) == []
    for envelope in (held, sold_out, placed):
        assert await consumer.statuses(envelope) == []

    # Read and let go (the marker included), none of them dead-lettered.
    assert outcome("handled") - before["handled"] == 4
    assert (outcome("poison"), outcome("dead_lettered")) == (before["poison"], before["dead_lettered"])


async def _equals(awaitable: Awaitable[Any], expected: Any) -> bool:
    return bool(await awaitable == expected)


class GatedChannel(ChannelSender):
    """The real SMTP channel, held at the door until the test lets the first send through."""

    def __init__(self, channel: ChannelSender) -> None:
        self._channel = channel
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, notification: Notification, contact: Contact, message: RenderedMessage) -> None:
        self.entered.set()
        await self.release.wait()
        await self._channel.send(notification, contact, message)


async def test_two_consumers_delivering_the_same_notification_at_once_mail_it_once(
    orders: Orders, smtp_sink: SmtpSink
) -> None:
    settings, engine = orders.consumer.settings, orders.consumer.engine
    envelope = make_order_envelope("OrderExpired")
    (notification,) = (
        await handlers.accept_message(AcceptMessage(envelope), unit_of_work_factory(engine)())
    ).pending
    channel = GatedChannel(SmtpEmailSender(settings.smtp_host, settings.smtp_port, settings.mail_from))

    def attempt() -> asyncio.Task[handlers.DeliveryAttempt]:
        return asyncio.create_task(
            handlers.attempt_delivery(
                AttemptDelivery(notification, envelope),
                unit_of_work_factory(engine)(),
                directory=orders.consumer.directory,
                renderer=JinjaRenderer(web_app_url=WEB_APP),
                channel=channel,
                policy=RetryPolicy(max_attempts=3),
                tickets=orders.consumer.tickets,
            )
        )

    first = attempt()
    await eventually(channel.entered.is_set, within=WITHIN, what="the first delivery is sending")
    # The first holds the sending lease (committed before the hand-over): the second sends nothing
    # and is told to come back later, while the first is still with the mail server.
    second = await attempt()
    assert second.outcome is handlers.AttemptOutcome.BUSY
    channel.release.set()
    assert (await first).outcome is handlers.AttemptOutcome.SENT
    # Coming back, the second finds it sent.
    assert (await attempt()).outcome is handlers.AttemptOutcome.HANDLED_BEFORE
    await the_mail(smtp_sink, envelope)
    assert len(mails_to(smtp_sink, buyer_of(envelope))) == 1
