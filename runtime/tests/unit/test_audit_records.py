"""What an audit entry says about a call: its actor, target, organization and outcome, and nothing else."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import grpc
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.processes import free_port
from devstack.testing import eventually
from taquilla.audit.v1 import audit_service_pb2 as pb
from taquilla_runtime.audit import (
    AUDIT_WRITE_FAILURES,
    AuditedMethod,
    AuditTrail,
    PendingAudit,
    _pending,
    audited_methods,
    note_organization,
    note_outcome,
    outcome_of,
    record_for,
)
from taquilla_runtime.grpc_errors import PROBLEM_KEY
from taquilla_runtime.principal import Principal, PrincipalKind, Role

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
ORGANIZATION = uuid.uuid4()
ORGANIZER = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ORGANIZER, ORGANIZATION)


def test_names_methods_by_the_path_the_server_sees() -> None:
    table = audited_methods(
        "taquilla.events.v1.EventService", {"PublishEvent": AuditedMethod("event.publish", "event")}
    )
    assert list(table) == ["/taquilla.events.v1.EventService/PublishEvent"]


def test_records_the_caller_the_target_and_the_callers_organization() -> None:
    target = str(uuid.uuid4())
    record = record_for(
        AuditedMethod("event.publish", "event", "target"),
        pb.ListAuditEntriesRequest(target=target),
        ORGANIZER,
        now=NOW,
        correlation_id="c0ffee00-0000-4000-8000-000000000000",
    )
    assert record.actor == str(ORGANIZER.subject)
    assert (record.actor_kind, record.actor_role) == ("user", "organizer")
    assert record.target == f"event:{target}"
    assert record.organization_id == ORGANIZATION
    assert (record.outcome, record.occurred_at) == ("success", NOW)


def test_an_anonymous_creation_in_an_organization_is_recorded_against_it() -> None:
    record = record_for(
        AuditedMethod("event.create", "organization"),
        pb.ListAuditEntriesRequest(),
        ORGANIZER,
        now=NOW,
        correlation_id=None,
    )
    assert record.target == f"organization:{ORGANIZATION}"
    anonymous = record_for(
        AuditedMethod("user.register", "user"),
        pb.ListAuditEntriesRequest(),
        None,
        now=NOW,
        correlation_id=None,
    )
    assert (anonymous.actor, anonymous.actor_kind, anonymous.target, anonymous.correlation_id) == (
        "anonymous",
        None,
        "user",
        "",
    )


def test_a_field_that_does_not_hold_an_id_is_never_written() -> None:
    for secret in (
        "correct horse battery staple",
        "alice@example.com",
        "x" * 500,
        "eyJhbGciOi.J9.eyJzdWIi/+=",
    ):
        record = record_for(
            AuditedMethod("auth.token", "client", "target"),
            pb.ListAuditEntriesRequest(target=secret),
            None,
            now=NOW,
            correlation_id=None,
        )
        assert record.target == "client:unknown"


def test_the_outcome_is_the_problem_type_else_the_status() -> None:
    assert outcome_of(None, ()) == "success"
    assert outcome_of(grpc.StatusCode.OK, ()) == "success"
    assert outcome_of(grpc.StatusCode.PERMISSION_DENIED, ()) == "permission_denied"
    sold_out = ((PROBLEM_KEY, json.dumps({"type": "sold-out", "extensions": {}})),)
    assert outcome_of(grpc.StatusCode.FAILED_PRECONDITION, sold_out) == "sold-out"


def test_a_repository_names_the_organization_of_what_the_call_changes() -> None:
    admin = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ADMIN)
    record = record_for(
        AuditedMethod("event.cancel", "event"),
        pb.ListAuditEntriesRequest(),
        admin,
        now=NOW,
        correlation_id=None,
    )
    pending = PendingAudit(record)
    token = _pending.set(pending)
    try:
        note_organization(ORGANIZATION)
        note_organization(uuid.uuid4())  # the first one known wins
    finally:
        _pending.reset(token)
    assert pending.record.organization_id == ORGANIZATION
    note_organization(uuid.uuid4())  # outside an audited call: nothing to name


@pytest.mark.asyncio
async def test_a_refusal_whose_entry_cannot_be_written_still_answers_and_is_counted() -> None:
    engine = create_async_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing")
    trail = AuditTrail(engine, {}, after_call_seconds=5)
    record = record_for(
        AuditedMethod("thing.refuse", "thing"),
        pb.ListAuditEntriesRequest(),
        None,
        now=NOW,
        correlation_id=None,
    )
    failures = AUDIT_WRITE_FAILURES.labels("thing.refuse")
    before = failures._value.get()
    await trail.append_after_call(record)  # returns: the failure is not the caller's
    await eventually(lambda: failures._value.get() == before + 1, within=5, what="the failure counted")
    await engine.dispose()


def test_a_call_notes_a_refusal_that_is_in_its_answer_the_latest_word_winning() -> None:
    record = record_for(
        AuditedMethod("checkin.scan", "session"),
        pb.ListAuditEntriesRequest(),
        ORGANIZER,
        now=NOW,
        correlation_id=None,
    )
    pending = PendingAudit(record)
    token = _pending.set(pending)
    try:
        note_outcome("already_redeemed")
        assert pending.record.outcome == "already_redeemed"
        note_outcome("not an outcome: alice@example.com")  # ignored
        note_outcome("success")  # a retried decision admitted the ticket after all
    finally:
        _pending.reset(token)
    assert pending.record.outcome == "success"
