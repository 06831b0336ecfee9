"""identity_svc settings: the only reader of the environment (prefix IDENTITY_SVC_)."""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

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

    # The web app: a public client (no secret, PKCE) of the authorization code flow, sent back only
    # to these redirect URIs (a JSON list or comma-separated). A loopback http URI (127.0.0.1,
    # [::1], localhost) matches on any port (RFC 8252 section 7.3), for development servers.
    web_client_id: str = "taquilla-web"
    web_redirect_uris: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:5173/login", "http://localhost:5173/login"],
        min_length=1,
        max_length=16,
    )

    @field_validator("web_redirect_uris", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _web_redirects_are_https_in_production(self) -> Settings:
        if self.environment == "production" and any(
            not uri.startswith("https://") for uri in self.web_redirect_uris
        ):
            raise ValueError("web_redirect_uris must all be https:// in production")
        return self

    @model_validator(mode="after")
    def _refuse_development_key_in_production(self) -> Settings:
        if self.environment == "production" and self.key_encryption_key == DEVELOPMENT_KEY_ENCRYPTION_KEY:
            raise ValueError("key_encryption_key is the development key; set a real one in production")
        return self
