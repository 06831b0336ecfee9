"""Wires identity_svc: the only place objects are built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from identity_svc.adapters.crypto import Argon2Hasher, Ed25519KeyRing
from identity_svc.adapters.orm import outbox
from identity_svc.adapters.unit_of_work import SqlUnitOfWork
from identity_svc.application import handlers
from identity_svc.application.handlers import Clock, TokenSettings, system_clock
from identity_svc.application.ports import KeyRing, PasswordHasher, UnitOfWork
from identity_svc.config import SCHEMA, Settings
from identity_svc.domain.model import PublicClient
from identity_svc.entrypoints.grpc_server import SCOPES, SERVICE_NAME, IdentityHandlers, IdentityServicer
from taquilla.identity.v1 import identity_service_pb2_grpc
from taquilla_runtime.audit import AuditTrail
from taquilla_runtime.db import create_engine, ping
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.messaging.outbox import KafkaPublisher, OutboxRelay
from taquilla_runtime.principal import use_secrets
from taquilla_runtime.scopes import ScopeInterceptor
from taquilla_runtime.service import ServiceProcess, Worker
from taquilla_runtime.telemetry import MetricsEndpoint


def build_engine(settings: Settings) -> AsyncEngine:
    return create_engine(
        settings.database_url,
        schema=SCHEMA,
        application_name="identity_svc",
        pool_size=settings.database_pool_size,
    )


def unit_of_work_factory(engine: AsyncEngine) -> Callable[[], UnitOfWork]:
    return partial(SqlUnitOfWork, engine)


def build_password_hasher() -> PasswordHasher:
    return Argon2Hasher()


def bind_handlers(
    *,
    clock: Clock,
    hasher: PasswordHasher,
    keys: KeyRing,
    tokens: TokenSettings,
    clients: Mapping[str, PublicClient] | None = None,
) -> IdentityHandlers:
    """Every use case with its dependencies, injected here once."""
    return IdentityHandlers(
        register_customer=partial(handlers.register_customer, clock=clock, hasher=hasher),
        get_current_user=handlers.get_current_user,
        issue_password_grant=partial(
            handlers.issue_password_grant, clock=clock, hasher=hasher, keys=keys, tokens=tokens
        ),
        issue_authorization_code=partial(
            handlers.issue_authorization_code, clock=clock, hasher=hasher, clients=clients or {}
        ),
        issue_authorization_code_grant=partial(
            handlers.issue_authorization_code_grant, clock=clock, keys=keys, tokens=tokens
        ),
        issue_refresh_grant=partial(handlers.issue_refresh_grant, clock=clock, keys=keys, tokens=tokens),
        issue_client_credentials_grant=partial(
            handlers.issue_client_credentials_grant, clock=clock, keys=keys, tokens=tokens
        ),
        revoke_refresh_token=partial(handlers.revoke_refresh_token, clock=clock),
        get_jwks=partial(handlers.get_jwks, clock=clock, keys=keys),
        rotate_signing_key=partial(handlers.rotate_signing_key, clock=clock, keys=keys),
        list_users=handlers.list_users,
        list_organizations=handlers.list_organizations,
        update_user=handlers.update_user,
        create_organization=partial(handlers.create_organization, clock=clock),
        create_api_client=handlers.create_api_client,
        list_audit_entries=handlers.list_audit_entries,
        get_user_contact=handlers.get_user_contact,
        list_organization_contacts=handlers.list_organization_contacts,
        update_my_profile=handlers.update_my_profile,
        change_my_password=partial(handlers.change_my_password, clock=clock, hasher=hasher),
        get_organization=handlers.get_organization,
    )


def public_clients(settings: Settings) -> dict[str, PublicClient]:
    web = PublicClient(settings.web_client_id, frozenset(settings.web_redirect_uris))
    return {web.client_id: web}


def build_servicer(settings: Settings, engine: AsyncEngine) -> IdentityServicer:
    return IdentityServicer(
        unit_of_work_factory(engine),
        bind_handlers(
            clock=system_clock,
            hasher=build_password_hasher(),
            keys=Ed25519KeyRing(settings.key_encryption_key),
            tokens=TokenSettings(issuer=settings.token_issuer, audience=settings.token_audience),
            clients=public_clients(settings),
        ),
    )


def build_service(settings: Settings) -> ServiceProcess:
    use_secrets(settings.principal_secret_values())  # ADR 0021: sign and check principals
    engine = build_engine(settings)
    grpc_service = GrpcService(
        address=settings.grpc_address,
        reflection=settings.grpc_reflection,
        service_names=[SERVICE_NAME],
        register=[
            partial(
                identity_service_pb2_grpc.add_IdentityServiceServicer_to_server,
                build_servicer(settings, engine),
            )
        ],
        readiness_checks=[partial(ping, engine)],
        grace_seconds=settings.shutdown_grace_seconds,
        # identity's handlers write their own audit rows in their transactions (a sign-in learns its
        # actor during the call; a taken address is an outcome of its own): no method for the
        # interceptor, but the same table and the shared reader (docs/adr/0019-one-audit-trail.md).
        audit=AuditTrail(engine, {}),
        interceptors=[ScopeInterceptor(SERVICE_NAME, SCOPES)],
    )
    # taquilla.identity.v1: registration attempts on taken addresses, e-mailed by notification_svc.
    publisher = KafkaPublisher(
        settings.kafka_bootstrap_servers, client_id="identity-svc-outbox", security=settings.kafka_security
    )
    relay = OutboxRelay(engine, outbox, publisher)

    async def close() -> None:
        await publisher.close()
        await engine.dispose()

    return ServiceProcess(
        grpc=grpc_service,
        metrics=MetricsEndpoint(settings.metrics_address),
        workers=[Worker("outbox-relay", relay.run, relay.stop)],
        on_shutdown=[close],
    )
