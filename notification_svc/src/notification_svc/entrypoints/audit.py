"""notification_svc's state-changing RPCs and how each is recorded in the audit trail
(taquilla_runtime.audit). Webhook configuration methods join here, one line each, e.g.
``audited_methods(WEBHOOK_SERVICE_NAME, {"CreateWebhook": AuditedMethod("webhook.create", ...)})``.
"""

from __future__ import annotations

from notification_svc.entrypoints.grpc_server import SERVICE_NAME
from taquilla_runtime.audit import AuditedMethod, audited_methods

AUDITED = audited_methods(
    SERVICE_NAME,
    {
        "RetryNotification": AuditedMethod("notification.retry", "notification", "notification_id"),
    },
)
