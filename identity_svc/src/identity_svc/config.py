"""identity_svc settings: the only reader of the environment (prefix IDENTITY_SVC_)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings

SCHEMA = "identity"
IDENTITY_TOPIC = "taquilla.identity.v1"
# Development only: production refuses it (see the validator) and must set its own Fernet key.
DEVELOPMENT_KEY_ENCRYPTION_KEY = "dGFxdWlsbGEtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWM="


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_SVC_", extra="ignore", frozen=True)

    grpc_address: str = "127.0.0.1:50051"
    metrics_address: str = "127.0.0.1:9101"
    token_issuer: str = Field(
        default="http://127.0.0.1:8000", description="`iss` of access tokens: the edge's URL"
    )
    token_audience: str = "taquilla-api"  # noqa: S105 (an audience name, not a secret)
    key_encryption_key: str = Field(
        default=DEVELOPMENT_KEY_ENCRYPTION_KEY,
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts signing keys at rest",
    )

    @model_validator(mode="after")
    def _refuse_development_key_in_production(self) -> Settings:
        if self.environment == "production" and self.key_encryption_key == DEVELOPMENT_KEY_ENCRYPTION_KEY:
            raise ValueError("key_encryption_key is the development key; set a real one in production")
        return self
