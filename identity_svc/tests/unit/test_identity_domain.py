import datetime as dt
import uuid

import pytest

from identity_svc.domain.errors import InvalidInput, InvalidRefreshToken, InvalidScope, RefreshTokenReused
from identity_svc.domain.model import (
    ADMIN_SCOPE,
    KNOWN_SCOPES,
    RefreshToken,
    Role,
    User,
    default_scopes,
    granted_scopes,
    refreshed_scopes,
)
from identity_svc.domain.passwords import password_problems

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def make_user(**overrides: object) -> User:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "email": "ana@example.com",
        "full_name": "Ana Gómez",
        "role": Role.CUSTOMER,
        "password_hash": "x",
    }
    fields.update(overrides)
    return User(**fields)  # type: ignore[arg-type]


def test_accepts_a_long_uncommon_passphrase() -> None:
    assert password_problems("Bruma-Cobalto-Faro-42", email="ana@example.com", full_name="Ana Gómez") == []


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("Corta-1", "at least 12"),
        ("iloveyou1234", "too common"),
        ("PASSWORD123456", "too common"),
        ("zzzzzzzzzzzzzz", "too common"),
        ("gomez-es-mi-clave", "email or name"),
        ("x" * 129 + "Ab1-", "at most"),
    ],
)
def test_refuses_weak_passwords_with_a_reason(password: str, fragment: str) -> None:
    problems = password_problems(password, email="agomez@example.com", full_name="Ana Gomez")
    assert any(fragment in p.message for p in problems), problems
    assert {p.field for p in problems} == {"password"}


def test_locks_after_five_failures_and_doubles_the_wait_up_to_fifteen_minutes() -> None:
    user = make_user()
    for _ in range(4):
        user.record_failed_sign_in(NOW)
    assert not user.is_locked(NOW)
    user.record_failed_sign_in(NOW)
    assert user.locked_until == NOW + dt.timedelta(seconds=30)
    user.record_failed_sign_in(NOW)
    assert user.locked_until == NOW + dt.timedelta(seconds=60)
    for _ in range(20):
        user.record_failed_sign_in(NOW)
    assert user.locked_until == NOW + dt.timedelta(minutes=15)
    user.record_sign_in(NOW)
    assert user.can_sign_in(NOW)
    assert user.failed_logins == 0


def test_organizers_and_staff_belong_to_an_organization_and_customers_do_not() -> None:
    user = make_user()
    with pytest.raises(InvalidInput):
        user.change(role=Role.ORGANIZER)
    org = uuid.uuid4()
    user.change(role=Role.ORGANIZER, set_organization=True, organization_id=org)
    assert (user.role, user.organization_id) == (Role.ORGANIZER, org)
    with pytest.raises(InvalidInput):
        user.change(role=Role.CUSTOMER)
    user.change(role=Role.CUSTOMER, set_organization=True, organization_id=None)
    assert user.organization_id is None


def test_a_spent_refresh_token_is_reuse_and_a_revoked_or_expired_one_is_invalid() -> None:
    token = RefreshToken(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "h", NOW, NOW + dt.timedelta(days=30))
    token.check_usable(NOW)
    with pytest.raises(InvalidRefreshToken):
        token.check_usable(NOW + dt.timedelta(days=31))
    token.used_at = NOW
    with pytest.raises(RefreshTokenReused):
        token.check_usable(NOW)
    token.revoked_at = NOW
    with pytest.raises(InvalidRefreshToken):
        token.check_usable(NOW)


def test_scopes_are_bounded_by_what_the_role_or_client_may_have() -> None:
    assert granted_scopes("", default_scopes(Role.CUSTOMER)) == default_scopes(Role.CUSTOMER)
    assert granted_scopes("events:read", default_scopes(Role.CUSTOMER)) == {"events:read"}
    with pytest.raises(InvalidScope):
        granted_scopes("events:write", default_scopes(Role.CUSTOMER))


def test_only_administrators_tokens_carry_the_admin_scope() -> None:
    assert ADMIN_SCOPE in default_scopes(Role.ADMIN)
    assert all(ADMIN_SCOPE not in default_scopes(role) for role in Role if role is not Role.ADMIN)
    assert ADMIN_SCOPE not in KNOWN_SCOPES  # what an API client may be given


def test_a_refresh_keeps_the_family_scope_within_what_the_role_allows_now() -> None:
    assert refreshed_scopes(None, Role.STAFF) == default_scopes(Role.STAFF)
    assert refreshed_scopes(frozenset({"events:read", "tickets:write"}), Role.CUSTOMER) == {
        "events:read",
        "tickets:write",
    }
    assert refreshed_scopes(frozenset({"events:read", "tickets:write"}), Role.STAFF) == {"events:read"}
    assert refreshed_scopes(frozenset({"events:read", "tickets:write"}), Role.CUSTOMER, "events:read") == {
        "events:read"
    }


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Corta-1", "too_short"),
        ("x" * 129 + "Ab1-", "too_long"),
        ("iloveyou1234", "weak_password"),
        ("gomez-es-mi-clave", "contains_personal_data"),
    ],
)
def test_each_refusal_of_a_password_has_a_stable_code(password: str, code: str) -> None:
    problems = password_problems(password, email="agomez@example.com", full_name="Ana Gomez")
    assert code in {p.code for p in problems}, problems
