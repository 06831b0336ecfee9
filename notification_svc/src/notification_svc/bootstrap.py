"""Wires notification_svc: the only place objects are built."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from notification_svc.adapters.directory import IdentityDirectory
from notification_svc.adapters.email import SmtpEmailSender
from notification_svc.adapters.templates import JinjaRenderer
from notification_svc.adapters.ticketing import TicketingDocuments
from notification_svc.adapters.unit_of_work import SqlUnitOfWork
from notification_svc.adapters.webhook_http import GuardedTransport, parse_target
from notification_svc.application.ports import UnitOfWork
from notification_svc.application.webhook_ports import Organizations, WebhookTransport
from notification_svc.application.webhooks import Clock, system_clock
from notification_svc.config import SCHEMA, Settings
from notification_svc.domain.model import RetryPolicy
from notification_svc.domain.webhooks import RetrySchedule
from notification_svc.entrypoints.audit import AUDITED
from notification_svc.entrypoints.consumer import NotificationConsumer
from notification_svc.entrypoints.delivery import Courier
from notification_svc.entrypoints.grpc_server import SCOPES, SERVICE_NAME, NotificationServicer
from notification_svc.entrypoints.webhook_grpc import SERVICE_NAME as WEBHOOK_SERVICE_NAME
from notification_svc.entrypoints.webhook_grpc import WEBHOOK_SCOPES, WebhookServicer
from notification_svc.entrypoints.webhooks import WebhookConsumer, WebhookDispatcher
from taquilla.notifications.v1 import notification_service_pb2_grpc, webhook_service_pb2_grpc
from taquilla_runtime.audit import AuditTrail
from taquilla_runtime.db import create_engine, ping
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.messaging.outbox import KafkaPublisher
from taquilla_runtime.principal import use_secrets
from taquilla_runtime.scopes import ScopeInterceptor
from taquilla_runtime.service import ServiceProcess, Worker
from taquilla_runtime.telemetry import MetricsEndpoint


def build_engine(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.database_url,
        schema=SCHEMA,
        application_name="notification_svc",
        pool_size=settings.database_pool_size,
    )


def build_directory(settings: Settings) -> IdentityDirectory:
    return IdentityDirectory(
        settings.identity_svc_address,
        operations_email=settings.operations_email,
        operations_locale=settings.operations_locale,
    )


def build_ticket_documents(settings: Settings) -> TicketingDocuments:
    return TicketingDocuments(settings.ticketing_svc_address, deadline=settings.ticketing_deadline_seconds)


def unit_of_work_factory(engine: AsyncEngine) -> Callable[[], UnitOfWork]:
    return partial(SqlUnitOfWork, engine)


def build_courier(
    settings: Settings,
    engine: AsyncEngine,
    directory: IdentityDirectory,
    tickets: TicketingDocuments | None = None,
) -> Courier:
    return Courier(
        unit_of_work_factory(engine),
        directory=directory,
        # Its channel opens on the first order confirmation; whoever passes it in closes it.
        tickets=tickets if tickets is not None else build_ticket_documents(settings),
        renderer=JinjaRenderer(settings.default_locale, web_app_url=settings.web_app_url),
        channel=SmtpEmailSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            timeout=settings.smtp_timeout_seconds,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            ca_file=settings.smtp_ca_file,
        ),
        policy=RetryPolicy(
            settings.max_attempts,
            settings.retry_base_seconds,
            settings.retry_max_seconds,
            sending_lease_seconds=settings.sending_lease_seconds,
        ),
    )


def build_consumer(
    settings: Settings, engine: AsyncEngine, courier: Courier, dead_letters: KafkaPublisher
) -> NotificationConsumer:
    """The organizers' and operations' e-mails, from the catalog's messages."""
    return _consumer(
        settings,
        engine,
        courier,
        dead_letters,
        settings.topic,
        settings.dead_letter_topic,
        settings.consumer_group,
    )


def build_orders_consumer(
    settings: Settings, engine: AsyncEngine, courier: Courier, dead_letters: KafkaPublisher
) -> NotificationConsumer:
    """The buyers' e-mails, from ticketing's messages (the others on that topic are ignored)."""
    return _consumer(
        settings,
        engine,
        courier,
        dead_letters,
        settings.orders_topic,
        settings.orders_dead_letter_topic,
        settings.orders_consumer_group,
    )


def build_accounts_consumer(
    settings: Settings, engine: AsyncEngine, courier: Courier, dead_letters: KafkaPublisher
) -> NotificationConsumer:
    """The account holders' e-mails, from identity's messages."""
    return _consumer(
        settings,
        engine,
        courier,
        dead_letters,
        settings.accounts_topic,
        settings.accounts_dead_letter_topic,
        settings.accounts_consumer_group,
    )


def _consumer(
    settings: Settings,
    engine: AsyncEngine,
    courier: Courier,
    dead_letters: KafkaPublisher,
    topic: str,
    dead_letter_topic: str,
    group_id: str,
) -> NotificationConsumer:
    """One topic's consumer: the same courier, retries and dead-lettering for every topic."""
    return NotificationConsumer(
        unit_of_work_factory(engine),
        courier,
        dead_letters,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        security=settings.kafka_security,
        topic=topic,
        dlq_topic=dead_letter_topic,
        group_id=group_id,
        max_attempts=settings.max_attempts,
    )


def webhook_url_check(settings: Settings) -> Callable[[str], object]:
    """What a registered URL must be: https outside development, never a private address unless
    the development setting allows it (each call is checked again, at connect time)."""
    return partial(
        parse_target,
        require_https=settings.environment != "development",
        allow_private=settings.webhooks_allow_private_targets,
    )


