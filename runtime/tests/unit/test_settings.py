from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from taquilla_runtime.principal import DEVELOPMENT_PRINCIPAL_SECRET
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
    ExampleSettings(
        database_url="postgresql+asyncpg://svc:k8Qz!long@db/x",
        environment="production",
        principal_secrets=[REAL_SECRET],
    )


REAL_SECRET = "a-real-principal-secret-of-the-platform-0123"
REAL_DATABASE = "postgresql+asyncpg://svc:k8Qz!long@db/x"


def test_production_refuses_a_missing_default_or_short_principal_secret() -> None:
    for secrets in (
        None,
        [DEVELOPMENT_PRINCIPAL_SECRET],
        ["short"],
        [REAL_SECRET, DEVELOPMENT_PRINCIPAL_SECRET],
    ):
        given: dict[str, Any] = {} if secrets is None else {"principal_secrets": secrets}
        with pytest.raises(ValidationError, match="principal_secrets"):
            ExampleSettings(database_url=REAL_DATABASE, environment="production", **given)
    settings = ExampleSettings(database_url=REAL_DATABASE, environment="development")
    assert settings.principal_secret_values() == [DEVELOPMENT_PRINCIPAL_SECRET]


def test_principal_secrets_are_read_as_a_list_for_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_SVC_PRINCIPAL_SECRETS", f"{REAL_SECRET}, {REAL_SECRET}-previous")
    settings = ExampleSettings(database_url=REAL_DATABASE, environment="production")
    assert settings.principal_secret_values() == [REAL_SECRET, f"{REAL_SECRET}-previous"]
    monkeypatch.setenv("EXAMPLE_SVC_PRINCIPAL_SECRETS", f'["{REAL_SECRET}"]')
    assert ExampleSettings(database_url=REAL_DATABASE).principal_secret_values() == [REAL_SECRET]
    assert REAL_SECRET not in repr(ExampleSettings(database_url=REAL_DATABASE))


def test_grpc_reflection_is_for_development_only() -> None:
    assert ExampleSettings(database_url=REAL_DATABASE).grpc_reflection
    assert not ExampleSettings(database_url=REAL_DATABASE, environment="test").grpc_reflection
    production = ExampleSettings(
        database_url=REAL_DATABASE, environment="production", principal_secrets=[REAL_SECRET]
    )
    assert not production.grpc_reflection


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
