#!/usr/bin/env python3
"""Prints every message of the given channels as one JSON line, resuming across reconnects.

    python3 examples/tail.py ws://localhost:3004/ws token.BTC.price 'token.*.price'

Each line is the data message as the protocol sends it (channel, seq, prev, epoch,
ts, event, data) plus "continuity" (the client's verdict: first, next, unverified,
skipped, gap, epoch) and "resync" (true for latest values after history was lost).
Client events (close, resync, gap, errors) go to stderr. Ctrl-C stops.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run from a checkout without installing

from odin_client import Message, OdinClient, Subscription  # noqa: E402


async def pump(sub: Subscription) -> None:
    async for msg in sub:
        line = msg.to_json()
        line["continuity"] = msg.continuity
        line["resync"] = msg.resync
        print(json.dumps(line, separators=(",", ":")), flush=True)


async def main(url: str, channels: list[str]) -> None:
    client = OdinClient(url)
    client.on("close", lambda c: print(f"[close] {c['code']} {c['reason']} reconnect={c['will_reconnect']}", file=sys.stderr))
    client.on("resync", lambda r: print(f"[resync] {r['channel']}: history lost, latest values follow", file=sys.stderr))
    client.on("gap", lambda g: print(f"[gap] {g}", file=sys.stderr))
    client.on("error", lambda e: print(f"[error] {e}", file=sys.stderr))
    subs = [client.subscribe(channel) for channel in channels]
    await client.connect()
    try:
        await asyncio.gather(*(pump(sub) for sub in subs))
    finally:
        await client.close()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print("usage: tail.py URL CHANNEL...", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2:]))
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or the reader of a pipe went away (| head)
        pass