def build_webhook_transport(settings: Settings) -> GuardedTransport:
    return GuardedTransport(
        require_https=settings.environment != "development",
        allow_private=settings.webhooks_allow_private_targets,
        timeout=settings.webhooks_timeout_seconds,
    )


def webhook_schedule(settings: Settings) -> RetrySchedule:
    return RetrySchedule(
        base_seconds=settings.webhooks_retry_base_seconds,
        max_seconds=settings.webhooks_retry_max_seconds,
        window=dt.timedelta(hours=settings.webhooks_retry_window_hours),
        disable_after=dt.timedelta(hours=settings.webhooks_disable_after_hours),
    )


def build_webhook_dispatcher(
    settings: Settings,
    engine: AsyncEngine,
    courier: Courier | None,
    *,
    transport: WebhookTransport | None = None,
    organizations: Organizations | None = None,
    clock: Clock = system_clock,
) -> WebhookDispatcher:
    """The loop that attempts due deliveries; tests pass their own transport or clock. The e-mail
    about a disabled endpoint goes to the organizers ``organizations`` names (identity_svc)."""
    return WebhookDispatcher(
        unit_of_work_factory(engine),
        transport or build_webhook_transport(settings),
        courier,
        schedule=webhook_schedule(settings),
        organizations=organizations,
        poll_seconds=settings.webhooks_poll_seconds,
        concurrency=settings.webhooks_concurrency,
        clock=clock,
    )


def build_webhook_consumers(
    settings: Settings, engine: AsyncEngine, dead_letters: KafkaPublisher, wake: Callable[[], None]
) -> list[WebhookConsumer]:
    """The catalog's and ticketing's messages that have a webhook type, each topic its own group."""
    return [
        WebhookConsumer(
            unit_of_work_factory(engine),
            dead_letters,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            security=settings.kafka_security,
            topic=topic,
            dlq_topic=dead_letter_topic,
            group_id=group_id,
            max_attempts=settings.max_attempts,
            wake=wake,
        )
        for topic, dead_letter_topic, group_id in (
            (
                settings.topic,
                settings.webhooks_events_dead_letter_topic,
                settings.webhooks_events_consumer_group,
            ),
            (
                settings.orders_topic,
                settings.webhooks_orders_dead_letter_topic,
                settings.webhooks_orders_consumer_group,
            ),
        )
    ]


def build_webhook_servicer(settings: Settings, engine: AsyncEngine) -> WebhookServicer:
    return WebhookServicer(
        unit_of_work_factory(engine),
        check_url=webhook_url_check(settings),
        rotation_overlap=dt.timedelta(hours=settings.webhooks_rotation_overlap_hours),
    )


def build_servicer(engine: AsyncEngine, courier: Courier) -> NotificationServicer:
    return NotificationServicer(unit_of_work_factory(engine), courier)


def build_service(settings: Settings) -> ServiceProcess:
    use_secrets(settings.principal_secret_values())  # ADR 0021: sign and check principals
    engine = build_engine(settings)
    directory = build_directory(settings)
    tickets = build_ticket_documents(settings)
    courier = build_courier(settings, engine, directory, tickets)
    dead_letters = KafkaPublisher(
        settings.kafka_bootstrap_servers, client_id="notification-svc-dlq", security=settings.kafka_security
    )
    consumer = build_consumer(settings, engine, courier, dead_letters)
    orders_consumer = build_orders_consumer(settings, engine, courier, dead_letters)
    accounts_consumer = build_accounts_consumer(settings, engine, courier, dead_letters)
    dispatcher = build_webhook_dispatcher(settings, engine, courier, organizations=directory)
    events_webhooks, orders_webhooks = build_webhook_consumers(
        settings, engine, dead_letters, dispatcher.wake
    )
    grpc_service = GrpcService(
        address=settings.grpc_address,
        reflection=settings.grpc_reflection,
        service_names=[SERVICE_NAME, WEBHOOK_SERVICE_NAME],
        register=[
            partial(
                notification_service_pb2_grpc.add_NotificationServiceServicer_to_server,
                build_servicer(engine, courier),
            ),
            partial(
                webhook_service_pb2_grpc.add_WebhookServiceServicer_to_server,
                build_webhook_servicer(settings, engine),
            ),
        ],
        readiness_checks=[partial(ping, engine)],
        grace_seconds=settings.shutdown_grace_seconds,
        audit=AuditTrail(engine, AUDITED),
        interceptors=[
            ScopeInterceptor(SERVICE_NAME, SCOPES),
            ScopeInterceptor(WEBHOOK_SERVICE_NAME, WEBHOOK_SCOPES),
        ],
    )

    async def close() -> None:
        await dead_letters.close()
        await directory.close()
        await tickets.close()
        await engine.dispose()

    return ServiceProcess(
        grpc=grpc_service,
        metrics=MetricsEndpoint(settings.metrics_address),
        workers=[
            Worker("kafka-consumer", consumer.run, consumer.stop),
            Worker("kafka-orders-consumer", orders_consumer.run, orders_consumer.stop),
            Worker("kafka-accounts-consumer", accounts_consumer.run, accounts_consumer.stop),
            Worker("kafka-webhooks-consumer", events_webhooks.run, events_webhooks.stop),
            Worker("kafka-webhooks-orders-consumer", orders_webhooks.run, orders_webhooks.stop),
            Worker("webhook-dispatcher", dispatcher.run, dispatcher.stop),
        ],
        on_shutdown=[close],
    )
