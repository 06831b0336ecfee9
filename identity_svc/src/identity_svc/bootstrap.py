"""Wires identity_svc: the only place objects are built."""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from identity_svc.adapters.crypto import Argon2Hasher, Ed25519KeyRing
from identity_svc.adapters.unit_of_work import SqlUnitOfWork
from identity_svc.application.handlers import Deps, TokenSettings
from identity_svc.config import SCHEMA, Settings
from identity_svc.entrypoints.grpc_server import SERVICE_NAME, IdentityServicer
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime.db import create_engine, ping
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.service import ServiceProcess
from taquilla_runtime.telemetry import MetricsEndpoint


def build_engine(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.database_url,
        schema=SCHEMA,
        application_name="identity_svc",
        pool_size=settings.database_pool_size,
    )


def build_deps(settings: Settings, engine: AsyncEngine) -> Deps:
    return Deps(
        uow=partial(SqlUnitOfWork, engine),
        hasher=Argon2Hasher(),
        keys=Ed25519KeyRing(settings.key_encryption_key),
        tokens=TokenSettings(issuer=settings.token_issuer, audience=settings.token_audience),
    )


def build_service(settings: Settings) -> ServiceProcess:
    engine = build_engine(settings)
    servicer = IdentityServicer(build_deps(settings, engine))
    grpc_service = GrpcService(
        address=settings.grpc_address,
        service_names=[SERVICE_NAME],
        register=[partial(identity_service_pb2_grpc.add_IdentityServiceServicer_to_server, servicer)],
        readiness_checks=[partial(ping, engine)],
        grace_seconds=settings.shutdown_grace_seconds,
    )
    return ServiceProcess(
        grpc=grpc_service, metrics=MetricsEndpoint(settings.metrics_address), on_shutdown=[engine.dispose]
    )
