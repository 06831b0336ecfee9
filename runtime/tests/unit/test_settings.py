import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.settings import ServiceSettings, parse_address


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_SVC_", frozen=True)


def test_reads_its_own_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_SVC_DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/x")
    monkeypatch.setenv("EXAMPLE_SVC_GRPC_ADDRESS", "0.0.0.0:6000")
    settings = ExampleSettings()
    assert settings.grpc_address == "0.0.0.0:6000"


def test_fails_fast_without_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMPLE_SVC_DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="database_url"):
        ExampleSettings()


def test_refuses_development_passwords_in_production() -> None:
    with pytest.raises(ValidationError, match="development password"):
        ExampleSettings(database_url="postgresql+asyncpg://svc:taquilla@db/x", environment="production")
    ExampleSettings(database_url="postgresql+asyncpg://svc:taquilla@db/x", environment="development")
    ExampleSettings(database_url="postgresql+asyncpg://svc:k8Qz!long@db/x", environment="production")


def test_refuses_malformed_addresses_and_urls() -> None:
    with pytest.raises(ValidationError):
        ExampleSettings(database_url="postgresql+asyncpg://u:p@db/x", grpc_address="nowhere")
    with pytest.raises(ValidationError, match="postgresql"):
        ExampleSettings(database_url="mysql://u:p@db/x")


def test_parses_ipv4_and_ipv6_addresses() -> None:
    assert parse_address("127.0.0.1:50051") == ("127.0.0.1", 50051)
    assert parse_address("[::1]:9101") == ("::1", 9101)


def test_a_dns_target_reads_as_its_host_and_port() -> None:
    from taquilla_runtime.settings import parse_address

    assert parse_address("dns:///identity-svc:50051") == ("identity-svc", 50051)
    assert parse_address("identity-svc:50051") == ("identity-svc", 50051)
