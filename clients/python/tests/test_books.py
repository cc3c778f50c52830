"""Order book checksums (docs/books.md): Kraken's vector, and a live book through
two gateways over NATS whose every message verifies, across a resume on the
other gateway."""
from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any, Dict, List, Tuple

from odin_client import LocalBook, OdinClient, book_checksum, is_book_channel

KRAKEN_ASKS = [
    ("45285.2", "0.00100000"), ("45286.4", "1.54571953"), ("45286.6", "1.54571109"), ("45289.6", "1.54560911"), ("45290.2", "0.15890660"),
    ("45291.8", "1.54553491"), ("45294.7", "0.04454749"), ("45296.1", "0.35380000"), ("45297.5", "0.09945542"), ("45299.5", "0.18772827"),
]
KRAKEN_BIDS = [
    ("45283.5", "0.10000000"), ("45283.4", "1.54582015"), ("45282.1", "0.10000000"), ("45281.0", "0.10000000"), ("45280.3", "1.54592586"),
    ("45279.0", "0.07990000"), ("45277.6", "0.03310103"), ("45277.5", "0.30000000"), ("45277.3", "1.54602737"), ("45276.6", "0.15445238"),
]


def test_kraken_vector_and_the_docs_update() -> None:
    assert book_checksum(KRAKEN_ASKS, KRAKEN_BIDS) == 3310070434
    book = LocalBook(depth=10)
    assert book.apply({"kind": "update", "bids": [], "asks": [], "checksum": 0}) == "unsynced"
    assert book.apply({"kind": "snapshot", "bids": list(reversed(KRAKEN_BIDS)), "asks": KRAKEN_ASKS, "checksum": 3310070434}) == "verified"
    assert book.apply({"kind": "update", "bids": [["45283.5", "0"]], "asks": [["45285.9", "0.20000000"]], "checksum": 2758684305}) == "verified"
    assert book.bids[0] == ("45283.4", "1.54582015") and len(book.asks) == 10
    assert book.apply({"kind": "update", "bids": [], "asks": [], "checksum": 1}) == "mismatch"
    assert not book.synced and book.mismatches == 1 and book.verified == 2
    assert is_book_channel("book.BTC") and not is_book_channel("book.BTC.x")


def _updates(rng: random.Random, count: int) -> List[Dict[str, Any]]:
    """Level changes around 100.00: adds, changes and removals (zero qty)."""
    out = []
    for _ in range(count):
        side = "bids" if rng.random() < 0.5 else "asks"
        price = f"{(99.0 - rng.randint(0, 30) * 0.01) if side == 'bids' else (101.0 + rng.randint(0, 30) * 0.01):.2f}"
        qty = "0" if rng.random() < 0.25 else f"{rng.random() * 5:.8f}"
        out.append({"kind": "update", "bids": [[price, qty]] if side == "bids" else [], "asks": [[price, qty]] if side == "asks" else []})
    return out


def test_live_book_verifies_every_message_across_a_resume_on_the_other_gateway(gateways: Any) -> None:
    channel = f"book.PY{uuid.uuid4().hex[:8].upper()}"
    rng = random.Random(21)
    snapshot = {
        "kind": "snapshot",
        "bids": [[f"{99.0 - i * 0.01:.2f}", "1.00000000"] for i in range(15)],
        "asks": [[f"{101.0 + i * 0.01:.2f}", "2.00000000"] for i in range(15)],
    }

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def publish_all(items: List[Dict[str, Any]]) -> None:
            for data in items:
                gateways.publish(channel, data)

        await loop.run_in_executor(None, publish_all, [snapshot] + _updates(rng, 10))
        book = LocalBook()
        seen: List[Tuple[int, str]] = []
        async with OdinClient(gateways.ws_a) as first:
            sub = first.subscribe(channel, latest=False)
            await sub.ready
            msg = await sub.get()
            assert msg.data["kind"] == "snapshot", "a subscribe without since starts with the book's snapshot"
            assert book.apply(msg.data) == "verified"
            await loop.run_in_executor(None, publish_all, _updates(rng, 20))
            for _ in range(20):
                m = await sub.get()
                assert book.apply(m.data) == "verified", m
                seen.append((m.seq, m.epoch))
            saved = first.positions
        await loop.run_in_executor(None, publish_all, _updates(rng, 15))  # while nobody listens
        async with OdinClient(gateways.ws_b) as second:
            sub = second.subscribe(channel, since=saved[channel])
            result = await sub.ready
            assert result.recovered is True
            for _ in range(15):
                m = await sub.get()
                assert m.data["kind"] == "update"
                assert book.apply(m.data) == "verified", m
            assert second.stats.gaps == 0
        assert book.mismatches == 0 and book.verified == 36
        # The gateway's book at its newest position is the one this client built.
        assert book.checksum() == m.data["checksum"]

    asyncio.run(asyncio.wait_for(main(), 120))
