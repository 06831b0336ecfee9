"""Settings conventions shared by every service.

Each service subclasses :class:`ServiceSettings` in its own ``config.py`` with its own ``env_prefix``
(``IDENTITY_SVC_``, ``EVENT_SVC_``, ...). Settings are the only readers of the environment. Services
fail fast at start-up on missing or placeholder configuration outside development.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from taquilla_runtime.messaging.security import KafkaSecurity, SaslMechanism, SecurityProtocol
from taquilla_runtime.principal import DEVELOPMENT_PRINCIPAL_SECRET, MIN_SECRET_LENGTH

# Passwords that only ever belong on a developer's machine.
PLACEHOLDER_SECRETS = frozenset({"", "taquilla", "postgres", "password", "change-me", "changeme", "secret"})


def parse_address(address: str) -> tuple[str, int]:
    """Splits ``host:port`` (IPv6 as ``[::1]:50051``) into its parts; a gRPC target naming the DNS
    resolver, ``dns:///host:port`` (every address of a headless Kubernetes Service), is read alike."""
    host, sep, port = address.removeprefix("dns:///").rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


class ServiceSettings(BaseSettings):
    """Configuration every gRPC service has."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    database_url: str = Field(description="postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE")
    database_pool_size: int = Field(default=10, ge=1, le=200)
    grpc_address: str = "127.0.0.1:50051"
    metrics_address: str = "127.0.0.1:9101"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # PLAINTEXT for the local broker; SASL_PLAINTEXT / SASL_SSL with a user for Compose and Kubernetes.
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "PLAIN"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    shutdown_grace_seconds: float = Field(default=10.0, gt=0, le=120)
    # The secrets the principals in gRPC metadata are signed with (ADR 0021), the same in every
    # process of the platform (the edge's EDGE_PRINCIPAL_SECRETS too): signed with the first, accepted
    # with any (current and previous, for a rotation). A JSON list or comma-separated.
    principal_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=lambda: [SecretStr(DEVELOPMENT_PRINCIPAL_SECRET)], min_length=1, max_length=2
    )

    @property
    def grpc_reflection(self) -> bool:
        """gRPC server reflection (grpcurl, grpcui): in development only; elsewhere it only maps the
        internal API for whoever reaches the port."""
        return self.environment == "development"

    def principal_secret_values(self) -> list[str]:
        return [secret.get_secret_value() for secret in self.principal_secrets]

    @field_validator("principal_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_configuration(self) -> ServiceSettings:
        for address in (self.grpc_address, self.metrics_address):
            parse_address(address)
        url = urlsplit(self.database_url)
        if not url.scheme.startswith("postgresql"):
            raise ValueError("database_url must be a postgresql+asyncpg:// URL")
        if self.environment == "production" and (url.password or "") in PLACEHOLDER_SECRETS:
            raise ValueError("database_url uses a development password; set a real secret in production")
        if self.environment == "production" and any(
            value == DEVELOPMENT_PRINCIPAL_SECRET or len(value) < MIN_SECRET_LENGTH
            for value in self.principal_secret_values()
        ):
            raise ValueError(
                "principal_secrets holds the development secret or a short one (under "
                f"{MIN_SECRET_LENGTH} characters); set the platform's shared secret in production"
            )
        if self.kafka_security_protocol.startswith("SASL_"):
            if not self.kafka_sasl_username:
                raise ValueError("kafka_sasl_username is required with a SASL security protocol")
            if self.environment == "production" and self.kafka_sasl_password in PLACEHOLDER_SECRETS:
                raise ValueError(
                    "kafka_sasl_password is a development password; set a real secret in production"
                )
        return self

    @property
    def kafka_security(self) -> KafkaSecurity:
        return KafkaSecurity(
            self.kafka_security_protocol,
            self.kafka_sasl_mechanism,
            self.kafka_sasl_username,
            self.kafka_sasl_password,
        )
