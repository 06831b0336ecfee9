"""The edge signs the principals it sends with the platform's secret (ADR 0021): production refuses
to start with the development one, a short one, or none."""

import pytest
from pydantic import ValidationError

from edge.config import EdgeSettings
from taquilla_runtime.principal import DEVELOPMENT_PRINCIPAL_SECRET

REAL = "the-platform-principal-secret-0123456789"
STRIPE = "whsec_" + "s" * 32


def test_production_refuses_the_development_or_a_short_principal_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDGE_ENVIRONMENT", "production")
    monkeypatch.setenv("EDGE_STRIPE_WEBHOOK_SECRETS", STRIPE)
    for secrets in (None, DEVELOPMENT_PRINCIPAL_SECRET, "short", f"{REAL},{DEVELOPMENT_PRINCIPAL_SECRET}"):
        if secrets is None:
            monkeypatch.delenv("EDGE_PRINCIPAL_SECRETS", raising=False)
        else:
            monkeypatch.setenv("EDGE_PRINCIPAL_SECRETS", secrets)
        with pytest.raises(ValidationError, match="principal_secrets") as caught:
            EdgeSettings()
        assert REAL not in str(caught.value)
    monkeypatch.setenv("EDGE_PRINCIPAL_SECRETS", f"{REAL}, {REAL}-previous")
    settings = EdgeSettings()
    assert [secret.get_secret_value() for secret in settings.principal_secrets] == [REAL, f"{REAL}-previous"]


def test_development_signs_with_the_development_secret_out_of_the_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EDGE_PRINCIPAL_SECRETS", raising=False)
    monkeypatch.delenv("EDGE_ENVIRONMENT", raising=False)
    [secret] = EdgeSettings().principal_secrets
    assert secret.get_secret_value() == DEVELOPMENT_PRINCIPAL_SECRET
