"""Errors the client raises or reports through its ``error`` event."""
from __future__ import annotations

from typing import Optional


class OdinClientError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ServerError(OdinClientError):
    """An ``error`` answer from the server; ``code`` is the protocol's (e.g. FORBIDDEN)."""

    def __init__(self, code: str, message: str, channel: Optional[str] = None, reason: Optional[str] = None) -> None:
        super().__init__(code, f"{code}: {message}")
        self.channel = channel
        #: With INVALID_TOKEN: why the token was refused (a ``TokenReason``).
        self.reason = reason


class UnauthorizedError(OdinClientError):
    """4003 with no token callback to get a new token: the client stopped.

    ``reason`` says why (``TOKEN_EXPIRED``, ``TOKEN_INVALID_SIGNATURE``, ...), when the server gave one.
    """

    def __init__(self, message: str, reason: Optional[str] = None) -> None:
        super().__init__("UNAUTHORIZED", f"{reason}: {message}" if reason else message)
        self.reason = reason


class ClientClosedError(OdinClientError):
    """The client was closed (by ``close()`` or a close code after which it does not reconnect)."""

    def __init__(self, message: str = "the client is closed") -> None:
        super().__init__("CLOSED", message)


class HandlerError(OdinClientError):
    """A user callback raised; the client goes on."""

    def __init__(self, where: str, cause: BaseException) -> None:
        super().__init__("HANDLER_ERROR", f"a callback for {where} raised: {cause!r}")
        self.__cause__ = cause
