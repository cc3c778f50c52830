"""Resume across two gateways sharing one nats-server: positions mean the same on
both, so a client moves from one to the other with nothing lost and no gap."""
from __future__ import annotations

import asyncio
import os
import signal
import uuid
from typing import Any, Dict, List

from odin_client import CloseCode, Message, OdinClient, Position


def run(coro: Any, timeout: float = 120) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_positions_saved_on_one_gateway_resume_on_the_other(gateways: Any) -> None:
    """What docs/client.md shows: read on A, keep client.positions, resume on B with since=."""
    channel = f"token.{uuid.uuid4().hex[:8].upper()}.price"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with OdinClient(gateways.ws_a) as first:
            sub = first.subscribe(channel, latest=False)
            await sub.ready
            early = await loop.run_in_executor(None, gateways.publish_many, channel, 5)
            got = [await sub.get() for _ in range(5)]
            saved: Dict[str, Position] = first.positions
        late = await loop.run_in_executor(None, gateways.publish_many, channel, 5, 5)  # while nobody listens
        async with OdinClient(gateways.ws_b) as second:
            sub = second.subscribe(channel, since=saved[channel])
            result = await sub.ready
            assert result.recovered is True and result.replayed == 5
            got += [await sub.get() for _ in range(5)]
            assert second.stats.gaps == 0
        assert [m.seq for m in got] == [p["seq"] for p in early + late]

    run(main())


def test_failover_when_a_gateway_dies_resumes_on_the_next_url_with_zero_gaps(gateways: Any) -> None:
    """A client given both URLs is on A when A is stopped (SIGINT: close 1001) while
    messages keep coming: it reconnects to B and resumes; every message arrives once, in order."""
    assert gateways.pid_a is not None, "ODIN_GATEWAY_A_PID is needed to stop gateway A"
    channel = f"token.{uuid.uuid4().hex[:8].upper()}.price"
    total = 120

    async def main() -> None:
        loop = asyncio.get_running_loop()
        client = OdinClient([gateways.ws_a, gateways.ws_b])
        closes: List[Dict[str, Any]] = []
        gaps: List[Any] = []
        client.on("close", closes.append)
        client.on("gap", gaps.append)
        sub = client.subscribe(channel, latest=False)
        await client.connect()
        await sub.ready
        published: List[Dict[str, Any]] = []

        def publish_all() -> None:
            for i in range(total):
                published.append(gateways.publish(channel, {"type": "price:update", "price": i}, http=gateways.http_b))

        publishing = loop.run_in_executor(None, publish_all)
        got: List[Message] = []
        while len(got) < total // 3:
            got.append(await sub.get())
        os.kill(gateways.pid_a, signal.SIGINT)  # the gateway the client is on stops at once
        while len(got) < total:
            got.append(await sub.get())
        await publishing
        assert closes and closes[0]["code"] in (CloseCode.SERVER_SHUTDOWN, CloseCode.DRAINING, CloseCode.ABNORMAL), closes
        assert client.url == gateways.ws_b
        assert [m.seq for m in got] == [p["seq"] for p in published]
        assert gaps == [] and client.stats.gaps == 0 and client.stats.duplicates == 0
        assert all(m.continuity in ("first", "next") for m in got)
        await client.close()

    run(main())
