"""OdinClient: an asyncio client of Odin protocol v1 on the ``websockets`` library.

It keeps the protocol's promise on the client side, as the TypeScript SDK
does: after any disconnect it reconnects (to the next URL when given several)
with backoff and jitter and resumes every subscription from the last position
it handed to the app, so the app sees every message once, in order, or is told
that history was lost (``recovered: False``, ``Message.resync``, the ``resync``
event) and of any gap (``Message.continuity``, the ``gap`` event).

The read loop only parses frames and does bookkeeping: messages go to each
subscription's queue, events to a dispatcher task. User code (callbacks,
listeners, iteration) never runs inside it, so a slow consumer cannot stall it.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random as _random
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Union
from urllib.parse import quote

import websockets
from websockets.exceptions import ConnectionClosed

from .codes import CLIENT_DROP_CODE, REFUSALS, TOKEN_REASONS, CloseCode
from .continuity import classify
from .errors import ClientClosedError, HandlerError, OdinClientError, ServerError, UnauthorizedError
from .messages import ClientStats, Message, Position, SubscribeResult
from .reconnect import ReconnectOptions, advise_reconnect
from .subscription import MessageCallback, Subscription

log = logging.getLogger("odin_client")

TokenSource = Union[str, Callable[[], Union[str, Awaitable[str]]], None]
Listener = Callable[..., Union[None, Awaitable[None]]]

#: The server accepts at most this many entries per subscribe.
MAX_ENTRIES = 100

EVENTS = frozenset({"state", "open", "close", "subscribed", "resync", "gap", "authenticated", "error"})


class OdinClient:
    """A resuming Odin client. Use as ``async with OdinClient(url) as client:``
    or call :meth:`connect` and :meth:`close`.

    ``url``: ``ws://HOST:3004/ws``, or a list of gateway URLs sharing one broker:
    each reconnect moves to the next one (a position is valid on every instance).
    ``token``: a JWT, or a function (sync or async) returning one, called before
    every connection and, with ``refresh_before_expiry``, before the token's
    ``exp`` to refresh it in-band (``auth``) without reconnecting.
    """

    def __init__(
        self,
        url: Union[str, Sequence[str]],
        *,
        token: TokenSource = None,
        refresh_before_expiry: float = 60.0,
        reconnect: ReconnectOptions = ReconnectOptions(),
        auto_reconnect: bool = True,
        connect_timeout: float = 10.0,
        stable_after: float = 5.0,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.urls: List[str] = [url] if isinstance(url, str) else list(url)
        if not self.urls:
            raise ValueError("at least one URL")
        self.stats = ClientStats()
        self.session: Optional[str] = None
        self.user: Optional[str] = None
        #: When the connection's token expires (Unix seconds), from welcome/authenticated.
        self.exp: Optional[float] = None
        self.state = "idle"  # idle | connecting | open | reconnecting | closed
        self._token = token
        self._refresh_before = refresh_before_expiry
        self._reconnect = reconnect
        self._auto_reconnect = auto_reconnect
        self._connect_timeout = connect_timeout
        self._stable_after = stable_after
        self._random = random
        self._url_index = 0
        self._subs: Dict[str, Subscription] = {}
        self._last: Dict[str, Position] = {}  # continuity: last position seen per concrete channel
        self._listeners: Dict[str, List[Listener]] = {}
        self._events: "asyncio.Queue[Optional[tuple[str, tuple[Any, ...]]]]" = asyncio.Queue()
        self._ws: Any = None
        self._outbox: Optional["asyncio.Queue[Optional[str]]"] = None
        self._runner: Optional["asyncio.Task[None]"] = None
        self._dispatcher: Optional["asyncio.Task[None]"] = None
        self._open_waiters: List["asyncio.Future[None]"] = []
        self._refresh_handle: Optional[asyncio.TimerHandle] = None
        self._flush_scheduled = False
        self._pings: Dict[int, "asyncio.Future[float]"] = {}
        self._next_id = 1
        self._attempt = 0
        self._ever_opened = False
        self._stopped = False
        self._drop: Optional[tuple[int, str]] = None

    # ---- public API ----

    @property
    def url(self) -> str:
        """The URL of the current (or next) connection."""
        return self.urls[self._url_index % len(self.urls)]

    @property
    def positions(self) -> Dict[str, Position]:
        """Each subscription's resume position (channel or pattern -> Position): save them
        to resume in another process with ``subscribe(channel, since=...)``."""
        return {c: s.position for c, s in self._subs.items() if s.position is not None}

    def on(self, event: str, listener: Listener) -> Callable[[], None]:
        """Adds a listener (sync or async) for an event; returns a function that removes it.
        Events: state, open, close, subscribed, resync, gap, authenticated, error."""
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}; one of {sorted(EVENTS)}")
        self._listeners.setdefault(event, []).append(listener)
        return lambda: self._listeners.get(event, []).remove(listener) if listener in self._listeners.get(event, []) else None

    async def connect(self) -> None:
        """Opens the connection; returns once the server's ``welcome`` arrived. Reconnects on its own afterwards."""
        if self.state == "open":
            return
        waiter: "asyncio.Future[None]" = asyncio.get_running_loop().create_future()
        self._open_waiters.append(waiter)
        if self._runner is None or self._runner.done():
            self._stopped = False
            self._attempt = 0
            if self._dispatcher is None or self._dispatcher.done():
                self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch_events())
            self._runner = asyncio.get_running_loop().create_task(self._run())
        await waiter

    def subscribe(
        self,
        channel: str,
        *,
        latest: bool = True,
        since: Optional[Position] = None,
        on_message: Optional[MessageCallback] = None,
        conflate: Optional[int] = None,
    ) -> Subscription:
        """Subscribes to a channel or pattern (``*`` one token, ``>`` the rest).

        ``latest``: deliver the channel's current value at once. ``since``: resume
        from this position (every retained message after it, then live).
        ``on_message``: a callback (sync or async) run by a task of the
        subscription's own; otherwise iterate: ``async for msg in sub``.
        Subscribing before :meth:`connect` is fine."""
        if channel in self._subs:
            raise ValueError(f"already subscribed to {channel!r}: use that Subscription (one per channel or pattern)")
        sub = Subscription(self, channel, latest, since, on_message, conflate)
        self._subs[channel] = sub
        self._schedule_flush()
        return sub

    async def refresh_token(self) -> None:
        """Sends ``auth`` with a fresh token from the token function now; the server answers
        ``authenticated`` (event) or an error (event)."""
        if not callable(self._token):
            raise OdinClientError("NO_TOKEN_SOURCE", "refreshing needs a token function")
        token = await self._fetch_token()
        if token is None or not self._send({"type": "auth", "id": f"auth-{self._new_id()}", "token": token}):
            raise OdinClientError("NOT_CONNECTED", "not connected: the next connection uses a fresh token anyway")

    async def ping(self, timeout: float = 10.0) -> float:
        """An application ping; returns the round trip in seconds."""
        request_id = self._new_id()
        future: "asyncio.Future[float]" = asyncio.get_running_loop().create_future()
        self._pings[request_id] = future
        started = time.monotonic()
        if not self._send({"type": "ping", "id": request_id}):
            self._pings.pop(request_id, None)
            raise OdinClientError("NOT_CONNECTED", "not connected")
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            self._pings.pop(request_id, None)
        return time.monotonic() - started

    def reconnect(self) -> None:
        """Drops the connection now and reconnects at once, resuming every subscription."""
        self._drop_connection(CLIENT_DROP_CODE, "reconnect requested")

    async def close(self) -> None:
        """Closes for good: no reconnect; every subscription's iterator ends after what it received."""
        self._stopped = True
        self._cancel_refresh()
        ws = self._ws
        if ws is not None:
            await ws.close(code=int(CloseCode.NORMAL), reason="client closed")
        if self._runner is not None:
            self._runner.cancel()
            try:
                await self._runner
            except (asyncio.CancelledError, Exception):
                pass
        self._set_state("closed")
        self._reject_waiters(ClientClosedError())
        for sub in self._subs.values():
            sub._end()
        self._events.put_nowait(None)
        if self._dispatcher is not None:
            try:
                await asyncio.wait_for(self._dispatcher, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass

    async def __aenter__(self) -> "OdinClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- connection life cycle ----

    async def _run(self) -> None:
        while not self._stopped:
            code, reason = await self._one_connection()
            if self._stopped:
                return
            advice = advise_reconnect(code, self._attempt, callable(self._token), self._reconnect, self._random)
            if not self._auto_reconnect and code != CLIENT_DROP_CODE:
                advice = type(advice)(False, reason="automatic reconnect is off")
            if code == CLIENT_DROP_CODE:
                advice = type(advice)(True, 0.0)
            if not advice.reconnect:
                self._stopped = True
                self._emit("close", {"code": code, "reason": reason, "will_reconnect": False, "delay": 0.0})
                self._set_state("closed")
                error: OdinClientError = UnauthorizedError(advice.reason or "", reason if reason in TOKEN_REASONS else None) if code == CloseCode.UNAUTHORIZED else ClientClosedError(f"{advice.reason} (close {code})")
                self._reject_waiters(error)
                self._emit("error", error)
                for sub in self._subs.values():
                    sub._end()
                return
            self._attempt += 1
            self._url_index += 1
            self._emit("close", {"code": code, "reason": reason, "will_reconnect": True, "delay": advice.delay})
            self._set_state("reconnecting")
            await asyncio.sleep(advice.delay)

    async def _one_connection(self) -> "tuple[int, str]":
        """One connection from open to close; returns its close code and reason."""
        self._set_state("reconnecting" if self._ever_opened else "connecting")
        url = self.url
        try:
            token = await self._fetch_token()
        except Exception as err:  # the app's token function failed: back off and try again
            self._emit("error", OdinClientError("TOKEN_FAILED", f"the token function failed: {err!r}"))
            return int(CloseCode.ABNORMAL), "token function failed"
        if token:
            url += ("&" if "?" in url else "?") + "token=" + quote(token, safe="")
        opened_at: Optional[float] = None
        try:
            ws = await websockets.connect(url, open_timeout=self._connect_timeout, max_size=2**24, close_timeout=2)
        except Exception as err:  # refused upgrade (403/429/503), DNS, TCP: back off
            log.debug("connect to %s failed: %r", self.url, err)
            return int(CloseCode.ABNORMAL), f"connect failed: {err}"
        self._ws = ws
        self._drop = None
        outbox: "asyncio.Queue[Optional[str]]" = asyncio.Queue()
        self._outbox = outbox
        writer = asyncio.get_running_loop().create_task(self._write(ws, outbox))
        try:
            first = await asyncio.wait_for(ws.recv(), self._connect_timeout)
            self._on_frame(first)
            if self.state != "open":
                raise OdinClientError("NO_WELCOME", "the first frame was not a welcome")
            opened_at = time.monotonic()
            async for frame in ws:
                self._on_frame(frame)
        except ConnectionClosed:
            pass
        except (asyncio.TimeoutError, OdinClientError) as err:
            await ws.close(code=CLIENT_DROP_CODE, reason=str(err)[:100])
            self._drop = (int(CloseCode.ABNORMAL), f"no welcome within {self._connect_timeout} s")
        finally:
            self._outbox = None
            outbox.put_nowait(None)
            writer.cancel()
            self._ws = None
            self._after_disconnect()
        if opened_at is not None and time.monotonic() - opened_at >= self._stable_after:
            self._attempt = 0
        if self._drop is not None:
            return self._drop
        code = ws.close_code if ws.close_code is not None else int(CloseCode.ABNORMAL)
        return int(code), str(ws.close_reason or "")

    async def _write(self, ws: Any, outbox: "asyncio.Queue[Optional[str]]") -> None:
        """The connection's one writer: requests go out in the order they were made."""
        while True:
            text = await outbox.get()
            if text is None:
                return
            try:
                await ws.send(text)
            except ConnectionClosed:
                return

    def _drop_connection(self, code: int, reason: str) -> None:
        ws = self._ws
        if ws is None:
            return
        self._drop = (code, reason)
        asyncio.get_running_loop().create_task(ws.close(code=CLIENT_DROP_CODE, reason=reason[:100]))

    async def _fetch_token(self) -> Optional[str]:
        source = self._token
        if source is None or isinstance(source, str):
            return source
        value = source()
        if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
            value = await value
        return str(value)

    def _schedule_refresh(self, exp: Optional[float]) -> None:
        self._cancel_refresh()
        self.exp = exp
        if exp is None or not callable(self._token):
            return
        remaining = exp - time.time()
        lead = min(self._refresh_before, remaining / 2)
        self._refresh_handle = asyncio.get_running_loop().call_later(max(0.0, remaining - lead), self._refresh_now)

    def _refresh_now(self) -> None:
        self._refresh_handle = None

        async def refresh() -> None:
            try:
                await self.refresh_token()
            except OdinClientError as err:  # reported; the server then closes at exp (4003) and the reconnect fetches a new token
                self._emit("error", err)

        asyncio.get_running_loop().create_task(refresh())

    def _cancel_refresh(self) -> None:
        if self._refresh_handle is not None:
            self._refresh_handle.cancel()
            self._refresh_handle = None

    def _after_disconnect(self) -> None:
        self._cancel_refresh()
        for sub in self._subs.values():
            # Held messages were never handed over, so the position still points before them.
            sub.held = []
            sub.resuming = False
            sub.resyncing = False
            sub.phase = "queued"
            sub.request_id = None
        for future in self._pings.values():
            if not future.done():
                future.set_exception(OdinClientError("DISCONNECTED", "connection closed before the pong"))
        self._pings.clear()

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        previous, self.state = self.state, state
        self._emit("state", state, previous)

    def _reject_waiters(self, error: BaseException) -> None:
        waiters, self._open_waiters = self._open_waiters, []
        for w in waiters:
            if not w.done():
                w.set_exception(error)

    # ---- incoming frames (the read loop: bookkeeping only, no user code) ----

    def _on_frame(self, frame: Union[str, bytes]) -> None:
        if not isinstance(frame, str):
            return  # the protocol is text only
        try:
            # A frame may carry several messages separated by '\n' (protocol: "Batches").
            messages = [json.loads(line) for line in frame.split("\n")]
        except ValueError:
            self._emit("error", OdinClientError("BAD_FRAME", "the server sent a frame that is not JSON"))
            return
        for m in messages:
            kind = m.get("type")
            if kind == "message":
                self._on_data(m)
            elif kind == "welcome":
                self._on_welcome(m)
            elif kind == "replaying":
                self._on_replaying(m)
            elif kind == "subscribed":
                self._on_subscribed(m)
            elif kind == "pong":
                future = self._pings.get(m.get("id"))  # type: ignore[arg-type]
                if future is not None and not future.done():
                    future.set_result(0.0)
            elif kind == "error":
                self._on_error(m)
            elif kind == "authenticated":
                self._schedule_refresh(m.get("exp"))
                self._emit("authenticated", m.get("exp"))
            # unsubscribed, conflating, or a type from a newer protocol: nothing to do

    def _on_welcome(self, m: Dict[str, Any]) -> None:
        self.session = m.get("session")
        self.user = m.get("user")
        if self._ever_opened:
            self.stats.reconnects += 1
        self._ever_opened = True
        self._schedule_refresh(m.get("exp"))
        self._set_state("open")
        self._emit("open", m)
        waiters, self._open_waiters = self._open_waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)
        self._flush()

    def _on_replaying(self, m: Dict[str, Any]) -> None:
        sub = self._subs.get(m.get("channel", ""))
        if sub is None or sub.request_id is None or sub.request_id != m.get("id") or not sub.resuming:
            return
        self._settle_resume(sub, bool(m.get("recovered")))

    def _settle_resume(self, sub: Subscription, recovered: bool) -> None:
        if not recovered:
            # History is gone: continuity restarts from the latest values the server sends, which are marked resync.
            for channel in [c for c in self._last if sub.matches(c)]:
                del self._last[channel]
            self.stats.resyncs += 1
            sub.resyncing = True
            self._emit("resync", {"channel": sub.channel})
        self._release(sub)

    def _on_subscribed(self, m: Dict[str, Any]) -> None:
        sub = self._subs.get(m.get("channel", ""))
        if sub is None or sub.request_id is None or sub.request_id != m.get("id"):
            return  # the answer to a replaced request
        recovered = m.get("recovered")
        resumed = sub.answered
        if sub.resuming and recovered is not None:
            self._settle_resume(sub, bool(recovered))
        replayed = int(m.get("replayed", 0))
        if recovered is True:
            self.stats.recovered += replayed
        sub.phase = "active"
        sub.request_id = None
        sub.answered = True
        self._release(sub)
        sub.resyncing = False
        position = Position.from_json(m["position"])
        sub.advance(position)
        result = SubscribeResult(channel=sub.channel, replayed=replayed, position=position, recovered=recovered, resumed=resumed)
        sub._answered(result)
        self._emit("subscribed", result)

    def _on_error(self, m: Dict[str, Any]) -> None:
        error = ServerError(str(m.get("code")), str(m.get("message", "")), m.get("channel"), m.get("reason"))
        sub = self._subs.get(m["channel"]) if m.get("channel") is not None else None
        if sub is not None and sub.request_id == m.get("id") and error.code in REFUSALS:
            # Refused: no `subscribed` follows, and retrying would be refused again.
            del self._subs[sub.channel]
            self._release(sub)
            sub._failed(error)
        self._emit("error", error)

    def _release(self, sub: Subscription) -> None:
        """Ends a resume's hold: the messages that waited for its outcome go through in order."""
        sub.resuming = False
        held, sub.held = sub.held, []
        for m in held:
            self._on_data(m)

    def _on_data(self, raw: Dict[str, Any]) -> None:
        # While a resume's outcome is unknown its messages wait: after recovered:false they are a resync, not a gap.
        for sub in self._subs.values():
            if sub.resuming and sub.matches(raw.get("channel", "")):
                sub.held.append(raw)
                return
        m = Message.from_json(raw)
        verdict = classify(self._last.get(m.channel), m)
        if verdict == "duplicate":
            self.stats.duplicates += 1
            return
        if verdict in ("gap", "epoch"):
            self.stats.gaps += 1
            last = self._last.get(m.channel)
            self._emit("gap", {"channel": m.channel, "expected_prev": last.seq if last else 0, "prev": m.prev, "seq": m.seq, "kind": verdict})
        m.continuity = verdict
        self._last[m.channel] = m.position
        self.stats.messages += 1
        for sub in self._subs.values():
            if sub.matches(m.channel):
                m.resync = sub.resyncing
                sub._deliver(m)

    # ---- outgoing ----

    def _new_id(self) -> int:
        request_id = self._next_id
        self._next_id += 1
        return request_id

    def _schedule_flush(self) -> None:
        """Subscriptions made in one turn go out as one request: the server rate-limits requests, not entries."""
        if self._flush_scheduled:
            return
        self._flush_scheduled = True

        def flush() -> None:
            self._flush_scheduled = False
            self._flush()

        asyncio.get_running_loop().call_soon(flush)

    def _flush(self) -> None:
        """Sends every queued subscription: new ones, and after a reconnect all of them with ``since``."""
        if self.state != "open":
            return
        queued = [s for s in self._subs.values() if s.phase == "queued"]
        for i in range(0, len(queued), MAX_ENTRIES):
            request_id = self._new_id()
            entries = []
            for sub in queued[i : i + MAX_ENTRIES]:
                entry = sub.entry()
                sub.phase = "pending"
                sub.request_id = request_id
                sub.resuming = isinstance(entry, dict) and "since" in entry
                entries.append(entry)
            self._send({"type": "subscribe", "id": request_id, "channels": entries})

    async def _unsubscribe(self, sub: Subscription) -> None:
        if self._subs.get(sub.channel) is not sub:
            return
        del self._subs[sub.channel]
        self._release(sub)
        # Continuity of channels no longer subscribed would give false gaps on a later subscribe.
        for channel in [c for c in self._last if sub.matches(c)]:
            del self._last[channel]
        if sub.phase != "queued":
            self._send({"type": "unsubscribe", "id": self._new_id(), "channels": [sub.channel]})
        sub._end()

    def _send(self, message: Dict[str, Any]) -> bool:
        if self._outbox is None or self.state != "open":
            return False
        self._outbox.put_nowait(json.dumps(message, separators=(",", ":")))
        return True

    # ---- events: run by a task of their own, never by the read loop ----

    def _emit(self, event: str, *args: Any) -> None:
        if self._listeners.get(event) or event == "error":
            self._events.put_nowait((event, args))

    def _report_handler_error(self, where: str, err: BaseException) -> None:
        self._emit("error", HandlerError(where, err))

    async def _dispatch_events(self) -> None:
        while True:
            item = await self._events.get()
            if item is None:
                return
            event, args = item
            listeners = list(self._listeners.get(event, []))
            if event == "error" and not listeners:
                log.warning("odin client error: %s", args[0])
            for listener in listeners:
                try:
                    result = listener(*args)
                    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                        await result
                except Exception as err:
                    if event != "error":
                        self._emit("error", HandlerError(f"the {event} event", err))
                    else:
                        log.exception("an error listener raised")
