"""Edge settings: the only reader of the environment (prefix EDGE_)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from taquilla_runtime.principal import DEVELOPMENT_PRINCIPAL_SECRET, MIN_SECRET_LENGTH

# Development only: the PSP simulator signs its webhooks with it; production refuses it.
DEVELOPMENT_STRIPE_WEBHOOK_SECRET = "whsec_taquilla_simulator_development"  # noqa: S105


class EdgeSettings(BaseSettings):
    """Everything the edge reads from its environment."""

    # hide_input_in_errors: a refused setting's error never prints the secrets it was given.
    model_config = SettingsConfigDict(
        env_prefix="EDGE_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # The internal port (same host): /readyz with every dependency's state, for operators, probes and
    # `make status`, never published. On the public port /readyz answers its status only and is
    # rate-limited like any anonymous call. 0 opens no internal port.
    internal_port: int = Field(default=8001, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    identity_svc_address: str = "127.0.0.1:50051"
    event_svc_address: str = "127.0.0.1:50052"
    notification_svc_address: str = "127.0.0.1:50053"
    ticketing_svc_address: str = "127.0.0.1:50054"
    redis_url: str = "redis://127.0.0.1:6379/0"
    grpc_deadline_seconds: float = Field(default=5.0, gt=0, le=60)
    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    # The proxies in front of the edge (addresses or CIDR networks, a JSON list or comma-separated):
    # only when the peer is one of them is X-Forwarded-For read, from the right, skipping them
    # (edge.security.client_address). Empty (the default): the peer is the client. Never "*".
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list, max_length=64)
    # Renamed to trusted_proxies: set, it stops the edge rather than being silently ignored.
    forwarded_allow_ips: str | None = None
    token_issuer: str = Field(
        default="", description="`iss` expected in access tokens; defaults to public_url"
    )
    token_audience: str = "taquilla-api"  # noqa: S105 (an audience name)
    # The OAuth 2.0 password grant (RFC 9700 says it must not be used): unset, it is on in development
    # and tests (the demo scripts, benchmarks and API tests sign in with it) and off in production.
    password_grant_enabled: bool | None = None
    # The web app: the public client of the authorization code flow whose refresh token lives in an
    # HttpOnly cookie (identity_svc registers it and its redirect URIs: IDENTITY_SVC_WEB_CLIENT_ID).
    web_client_id: str = Field(default="taquilla-web", min_length=1, max_length=64)
    jwks_cache_seconds: float = Field(default=300, gt=0)
    # Rate limits as "REQUESTS/SECONDS".
    rate_limit_auth: str = "20/60"
    rate_limit_anonymous: str = "300/60"
    rate_limit_user: str = "1200/60"
    rate_limit_client_standard: str = "1200/60"
    rate_limit_client_partner: str = "6000/60"
    # Password sign-ins per username (normalized, hashed), from any address, a successful one given
    # back: against password spraying from many addresses, under identity_svc's lockout.
    rate_limit_username: str = "10/900"
    shutdown_grace_seconds: float = Field(default=10.0, gt=0, le=120)
    # Catalog responses cached in Redis (edge.cache): how long an entry lives at most (bounds the
    # staleness of writes that do not go through an edge), and how long a request waits for another
    # one rebuilding the same entry before asking the service itself.
    cache_ttl_seconds: float = Field(default=30.0, gt=0, le=3600)
    cache_wait_seconds: float = Field(default=1.0, ge=0, le=10)
    # Places left per session x zone change with every sale: each edge keeps an event's answer this
    # long at most, so a poll is at most this plus one database read stale.
    availability_cache_seconds: float = Field(default=1.0, ge=0, le=2)
    # Strict-Transport-Security on every answer when public_url is https (the edge behind TLS): browsers
    # then never try plain http for this host for max-age seconds. 0 leaves the header out.
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0, le=63_072_000)
    # Revoked access tokens (logouts) are copied from Redis every revocation_refresh_seconds; while
    # Redis is down a bearer request is served only if that copy is at most
    # revocation_copy_max_age_seconds old (edge.security.revocations), and refused with 503 otherwise.
    revocation_refresh_seconds: float = Field(default=5.0, gt=0, le=60)
    revocation_copy_max_age_seconds: float = Field(default=30.0, gt=0, le=300)
    # How long an Idempotency-Key stays marked as running (edge.api.idempotency) when its request
    # never clears the mark (the edge stopped mid-request): longer than any request takes.
    idempotency_running_seconds: float = Field(default=30.0, gt=0, le=600)
    # The web app's origin: where the payment page sends a buyer back (`/orders/{ORDER_ID}`) when
    # the order names no return_url.
    web_app_url: str = Field(default="http://127.0.0.1:5173", pattern=r"^https?://[^\s/?#]+/?$")
    # Stripe's webhook signing secrets ("whsec_…"): a notification signed by any of them is accepted,
    # so a secret can be rotated without refusing the provider meanwhile (set both, then drop the old).
    # EDGE_STRIPE_WEBHOOK_SECRETS is a JSON list or comma-separated.
    stripe_webhook_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=lambda: [SecretStr(DEVELOPMENT_STRIPE_WEBHOOK_SECRET)], min_length=1, max_length=2
    )
    # The secrets the principals the edge sends to the services are signed with (ADR 0021), the same
    # as the services' *_PRINCIPAL_SECRETS: signed with the first, accepted with any (a rotation).
    principal_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=lambda: [SecretStr(DEVELOPMENT_PRINCIPAL_SECRET)], min_length=1, max_length=2
    )

    def on_internal_port(self, server: tuple[str, int] | None) -> bool:
        """Whether a request came in on the internal port (ASGI ``scope["server"]``: the socket's own
        address, not anything the client sent)."""
        return bool(self.internal_port) and server is not None and server[1] == self.internal_port

    @property
    def interactive_docs(self) -> bool:
        """Swagger UI (/docs) and ReDoc (/redoc): not in production, where they only advertise the
        attack surface (the OpenAPI document itself stays at /openapi.json for partners)."""
        return self.environment != "production"

    @property
    def strict_transport_security(self) -> str | None:
        """The HSTS header's value, when the edge is reached over https."""
        if self.hsts_max_age_seconds == 0 or not self.public_url.lower().startswith("https://"):
            return None
        return f"max-age={self.hsts_max_age_seconds}; includeSubDomains"

    @property
    def allows_password_grant(self) -> bool:
        if self.password_grant_enabled is not None:
            return self.password_grant_enabled
        return self.environment != "production"

    @property
    def issuer(self) -> str:
        return self.token_issuer or self.public_url.rstrip("/")

    @field_validator("stripe_webhook_secrets", "trusted_proxies", "principal_secrets", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # pydantic-settings would decode the variable as JSON only; a comma-separated list is the
        # usual way to write two secrets (or a few addresses) in an environment variable.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> EdgeSettings:
        if self.environment == "production":
            for secret in self.stripe_webhook_secrets:
                value = secret.get_secret_value()
                if value == DEVELOPMENT_STRIPE_WEBHOOK_SECRET or len(value) < 16:
                    raise ValueError(
                        "stripe_webhook_secrets holds the development secret or a short one; "
                        "set the provider's signing secrets in production"
                    )
            for secret in self.principal_secrets:
                value = secret.get_secret_value()
                if value == DEVELOPMENT_PRINCIPAL_SECRET or len(value) < MIN_SECRET_LENGTH:
                    raise ValueError(
                        "principal_secrets holds the development secret or a short one (under "
                        f"{MIN_SECRET_LENGTH} characters); set the platform's shared secret in production"
                    )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: list[str]) -> list[str]:
        from edge.security.client_address import TrustedProxies

        TrustedProxies.parse(value)
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _renamed(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError(
                "EDGE_FORWARDED_ALLOW_IPS is gone: set EDGE_TRUSTED_PROXIES to the proxies' addresses "
                "or networks (never '*'; empty trusts no X-Forwarded-For)"
            )
        return value

    @model_validator(mode="after")
    def _internal_port_is_its_own(self) -> EdgeSettings:
        if self.internal_port and self.internal_port == self.port:
            raise ValueError("internal_port must differ from port (the public one)")
        return self

    @model_validator(mode="after")
    def _check_rate_limits(self) -> EdgeSettings:
        from edge.security.ratelimit import Limit

        for name in ("auth", "anonymous", "user", "client_standard", "client_partner", "username"):
            Limit.parse(getattr(self, f"rate_limit_{name}"))
        return self
