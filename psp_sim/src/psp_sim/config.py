"""The simulator's settings: the only reader of the environment (prefix ``PSP_SIM_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The API version of the `stripe` SDK the workspace pins (stripe==16.1.0); events carry it.
STRIPE_API_VERSION = "2026-10-28.endive"


class Settings(BaseSettings):
    """Where the simulator listens, the keys it expects and how it delivers webhooks."""

    model_config = SettingsConfigDict(env_prefix="PSP_SIM_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=12111, ge=0, lt=65536)
    public_url: str = Field(
        default="", description="base URL of the hosted payment page; default http://HOST:PORT"
    )
    # Public development values: the simulator moves no money, so its keys guard nothing.
    secret_key: str = "sk_test_taquilla_simulator"  # noqa: S105
    webhook_url: str | None = Field(default=None, description="where events are POSTed; unset: only stored")
    webhook_secret: str = "whsec_taquilla_simulator_development"  # noqa: S105
    test_controls: bool = Field(default=False, description="serve the unauthenticated /_sim/ switches")
    delayed_seconds: float = Field(default=5.0, ge=0, le=3600)
    webhook_retry_base_seconds: float = Field(default=1.0, gt=0, le=3600)
    webhook_retry_max_seconds: float = Field(default=60.0, gt=0, le=86400)
    webhook_max_attempts: int = Field(default=25, ge=1, le=1000)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    idempotency_ttl_seconds: float = Field(default=24 * 3600, gt=0)
    api_version: str = STRIPE_API_VERSION
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _refuse_live_keys(self) -> Settings:
        # A simulator only ever plays test mode; a live key here is a key pasted in the wrong place.
        if not self.secret_key.startswith("sk_test_"):
            raise ValueError("secret_key must be a test key (sk_test_...): this is a simulator")
        if not self.webhook_secret:
            raise ValueError("webhook_secret must not be empty")
        return self

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
