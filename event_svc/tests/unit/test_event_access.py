"""Who sees and changes what: drafts stay within the organization, others get "not found"."""

import uuid

import pytest
from catalog_factories import admin, customer, make_event, organizer, staff

from event_svc.domain import access
from event_svc.domain.errors import EventNotFound, InvalidInput, NotAllowed, Unauthenticated
from event_svc.domain.model import SessionStatus


def test_anyone_reads_published_events_but_only_the_organization_reads_drafts() -> None:
    owner = organizer()
    draft = make_event(actor=owner)
    published = make_event(actor=owner, publish=True)
    assert access.organization_of(owner) == owner.organization_id
    for reader in (None, customer(), organizer()):
        assert access.can_view(reader, published)
        assert not access.can_view(reader, draft)
    assert owner.organization_id is not None
    for reader in (owner, staff(owner.organization_id), admin()):
        assert access.can_view(reader, draft)


def test_an_organizer_of_another_organization_gets_not_found_even_for_published_events() -> None:
    event = make_event(publish=True)
    with pytest.raises(EventNotFound):
        access.ensure_can_manage(organizer(), event)
    with pytest.raises(EventNotFound):
        access.ensure_can_manage(customer(), event)


def test_staff_of_the_organization_may_look_but_not_change() -> None:
    owner = organizer()
    assert owner.organization_id is not None
    with pytest.raises(NotAllowed):
        access.ensure_can_manage(staff(owner.organization_id), make_event(actor=owner))


def test_anonymous_callers_must_sign_in_to_change_a_published_event() -> None:
    with pytest.raises(Unauthenticated):
        access.ensure_can_manage(None, make_event(publish=True))
    with pytest.raises(EventNotFound):
        access.ensure_can_manage(None, make_event())


def test_owners_and_administrators_manage_events() -> None:
    owner = organizer()
    event = make_event(actor=owner)
    access.ensure_can_manage(owner, event)
    access.ensure_can_manage(admin(), event)


def test_organizers_create_for_their_own_organization_only() -> None:
    owner = organizer()
    assert access.organization_for_new_event(owner, None) == owner.organization_id
    with pytest.raises(InvalidInput) as raised:
        access.organization_for_new_event(owner, uuid.uuid4())
    assert raised.value.problems[0].field == "organization_id"


def test_administrators_name_the_organization_they_create_for() -> None:
    chosen = uuid.uuid4()
    assert access.organization_for_new_event(admin(), chosen) == chosen
    with pytest.raises(InvalidInput):
        access.organization_for_new_event(admin(), None)


@pytest.mark.parametrize("actor", [customer(), staff(uuid.uuid4())])
def test_customers_and_staff_do_not_create_events(actor: object) -> None:
    with pytest.raises(NotAllowed):
        access.organization_for_new_event(actor, None)  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated):
        access.organization_for_new_event(None, None)


def test_draft_sessions_are_hidden_from_the_public() -> None:
    owner = organizer()
    event = make_event(actor=owner, publish=True)
    event.sessions[0].status = SessionStatus.DRAFT
    assert access.visible_sessions(None, event) == []
    assert access.visible_sessions(owner, event) == event.sessions
