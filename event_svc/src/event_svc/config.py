"""event_svc settings: the only reader of the environment (prefix EVENT_SVC_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings

SCHEMA = "catalog"
EVENTS_TOPIC = "taquilla.events.v1"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EVENT_SVC_", extra="ignore", frozen=True)

    grpc_address: str = "127.0.0.1:50052"
    metrics_address: str = "127.0.0.1:9102"
