"""notification_svc's state-changing RPCs and how each is recorded in the audit trail
(taquilla_runtime.audit): notifications retried by an operator and partners' webhook configuration.
"""

from __future__ import annotations

from notification_svc.entrypoints.grpc_server import SERVICE_NAME
from notification_svc.entrypoints.webhook_grpc import SERVICE_NAME as WEBHOOK_SERVICE_NAME
from taquilla_runtime.audit import AuditedMethod, audited_methods

AUDITED = audited_methods(
    SERVICE_NAME,
    {
        "RetryNotification": AuditedMethod("notification.retry", "notification", "notification_id"),
    },
) | audited_methods(
    WEBHOOK_SERVICE_NAME,
    {
        # A new endpoint is recorded against its organization (its id exists only after the commit).
        "CreateWebhookEndpoint": AuditedMethod(
            "webhook.create", "organization", "organization_id", organization_field="organization_id"
        ),
        "UpdateWebhookEndpoint": AuditedMethod("webhook.update", "webhook", "endpoint_id"),
        "DeleteWebhookEndpoint": AuditedMethod("webhook.delete", "webhook", "endpoint_id"),
        "RotateWebhookSecret": AuditedMethod("webhook.rotate_secret", "webhook", "endpoint_id"),
        "RedeliverWebhook": AuditedMethod("webhook.redeliver", "webhook", "endpoint_id"),
        "RedeliverWebhooks": AuditedMethod("webhook.redeliver_range", "webhook", "endpoint_id"),
    },
)
