"""Edge settings: the only reader of the environment (prefix EDGE_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EdgeSettings(BaseSettings):
    """Everything the edge reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="EDGE_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    identity_svc_address: str = "127.0.0.1:50051"
    event_svc_address: str = "127.0.0.1:50052"
    notification_svc_address: str = "127.0.0.1:50053"
    ticketing_svc_address: str = "127.0.0.1:50054"
    redis_url: str = "redis://127.0.0.1:6379/0"
    grpc_deadline_seconds: float = Field(default=5.0, gt=0, le=60)
    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    forwarded_allow_ips: str = "127.0.0.1"
    token_issuer: str = Field(
        default="", description="`iss` expected in access tokens; defaults to public_url"
    )
    token_audience: str = "taquilla-api"  # noqa: S105 (an audience name)
    jwks_cache_seconds: float = Field(default=300, gt=0)
    # Rate limits as "REQUESTS/SECONDS".
    rate_limit_auth: str = "20/60"
    rate_limit_anonymous: str = "300/60"
    rate_limit_user: str = "1200/60"
    rate_limit_client_standard: str = "1200/60"
    rate_limit_client_partner: str = "6000/60"
    shutdown_grace_seconds: float = Field(default=10.0, gt=0, le=120)
    # Catalog responses cached in Redis (edge.cache): how long an entry lives at most (bounds the
    # staleness of writes that do not go through an edge), and how long a request waits for another
    # one rebuilding the same entry before asking the service itself.
    cache_ttl_seconds: float = Field(default=30.0, gt=0, le=3600)
    cache_wait_seconds: float = Field(default=1.0, ge=0, le=10)
    # Places left per session x zone change with every sale: each edge keeps an event's answer this
    # long at most, so a poll is at most this plus one database read stale.
    availability_cache_seconds: float = Field(default=1.0, ge=0, le=2)

    @property
    def issuer(self) -> str:
        return self.token_issuer or self.public_url.rstrip("/")

    @model_validator(mode="after")
    def _check_rate_limits(self) -> EdgeSettings:
        from edge.security.ratelimit import Limit

        for name in ("auth", "anonymous", "user", "client_standard", "client_partner"):
            Limit.parse(getattr(self, f"rate_limit_{name}"))
        return self
