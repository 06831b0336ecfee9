"""datetime <-> google.protobuf.Timestamp, always in UTC (timestamps are UTC on every wire)."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(value: dt.datetime) -> Timestamp:
    if value.tzinfo is None:
        raise ValueError("naive datetime: timestamps must carry a time zone")
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(dt.UTC))
    return stamp


def to_optional_timestamp(value: dt.datetime | None) -> Timestamp | None:
    return to_timestamp(value) if value is not None else None


def from_timestamp(stamp: Timestamp) -> dt.datetime:
    return stamp.ToDatetime(tzinfo=dt.UTC)
