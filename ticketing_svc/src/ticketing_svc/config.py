"""ticketing_svc settings: the only reader of the environment (prefix TICKETING_SVC_)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings

SCHEMA = "ticketing"
TICKETING_TOPIC = "taquilla.ticketing.v1"
CATALOG_TOPIC = "taquilla.events.v1"
DEVELOPMENT_ADMISSION_SECRET = "taquilla-development-admission-secret-not-for-production"  # noqa: S105
# The PSP simulator's key (psp_sim/); Stripe's own keys start with sk_live_ or sk_test_.
DEVELOPMENT_STRIPE_KEY = "sk_test_taquilla_simulator"
# A fixed development ticket-signing key ("<kid>:<base64url seed>"): tickets signed with it are
# worthless outside a development machine, and production refuses it.
DEVELOPMENT_TICKET_KEY = "dev1:dGFxdWlsbGEtZGV2ZWxvcG1lbnQtdGlja2V0LWtleSE"


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
    # The organizers' reports follow ticketing's own messages in a group of their own.
    report_topic: str = TICKETING_TOPIC
    report_consumer_group: str = "ticketing-svc-reports"
    report_dead_letter_topic: str = "taquilla.ticketing.v1.reports-dlq"
    # How often expired holds are looked for: a hold is released at most this long after it ends.
    sweep_interval_seconds: float = Field(default=1.0, gt=0, le=5)
    # A transaction waiting longer than this for a row lock gives up instead of piling up requests.
    lock_timeout_ms: int = Field(default=2000, ge=100, le=60000)
    statement_timeout_ms: int = Field(default=5000, ge=100, le=120000)
    # The waiting rooms' lines.
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Signs waiting-room admissions (HMAC-SHA256); production refuses the development value.
    admission_secret: SecretStr = SecretStr(DEVELOPMENT_ADMISSION_SECRET)
    # The payment provider: Stripe's API, or the PSP simulator locally (the default).
    stripe_secret_key: SecretStr = SecretStr(DEVELOPMENT_STRIPE_KEY)
    stripe_api_base: str = "http://127.0.0.1:12111"
    # Where the provider's page sends the buyer back ({ORDER_ID} is filled in), and the origins a
    # caller may name instead (the web app's).
    payment_return_url: str = "http://127.0.0.1:5173/orders/{ORDER_ID}"
    payment_return_origins: list[str] = ["http://127.0.0.1:5173", "http://localhost:5173"]
    # Orders without a payment outcome this long are asked about at the provider.
    # (Fractions are for tests, which cannot wait minutes.)
    reconcile_after_minutes: float = Field(default=5, gt=0, le=1440)
    reconcile_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    refund_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    # The ticket-signing key ("<kid>:<base64url 32-byte Ed25519 seed>") and the public keys of
    # retired ones ("<kid>:<base64url 32-byte public key>"), which keep verifying issued tickets.
    ticket_signing_key: SecretStr = SecretStr(DEVELOPMENT_TICKET_KEY)
    ticket_retired_keys: list[str] = []

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> Settings:
        secret = self.admission_secret.get_secret_value()
        if self.environment == "production" and (secret == DEVELOPMENT_ADMISSION_SECRET or len(secret) < 32):
            raise ValueError("admission_secret must be a real secret of 32+ characters in production")
        if self.environment == "production":
            if self.ticket_signing_key.get_secret_value() == DEVELOPMENT_TICKET_KEY:
                raise ValueError(
                    "ticket_signing_key must be a real key in production (see docs/operations.md)"
                )
            if self.stripe_secret_key.get_secret_value() == DEVELOPMENT_STRIPE_KEY:
                raise ValueError("stripe_secret_key must be a Stripe secret key in production")
        return self
