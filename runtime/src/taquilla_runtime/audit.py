"""The audit trail every service keeps: who attempted which state-changing action, on what, and how it ended.

One mechanism for every service (docs/adr/0019-one-audit-trail.md):

* A service names its state-changing RPCs once, in a table of :class:`AuditedMethod` (action name,
  target type, the request field holding the target's id and, where there is one, the organization's).
* :class:`AuditInterceptor` (installed by :class:`~taquilla_runtime.grpc_server.GrpcService` when the
  service passes an :class:`AuditTrail`) records every call of those methods, refused ones too, with the
  caller's principal, the correlation id and the outcome: ``success``, or the problem type / status.
* A successful change is recorded in the *same transaction* as the change: the interceptor leaves the
  pending entry in a context variable and :class:`~taquilla_runtime.db.SqlTransaction` inserts it just
  before its commit. Refusals, and successes that committed nothing through a unit of work (an
  idempotent replay), are written after the call in their own transaction; losing one of those to a
  crash loses no state change.
* Each service's ``audit_log`` table is append-only in the database (a trigger refuses UPDATE, DELETE
  and TRUNCATE); :func:`audit_log_ddl` is what every service's migration runs.
* :class:`AuditReader` serves ``taquilla.audit.v1.AuditService`` over that table.

Only ids and action names are recorded: never a request's free text, so no password, token, email or
card number can reach the trail.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import datetime as dt
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from prometheus_client import Counter
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    Select,
    Table,
    Text,
    Uuid,
    insert,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taquilla.audit.v1 import audit_service_pb2 as pb
from taquilla.audit.v1 import audit_service_pb2_grpc
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.cursors import InvalidCursor, decode_cursor, encode_cursor
from taquilla_runtime.grpc_errors import (
    PROBLEM_KEY,
    FieldError,
    abort_with_field_errors,
    problem_from_trailers,
)
from taquilla_runtime.principal import InvalidPrincipal, Principal, Role
from taquilla_runtime.timestamps import from_timestamp, to_timestamp

log = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AuditService"].full_name
SUCCESS = "success"
PAGE_SIZE = (50, 200)  # default and largest page of ListAuditEntries
_ID_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")

AUDIT_WRITE_FAILURES = Counter(
    "taquilla_audit_write_failures_total",
    "Audit entries that could not be written after the call (refusals and replays), by action.",
    ["action"],
)

Clock = Callable[[], dt.datetime]

# The table every service's migration creates (see audit_log_ddl); no schema: the engine's search_path
# names the service's own.
audit_log = Table(
    "audit_log",
    MetaData(),
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("actor_kind", Text),
    Column("actor_role", Text),
    Column("organization_id", Uuid),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("correlation_id", Text, nullable=False),
    Column("outcome", Text, nullable=False),
)


def audit_log_ddl(schema: str) -> list[str]:
    """The statements that create a service's append-only ``audit_log`` (run by its migration)."""
    return [
        f"""CREATE TABLE {schema}.audit_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            occurred_at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            actor_kind text,
            actor_role text,
            organization_id uuid,
            action text NOT NULL,
            target text NOT NULL,
            correlation_id text NOT NULL,
            outcome text NOT NULL
        )""",
        *audit_log_indexes(schema),
        *audit_log_append_only(schema),
    ]


def audit_log_indexes(schema: str) -> list[str]:
    return [
        f"CREATE INDEX audit_log_newest ON {schema}.audit_log (occurred_at DESC, id DESC)",
        f"CREATE INDEX audit_log_organization ON {schema}.audit_log"
        " (organization_id, occurred_at DESC, id DESC) WHERE organization_id IS NOT NULL",
    ]


def audit_log_append_only(schema: str) -> list[str]:
    """A trigger refuses UPDATE, DELETE and TRUNCATE, even by the table's owner; PUBLIC loses the grants."""
    return [
        f"""CREATE OR REPLACE FUNCTION {schema}.audit_log_is_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
            END $$""",
        f"""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {schema}.audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION {schema}.audit_log_is_append_only()""",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit_log FROM PUBLIC",
    ]


def drop_audit_log_ddl(schema: str) -> list[str]:
    return [
        f"DROP TABLE IF EXISTS {schema}.audit_log",
        f"DROP FUNCTION IF EXISTS {schema}.audit_log_is_append_only()",
    ]


