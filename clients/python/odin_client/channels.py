"""Channel wildcard matching (docs/protocol.md, "Channels"): ``*`` one token, ``>`` the rest."""
from __future__ import annotations


def channel_matches(pattern: str, channel: str) -> bool:
    p = pattern.split(".")
    c = channel.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return i == len(p) - 1 and len(c) > i
        if i >= len(c):
            return False
        if token != "*" and token != c[i]:
            return False
    return len(p) == len(c)
