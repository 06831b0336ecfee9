"""Check-in bodies (the door app's contract, docs/architecture.md section 5.4) and their translation from
taquilla.ticketing.v1."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from edge.api.schemas.base import Instant, Strict
from edge.api.schemas.orders import TicketStatus
from edge.api.schemas.reservations import UUID_PATTERN
from edge.clients.ticketing import PB_TO_TICKET_STATUS
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla_runtime.timestamps import to_timestamp

ScanType = Literal["entry", "exit"]
CheckInResult = Literal["ok", "already_redeemed", "invalid", "revoked", "wrong_session", "invalid_time"]
SCAN_TYPE_TO_PB = {"entry": pb.SCAN_TYPE_ENTRY, "exit": pb.SCAN_TYPE_EXIT}
PB_TO_SCAN_TYPE: dict[int, ScanType] = {pb.SCAN_TYPE_ENTRY: "entry", pb.SCAN_TYPE_EXIT: "exit"}
PB_TO_RESULT: dict[int, CheckInResult] = {
    pb.CHECK_IN_RESULT_OK: "ok",
    pb.CHECK_IN_RESULT_ALREADY_REDEEMED: "already_redeemed",
    pb.CHECK_IN_RESULT_INVALID: "invalid",
    pb.CHECK_IN_RESULT_REVOKED: "revoked",
    pb.CHECK_IN_RESULT_WRONG_SESSION: "wrong_session",
    pb.CHECK_IN_RESULT_INVALID_TIME: "invalid_time",
}
DEVICE_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
BATCH_MAX = 500


def _when(stamp: Any) -> dt.datetime:
    value: dt.datetime = stamp.ToDatetime(tzinfo=dt.UTC)
    return value


def _scan_time(at: dt.datetime | None) -> dict[str, Any]:
    return {"scanned_at": to_timestamp(at)} if at is not None else {}


# ---------------------------------------------------------------- requests

SECRET_FIELD = Field(
    min_length=1,
    max_length=256,
    # Whatever a QR code held: a wrong one is answered `invalid`, not refused.
    description="The QR code's content: the ticket's signed secret (base32)",
    examples=["AECXI3JSGAYTEMRQGI2C2MBRFUYDCVBREA"],
)
NONCE_FIELD = Field(
    min_length=1,
    max_length=64,
    pattern=DEVICE_PATTERN,
    description="Unique per scan on the device: a retry with the same nonce gets the first answer",
    examples=["0007-1a2b"],
)


class CheckInCreate(Strict):
    secret: str = SECRET_FIELD
    session_id: str = Field(
        pattern=UUID_PATTERN,
        max_length=36,
        description="The session the door admits to",
        examples=["2b6f0cf0-3b5e-4c8e-9d0a-6a1e5b7c9d21"],
    )
    device_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=DEVICE_PATTERN,
        description="The scanning device",
        examples=["door-north-1"],
    )
    nonce: str = NONCE_FIELD
    scanned_at: Instant | None = Field(
        default=None, description="When the scan was made (a scan made offline); by default now"
    )
    type: ScanType = Field(default="entry", description="`entry`, or `exit` (the holder goes out)")

    def to_pb(self) -> pb.CheckInRequest:
        return pb.CheckInRequest(
            secret=self.secret,
            session_id=self.session_id,
            device_id=self.device_id,
            nonce=self.nonce,
            type=SCAN_TYPE_TO_PB[self.type],
            **_scan_time(self.scanned_at),
        )


class OfflineScanIn(Strict):
    secret: str = SECRET_FIELD
    nonce: str = NONCE_FIELD
    scanned_at: Instant = Field(description="When the device scanned it")
    type: ScanType = "entry"

    def to_pb(self) -> pb.OfflineScan:
        return pb.OfflineScan(
            secret=self.secret,
            nonce=self.nonce,
            type=SCAN_TYPE_TO_PB[self.type],
            **_scan_time(self.scanned_at),
        )


class CheckInBatchCreate(Strict):
    session_id: str = Field(pattern=UUID_PATTERN, max_length=36)
    device_id: str = Field(min_length=1, max_length=64, pattern=DEVICE_PATTERN)
    scans: list[OfflineScanIn] = Field(min_length=1, max_length=BATCH_MAX)

    def to_pb(self) -> pb.CheckInBatchRequest:
        return pb.CheckInBatchRequest(
            session_id=self.session_id, device_id=self.device_id, scans=[s.to_pb() for s in self.scans]
        )


# ---------------------------------------------------------------- answers


class DoorTicketOut(BaseModel):
    id: str
    zone: str = Field(description="The zone's name", examples=["Pista"])
    zone_id: str
    holder_name: str = Field(examples=["Ana Gómez"])
    status: TicketStatus = Field(description="`used`: admitted once; `revoked`: refunded or cancelled")

    @classmethod
    def from_pb(cls, ticket: pb.DoorTicket) -> DoorTicketOut:
        return cls(
            id=ticket.id,
            zone=ticket.zone_name,
            zone_id=ticket.zone_id,
            holder_name=ticket.holder_name,
            status=PB_TO_TICKET_STATUS.get(ticket.status, "valid"),
        )


class FirstScanOut(BaseModel):
    at: dt.datetime
    device_id: str


def _ticket(reply: pb.CheckInResponse) -> DoorTicketOut | None:
    return DoorTicketOut.from_pb(reply.ticket) if reply.HasField("ticket") else None


def _first(reply: pb.CheckInResponse) -> FirstScanOut | None:
    if not reply.HasField("first_scan"):
        return None
    return FirstScanOut(at=_when(reply.first_scan.at), device_id=reply.first_scan.device_id)


class CheckInPublic(BaseModel):
    result: CheckInResult = Field(
        description="`ok`: let them in (or out); `already_redeemed`: inside already, or out and the event "
        "allows no re-entry (for an exit: not inside); `invalid`: not a ticket of ours (forged, altered); "
        "`revoked`: refunded; `wrong_session`: a ticket for another session; `invalid_time`: outside "
        "the ticket's validity"
    )
    ticket: DoorTicketOut | None = Field(description="Null when the QR code proves no ticket")
    first_scan: FirstScanOut | None = Field(description="The scan that admitted the ticket first")
    scanned_at: dt.datetime
    admitted: int = Field(description="People inside the session now (entries minus exits)")
    capacity: int = Field(description="The session's capacity (all its zones)")

    @classmethod
    def from_pb(cls, reply: pb.CheckInResponse) -> CheckInPublic:
        return cls(
            result=PB_TO_RESULT[reply.result],
            ticket=_ticket(reply),
            first_scan=_first(reply),
            scanned_at=_when(reply.scanned_at),
            admitted=reply.admitted,
            capacity=reply.capacity,
        )


class BatchScanResult(BaseModel):
    nonce: str
    result: CheckInResult
    ticket: DoorTicketOut | None
    first_scan: FirstScanOut | None
    scanned_at: dt.datetime
    conflict: bool = Field(
        description="Admitted offline while already inside (at another door, or twice): recorded, and "
        "listed for the organizer"
    )

    @classmethod
    def from_pb(cls, reply: pb.CheckInResponse) -> BatchScanResult:
        return cls(
            nonce=reply.nonce,
            result=PB_TO_RESULT[reply.result],
            ticket=_ticket(reply),
            first_scan=_first(reply),
            scanned_at=_when(reply.scanned_at),
            conflict=reply.conflict,
        )


class CheckInBatchPublic(BaseModel):
    results: list[BatchScanResult] = Field(description="One per scan, in the order they were sent")
    admitted: int
    capacity: int

    @classmethod
    def from_pb(cls, reply: pb.CheckInBatchResponse) -> CheckInBatchPublic:
        return cls(
            results=[BatchScanResult.from_pb(r) for r in reply.results],
            admitted=reply.admitted,
            capacity=reply.capacity,
        )


class PackKey(BaseModel):
    kid: str = Field(examples=["tk-2026-12"])
    x: str = Field(description="Ed25519 public key, base64url of its 32 raw bytes (like a JWK's `x`)")


class CheckInPackPublic(BaseModel):
    session_id: str
    event_id: str
    event_name: str
    session_starts_at: dt.datetime | None
    keys: list[PackKey] = Field(description="The keys that verify tickets' QR codes, the signing key first")
    tickets: list[DoorTicketOut] = Field(
        description="The session's tickets changed since `cursor` (all without one), at most 1,000 a call"
    )
    revoked: list[str] = Field(description="Ids of the tickets above that are revoked")
    admitted: int
    capacity: int
    cursor: str = Field(description="Pass it next time to get only what changed since")
    complete: bool = Field(description="False when more tickets remain: call again with `cursor` at once")

    @classmethod
    def from_pb(cls, reply: pb.CheckInPack) -> CheckInPackPublic:
        return cls(
            session_id=reply.session_id,
            event_id=reply.event_id,
            event_name=reply.event_name,
            session_starts_at=_when(reply.session_starts_at) if reply.HasField("session_starts_at") else None,
            keys=[PackKey(kid=k.kid, x=k.x) for k in reply.keys],
            tickets=[DoorTicketOut.from_pb(t) for t in reply.tickets],
            revoked=list(reply.revoked),
            admitted=reply.admitted,
            capacity=reply.capacity,
            cursor=reply.cursor,
            complete=reply.complete,
        )


class ConflictScanOut(BaseModel):
    at: dt.datetime
    device_id: str
    result: CheckInResult
    type: ScanType
    conflict: bool = Field(description="This scan admitted the ticket while it was already inside")


class CheckInConflictOut(BaseModel):
    ticket: DoorTicketOut
    scans: list[ConflictScanOut] = Field(description="Every scan of the ticket, oldest first")


class CheckInConflictsPublic(BaseModel):
    items: list[CheckInConflictOut] = Field(description="Most recent first, at most 500")

    @classmethod
    def from_pb(cls, reply: pb.ListCheckInConflictsResponse) -> CheckInConflictsPublic:
        return cls(
            items=[
                CheckInConflictOut(
                    ticket=DoorTicketOut.from_pb(item.ticket),
                    scans=[
                        ConflictScanOut(
                            at=_when(s.at),
                            device_id=s.device_id,
                            result=PB_TO_RESULT[s.result],
                            type=PB_TO_SCAN_TYPE.get(s.type, "entry"),
                            conflict=s.conflict,
                        )
                        for s in item.scans
                    ],
                )
                for item in reply.items
            ]
        )
