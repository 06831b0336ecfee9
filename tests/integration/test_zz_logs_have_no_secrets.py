"""Runs after the other platform tests (file order): their logs must hold no secrets or personal data."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import DEMO_PASSWORDS, Platform, login_as

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_logs_contain_no_passwords_tokens_or_email_addresses(
    platform: Platform, edge: httpx.AsyncClient
) -> None:
    tokens = await login_as(edge, "customer")
    await edge.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "leak@example.com", "password": "Leaky-Password-123"},
    )
    logs = platform.logs()
    assert logs, "the platform wrote no logs"
    for secret in [password for _, password in DEMO_PASSWORDS.values()] + ["Leaky-Password-123"]:
        assert secret not in logs
    assert tokens["access_token"] not in logs
    assert tokens["refresh_token"] not in logs
    service_logs = "\n".join(line for line in logs.splitlines() if line.startswith("{"))
    assert not re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", service_logs)
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.", logs)
