"""Order books as docs/books.md defines them: the checksum (Kraken v2's CRC32
over the top 10 asks, lowest first, then the top 10 bids, highest first) and a
local book that applies snapshots and updates and verifies every checksum.

    book = LocalBook(depth=25)
    async for msg in client.subscribe("book.BTC"):
        if book.apply(msg.data) == "mismatch":
            ...  # resubscribe without since for a fresh snapshot (docs/books.md)
"""
from __future__ import annotations

import re
import zlib
from typing import Any, List, Literal, Mapping, Optional, Sequence, Tuple

Level = Tuple[str, str]
"""A level: price and quantity, decimal strings exactly as the publisher wrote them."""

ApplyResult = Literal["verified", "mismatch", "unsynced"]

_ZERO = re.compile(r"^[0.]+$")


def _digits(s: str) -> str:
    return s.replace(".", "", 1).lstrip("0")


def book_checksum(asks: Sequence[Sequence[str]], bids: Sequence[Sequence[str]]) -> int:
    """The checksum of a book from its sides sorted best first (asks lowest first, bids highest first)."""
    text = "".join(_digits(p) + _digits(q) for p, q in list(asks[:10]) + list(bids[:10]))
    return zlib.crc32(text.encode("ascii")) & 0xFFFFFFFF


def is_book_channel(channel: str) -> bool:
    """A book channel is exactly ``book.<TOKEN>``."""
    return re.fullmatch(r"book\.[A-Za-z0-9_-]+", channel) is not None


class LocalBook:
    """A local book, ``depth`` levels a side: a snapshot replaces it, an update applies
    each level in order (a zero qty removes it) and then the sides are cut to
    ``depth``; every message's checksum is compared with the book's. Updates before
    the first snapshot (or after a mismatch, which drops the book) are ignored."""

    def __init__(self, depth: int = 1000) -> None:
        self.depth = depth
        self.bids: List[Level] = []
        """Best (highest) first."""
        self.asks: List[Level] = []
        """Best (lowest) first."""
        self.synced = False
        self.verified = 0
        self.mismatches = 0
        self.last_computed: Optional[int] = None

    def apply(self, data: Mapping[str, Any]) -> ApplyResult:
        """Applies one message's ``data`` (``{kind, bids, asks, checksum}``)."""
        if data["kind"] == "snapshot":
            self.bids = _sorted([(p, q) for p, q in data["bids"]], True)[: self.depth]
            self.asks = _sorted([(p, q) for p, q in data["asks"]], False)[: self.depth]
            self.synced = True
        else:
            if not self.synced:
                return "unsynced"
            for p, q in data["bids"]:
                _apply_level(self.bids, p, q, True)
            for p, q in data["asks"]:
                _apply_level(self.asks, p, q, False)
            del self.bids[self.depth :]
            del self.asks[self.depth :]
        self.last_computed = self.checksum()
        if self.last_computed == data["checksum"]:
            self.verified += 1
            return "verified"
        self.mismatches += 1
        self.reset()
        return "mismatch"

    def checksum(self) -> int:
        return book_checksum(self.asks, self.bids)

    def reset(self) -> None:
        """Forgets the book: it waits for the next snapshot (after ``recovered: False`` too)."""
        self.bids = []
        self.asks = []
        self.synced = False


def _sorted(levels: List[Level], bids: bool) -> List[Level]:
    return sorted((lv for lv in levels if not _ZERO.match(lv[1])), key=lambda lv: float(lv[0]), reverse=bids)


def _apply_level(side: List[Level], price: str, qty: str, bids: bool) -> None:
    value = float(price)
    for i, (p, _) in enumerate(side):
        v = float(p)
        if v == value:
            if _ZERO.match(qty):
                del side[i]
            else:
                side[i] = (price, qty)
            return
        if (v < value) if bids else (v > value):
            if not _ZERO.match(qty):
                side.insert(i, (price, qty))
            return
    if not _ZERO.match(qty):
        side.append((price, qty))
