"""The catalog's state-changing RPCs and how each is recorded in the audit trail (taquilla_runtime.audit).

An RPC missing here changes nothing, or is not audited: add one line when adding a write.
"""

from __future__ import annotations

from event_svc.entrypoints.grpc_server import SERVICE_NAME
from taquilla_runtime.audit import AuditedMethod, audited_methods

AUDITED = audited_methods(
    SERVICE_NAME,
    {
        # A new event is recorded against the organization it is created in (its id is not known
        # before the transaction commits).
        "CreateEvent": AuditedMethod("event.create", "organization"),
        "BatchCreateEvents": AuditedMethod("event.batch_create", "organization"),
        "UpdateEvent": AuditedMethod("event.update", "event", "event_id"),
        "PublishEvent": AuditedMethod("event.publish", "event", "event_id"),
        "CancelEvent": AuditedMethod("event.cancel", "event", "event_id"),
        "FeatureEvent": AuditedMethod("event.feature", "event", "event_id"),
        "DeleteEvent": AuditedMethod("event.delete", "event", "event_id"),
        "AddSession": AuditedMethod("session.add", "event", "event_id"),
        "UpdateSession": AuditedMethod("session.update", "session", "session_id"),
        "RemoveSession": AuditedMethod("session.remove", "session", "session_id"),
    },
)
