"""Every RPC a user's or API client's token may reach names its scope; the rest are for services."""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import ServiceDescriptor

from event_svc.entrypoints import grpc_server as event_grpc
from identity_svc.entrypoints import grpc_server as identity_grpc
from notification_svc.entrypoints import grpc_server as notification_grpc
from notification_svc.entrypoints import webhook_grpc
from taquilla_runtime.scopes import ALL_SCOPES, ScopePolicy
from ticketing_svc.entrypoints import grpc_server as ticketing_grpc

# RPCs no token may call (other services call them as themselves).
SERVICES_ONLY = {
    "taquilla.events.v1.EventService": {"FindEventBySession"},
    "taquilla.identity.v1.IdentityService": {"GetUserContact", "ListOrganizationContacts"},
    "taquilla.notifications.v1.NotificationService": set(),
    "taquilla.notifications.v1.WebhookService": set(),
    "taquilla.ticketing.v1.TicketingService": {"CountTaken", "HandlePaymentNotice"},
}


@pytest.mark.parametrize(
    ("descriptor", "policy"),
    [
        (event_grpc.pb.DESCRIPTOR.services_by_name["EventService"], event_grpc.SCOPES),
        (identity_grpc.pb.DESCRIPTOR.services_by_name["IdentityService"], identity_grpc.SCOPES),
        (notification_grpc.pb.DESCRIPTOR.services_by_name["NotificationService"], notification_grpc.SCOPES),
        (webhook_grpc.pb.DESCRIPTOR.services_by_name["WebhookService"], webhook_grpc.WEBHOOK_SCOPES),
        (ticketing_grpc.pb.DESCRIPTOR.services_by_name["TicketingService"], ticketing_grpc.SCOPES),
    ],
    ids=["events", "identity", "notifications", "webhooks", "ticketing"],
)
def test_each_rpc_has_a_scope_or_is_for_services_only(
    descriptor: ServiceDescriptor, policy: ScopePolicy
) -> None:
    methods = {method.name for method in descriptor.methods}
    assert set(policy) <= methods, "the policy names RPCs the service does not have"
    assert methods - set(policy) == SERVICES_ONLY[descriptor.full_name]
    assert {scope for scope in policy.values() if scope is not None} <= ALL_SCOPES
