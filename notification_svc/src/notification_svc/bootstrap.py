"""Wires notification_svc: the only place objects are built."""

from __future__ import annotations

from functools import partial

from notification_svc.config import SCHEMA, Settings
from notification_svc.entrypoints.grpc_server import SERVICE_NAME, NotificationServicer
from taquilla.notifications.v1 import notification_service_pb2_grpc
from taquilla_runtime.db import create_engine, ping
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.service import ServiceProcess
from taquilla_runtime.telemetry import MetricsEndpoint


def build_service(settings: Settings) -> ServiceProcess:
    engine = create_engine(
        settings.database_url,
        schema=SCHEMA,
        application_name="notification_svc",
        pool_size=settings.database_pool_size,
    )
    grpc_service = GrpcService(
        address=settings.grpc_address,
        service_names=[SERVICE_NAME],
        register=[
            partial(
                notification_service_pb2_grpc.add_NotificationServiceServicer_to_server,
                NotificationServicer(),
            )
        ],
        readiness_checks=[partial(ping, engine)],
        grace_seconds=settings.shutdown_grace_seconds,
    )
    return ServiceProcess(
        grpc=grpc_service, metrics=MetricsEndpoint(settings.metrics_address), on_shutdown=[engine.dispose]
    )
