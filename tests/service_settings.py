"""What the services read from their environment, for the tests of the files that configure them.

docker-compose.yml (tests/compose) and the Kubernetes manifests (tests/deploy) set environment
variables and ports for the same services; both are checked against the one source, each service's
pydantic settings class: a variable must be a field of that class under its env prefix, and a port
must be the one the settings name. The platform's shared facts the two files must agree on (the
Kafka topics, the databases) are here too.
"""

from __future__ import annotations

import importlib
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from taquilla_runtime.settings import parse_address

GRPC_SERVICES = ("identity_svc", "event_svc", "notification_svc", "ticketing_svc")
KAFKA_TOPICS = (
    "taquilla.events.v1",
    "taquilla.events.v1.dlq",
    "taquilla.events.v1.ticketing-dlq",
    "taquilla.ticketing.v1",
    "taquilla.ticketing.v1.dlq",
    "taquilla.ticketing.v1.notification-dlq",
    "taquilla.ticketing.v1.reports-dlq",
    "taquilla.identity.v1",
    "taquilla.identity.v1.notification-dlq",
    "taquilla.events.v1.webhooks-dlq",
    "taquilla.ticketing.v1.webhooks-dlq",
)
# The partition count docker-compose.yml's kafka-init and devstack create every topic with.
KAFKA_PARTITIONS = 6
# service -> (database, role, schema), as docs and layout define them.
DATABASES = {
    "identity_svc": ("taquilla_identity", "identity_svc", "identity"),
    "event_svc": ("taquilla_events", "event_svc", "catalog"),
    "notification_svc": ("taquilla_notifications", "notification_svc", "notifications"),
    "ticketing_svc": ("taquilla_ticketing", "ticketing_svc", "ticketing"),
}
# Read by taquilla_runtime.telemetry (the OpenTelemetry SDK's own names), not by a settings class.
OPENTELEMETRY_VARIABLES = frozenset({"OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT"})
# Settings that carry a credential without being typed SecretStr (a password inside a URL, a key).
CREDENTIAL_FIELDS = frozenset(
    {"database_url", "redis_url", "key_encryption_key", "secret_key", "webhook_secret", "kafka_sasl_password"}
)


@dataclass(frozen=True)
class ServiceSettings:
    """One Python service: its package, the name its container and network address go by, its settings."""

    package: str
    name: str
    settings_class_name: str

    @cached_property
    def settings(self) -> type[BaseSettings]:
        module = importlib.import_module(f"{self.package}.config")
        cls: type[BaseSettings] = getattr(module, self.settings_class_name)
        assert issubclass(cls, BaseSettings)
        return cls

    @property
    def prefix(self) -> str:
        return str(self.settings.model_config.get("env_prefix", ""))

    @cached_property
    def variables(self) -> dict[str, str]:
        """Environment variable -> settings field, for every field."""
        return {f"{self.prefix}{field.upper()}": field for field in self.settings.model_fields}

    def default(self, field: str) -> Any:
        return self.settings.model_fields[field].get_default(call_default_factory=True)

    def default_port(self, field: str) -> int:
        """The port of an address field's default (``grpc_address`` -> 50051), or an int field's default."""
        value = self.default(field)
        return value if isinstance(value, int) else parse_address(str(value))[1]

    def is_credential(self, variable: str) -> bool:
        field = self.variables[variable]
        annotation = self.settings.model_fields[field].annotation
        secret_typed = annotation is SecretStr or SecretStr in typing.get_args(annotation)
        return secret_typed or field in CREDENTIAL_FIELDS


PYTHON_SERVICES: dict[str, ServiceSettings] = {
    service.package: service
    for service in (
        ServiceSettings("identity_svc", "identity-svc", "Settings"),
        ServiceSettings("event_svc", "event-svc", "Settings"),
        ServiceSettings("notification_svc", "notification-svc", "Settings"),
        ServiceSettings("ticketing_svc", "ticketing-svc", "Settings"),
        ServiceSettings("edge", "edge", "EdgeSettings"),
        ServiceSettings("psp_sim", "psp-sim", "Settings"),
    )
}


def unknown_variables(package: str, names: typing.Iterable[str]) -> list[str]:
    """The names among ``names`` that the service reads from nowhere (a typo, a renamed setting)."""
    known = PYTHON_SERVICES[package].variables.keys() | OPENTELEMETRY_VARIABLES
    return sorted(set(names) - known)
