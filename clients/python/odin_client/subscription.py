"""One subscription: its resume position, its messages as an async iterator,
and an optional callback run by a task of its own (never by the read loop)."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Union

from .channels import channel_matches
from .messages import Message, Position, SubscribeResult

if TYPE_CHECKING:
    from .client import OdinClient

MessageCallback = Callable[[Message], Union[None, Awaitable[None]]]

_CLOSED = object()


class Subscription:
    """Returned by :meth:`OdinClient.subscribe`. Iterate it (``async for msg in sub``)
    or give ``on_message``; ``await sub.ready`` for the first ``subscribed`` answer."""

    def __init__(self, client: "OdinClient", channel: str, latest: bool, since: Optional[Position], on_message: Optional[MessageCallback], conflate: Optional[int]) -> None:
        self.channel = channel
        self.latest = latest
        self.conflate = conflate
        #: Where the subscription resumes from: the newest message handed to the app's queue, or the last seam.
        self.position: Optional[Position] = since
        #: The last ``subscribed`` answer.
        self.result: Optional[SubscribeResult] = None
        self._client = client
        self._queue: "asyncio.Queue[Any]" = asyncio.Queue()
        self._ready: "asyncio.Future[SubscribeResult]" = asyncio.get_running_loop().create_future()
        self._ready.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)
        self._closed = False
        # Connection-scoped protocol state, owned by the client's read loop.
        self.phase = "queued"  # queued | pending | active
        self.request_id: Optional[int] = None
        self.resuming = False
        #: After a resume answered recovered:false, until its `subscribed`: the messages are latest values (resync).
        self.resyncing = False
        self.answered = False
        self.held: List[Dict[str, Any]] = []
        self._callback_task: Optional["asyncio.Task[None]"] = None
        if on_message is not None:
            self._callback_task = asyncio.get_running_loop().create_task(self._run_callback(on_message))

    @property
    def ready(self) -> "asyncio.Future[SubscribeResult]":
        """Resolves with the first ``subscribed`` answer; raises :class:`ServerError` if refused."""
        return self._ready

    def matches(self, channel: str) -> bool:
        return channel_matches(self.channel, channel)

    def entry(self) -> Union[str, Dict[str, Any]]:
        """The subscribe entry to send: with ``since`` once a position is known."""
        entry: Dict[str, Any] = {"channel": self.channel}
        if self.position is not None:
            entry["since"] = self.position.to_json()
        elif self.latest:
            entry["latest"] = True
        if self.conflate is not None:
            entry["conflate"] = self.conflate
        return entry

    def advance(self, position: Position) -> None:
        """Moves the resume position forward (never back within an epoch)."""
        p = self.position
        if p is None or p.epoch != position.epoch or position.seq > p.seq:
            self.position = position

    def _deliver(self, message: Message) -> None:
        self.advance(message.position)
        self._queue.put_nowait(message)

    def _answered(self, result: SubscribeResult) -> None:
        self.result = result
        if not self._ready.done():
            self._ready.set_result(result)

    def _failed(self, error: BaseException) -> None:
        if not self._ready.done():
            self._ready.set_exception(error)
        self._end()

    def _end(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(_CLOSED)

    @property
    def pending(self) -> int:
        """Messages received but not yet taken by the app."""
        return self._queue.qsize()

    async def get(self) -> Message:
        """The next message; raises StopAsyncIteration once the subscription ended and is drained."""
        item = await self._queue.get()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        return await self.get()

    async def unsubscribe(self) -> None:
        """Ends the subscription (the iterator stops after what was already received)."""
        await self._client._unsubscribe(self)

    async def _run_callback(self, callback: MessageCallback) -> None:
        async for message in self:
            try:
                result = callback(message)
                if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                    await result
            except Exception as err:  # a callback's failure is reported, never stops the subscription
                self._client._report_handler_error(self.channel, err)
