"""Edge settings: the only reader of the environment (prefix EDGE_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EdgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EDGE_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    identity_svc_address: str = "127.0.0.1:50051"
    event_svc_address: str = "127.0.0.1:50052"
    notification_svc_address: str = "127.0.0.1:50053"
    redis_url: str = "redis://127.0.0.1:6379/0"
    grpc_deadline_seconds: float = Field(default=5.0, gt=0, le=60)
    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    forwarded_allow_ips: str = "127.0.0.1"
    shutdown_grace_seconds: float = Field(default=10.0, gt=0, le=120)
