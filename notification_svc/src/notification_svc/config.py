"""notification_svc settings: the only reader of the environment (prefix NOTIFICATION_SVC_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings

SCHEMA = "notifications"
# SMTP hosts that never leave this machine: plain SMTP to them is allowed in production.
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATION_SVC_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

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
    # none (a local relay or sink), starttls (usually port 587) or tls (usually 465); production
    # refuses none unless the host is this machine. AUTH when smtp_username is set.
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    # PEM file of the authorities that sign the SMTP server's certificate (empty: the system's).
    smtp_ca_file: str = ""
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
    # The account holders' e-mails: someone tried to register with their address (taquilla.identity.v1).
    accounts_topic: str = "taquilla.identity.v1"
    accounts_dead_letter_topic: str = "taquilla.identity.v1.notification-dlq"
    accounts_consumer_group: str = "notification-svc-accounts"
    # Partners' webhooks (docs/webhooks.md): two more consumer groups keep the messages with a
    # webhook type; the dispatcher attempts the deliveries.
    webhooks_events_dead_letter_topic: str = "taquilla.events.v1.webhooks-dlq"
    webhooks_events_consumer_group: str = "notification-svc-webhooks"
    webhooks_orders_dead_letter_topic: str = "taquilla.ticketing.v1.webhooks-dlq"
    webhooks_orders_consumer_group: str = "notification-svc-webhooks-orders"
    # A receiver on this machine or a private network (a test's, a developer's): development only.
    webhooks_allow_private_targets: bool = False
    webhooks_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    webhooks_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhooks_concurrency: int = Field(default=10, ge=1, le=200)
    # Deliveries are retried with exponential backoff (from base, capped) for retry_window_hours; an
    # endpoint whose every attempt failed for disable_after_hours is disabled.
    webhooks_retry_base_seconds: float = Field(default=5.0, gt=0, le=3600)
    webhooks_retry_max_seconds: float = Field(default=10800.0, gt=0, le=86400)
    webhooks_retry_window_hours: float = Field(default=24.0, gt=0, le=168)
    webhooks_disable_after_hours: float = Field(default=24.0, gt=0, le=168)
    # How long the previous secret keeps signing after a rotation.
    webhooks_rotation_overlap_hours: float = Field(default=24.0, ge=0, le=168)
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_base_seconds: float = Field(default=0.5, gt=0, le=60)
    retry_max_seconds: float = Field(default=30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _refuse_unsafe_settings(self) -> Settings:
        if self.smtp_username and not self.smtp_password.get_secret_value():
            raise ValueError("smtp_username is set without smtp_password")
        local = self.smtp_host in LOCAL_HOSTS
        if self.environment == "production" and self.smtp_security == "none" and not local:
            raise ValueError(
                "smtp_security is none for a host that is not this machine: the mail (and any SMTP "
                "password) would travel in the clear; set starttls or tls in production"
            )
        if self.webhooks_allow_private_targets and self.environment != "development":
            raise ValueError(
                "webhooks_allow_private_targets lets partners' endpoints reach this network: development only"
            )
        return self
