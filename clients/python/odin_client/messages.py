"""The shapes of protocol v1 a Python program handles (docs/protocol.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional


@dataclass(frozen=True)
class Position:
    """Where a message is in the broker's history: resume from it with ``since``."""

    seq: int
    epoch: str

    def to_json(self) -> Dict[str, Any]:
        return {"seq": self.seq, "epoch": self.epoch}

    @staticmethod
    def from_json(value: Dict[str, Any]) -> "Position":
        return Position(int(value["seq"]), str(value["epoch"]))


@dataclass
class Message:
    """One data message. ``continuity`` is the client's verdict on it (see continuity.py);
    ``resync`` is True for the latest values sent after a resume answered ``recovered: false``."""

    channel: str
    seq: int
    prev: int
    epoch: str
    ts: int
    event: str
    data: Any
    skipped: Optional[int] = None
    continuity: str = "first"
    resync: bool = False

    @property
    def position(self) -> Position:
        return Position(self.seq, self.epoch)

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"channel": self.channel, "seq": self.seq, "prev": self.prev, "epoch": self.epoch, "ts": self.ts, "event": self.event, "data": self.data}
        if self.skipped is not None:
            out["skipped"] = self.skipped
        return out

    @staticmethod
    def from_json(m: Dict[str, Any]) -> "Message":
        return Message(
            channel=str(m["channel"]),
            seq=int(m["seq"]),
            prev=int(m.get("prev", 0)),
            epoch=str(m["epoch"]),
            ts=int(m.get("ts", 0)),
            event=str(m.get("event", "message")),
            data=m.get("data"),
            skipped=m.get("skipped"),
        )


@dataclass(frozen=True)
class SubscribeResult:
    """A ``subscribed`` answer. ``recovered`` is None without ``since``; False means
    messages were lost (history gone, or another epoch): the app must resync."""

    channel: str
    replayed: int
    position: Position
    recovered: Optional[bool] = None
    resumed: bool = False


@dataclass
class ClientStats:
    messages: int = 0
    recovered: int = 0
    resyncs: int = 0
    reconnects: int = 0
    gaps: int = 0
    duplicates: int = 0
    extra: Dict[str, int] = field(default_factory=dict)
