"""Wires ticketing_svc: the only place objects are built and handlers get their dependencies."""

from __future__ import annotations

from functools import partial

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.audit import AuditTrail
from taquilla_runtime.db import create_engine, ping
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.messaging.consumer import EnvelopeConsumer
from taquilla_runtime.messaging.outbox import KafkaPublisher, OutboxRelay
from taquilla_runtime.principal import use_secrets
from taquilla_runtime.scopes import ScopeInterceptor
from taquilla_runtime.service import ServiceProcess, Worker
from taquilla_runtime.telemetry import MetricsEndpoint
from ticketing_svc.adapters.catalog_reader import GrpcCatalogReader
from ticketing_svc.adapters.orm import outbox
from ticketing_svc.adapters.payments import StripePaymentProvider
from ticketing_svc.adapters.ticket_signing import TicketKeyRing
from ticketing_svc.adapters.tickets import DocumentPrinter, KeyRingSigner
from ticketing_svc.adapters.unit_of_work import SqlUnitOfWork
from ticketing_svc.adapters.waiting_room import RedisWaitingRoom
from ticketing_svc.application import (
    checkin_handlers,
    handlers,
    order_handlers,
    report_handlers,
    transfer_handlers,
    waitlist_handlers,
)
from ticketing_svc.application.handlers import Clock, system_clock
from ticketing_svc.application.order_handlers import PaymentSettings
from ticketing_svc.application.ports import (
    CatalogReader,
    PaymentProvider,
    TicketPrinter,
    TicketSigner,
    UnitOfWork,
    WaitingRoom,
)
from ticketing_svc.config import (
    DEVELOPMENT_ADMISSION_SECRET,
    DEVELOPMENT_STRIPE_KEY,
    DEVELOPMENT_TICKET_KEY,
    SCHEMA,
    Settings,
)
from ticketing_svc.domain import commands
from ticketing_svc.domain.checkins import CheckInConflict
from ticketing_svc.domain.errors import WaitingRoomUnavailable
from ticketing_svc.domain.model import InventoryLine, Reservation
from ticketing_svc.domain.orders import CancellationProgress, Order, Refund, Ticket
from ticketing_svc.domain.reports import AttendeePage, Report
from ticketing_svc.domain.waiting_room import QueueStanding
from ticketing_svc.domain.waitlist import WaitlistStanding
from ticketing_svc.entrypoints.audit import AUDITED
from ticketing_svc.entrypoints.grpc_server import SCOPES, SERVICE_NAME, TicketingServicer
from ticketing_svc.entrypoints.report_messages import report_handler
from ticketing_svc.entrypoints.workers import (
    CANCELLATION_REFUNDS,
    PAYMENTS_RECONCILED,
    REFUNDS_CONFIRMED,
    HoldSweeper,
    Periodic,
    catalog_handler,
)


