"""What to do after a connection closes, by close code (docs/protocol.md, "Close codes").

The same policy as the TypeScript SDK (packages/client/src/client/reconnect-policy.ts):
resume at once after SLOW_CLIENT or DRAINING, spread reconnects after a shutdown,
back off on errors, wait long after the client's own input was refused, and stop
on UNAUTHORIZED (unless a token callback can fetch a new token) and on
DISCONNECTED_BY_SERVER.
"""
from __future__ import annotations

import random as _random
from dataclasses import dataclass
from typing import Callable, Optional

from .codes import CloseCode


@dataclass(frozen=True)
class ReconnectOptions:
    base: float = 0.5
    """Delay before the first retry, seconds."""
    max: float = 30.0
    """Largest backoff delay, seconds."""
    policy_delay: float = 60.0
    """Wait after 1002/1007/1008/1009: the client's own input was refused."""
    capacity_min_delay: float = 2.0
    """Least wait after 1013 TRY_AGAIN_LATER."""


def backoff_delay(attempt: int, options: ReconnectOptions = ReconnectOptions(), random: Callable[[], float] = _random.random) -> float:
    """Exponential backoff with "equal jitter": half of base*2^attempt (capped) plus a random part of the other half."""
    exponential = min(options.max, options.base * (2 ** min(attempt, 30)))
    return exponential / 2 + random() * (exponential / 2)


@dataclass(frozen=True)
class ReconnectAdvice:
    reconnect: bool
    delay: float = 0.0
    reason: Optional[str] = None


def advise_reconnect(code: int, attempt: int, can_refresh_token: bool, options: ReconnectOptions = ReconnectOptions(), random: Callable[[], float] = _random.random) -> ReconnectAdvice:
    """Whether and when to reconnect after close ``code``; ``attempt`` counts reconnects since the last stable connection."""
    backoff = backoff_delay(attempt, options, random)
    if code == CloseCode.UNAUTHORIZED:
        if not can_refresh_token:
            return ReconnectAdvice(False, reason="UNAUTHORIZED: the token was refused; give a new one before connecting again")
        return ReconnectAdvice(True, max(backoff, 1.0))
    if code == CloseCode.DISCONNECTED_BY_SERVER:
        return ReconnectAdvice(False, reason="DISCONNECTED_BY_SERVER: the server closed this user's connections on purpose")
    if code in (CloseCode.POLICY_VIOLATION, CloseCode.MESSAGE_TOO_BIG, CloseCode.PROTOCOL_ERROR, CloseCode.INVALID_PAYLOAD):
        return ReconnectAdvice(True, options.policy_delay * (0.75 + random() * 0.5))
    if code == CloseCode.TRY_AGAIN_LATER:
        return ReconnectAdvice(True, max(backoff, options.capacity_min_delay))
    if code == CloseCode.SLOW_CLIENT:
        return ReconnectAdvice(True, random() * 0.1 if attempt == 0 else backoff)
    if code == CloseCode.DRAINING:
        return ReconnectAdvice(True, random() * 0.05 if attempt == 0 else backoff)
    if code in (CloseCode.SERVER_SHUTDOWN, CloseCode.HISTORY_RESET):
        return ReconnectAdvice(True, random() * 1.0 if attempt == 0 else backoff)
    return ReconnectAdvice(True, backoff)
