"""notification_svc settings: the only reader of the environment (prefix NOTIFICATION_SVC_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings

SCHEMA = "notifications"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_SVC_", extra="ignore", frozen=True)

    grpc_address: str = "127.0.0.1:50053"
    metrics_address: str = "127.0.0.1:9103"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    mail_from: str = "Taquilla <no-reply@taquilla.local>"
    operations_email: str = "operations@taquilla.local"
