"""The client against a real gateway (gateway B of the pair; A is killed last, in test_resume.py)."""
from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Coroutine, Dict, List

import pytest

from odin_client import CloseCode, Message, OdinClient, Position, ServerError, TokenReason, UnauthorizedError


def run(coro: "Coroutine[Any, Any, Any]", timeout: float = 90) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


async def take(sub: Any, n: int) -> List[Message]:
    return [await sub.get() for _ in range(n)]


def test_subscribe_latest_then_live_in_order(gateways: Any) -> None:
    channel = f"token.{unique('L')}.price"
    first = gateways.publish(channel, {"type": "price:update", "price": 1})

    async def main() -> None:
        async with OdinClient(gateways.ws_b) as client:
            sub = client.subscribe(channel)  # latest=True by default
            result = await sub.ready
            assert result.recovered is None and result.replayed == 1
            got = [await sub.get()]
            assert got[0].seq == first["seq"] and got[0].continuity == "first"
            published = await asyncio.get_running_loop().run_in_executor(None, gateways.publish_many, channel, 5, 2)
            got += await take(sub, 5)
            assert [m.seq for m in got] == [first["seq"]] + [p["seq"] for p in published]
            assert [m.continuity for m in got[1:]] == ["next"] * 5
            assert client.positions[channel] == Position(published[-1]["seq"], published[-1]["epoch"])
            assert client.stats.gaps == 0 and client.stats.messages == 6

    run(main())


def test_pattern_since_resumes_exactly_after_a_position(gateways: Any) -> None:
    token = unique("S")
    channel = f"token.{token}.price"
    published = gateways.publish_many(channel, 4)

    async def main() -> None:
        async with OdinClient(gateways.ws_b) as client:
            since = Position(published[0]["seq"], published[0]["epoch"])
            sub = client.subscribe(f"token.{token}.*", since=since)
            result = await sub.ready
            assert result.recovered is True and result.replayed == 3
            got = await take(sub, 3)
            assert [m.seq for m in got] == [p["seq"] for p in published[1:]]
            assert all(not m.resync for m in got)

    run(main())


def test_a_slow_callback_never_blocks_the_read_loop(gateways: Any) -> None:
    channel = f"token.{unique('C')}.price"

    async def main() -> None:
        release = asyncio.Event()
        seen: List[int] = []

        async def slow(msg: Message) -> None:
            await release.wait()  # the app is stuck on its first message
            seen.append(msg.seq)

        async with OdinClient(gateways.ws_b) as client:
            sub = client.subscribe(channel, latest=False, on_message=slow)
            await sub.ready
            published = await asyncio.get_running_loop().run_in_executor(None, gateways.publish_many, channel, 10)
            # The read loop goes on: all ten arrive (nine wait in the queue) and a ping is answered meanwhile.
            while client.stats.messages < 10:
                await asyncio.sleep(0.02)
            assert sub.pending >= 9
            await client.ping()
            release.set()
            while len(seen) < 10:
                await asyncio.sleep(0.02)
            assert seen == [p["seq"] for p in published]

    run(main())


def test_reconnect_resumes_with_nothing_lost(gateways: Any) -> None:
    channel = f"token.{unique('R')}.price"

    async def main() -> None:
        async with OdinClient(gateways.ws_b) as client:
            closes: List[Dict[str, Any]] = []
            subscribed = []
            client.on("close", closes.append)
            client.on("subscribed", subscribed.append)
            sub = client.subscribe(channel, latest=False)
            await sub.ready
            loop = asyncio.get_running_loop()
            before = await loop.run_in_executor(None, gateways.publish_many, channel, 5)
            await take(sub, 5)
            client.reconnect()
            during = await loop.run_in_executor(None, gateways.publish_many, channel, 5, 5)
            got = await take(sub, 5)
            assert [m.seq for m in got] == [p["seq"] for p in during]
            assert client.stats.gaps == 0 and client.stats.reconnects == 1
            while not any(r.resumed for r in subscribed):
                await asyncio.sleep(0.02)
            assert [r.recovered for r in subscribed if r.resumed] == [True]
            assert before[-1]["seq"] < got[0].seq

    run(main())


def test_lost_history_is_surfaced_as_a_resync_never_hidden(gateways: Any) -> None:
    channel = f"token.{unique('X')}.price"
    latest = gateways.publish(channel, {"type": "price:update", "price": 7})

    async def main() -> None:
        async with OdinClient(gateways.ws_b) as client:
            resyncs: List[Dict[str, Any]] = []
            client.on("resync", resyncs.append)
            sub = client.subscribe(channel, since=Position(1, "another-epoch"))
            result = await sub.ready
            assert result.recovered is False
            m = await sub.get()
            assert m.seq == latest["seq"] and m.resync is True
            assert client.stats.resyncs == 1
            while not resyncs:
                await asyncio.sleep(0.02)
            assert resyncs == [{"channel": channel}]

    run(main())


def test_a_refused_channel_raises_server_error(gateways: Any) -> None:
    async def main() -> None:
        async with OdinClient(gateways.ws_b) as client:
            sub = client.subscribe("trades.user.somebody-else")
            with pytest.raises(ServerError) as refused:
                await sub.ready
            assert refused.value.code == "FORBIDDEN"
            assert [m async for m in sub] == []  # the iterator ends
            assert "trades.user.somebody-else" not in client.positions

    run(main())


def test_token_callback_refreshes_in_band_without_reconnecting(gateways: Any) -> None:
    calls: List[float] = []

    def get_token() -> str:
        calls.append(time.time())
        return gateways.token("alice", ttl=6)

    async def main() -> None:
        client = OdinClient(gateways.ws_b, token=get_token, refresh_before_expiry=60)
        refreshed: List[Any] = []
        closes: List[Any] = []
        client.on("authenticated", refreshed.append)
        client.on("close", closes.append)
        await client.connect()
        assert client.user == "alice"
        first_exp = client.exp
        sub = client.subscribe("trades.user.alice")
        await sub.ready
        while not refreshed:  # refresh at half the remaining life (about 3 s)
            await asyncio.sleep(0.05)
        assert refreshed[0] >= first_exp and len(calls) == 2
        assert closes == [] and client.state == "open"
        await client.close()

    run(main())


def test_a_refused_token_without_a_callback_stops_with_unauthorized(gateways: Any) -> None:
    async def main() -> None:
        client = OdinClient(gateways.ws_b, token="not-a-jwt")
        closes: List[Dict[str, Any]] = []
        client.on("close", closes.append)
        with pytest.raises(UnauthorizedError) as refused:
            await client.connect()
        assert refused.value.reason == TokenReason.TOKEN_MALFORMED
        assert client.state == "closed"
        while not closes:  # events reach listeners from their own task
            await asyncio.sleep(0.02)
        assert closes[0]["code"] == CloseCode.UNAUTHORIZED and closes[0]["will_reconnect"] is False
        await client.close()

    run(main())
