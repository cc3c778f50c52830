"""The continuity rule every Odin client applies (docs/protocol.md, "Positions").

On each channel a message's ``prev`` must be the ``seq`` of the last message
seen there in the same epoch. The same rule as the TypeScript SDK's
packages/client/src/protocol/continuity.ts, so both clients give the same verdict.
"""
from __future__ import annotations

from typing import Literal, Optional

from .messages import Message, Position

#: first: the first message seen on the channel; next: prev links to the last seq;
#: unverified: prev is 0 (unknown), not a sign of loss; duplicate: seq at or below the last;
#: skipped: a conflated message declaring ``skipped`` > 0; gap: loss; epoch: another history.
Continuity = Literal["first", "next", "unverified", "duplicate", "skipped", "gap", "epoch"]


def classify(last: Optional[Position], m: Message) -> Continuity:
    """What ``m`` is relative to ``last``, the last position seen on its channel."""
    if last is None:
        return "first"
    if last.epoch != m.epoch:
        return "epoch"
    if m.seq <= last.seq:
        return "duplicate"
    if m.prev == last.seq:
        return "next"
    if m.skipped is not None and m.skipped > 0:
        return "skipped"
    return "unverified" if m.prev == 0 else "gap"
