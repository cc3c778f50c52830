"""Close and error codes of Odin protocol v1 (docs/protocol.md, "Close codes" and "error").

The values mirror packages/client/src/protocol/codes.ts; tests/test_units.py checks
them against the tables of docs/protocol.md.
"""
from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    """WebSocket close codes a client sees, with the protocol's names."""

    NORMAL = 1000
    SERVER_SHUTDOWN = 1001
    PROTOCOL_ERROR = 1002
    ABNORMAL = 1006
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    HISTORY_RESET = 1012
    TRY_AGAIN_LATER = 1013
    SLOW_CLIENT = 4000
    KEEPALIVE_TIMEOUT = 4001
    UNAUTHORIZED = 4003
    DISCONNECTED_BY_SERVER = 4004
    DRAINING = 4005


#: The client's own code when it drops a connection itself (as the TypeScript SDK).
CLIENT_DROP_CODE = 4100


def close_code_name(code: int) -> str:
    """The stable name of a close code (``CODE_<n>`` for one Odin does not define)."""
    try:
        return CloseCode(code).name
    except ValueError:
        return f"CODE_{code}"


class ErrorCode:
    """Codes of ``{"type":"error","code":...}`` answers."""

    INVALID_JSON = "INVALID_JSON"
    INVALID_MESSAGE = "INVALID_MESSAGE"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    BINARY_NOT_SUPPORTED = "BINARY_NOT_SUPPORTED"
    INVALID_CHANNEL = "INVALID_CHANNEL"
    FORBIDDEN = "FORBIDDEN"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    OVERLAPPING_SUBSCRIPTION = "OVERLAPPING_SUBSCRIPTION"
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    HISTORY_UNAVAILABLE = "HISTORY_UNAVAILABLE"
    REPLAY_NOT_SUPPORTED = "REPLAY_NOT_SUPPORTED"
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_SUBJECT_MISMATCH = "TOKEN_SUBJECT_MISMATCH"
    NOT_CONFLATABLE = "NOT_CONFLATABLE"
    UNKNOWN_CHANNEL = "UNKNOWN_CHANNEL"


class TokenReason:
    """Why a token was refused: the reason of close 4003, and ``reason`` of an INVALID_TOKEN error (docs/protocol.md, "Token reasons")."""

    TOKEN_REQUIRED = "TOKEN_REQUIRED"
    TOKEN_MALFORMED = "TOKEN_MALFORMED"
    TOKEN_ALGORITHM_REFUSED = "TOKEN_ALGORITHM_REFUSED"
    TOKEN_INVALID_SIGNATURE = "TOKEN_INVALID_SIGNATURE"
    TOKEN_UNKNOWN_KEY = "TOKEN_UNKNOWN_KEY"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_NOT_YET_VALID = "TOKEN_NOT_YET_VALID"
    TOKEN_WRONG_ISSUER = "TOKEN_WRONG_ISSUER"
    TOKEN_WRONG_AUDIENCE = "TOKEN_WRONG_AUDIENCE"
    TOKEN_INVALID_CLAIMS = "TOKEN_INVALID_CLAIMS"
    TOKEN_NOT_ACCEPTED = "TOKEN_NOT_ACCEPTED"
    TOKEN_KEYS_UNAVAILABLE = "TOKEN_KEYS_UNAVAILABLE"


TOKEN_REASONS = frozenset(v for k, v in vars(TokenReason).items() if k.startswith("TOKEN_"))


#: Errors after which the server sends no ``subscribed``: the subscription is refused for good.
REFUSALS = frozenset({ErrorCode.INVALID_CHANNEL, ErrorCode.UNKNOWN_CHANNEL, ErrorCode.FORBIDDEN, ErrorCode.TOO_MANY_SUBSCRIPTIONS, ErrorCode.OVERLAPPING_SUBSCRIPTION, ErrorCode.NOT_CONFLATABLE})
