"""ticketing_svc settings: the only reader of the environment (prefix TICKETING_SVC_)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings

SCHEMA = "ticketing"
TICKETING_TOPIC = "taquilla.ticketing.v1"
CATALOG_TOPIC = "taquilla.events.v1"
DEVELOPMENT_ADMISSION_SECRET = "taquilla-development-admission-secret-not-for-production"  # noqa: S105


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETING_SVC_", extra="ignore", frozen=True)

    grpc_address: str = "127.0.0.1:50054"
    # Sized for an on-sale's concurrency (the edge calls with up to its worker count of requests
    # at once): connections opened and closed beyond the pool cost more than the decision itself.
    database_pool_size: int = Field(default=24, ge=1, le=200)
    metrics_address: str = "127.0.0.1:9104"
    # Where the catalog is read through when a reservation names a session not yet heard of.
    event_svc_address: str = "127.0.0.1:50052"
    catalog_topic: str = CATALOG_TOPIC
    consumer_group: str = "ticketing-svc"
    dead_letter_topic: str = "taquilla.events.v1.ticketing-dlq"
    # How often expired holds are looked for: a hold is released at most this long after it ends.
    sweep_interval_seconds: float = Field(default=1.0, gt=0, le=5)
    # A transaction waiting longer than this for a row lock gives up instead of piling up requests.
    lock_timeout_ms: int = Field(default=2000, ge=100, le=60000)
    statement_timeout_ms: int = Field(default=5000, ge=100, le=120000)
    # The waiting rooms' lines.
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Signs waiting-room admissions (HMAC-SHA256); production refuses the development value.
    admission_secret: SecretStr = SecretStr(DEVELOPMENT_ADMISSION_SECRET)

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> Settings:
        secret = self.admission_secret.get_secret_value()
        if self.environment == "production" and (secret == DEVELOPMENT_ADMISSION_SECRET or len(secret) < 32):
            raise ValueError("admission_secret must be a real secret of 32+ characters in production")
        return self
