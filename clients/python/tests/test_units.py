"""The rules shared with the TypeScript SDK: continuity, reconnect policy, close codes."""
from __future__ import annotations

import os
import re

from odin_client import CloseCode, Message, Position, ReconnectOptions, advise_reconnect, backoff_delay, channel_matches, classify
from odin_client.codes import TOKEN_REASONS, TokenReason

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


def msg(seq: int, prev: int, epoch: str = "e", skipped: "int | None" = None) -> Message:
    return Message(channel="a", seq=seq, prev=prev, epoch=epoch, ts=0, event="x", data=None, skipped=skipped)


def test_continuity_verdicts_match_the_sdk() -> None:
    last = Position(5, "e")
    assert classify(None, msg(2, 1)) == "first"
    assert classify(last, msg(9, 5)) == "next"
    assert classify(last, msg(9, 0)) == "unverified"
    assert classify(last, msg(9, 7)) == "gap"
    assert classify(last, msg(9, 7, skipped=3)) == "skipped"
    assert classify(last, msg(5, 3)) == "duplicate"
    assert classify(last, msg(2, 0, "f")) == "epoch"


def test_reconnect_advice_by_close_code() -> None:
    fixed = lambda: 0.5  # noqa: E731
    assert not advise_reconnect(CloseCode.UNAUTHORIZED, 0, False, random=fixed).reconnect
    assert advise_reconnect(CloseCode.UNAUTHORIZED, 0, True, random=fixed).reconnect
    assert not advise_reconnect(CloseCode.DISCONNECTED_BY_SERVER, 0, True, random=fixed).reconnect
    assert advise_reconnect(CloseCode.POLICY_VIOLATION, 0, False, random=fixed).delay == 60.0
    assert advise_reconnect(CloseCode.DRAINING, 0, False, random=fixed).delay <= 0.05
    assert advise_reconnect(CloseCode.SLOW_CLIENT, 0, False, random=fixed).delay <= 0.1
    assert advise_reconnect(CloseCode.TRY_AGAIN_LATER, 0, False, random=fixed).delay >= 2.0


def test_backoff_grows_with_jitter_and_caps() -> None:
    options = ReconnectOptions(base=0.5, max=30.0)
    assert backoff_delay(0, options, lambda: 0.0) == 0.25
    assert backoff_delay(0, options, lambda: 1.0) == 0.5
    assert backoff_delay(3, options, lambda: 0.0) == 2.0
    assert backoff_delay(20, options, lambda: 1.0) == 30.0


def test_close_codes_are_those_of_docs_protocol_md() -> None:
    with open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8") as f:
        doc = f.read()
    table = dict((int(code), name) for code, name in re.findall(r"^\| `(\d{4})` \| `([A-Z_]+)` \|", doc, re.M))
    assert len(table) >= 10
    for code, name in table.items():
        assert CloseCode(code).name == name, f"{code} is {name} in docs/protocol.md"


def test_token_reasons_are_those_of_docs_protocol_md() -> None:
    with open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8") as f:
        doc = f.read()
    section = doc[doc.index("### Token reasons"):]
    documented = set(re.findall(r"^\| `(TOKEN_[A-Z_]+)` \|", section, re.M))
    assert len(documented) >= 10
    assert documented == set(TOKEN_REASONS)
    assert TokenReason.TOKEN_EXPIRED in TOKEN_REASONS


def test_channel_patterns() -> None:
    assert channel_matches("token.*.price", "token.BTC.price")
    assert not channel_matches("token.*.price", "token.BTC.volume")
    assert channel_matches("token.>", "token.BTC.price")
    assert not channel_matches("token.>", "token")
    assert channel_matches("market.statistics", "market.statistics")
