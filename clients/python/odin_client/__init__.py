"""Python client of the Odin market-data gateway (protocol v1): asyncio, on ``websockets``.

    async with OdinClient("ws://localhost:3004/ws") as client:
        sub = client.subscribe("token.*.price")
        async for msg in sub:
            print(msg.channel, msg.data["price"])
"""
from .book import LocalBook, book_checksum, is_book_channel
from .channels import channel_matches
from .client import OdinClient
from .codes import CLIENT_DROP_CODE, CloseCode, ErrorCode, TokenReason, close_code_name
from .continuity import Continuity, classify
from .errors import ClientClosedError, HandlerError, OdinClientError, ServerError, UnauthorizedError
from .messages import ClientStats, Message, Position, SubscribeResult
from .reconnect import ReconnectAdvice, ReconnectOptions, advise_reconnect, backoff_delay
from .subscription import Subscription

__version__ = "0.1.0"

__all__ = [
    "LocalBook",
    "book_checksum",
    "is_book_channel",
    "OdinClient",
    "Subscription",
    "Message",
    "Position",
    "SubscribeResult",
    "ClientStats",
    "CloseCode",
    "ErrorCode",
    "TokenReason",
    "CLIENT_DROP_CODE",
    "close_code_name",
    "Continuity",
    "classify",
    "channel_matches",
    "ReconnectOptions",
    "ReconnectAdvice",
    "advise_reconnect",
    "backoff_delay",
    "OdinClientError",
    "ServerError",
    "UnauthorizedError",
    "ClientClosedError",
    "HandlerError",
]
