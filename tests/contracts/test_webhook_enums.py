"""Webhook types and states name the same values in notification_svc's domain, the proto and the
edge's API (the partners' contract: docs/webhooks.md)."""

from __future__ import annotations

import typing

from edge.api.schemas import webhooks as edge_webhooks
from edge.clients.webhooks import DELIVERY_STATUS, ENDPOINT_STATUS
from notification_svc.domain import webhooks as domain
from taquilla.notifications.v1 import webhook_service_pb2 as pb


def proto_values(enum_type: typing.Any, prefix: str) -> set[str]:
    return {
        name.removeprefix(prefix).lower()
        for name in enum_type.keys()  # noqa: SIM118 (a protobuf EnumTypeWrapper, not a dict)
        if not name.endswith("UNSPECIFIED")
    }


def test_the_edge_offers_exactly_the_webhook_types_notification_svc_sends() -> None:
    assert set(typing.get_args(edge_webhooks.WebhookType)) == set(domain.KNOWN_TYPES)


def test_endpoint_and_delivery_states_agree() -> None:
    endpoint = {s.value for s in domain.EndpointStatus}
    assert proto_values(pb.WebhookEndpointStatus, "WEBHOOK_ENDPOINT_STATUS_") == endpoint
    assert set(ENDPOINT_STATUS.values()) == set(typing.get_args(edge_webhooks.EndpointStatus)) == endpoint
    delivery = {s.value for s in domain.DeliveryStatus}
    assert proto_values(pb.WebhookDeliveryStatus, "WEBHOOK_DELIVERY_STATUS_") == delivery
    assert set(DELIVERY_STATUS.values()) == set(typing.get_args(edge_webhooks.DeliveryStatus)) == delivery
    reasons = set(
        typing.get_args(
            typing.get_args(edge_webhooks.WebhookEndpointPublic.model_fields["disabled_reason"].annotation)[0]
        )
    )
    assert reasons == {r.value for r in domain.DisabledReason}