def build_engine(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.database_url,
        schema=SCHEMA,
        application_name="ticketing_svc",
        pool_size=settings.database_pool_size,
        # A stuck transaction makes the next ones fail fast instead of piling up behind it.
        server_settings={
            "lock_timeout": str(settings.lock_timeout_ms),
            "statement_timeout": str(settings.statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(settings.statement_timeout_ms * 2),
        },
    )


class UseCases:
    """Every use case bound to a fresh unit of work, the clock and its other dependencies."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        catalog: CatalogReader | None,
        clock: Clock = system_clock,
        room: WaitingRoom | None = None,
        admission_secret: bytes = DEVELOPMENT_ADMISSION_SECRET.encode(),
        provider: PaymentProvider | None = None,
        signer: TicketSigner | None = None,
        printer: TicketPrinter | None = None,
        payments: PaymentSettings = PaymentSettings(),  # noqa: B008 - frozen
    ) -> None:
        self._engine = engine
        self._catalog = catalog
        self._clock = clock
        self._room = room
        self._secret = admission_secret
        self._provider = provider or StripePaymentProvider(DEVELOPMENT_STRIPE_KEY)
        self._signer = signer or KeyRingSigner(TicketKeyRing.from_config(DEVELOPMENT_TICKET_KEY))
        self._door_events = checkin_handlers.DoorEvents()
        self._printer = printer or DocumentPrinter()
        self._payments = payments

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self._engine)

    async def reserve(self, cmd: commands.Reserve) -> Reservation:
        return await handlers.reserve(
            cmd, self.uow(), self._clock, catalog=self._catalog, admission_secret=self._secret
        )

    async def get_reservation(self, cmd: commands.GetReservation) -> Reservation:
        return await handlers.get_reservation(cmd, self.uow())

    async def list_reservations(self, cmd: commands.ListReservations) -> handlers.ReservationPage:
        return await handlers.list_reservations(cmd, self.uow())

    async def release_reservation(self, cmd: commands.ReleaseReservation) -> Reservation:
        return await handlers.release_reservation(cmd, self.uow(), self._clock)

    async def expire_reservations(self, cmd: commands.ExpireReservations) -> list[Reservation]:
        return await handlers.expire_reservations(cmd, self.uow(), self._clock)

    async def get_availability(self, cmd: commands.GetAvailability) -> handlers.Availability:
        return await handlers.get_availability(cmd, self.uow(), self._clock, catalog=self._catalog)

    async def get_events_availability(
        self, cmd: commands.GetEventsAvailability
    ) -> list[handlers.Availability]:
        return await handlers.get_events_availability(cmd, self.uow(), self._clock, catalog=self._catalog)

    async def count_taken(self, cmd: commands.CountTaken) -> list[InventoryLine]:
        return await handlers.count_taken(cmd, self.uow())

    def _waiting_room(self) -> WaitingRoom:
        if self._room is None:
            raise WaitingRoomUnavailable("No waiting room is configured.")
        return self._room

    async def join_queue(self, cmd: commands.JoinQueue) -> QueueStanding:
        return await handlers.join_queue(
            cmd,
            self.uow(),
            self._clock,
            room=self._waiting_room(),
            catalog=self._catalog,
            admission_secret=self._secret,
        )

    async def queue_standing(self, cmd: commands.GetQueueStanding) -> QueueStanding:
        return await handlers.queue_standing(
            cmd,
            self.uow(),
            self._clock,
            room=self._waiting_room(),
            catalog=self._catalog,
            admission_secret=self._secret,
        )

    async def follow_catalog(self, cmd: commands.FollowCatalog) -> bool:
        return await handlers.follow_catalog(cmd, self.uow(), self._clock)

    async def advance_cancellations(self, cmd: commands.AdvanceCancellations) -> int:
        return await order_handlers.advance_cancellations(cmd, self.uow(), self._clock)

    async def event_refunds(self, cmd: commands.GetEventRefunds) -> CancellationProgress:
        return await order_handlers.event_refunds(cmd, self.uow())

    async def create_order(self, cmd: commands.CreateOrder) -> Order:
        return await order_handlers.create_order(
            cmd, self.uow(), self._clock, provider=self._provider, settings=self._payments
        )

    async def get_order(self, cmd: commands.GetOrder) -> Order:
        return await order_handlers.get_order(cmd, self.uow())

    async def list_my_orders(self, cmd: commands.ListMyOrders) -> order_handlers.OrderPage:
        return await order_handlers.list_my_orders(cmd, self.uow())

    async def list_event_orders(self, cmd: commands.ListEventOrders) -> order_handlers.OrderPage:
        return await order_handlers.list_event_orders(cmd, self.uow())

    async def handle_payment_notice(self, cmd: commands.HandlePaymentNotice) -> order_handlers.NoticeOutcome:
        return await order_handlers.handle_payment_notice(
            cmd, self.uow(), self._clock, provider=self._provider, signer=self._signer
        )

    async def reconcile_payments(self, cmd: commands.ReconcilePayments) -> int:
        return await order_handlers.reconcile_payments(
            cmd, self.uow(), self._clock, provider=self._provider, signer=self._signer
        )

    async def process_refunds(self, cmd: commands.ProcessRefunds) -> int:
        return await order_handlers.process_refunds(cmd, self.uow(), self._clock, provider=self._provider)

    async def refund_order(self, cmd: commands.RefundOrder) -> tuple[Refund, Order]:
        return await order_handlers.refund_order(cmd, self.uow(), self._clock, provider=self._provider)

    async def list_my_tickets(self, cmd: commands.ListMyTickets) -> order_handlers.TicketPage:
        return await order_handlers.list_my_tickets(cmd, self.uow())

    async def get_ticket(self, cmd: commands.GetTicket) -> Ticket:
        return await order_handlers.get_ticket(cmd, self.uow())

    async def ticket_qr_svg(self, cmd: commands.GetTicket) -> str:
        return await order_handlers.ticket_qr_svg(cmd, self.uow(), printer=self._printer)

    async def order_tickets_pdf(self, cmd: commands.GetOrder) -> tuple[Order, bytes]:
        return await order_handlers.order_tickets_pdf(cmd, self.uow(), printer=self._printer)

    def signing_keys(self) -> list[dict[str, str]]:
        return order_handlers.signing_keys(self._signer)

    async def offer_transfer(self, cmd: commands.OfferTransfer) -> transfer_handlers.TransferView:
        return await transfer_handlers.offer_transfer(cmd, self.uow(), self._clock)

    async def get_transfer(self, cmd: commands.GetTransfer) -> transfer_handlers.TransferView:
        return await transfer_handlers.get_transfer(cmd, self.uow(), self._clock)

    async def accept_transfer(self, cmd: commands.AcceptTransfer) -> transfer_handlers.TransferView:
        return await transfer_handlers.accept_transfer(cmd, self.uow(), self._clock, signer=self._signer)

    async def cancel_transfer(self, cmd: commands.CancelTransfer) -> transfer_handlers.TransferView:
        return await transfer_handlers.cancel_transfer(cmd, self.uow(), self._clock)

    async def join_waitlist(self, cmd: commands.JoinWaitlist) -> WaitlistStanding:
        return await waitlist_handlers.join_waitlist(cmd, self.uow(), self._clock, catalog=self._catalog)

    async def list_my_waitlist(self, cmd: commands.ListMyWaitlist) -> list[WaitlistStanding]:
        return await waitlist_handlers.list_my_waitlist(cmd, self.uow())

    async def leave_waitlist(self, cmd: commands.LeaveWaitlist) -> WaitlistStanding:
        return await waitlist_handlers.leave_waitlist(cmd, self.uow(), self._clock)

    async def waitlist_lengths(self, cmd: commands.GetWaitlistLengths) -> waitlist_handlers.WaitlistLengths:
        return await waitlist_handlers.waitlist_lengths(cmd, self.uow(), catalog=self._catalog)

    async def check_in(self, cmd: commands.CheckIn) -> checkin_handlers.CheckInOutcome:
        return await checkin_handlers.check_in(
            cmd, self.uow(), self._clock, signer=self._signer, events=self._door_events
        )

    async def check_in_batch(self, cmd: commands.CheckInBatch) -> checkin_handlers.BatchOutcome:
        return await checkin_handlers.check_in_batch(
            cmd, self.uow(), self._clock, signer=self._signer, events=self._door_events
        )

    async def checkin_pack(self, cmd: commands.GetCheckInPack) -> checkin_handlers.CheckInPack:
        return await checkin_handlers.checkin_pack(cmd, self.uow(), signer=self._signer)

    async def checkin_conflicts(self, cmd: commands.ListCheckInConflicts) -> list[CheckInConflict]:
        return await checkin_handlers.checkin_conflicts(cmd, self.uow())

    async def project_report(self, cmd: commands.ProjectReport) -> bool:
        return await report_handlers.project(cmd, self.uow())

    async def event_report(self, cmd: commands.GetEventReport) -> Report:
        return await report_handlers.event_report(cmd, self.uow(), self._clock)

    async def organization_report(self, cmd: commands.GetOrganizationReport) -> Report:
        return await report_handlers.organization_report(cmd, self.uow(), self._clock)

    async def list_event_attendees(self, cmd: commands.ListEventAttendees) -> AttendeePage:
        return await report_handlers.list_event_attendees(cmd, self.uow())


def build_servicer(use_cases: UseCases) -> TicketingServicer:
    return TicketingServicer(
        reserve=use_cases.reserve,
        get_reservation=use_cases.get_reservation,
        list_reservations=use_cases.list_reservations,
        release_reservation=use_cases.release_reservation,
        get_availability=use_cases.get_availability,
        get_events_availability=use_cases.get_events_availability,
        count_taken=use_cases.count_taken,
        join_queue=use_cases.join_queue,
        queue_standing=use_cases.queue_standing,
        create_order=use_cases.create_order,
        get_order=use_cases.get_order,
        list_my_orders=use_cases.list_my_orders,
        list_event_orders=use_cases.list_event_orders,
        handle_payment_notice=use_cases.handle_payment_notice,
        refund_order=use_cases.refund_order,
        event_refunds=use_cases.event_refunds,
        list_my_tickets=use_cases.list_my_tickets,
        get_ticket=use_cases.get_ticket,
        ticket_qr_svg=use_cases.ticket_qr_svg,
        order_tickets_pdf=use_cases.order_tickets_pdf,
        signing_keys=use_cases.signing_keys,
        check_in=use_cases.check_in,
        check_in_batch=use_cases.check_in_batch,
        checkin_pack=use_cases.checkin_pack,
        checkin_conflicts=use_cases.checkin_conflicts,
        offer_transfer=use_cases.offer_transfer,
        get_transfer=use_cases.get_transfer,
        accept_transfer=use_cases.accept_transfer,
        cancel_transfer=use_cases.cancel_transfer,
        join_waitlist=use_cases.join_waitlist,
        list_my_waitlist=use_cases.list_my_waitlist,
        leave_waitlist=use_cases.leave_waitlist,
        waitlist_lengths=use_cases.waitlist_lengths,
        event_report=use_cases.event_report,
        organization_report=use_cases.organization_report,
        list_event_attendees=use_cases.list_event_attendees,
    )


def build_service(settings: Settings) -> ServiceProcess:
    use_secrets(settings.principal_secret_values())  # ADR 0021: sign and check principals
    engine = build_engine(settings)
    catalog = GrpcCatalogReader(settings.event_svc_address)
    redis = Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
    use_cases = UseCases(
        engine,
        catalog=catalog,
        room=RedisWaitingRoom(redis),
        admission_secret=settings.admission_secret.get_secret_value().encode(),
        provider=StripePaymentProvider(
            settings.stripe_secret_key.get_secret_value(), api_base=settings.stripe_api_base
        ),
        signer=KeyRingSigner(
            TicketKeyRing.from_config(
                settings.ticket_signing_key.get_secret_value(), settings.ticket_retired_keys
            )
        ),
        printer=DocumentPrinter(),
        payments=PaymentSettings(
            return_url=settings.payment_return_url, return_origins=tuple(settings.payment_return_origins)
        ),
    )
    publisher = KafkaPublisher(
        settings.kafka_bootstrap_servers, client_id="ticketing-svc-outbox", security=settings.kafka_security
    )
    relay = OutboxRelay(engine, outbox, publisher)
    dead_letters = KafkaPublisher(
        settings.kafka_bootstrap_servers, client_id="ticketing-svc-dlq", security=settings.kafka_security
    )
    consumer = EnvelopeConsumer(
        catalog_handler(use_cases.follow_catalog),
        dead_letters,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        security=settings.kafka_security,
        topic=settings.catalog_topic,
        dead_letter_topic=settings.dead_letter_topic,
        group_id=settings.consumer_group,
    )
    report_consumer = EnvelopeConsumer(
        report_handler(use_cases.project_report),
        dead_letters,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        security=settings.kafka_security,
        topic=settings.report_topic,
        dead_letter_topic=settings.report_dead_letter_topic,
        group_id=settings.report_consumer_group,
    )
    sweeper = HoldSweeper(use_cases.expire_reservations, interval=settings.sweep_interval_seconds)
    reconciler = Periodic(
        "payment-reconciler",
        partial(
            use_cases.reconcile_payments,
            commands.ReconcilePayments(after_minutes=settings.reconcile_after_minutes),
        ),
        interval=settings.reconcile_interval_seconds,
        counter=PAYMENTS_RECONCILED,
    )
    cancellation_refunds = Periodic(
        "cancellation-refunds",
        partial(use_cases.advance_cancellations, commands.AdvanceCancellations()),
        interval=settings.refund_interval_seconds,
        counter=CANCELLATION_REFUNDS,
    )
    refunder = Periodic(
        "refund-worker",
        partial(use_cases.process_refunds, commands.ProcessRefunds()),
        interval=settings.refund_interval_seconds,
        counter=REFUNDS_CONFIRMED,
    )
    grpc_service = GrpcService(
        address=settings.grpc_address,
        reflection=settings.grpc_reflection,
        service_names=[SERVICE_NAME],
        register=[
            partial(
                ticketing_service_pb2_grpc.add_TicketingServiceServicer_to_server, build_servicer(use_cases)
            )
        ],
        readiness_checks=[partial(ping, engine)],
        grace_seconds=settings.shutdown_grace_seconds,
        audit=AuditTrail(engine, AUDITED),
        interceptors=[ScopeInterceptor(SERVICE_NAME, SCOPES)],
    )

    async def close() -> None:
        await publisher.close()
        await dead_letters.close()
        await catalog.close()
        await redis.aclose()
        await engine.dispose()

    return ServiceProcess(
        grpc=grpc_service,
        metrics=MetricsEndpoint(settings.metrics_address),
        workers=[
            Worker("outbox-relay", relay.run, relay.stop),
            Worker("catalog-consumer", consumer.run, consumer.stop),
            Worker("report-consumer", report_consumer.run, report_consumer.stop),
            Worker("hold-sweeper", sweeper.run, sweeper.stop),
            Worker(reconciler.name, reconciler.run, reconciler.stop),
            Worker(cancellation_refunds.name, cancellation_refunds.run, cancellation_refunds.stop),
            Worker(refunder.name, refunder.run, refunder.stop),
        ],
        on_shutdown=[close],
    )
