import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator

import pytest

from taquilla_runtime.principal import (
    DEVELOPMENT_PRINCIPAL_SECRET,
    METADATA_KEY,
    PRINCIPAL_TTL_SECONDS,
    InvalidPrincipal,
    Principal,
    PrincipalKind,
    Role,
    use_secrets,
)

CURRENT = "the-current-principal-secret-0123456789"
PREVIOUS = "the-previous-principal-secret-987654321"


@pytest.fixture
def secrets() -> Iterator[None]:
    """Sets this process's secrets for a test and puts the development one back after."""
    yield
    use_secrets([DEVELOPMENT_PRINCIPAL_SECRET])


def signed(body: dict[str, object] | str, secret: str = DEVELOPMENT_PRINCIPAL_SECRET) -> str:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return f"{text}.{hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()}"


def service_claim(issued: float) -> dict[str, object]:
    subject = str(uuid.uuid4())
    return {"sub": subject, "kind": "service", "iat": int(issued), "exp": int(issued) + 60}


def test_round_trips_through_grpc_metadata() -> None:
    principal = Principal(
        uuid.uuid4(), PrincipalKind.USER, Role.ORGANIZER, uuid.uuid4(), frozenset({"events:write"})
    )
    assert Principal.from_metadata([("other", "x"), principal.to_metadata()]) == principal


def test_no_metadata_means_anonymous() -> None:
    assert Principal.from_metadata([("x-correlation-id", "abc")]) is None
    assert Principal.from_metadata(None) is None


@pytest.mark.parametrize(
    "raw",
    ["{}", "not json", '{"sub":"1","kind":"user"}', '{"sub":"' + str(uuid.uuid4()) + '","kind":"root"}'],
)
def test_rejects_malformed_metadata(raw: str) -> None:
    with pytest.raises(InvalidPrincipal):
        Principal.from_metadata([(METADATA_KEY, raw)])
    with pytest.raises(InvalidPrincipal, match="malformed"):  # even signed, it is no principal
        Principal.from_metadata([(METADATA_KEY, signed(raw))])


def test_an_unsigned_principal_is_refused_whatever_it_claims() -> None:
    claim = json.dumps({"sub": str(uuid.uuid4()), "kind": "service", "role": "admin"})
    for raw in (claim, f"{claim}.", f"{claim}.{'0' * 64}", f"{claim}.é"):
        with pytest.raises(InvalidPrincipal, match="signature"):
            Principal.from_metadata([(METADATA_KEY, raw)])


def test_a_tampered_principal_is_refused() -> None:
    _, value = Principal(uuid.uuid4(), PrincipalKind.USER, Role.CUSTOMER).to_metadata()
    tampered = value.replace('"kind":"user"', '"kind":"service"')
    assert tampered != value
    with pytest.raises(InvalidPrincipal, match="signature"):
        Principal.from_metadata([(METADATA_KEY, tampered)])


def test_a_principal_is_good_for_a_short_while_only() -> None:
    principal = Principal.for_service("notification")
    issued = 1_800_000_000.0
    entry = principal.to_metadata(now=issued)
    assert Principal.from_metadata([entry], now=issued + PRINCIPAL_TTL_SECONDS) == principal
    with pytest.raises(InvalidPrincipal, match="expired"):
        Principal.from_metadata([entry], now=issued + PRINCIPAL_TTL_SECONDS + 31)
    with pytest.raises(InvalidPrincipal, match="expired"):  # issued in the future: not yet valid
        Principal.from_metadata([entry], now=issued - 31)


def test_a_claim_without_times_is_refused_even_signed() -> None:
    claim: dict[str, object] = {"sub": str(uuid.uuid4()), "kind": "service"}
    with pytest.raises(InvalidPrincipal, match="malformed"):
        Principal.from_metadata([(METADATA_KEY, signed(claim))])
    assert Principal.from_metadata([(METADATA_KEY, signed(service_claim(time.time())))]) is not None


@pytest.mark.usefixtures("secrets")
def test_a_principal_signed_with_an_unknown_secret_is_refused() -> None:
    forged = signed(service_claim(time.time()), secret="a-secret-the-platform-does-not-know")
    with pytest.raises(InvalidPrincipal, match="signature"):
        Principal.from_metadata([(METADATA_KEY, forged)])
    use_secrets([CURRENT])
    development = signed(service_claim(time.time()))
    with pytest.raises(InvalidPrincipal, match="signature"):  # the default once a real secret is set
        Principal.from_metadata([(METADATA_KEY, development)])


@pytest.mark.usefixtures("secrets")
def test_secrets_rotate_signing_with_the_first_and_accepting_any() -> None:
    principal = Principal.for_service("ticketing")
    use_secrets([PREVIOUS])
    before = principal.to_metadata()
    use_secrets([CURRENT, PREVIOUS])  # during the rotation: old signatures still pass
    after = principal.to_metadata()
    assert Principal.from_metadata([before]) == principal
    assert Principal.from_metadata([after]) == principal
    assert after[1].endswith(
        hmac.new(CURRENT.encode(), after[1].rpartition(".")[0].encode(), "sha256").hexdigest()
    )
    use_secrets([CURRENT])  # the rotation done: the old secret's signatures are refused
    assert Principal.from_metadata([after]) == principal
    with pytest.raises(InvalidPrincipal):
        Principal.from_metadata([before])


def test_no_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        use_secrets([])
    with pytest.raises(ValueError, match="secret"):
        use_secrets([""])


def test_belongs_only_to_its_own_organization() -> None:
    org = uuid.uuid4()
    principal = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ORGANIZER, org)
    assert principal.belongs_to(org)
    assert not principal.belongs_to(uuid.uuid4())
    assert not Principal(uuid.uuid4(), PrincipalKind.USER, Role.CUSTOMER).belongs_to(None)
