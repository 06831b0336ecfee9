"""notification_svc settings: the only reader of the environment (prefix NOTIFICATION_SVC_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings

SCHEMA = "notifications"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_SVC_", extra="ignore", frozen=True)

    grpc_address: str = "127.0.0.1:50053"
    metrics_address: str = "127.0.0.1:9103"
    identity_svc_address: str = "127.0.0.1:50051"
    # The tickets an order confirmation carries (their QR codes and PDF) come from ticketing_svc.
    ticketing_svc_address: str = "127.0.0.1:50054"
    ticketing_deadline_seconds: float = Field(default=10.0, gt=0, le=120)
    # The web app the buyers' e-mails link to (their order at <web_app_url>/orders/<id>).
    web_app_url: str = Field(default="http://127.0.0.1:5173", pattern=r"^https?://[^\s/?#]+/?$")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # An attempt's sending lease: longer than handing one e-mail over can take (smtp_timeout_seconds
    # per step); a lease older than this was left by a process that died while sending.
    sending_lease_seconds: float = Field(default=120.0, ge=1, le=3600)
    mail_from: str = "Taquilla <no-reply@taquilla.local>"
    operations_email: str = "operations@taquilla.local"
    operations_locale: Literal["es", "en"] = "es"
    default_locale: Literal["es", "en"] = "es"
    topic: str = "taquilla.events.v1"
    dead_letter_topic: str = "taquilla.events.v1.dlq"
    consumer_group: str = "notification-svc"
    # The buyers' e-mails: orders paid, declined, expired and refunded (taquilla.ticketing.v1).
    orders_topic: str = "taquilla.ticketing.v1"
    orders_dead_letter_topic: str = "taquilla.ticketing.v1.notification-dlq"
    orders_consumer_group: str = "notification-svc-orders"
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_base_seconds: float = Field(default=0.5, gt=0, le=60)
    retry_max_seconds: float = Field(default=30.0, gt=0, le=3600)
