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
    # ticketing_svc's sold-out transitions, followed for the listings' "available" filter.
    ticketing_topic: str = "taquilla.ticketing.v1"
    ticketing_dead_letter_topic: str = "taquilla.ticketing.v1.dlq"
    consumer_group: str = "event-svc"
    # Asked how many places are taken before zones are changed or a session removed.
    ticketing_svc_address: str = "127.0.0.1:50054"