@dataclass(frozen=True, slots=True)
class AuditedMethod:
    """How one state-changing RPC is recorded.

    ``target_field`` names the request field (dotted for nested messages) holding the target's id; a
    creation is recorded against what it is created in (a new session against its event; a new event,
    with ``target_type="organization"`` and no field, against the organization). The field must hold
    an id: its value is written to the trail (anything not shaped like an id is written as "unknown").
    """

    action: str
    target_type: str
    target_field: str = ""
    organization_field: str = ""


def audited_methods(service_name: str, methods: Mapping[str, AuditedMethod]) -> dict[str, AuditedMethod]:
    """``{"PublishEvent": AuditedMethod(...)}`` keyed by the full gRPC method path the server sees."""
    return {f"/{service_name}/{name}": method for name, method in methods.items()}


@dataclass(frozen=True, slots=True)
class AuditRecord:
    occurred_at: dt.datetime
    actor: str
    actor_kind: str | None
    actor_role: str | None
    organization_id: uuid.UUID | None
    action: str
    target: str
    correlation_id: str
    outcome: str

    def values(self) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "actor_kind": self.actor_kind,
            "actor_role": self.actor_role,
            "organization_id": self.organization_id,
            "action": self.action,
            "target": self.target,
            "correlation_id": self.correlation_id,
            "outcome": self.outcome,
        }


class PendingAudit:
    """The entry of the call in progress, until it is written."""

    __slots__ = ("record", "written")

    def __init__(self, record: AuditRecord) -> None:
        self.record = record
        self.written = False


_pending: contextvars.ContextVar[PendingAudit | None] = contextvars.ContextVar("pending_audit", default=None)


async def stage_pending_audit(connection: AsyncConnection) -> PendingAudit | None:
    """Inserts the current call's success entry into the transaction about to commit (once per call).

    :class:`~taquilla_runtime.db.SqlTransaction` calls this before committing and
    :func:`mark_written` after the commit succeeded.
    """
    pending = _pending.get()
    if pending is None or pending.written:
        return None
    await connection.execute(insert(audit_log).values(**pending.record.values()))
    return pending


def note_organization(organization_id: uuid.UUID | None) -> None:
    """Names the organization of what the current audited call changes, when the request and the caller
    did not (an administrator's change to an organization's event): a repository calls it as it writes.
    The first organization known wins; outside an audited call it does nothing."""
    pending = _pending.get()
    if pending is None or pending.written or organization_id is None or pending.record.organization_id:
        return
    pending.record = dataclasses.replace(pending.record, organization_id=organization_id)


def note_outcome(outcome: str) -> None:
    """Names how the current audited call ended when the refusal is in its answer rather than its
    status (a ticket already inside, answered at the door): the latest word wins, ``success`` resets
    it. Outside an audited call, or for a value not shaped like an id, it does nothing."""
    pending = _pending.get()
    if pending is None or pending.written or not _ID_VALUE.match(outcome):
        return
    pending.record = dataclasses.replace(pending.record, outcome=outcome)


def mark_written(pending: PendingAudit | None) -> None:
    if pending is not None:
        pending.written = True


def _field(message: Any, path: str) -> str:
    value: Any = message
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return value if isinstance(value, str) else ""


def _id_or_unknown(value: str) -> str:
    # Only id-shaped values reach the trail, whatever a field turns out to hold.
    return value if _ID_VALUE.match(value) else "unknown"


