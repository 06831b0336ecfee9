"""Wires event_svc: the only place objects are built."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from event_svc.adapters.listings import SqlCatalogListings
from event_svc.adapters.orm import outbox
from event_svc.adapters.ticketing import GrpcTakenPlaces
from event_svc.adapters.unit_of_work import SqlUnitOfWork
from event_svc.application import handlers
from event_svc.application.ports import TakenPlaces, UnitOfWork
from event_svc.config import SCHEMA, Settings
from event_svc.entrypoints.audit import AUDITED
from event_svc.entrypoints.grpc_server import SCOPES, SERVICE_NAME, EventServicer
from event_svc.entrypoints.housekeeping import IdempotencyKeyExpiry
from event_svc.entrypoints.sales_messages import sales_handler
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime.audit import AuditTrail
from taquilla_runtime.db import create_engine, ping
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.messaging.consumer import EnvelopeConsumer
from taquilla_runtime.messaging.outbox import KafkaPublisher, OutboxRelay
from taquilla_runtime.principal import use_secrets
from taquilla_runtime.scopes import ScopeInterceptor
from taquilla_runtime.service import ServiceProcess, Worker
from taquilla_runtime.telemetry import MetricsEndpoint


def build_engine(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.database_url,
        schema=SCHEMA,
        application_name="event_svc",
        pool_size=settings.database_pool_size,
    )


def unit_of_work_factory(engine: AsyncEngine) -> Callable[[], UnitOfWork]:
    return partial(SqlUnitOfWork, engine)


def build_servicer(engine: AsyncEngine, taken: TakenPlaces | None = None) -> EventServicer:
    return EventServicer(unit_of_work_factory(engine), SqlCatalogListings(engine), taken=taken)


def build_service(settings: Settings) -> ServiceProcess:
    use_secrets(settings.principal_secret_values())  # ADR 0021: sign and check principals
    engine = build_engine(settings)
    publisher = KafkaPublisher(
        settings.kafka_bootstrap_servers, client_id="event-svc-outbox", security=settings.kafka_security
    )
    relay = OutboxRelay(engine, outbox, publisher)
    expiry = IdempotencyKeyExpiry(engine)
    taken = GrpcTakenPlaces(settings.ticketing_svc_address)
    uow = unit_of_work_factory(engine)
    dead_letters = KafkaPublisher(
        settings.kafka_bootstrap_servers, client_id="event-svc-dlq", security=settings.kafka_security
    )
    sales = EnvelopeConsumer(
        sales_handler(lambda cmd: handlers.follow_sales(cmd, uow())),
        dead_letters,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        security=settings.kafka_security,
        topic=settings.ticketing_topic,
        dead_letter_topic=settings.ticketing_dead_letter_topic,
        group_id=settings.consumer_group,
    )
    grpc_service = GrpcService(
        address=settings.grpc_address,
        reflection=settings.grpc_reflection,
        service_names=[SERVICE_NAME],
        register=[
            partial(event_service_pb2_grpc.add_EventServiceServicer_to_server, build_servicer(engine, taken))
        ],
        readiness_checks=[partial(ping, engine)],
        grace_seconds=settings.shutdown_grace_seconds,
        audit=AuditTrail(engine, AUDITED),
        interceptors=[ScopeInterceptor(SERVICE_NAME, SCOPES)],
    )

    async def close() -> None:
        await publisher.close()
        await dead_letters.close()
        await taken.close()
        await engine.dispose()

    return ServiceProcess(
        grpc=grpc_service,
        metrics=MetricsEndpoint(settings.metrics_address),
        workers=[
            Worker("outbox-relay", relay.run, relay.stop),
            Worker("idempotency-key-expiry", expiry.run, expiry.stop),
            Worker("sales-consumer", sales.run, sales.stop),
        ],
        on_shutdown=[close],
    )
