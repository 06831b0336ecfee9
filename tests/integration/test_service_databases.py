"""Each service migrates its own database and schema with its own Alembic history, and no other."""

import subprocess
import sys

import asyncpg
import pytest

from devstack.infra import SERVICE_DATABASES
from devstack.pytest_plugin import PostgresServer

SERVICES = [db.service for db in SERVICE_DATABASES]
# Each service reads its environment under its own prefix (its package name in capitals).
ENV_PREFIX = {service: f"{service.upper()}_" for service in SERVICES}


def migrate(service: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", service, "migrate"],
        env={"PATH": "/usr/bin:/bin", f"{ENV_PREFIX[service]}DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_migrates_into_its_own_schema_and_is_safe_to_rerun(
    postgres_server: PostgresServer, service: str
) -> None:
    db = postgres_server.service_database(service)
    for _ in range(2):
        result = migrate(service, db.url(postgres_server.port))
        assert result.returncode == 0, result.stdout + result.stderr
    version_tables = postgres_server.cluster.query(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'alembic_version'", db.database
    )
    assert version_tables == db.schema
    head = postgres_server.cluster.query(f"SELECT version_num FROM {db.schema}.alembic_version", db.database)
    assert head.isdigit()
    public_tables = postgres_server.cluster.query(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", db.database
    )
    assert public_tables == "0"


def test_migrate_logs_json_and_names_what_is_missing_without_a_database_url() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "event_svc", "migrate"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "database_url" in result.stderr
    assert "EVENT_SVC_" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.asyncio(loop_scope="session")
async def test_a_service_role_cannot_open_another_services_database(postgres_server: PostgresServer) -> None:
    identity = postgres_server.service_database("identity_svc")
    events = postgres_server.service_database("event_svc")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(
            user=events.role,
            password=events.password,
            host="127.0.0.1",
            port=postgres_server.port,
            database=identity.database,
        )