def _organization(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def outcome_of(code: grpc.StatusCode | None, trailers: Iterable[tuple[str, str | bytes]] | None) -> str:
    """``success``, the problem type the service named, or the status code's name in lower case."""
    if code is None or code is grpc.StatusCode.OK:
        return SUCCESS
    problem = problem_from_trailers(trailers)
    if problem is not None and _ID_VALUE.match(problem.type):
        return problem.type
    return str(code.name).lower()


def record_for(
    method: AuditedMethod,
    request: Any,
    principal: Principal | None,
    *,
    now: dt.datetime,
    correlation_id: str | None,
    outcome: str = SUCCESS,
) -> AuditRecord:
    target_id = _id_or_unknown(_field(request, method.target_field)) if method.target_field else ""
    organization = _organization(_field(request, method.organization_field or "-"))
    if organization is None and principal is not None:
        organization = principal.organization_id
    if not target_id and method.target_type == "organization" and organization is not None:
        target_id = str(organization)
    return AuditRecord(
        occurred_at=now,
        actor=str(principal.subject) if principal else "anonymous",
        actor_kind=principal.kind.value if principal else None,
        actor_role=principal.role.value if principal and principal.role else None,
        organization_id=organization,
        action=method.action,
        target=f"{method.target_type}:{target_id}" if target_id else method.target_type,
        correlation_id=correlation_id or "",
        outcome=outcome,
    )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditTrail:
    """A service's audit configuration: where entries go, which methods are audited, and its clock."""

    def __init__(
        self,
        engine: AsyncEngine,
        methods: Mapping[str, AuditedMethod],
        clock: Clock = utc_now,
        *,
        after_call_seconds: float = 2.0,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.methods = dict(methods)
        self.after_call_seconds = after_call_seconds
        self._writing: set[asyncio.Task[None]] = set()

    async def append(self, record: AuditRecord) -> None:
        """Writes one entry in its own transaction."""
        async with self.engine.begin() as connection:
            await connection.execute(insert(audit_log).values(**record.values()))

    async def append_after_call(self, record: AuditRecord) -> None:
        """Writes a refusal's (or a replay's) entry; the caller waits for it at most a moment.

        They changed nothing, so failing to record one must not fail the call nor, with the database
        away, hold its answer for the connect timeout: a write still running goes on without it, and
        a write that fails is logged and counted.
        """
        task = asyncio.ensure_future(self.append(record))
        self._writing.add(task)
        task.add_done_callback(lambda done: self._written(done, record.action))
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=self.after_call_seconds)
        except Exception:  # TimeoutError, or the failure _written has counted
            return

    def _written(self, task: asyncio.Task[None], action: str) -> None:
        self._writing.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        AUDIT_WRITE_FAILURES.labels(action).inc()
        log.error(
            "audit entry not written",
            extra={"action": action, "reason": type(task.exception()).__name__},
        )


def _principal(metadata: Iterable[tuple[str, str | bytes]] | None) -> Principal | None:
    try:
        return Principal.from_metadata(metadata)
    except InvalidPrincipal:
        return None


class AuditInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Records every call of the trail's audited methods; installed inside the observing interceptor,
    so the call's correlation id is already bound."""

    def __init__(self, trail: AuditTrail) -> None:
        self._trail = trail

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = self._trail.methods.get(handler_call_details.method)
        if handler is None or handler.unary_unary is None or method is None:
            return handler
        metadata = tuple(handler_call_details.invocation_metadata or ())
        inner = handler.unary_unary
        trail = self._trail

        async def audited(request: Any, context: grpc.aio.ServicerContext) -> Any:
            record = record_for(
                method, request, _principal(metadata), now=trail.clock(), correlation_id=get_correlation_id()
            )
            pending = PendingAudit(record)
            token = _pending.set(pending)
            outcome = SUCCESS
            try:
                reply = await inner(request, context)
                outcome = outcome_of(context.code(), _trailers(context))
                return reply
            except asyncio.CancelledError:
                outcome = "cancelled"
                raise
            except grpc.aio.AbortError:
                outcome = outcome_of(context.code() or grpc.StatusCode.UNKNOWN, _trailers(context))
                raise
            except Exception:
                outcome = "internal"
                raise
            finally:
                _pending.reset(token)
                committed = pending.written
                # A task the call started keeps a copy of the context: its later commits add nothing.
                pending.written = True
                if not (outcome == SUCCESS and committed):
                    # Refused (even after committing something), or nothing committed through a unit of
                    # work: recorded now, in its own transaction.
                    # A status says more than the answer; a successful call keeps what it noted.
                    done = dataclasses.replace(
                        pending.record, outcome=pending.record.outcome if outcome == SUCCESS else outcome
                    )
                    await trail.append_after_call(done)

        return grpc.unary_unary_rpc_method_handler(
            audited,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _trailers(context: Any) -> tuple[tuple[str, str | bytes], ...]:
    try:
        trailers = context.trailing_metadata()
    except Exception:  # older grpc.aio contexts: no trailers to read
        return ()
    return tuple(item for item in trailers or () if item[0] == PROBLEM_KEY)


def _position(cursor: str) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    value = decode_cursor(cursor)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)):
        raise InvalidCursor("not a cursor of this listing")
    try:
        moment = dt.datetime.fromisoformat(str(value[0]))
    except ValueError:
        raise InvalidCursor("not a cursor of this listing") from None
    if moment.tzinfo is None:
        raise InvalidCursor("not a cursor of this listing")
    return moment, value[1]


