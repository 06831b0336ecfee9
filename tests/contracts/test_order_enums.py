"""Order and ticket states name the same values in the proto, ticketing_svc's domain and the edge's
API (the orders half of test_message_contracts.py's enum check)."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from edge.api.schemas import orders as edge_orders
from edge.clients.ticketing import ORDER_STATUS_TO_PB, PB_TO_TICKET_STATUS
from taquilla.ticketing.v1 import ticketing_service_pb2 as ticketing_pb
from ticketing_svc.domain import orders as ticketing_orders


def proto_values(enum_type: Any, prefix: str) -> set[str]:
    return {
        name.removeprefix(prefix).lower()
        for name in enum_type.keys()  # noqa: SIM118 (a protobuf EnumTypeWrapper, not a dict)
        if not name.endswith("UNSPECIFIED")
    }


@pytest.mark.parametrize(
    ("name", "proto", "domain", "edge", "edge_mapping"),
    [
        (
            "order status",
            proto_values(ticketing_pb.OrderStatus, "ORDER_STATUS_"),
            {s.value for s in ticketing_orders.OrderStatus},
            set(typing.get_args(edge_orders.OrderStatus)),
            set(ORDER_STATUS_TO_PB),
        ),
        (
            "ticket status",
            proto_values(ticketing_pb.TicketStatus, "TICKET_STATUS_"),
            {s.value for s in ticketing_orders.TicketStatus},
            set(typing.get_args(edge_orders.TicketStatus)),
            set(PB_TO_TICKET_STATUS.values()),
        ),
    ],
)
def test_order_and_ticket_states_agree_across_proto_domain_and_edge(
    name: str, proto: set[str], domain: set[str], edge: set[str], edge_mapping: set[str]
) -> None:
    assert proto == domain == edge == edge_mapping, name
