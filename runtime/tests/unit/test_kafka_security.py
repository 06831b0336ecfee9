"""The services' Kafka clients authenticate with the SASL settings (*_KAFKA_SECURITY_PROTOCOL, ...)."""

from __future__ import annotations

from typing import Any

import aiokafka
import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.messaging import consumer as consumer_module
from taquilla_runtime.messaging.consumer import EnvelopeConsumer
from taquilla_runtime.messaging.outbox import KafkaPublisher
from taquilla_runtime.messaging.security import KafkaSecurity
from taquilla_runtime.settings import ServiceSettings

DATABASE_URL = "postgresql+asyncpg://svc:k8Qz-long@db/x"


class KafkaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KAFKA_EXAMPLE_", frozen=True)


class Recorder:
    """Stands in for an aiokafka client: keeps the keyword arguments it was built with."""

    built: list[dict[str, Any]] = []

    def __init__(self, *topics: str, **options: Any) -> None:
        Recorder.built.append(options)

    def subscribe(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.fixture(autouse=True)
def _fresh_recorder() -> None:
    Recorder.built = []


def test_plaintext_by_default_adds_no_options() -> None:
    settings = KafkaSettings(database_url=DATABASE_URL)
    assert settings.kafka_security == KafkaSecurity()
    assert settings.kafka_security.client_options() == {}


def test_reads_the_sasl_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_EXAMPLE_DATABASE_URL", DATABASE_URL)
    monkeypatch.setenv("KAFKA_EXAMPLE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_EXAMPLE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_EXAMPLE_KAFKA_SASL_USERNAME", "ticketing-svc")
    monkeypatch.setenv("KAFKA_EXAMPLE_KAFKA_SASL_PASSWORD", "s3cret-enough")
    options = KafkaSettings().kafka_security.client_options()
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "ticketing-svc",
        "sasl_plain_password": "s3cret-enough",
    }


def test_sasl_ssl_also_gets_a_tls_context() -> None:
    options = KafkaSecurity("SASL_SSL", "PLAIN", "u", "p").client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["ssl_context"] is not None


def test_refuses_sasl_without_a_user_and_placeholder_passwords_in_production() -> None:
    with pytest.raises(ValidationError, match="kafka_sasl_username"):
        KafkaSettings(database_url=DATABASE_URL, kafka_security_protocol="SASL_PLAINTEXT")
    with pytest.raises(ValidationError, match="kafka_sasl_password"):
        KafkaSettings(
            database_url=DATABASE_URL,
            environment="production",
            principal_secrets="a-production-principal-secret-of-enough-length",
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_username="svc",
            kafka_sasl_password="taquilla",
        )
    with pytest.raises(ValidationError, match="kafka_security_protocol"):
        KafkaSettings(database_url=DATABASE_URL, kafka_security_protocol="SASL_WHATEVER")


def test_the_password_stays_out_of_the_repr() -> None:
    assert "s3cret" not in repr(KafkaSecurity("SASL_PLAINTEXT", "PLAIN", "u", "s3cret"))


SASL = KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "event-svc", "s3cret-enough")
EXPECTED = {
    "security_protocol": "SASL_PLAINTEXT",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_plain_username": "event-svc",
    "sasl_plain_password": "s3cret-enough",
}


@pytest.mark.asyncio(loop_scope="session")
async def test_the_publisher_hands_the_sasl_settings_to_its_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiokafka, "AIOKafkaProducer", Recorder)
    await KafkaPublisher("kafka:19092", client_id="event-svc-outbox", security=SASL)._ensure_started()
    [options] = Recorder.built
    assert options["bootstrap_servers"] == "kafka:19092"
    assert options.items() >= EXPECTED.items()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_consumer_hands_the_sasl_settings_to_aiokafka(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer_module, "AIOKafkaConsumer", Recorder)
    consumer = EnvelopeConsumer(
        None,
        KafkaPublisher("kafka:19092", client_id="dlq"),
        bootstrap_servers="kafka:19092",
        topic="taquilla.events.v1",
        dead_letter_topic="taquilla.events.v1.dlq",
        group_id="example",
        security=SASL,
    )
    assert await consumer._start() is not None
    [options] = Recorder.built
    assert options.items() >= EXPECTED.items()