def entry_cursor(occurred_at: dt.datetime, entry_id: int) -> str:
    return encode_cursor([occurred_at.isoformat(), entry_id])


class AuditReader(audit_service_pb2_grpc.AuditServiceServicer):
    """``taquilla.audit.v1.AuditService`` over this service's ``audit_log``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        principal = _principal(context.invocation_metadata())
        if principal is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Sign in first.")
            raise AssertionError("unreachable")  # pragma: no cover
        errors: list[FieldError] = []
        organization = _organization(request.organization_id)
        if request.organization_id and organization is None:
            errors.append(FieldError("organization_id", "Not a UUID.", "invalid"))
        if not 0 <= request.page_size <= PAGE_SIZE[1]:
            errors.append(FieldError("page_size", f"Between 1 and {PAGE_SIZE[1]}.", "out_of_range"))
        try:
            position = _position(request.page_token)
        except InvalidCursor:
            errors.append(FieldError("page_token", "Not a cursor of this listing.", "invalid"))
            position = None
        since = from_timestamp(request.occurred_from) if request.HasField("occurred_from") else None
        until = from_timestamp(request.occurred_until) if request.HasField("occurred_until") else None
        if since is not None and until is not None and since >= until:
            errors.append(FieldError("occurred_until", "Must be after occurred_from.", "out_of_range"))
        if errors:
            await abort_with_field_errors(context, errors)
        organizer = principal.role is Role.ORGANIZER and principal.belongs_to(organization)
        if not principal.is_admin and not organizer:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                "Administrators read the whole trail; organizers their own organization's.",
            )
        size = request.page_size or PAGE_SIZE[0]
        query = _listing(request, organization, since, until, position).limit(size + 1)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        page = rows[:size]
        entries = [
            pb.AuditEntry(
                id=row.id,
                occurred_at=to_timestamp(row.occurred_at),
                actor=row.actor,
                actor_kind=row.actor_kind or "",
                actor_role=row.actor_role or "",
                organization_id=str(row.organization_id) if row.organization_id else "",
                action=row.action,
                target=row.target,
                correlation_id=row.correlation_id,
                outcome=row.outcome,
                cursor=entry_cursor(row.occurred_at, row.id),
            )
            for row in page
        ]
        more = len(rows) > size
        return pb.ListAuditEntriesResponse(
            entries=entries, next_page_token=entries[-1].cursor if more and entries else ""
        )


def _listing(
    request: pb.ListAuditEntriesRequest,
    organization: uuid.UUID | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    position: tuple[dt.datetime, int] | None,
) -> Select[Any]:
    query = select(audit_log)
    if organization is not None:
        query = query.where(audit_log.c.organization_id == organization)
    if request.action_prefix:
        query = query.where(audit_log.c.action.startswith(request.action_prefix, autoescape=True))
    for name in ("actor", "target", "outcome"):
        value = getattr(request, name)
        if value:
            query = query.where(audit_log.c[name] == value)
    if since is not None:
        query = query.where(audit_log.c.occurred_at >= since)
    if until is not None:
        query = query.where(audit_log.c.occurred_at < until)
    if position is not None:
        query = query.where(tuple_(audit_log.c.occurred_at, audit_log.c.id) < tuple_(*position))
    return query.order_by(audit_log.c.occurred_at.desc(), audit_log.c.id.desc())


def register_reader(engine: AsyncEngine) -> Callable[[grpc.aio.Server], None]:
    reader = AuditReader(engine)

    def register(server: grpc.aio.Server) -> None:
        audit_service_pb2_grpc.add_AuditServiceServicer_to_server(reader, server)

    return register
