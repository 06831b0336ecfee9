import uuid

import pytest

from taquilla_runtime.principal import METADATA_KEY, InvalidPrincipal, Principal, PrincipalKind, Role


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


def test_belongs_only_to_its_own_organization() -> None:
    org = uuid.uuid4()
    principal = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ORGANIZER, org)
    assert principal.belongs_to(org)
    assert not principal.belongs_to(uuid.uuid4())
    assert not Principal(uuid.uuid4(), PrincipalKind.USER, Role.CUSTOMER).belongs_to(None)
