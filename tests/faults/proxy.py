"""A fault-injecting HTTP/1.1 proxy on loopback, between pgb and the Pub/Sub emulator.

pgb finds it through ``PUBSUB_EMULATOR_HOST=proxy.host``. It runs its own asyncio loop in
a background thread, keeps pgb's keep-alive connections open, forwards each request to
the emulator and, for one request in every ``1/rate`` of each action (pull, acknowledge,
modifyAckDeadline, GET...), at a seeded place in that window, injects one of ``KINDS``:

    429           not forwarded; 429 with ``Retry-After: 1``
    500, 503      not forwarded; Google's error envelope
    reset         not forwarded; the connection closed with SO_LINGER 0 (an RST)
    stall         forwarded; the reply held past pgb's --request-timeout, never sent
    truncated     forwarded; Content-Length promises the reply, half of it is sent
    ack-503       an acknowledge forwarded (so done), answered 503 all the same
    pull-dropped  a pull forwarded, the connection closed without a reply (the first
                  one goes to a reply that leases messages)

One fault per window, rather than a coin per request, so that the few acks of a run get
their share. Kinds not injected yet come first (an action's own kind before the others),
then any kind that applies, seeded.

What a lost pull reply carried is leased to nobody and comes back after the
subscription's ack deadline: those message ids are counted in ``stranded``. ``delivered``
counts each message id handed to pgb; ``acked`` holds the ack ids the emulator took.

It can be switched to a total outage (``outage("refuse")``: nothing listens and open
connections are reset; ``outage("503")``: every request 503), to answering every request
with one status (``always(403)``), and back (``restore()``); ``after_next(action, mode)``
switches right after an ack or a pull, when pgb holds alerts it has not acked.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

import httpx
import orjson

KINDS = ("429", "500", "503", "reset", "stall", "truncated", "ack-503", "pull-dropped")
_ONLY_FOR = {"ack-503": "acknowledge", "pull-dropped": "pull"}
_LEASING = ("pull", "acknowledge", "modifyAckDeadline")
_REFUSALS = {
    403: "User not authorized to perform this action.",
    404: "Resource not found (resource=test-sub).",
    503: "The service is currently unavailable.",
}
_WORDS = {403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}
T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # /v1/projects/P/subscriptions/S:pull
    content_type: str
    body: bytes

    @property
    def action(self) -> str:
        """``pull``, ``acknowledge``, ``modifyAckDeadline``... or the method (a GET)."""
        last = self.target.rsplit("/", 1)[-1]
        return last.rsplit(":", 1)[1] if ":" in last else self.method


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def head(self) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}"]
        lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(self.body)}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


def google_error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = orjson.dumps(
        {"error": {"code": status, "message": message, "status": _WORDS.get(status, "INTERNAL")}}
    )
    return Reply(status, "application/json", body, headers)


class FaultPlan:
    """Which requests get a fault, and which: seeded, decided as requests arrive."""

    def __init__(self, seed: int, rate: float) -> None:
        self._rng = random.Random(seed)
        self._window = max(1, round(1 / rate)) if rate > 0 else 0
        self._seen: Counter[str] = Counter()  # action -> requests so far
        self._next: dict[str, int] = {}  # action -> index of its next faulted request
        self._owed: dict[str, str] = {}  # action -> a fault deferred to its next request
        self.injected: Counter[str] = Counter()

    def choose(self, action: str) -> str | None:
        if not self._window:
            return None
        index = self._seen[action]
        self._seen[action] += 1
        if index % self._window == 0:  # a new window: where in it the fault goes
            self._next[action] = index + self._rng.randrange(self._window)
        kind = self._owed.pop(action, None)
        if kind is None and index == self._next[action]:
            kinds = [k for k in KINDS if _ONLY_FOR.get(k, action) == action]
            fresh = [k for k in kinds if not self.injected[k]]
            own = [k for k in fresh if k in _ONLY_FOR]
            kind = self._rng.choice(own or fresh or kinds)
        if kind is not None:
            self.injected[kind] += 1
        return kind

    def defer(self, action: str, kind: str) -> None:
        """``kind`` was not injected after all: the next request of ``action`` gets it."""
        self.injected[kind] -= 1
        self._owed[action] = kind


class FaultProxy:
    """``with FaultProxy(emulator, seed) as proxy:`` then point pgb at ``proxy.host``."""

    def __init__(self, upstream: str, seed: int, rate: float = 0.2, stall: float = 3.5) -> None:
        self.upstream = upstream
        self.stall = stall  # seconds a stalled reply is held: more than pgb's request timeout
        self.plan = FaultPlan(seed, rate)
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # action -> times
        self.delivered: Counter[str] = Counter()  # message id -> times handed to pgb
        self.stranded: Counter[str] = Counter()  # message id -> times lost with a reply
        self.ack_ids: dict[str, str] = {}  # ack id the emulator gave out -> message id
        self.acked: set[str] = set()  # ack ids the emulator took
        self._leases: dict[str, tuple[float, int | None]] = {}  # ack id not acked -> since
        # when (monotonic) and for how long (None: the subscription's ack deadline)
        self._mode = "forward"  # or an outage ("refuse", "503"), or a status ("403"...)
        self._after: tuple[str, str] | None = None  # (action, mode) to switch to after it
        self.switched = (0.0, 0)  # when (monotonic) the mode last changed, requests until then
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._client: httpx.AsyncClient | None = None
        self.port = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def injected(self) -> Counter[str]:
        with self._lock:
            return +self.plan.injected  # kinds injected at least once

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    # Switches, from the test's thread.

    def outage(self, how: str) -> None:
        """``refuse``: stop listening and reset open connections; ``503``: answer 503."""
        assert how in ("refuse", "503")
        self._call(self._switch(how))

    def always(self, status: int) -> None:
        """Answer every request with ``status`` (403, 404) and forward nothing."""
        self._call(self._switch(str(status)))

    def restore(self) -> None:
        """Back to forwarding (with faults at ``rate``), listening again if need be."""
        self._call(self._switch("forward"))

    def after_next(self, action: str, mode: str) -> None:
        """Switch to ``mode`` (``refuse``, ``503``, ``403``...) once the next ``action``
        (``acknowledge``; ``pull``: one that leased messages) has been answered: pgb is
        then mid-stream, holding alerts it has not acked."""
        self._after = (action, mode)

    def acked_messages(self) -> set[str]:
        """The message ids whose ack the emulator took through the proxy."""
        with self._lock:
            return {self.ack_ids[ack_id] for ack_id in self.acked}

    def leases_end(self, ack_deadline: float) -> float:
        """When every lease the emulator gave through the proxy has run out (monotonic):
        past it, whatever was not acked can be pulled again."""
        with self._lock:
            leases = self._leases.values()
            return max((at + (ack_deadline if s is None else s) for at, s in leases), default=0)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    # The loop's side.

    async def _start(self) -> None:
        self._client = httpx.AsyncClient(base_url=f"http://{self.upstream}", timeout=120)
        await self._listen()

    async def _stop(self) -> None:
        await self._close_listener()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        assert self._client is not None
        await self._client.aclose()

    async def _switch(self, mode: str, spare: asyncio.StreamWriter | None = None) -> None:
        was, self._mode = self._mode, mode
        with self._lock:
            self.switched = (time.monotonic(), sum(self.requests.values()))
        if mode == "refuse" and was != "refuse":
            await self._close_listener(spare)
        elif was == "refuse" and mode != "refuse":
            await self._listen()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close_listener(self, spare: asyncio.StreamWriter | None = None) -> None:
        if self._server is not None:
            self._server.close()  # the listening socket is closed at once: connects refused
            self._server = None
        for writer in list(self._connections.values()):
            if writer is not spare:
                _reset(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while (request := await _read_request(reader)) is not None:
                if not await self._answer(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # closing: asyncio logs a cancelled handler as an error
            _reset(writer)
        finally:
            del self._connections[task]
            writer.close()

    async def _answer(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is done with."""
        with self._lock:
            self.requests[request.action] += 1
        if self._mode == "refuse":  # accepted just before the listener closed
            _reset(writer)
            return False
        if self._mode != "forward":
            status = int(self._mode)
            return await _send(writer, google_error(status, _REFUSALS.get(status, "refused")))
        with self._lock:
            kind = self.plan.choose(request.action)
        if kind in ("429", "500", "503"):
            after = (("Retry-After", "1"),) if kind == "429" else ()
            return await _send(writer, google_error(int(kind), f"injected {kind}", after))
        if kind == "reset":
            _reset(writer)
            return False
        reply = await self._forward(request)
        if kind == "pull-dropped" and not _is(request, reply, "pull"):
            with self._lock:  # losing an empty reply loses nothing: the first is moved on
                if self.plan.injected[kind] == 1:
                    self.plan.defer(request.action, kind)
                    kind = None
        self._record(request, reply, handed=kind is None)
        if kind is None:
            await _send(writer, reply)
            if self._after is not None and _is(request, reply, self._after[0]):
                mode, self._after = self._after[1], None
                await self._switch(mode, spare=writer)  # its reply is not cut off
            return self._mode != "refuse"
        if kind == "ack-503":
            return await _send(writer, google_error(503, "injected 503 after the ack"))
        if kind == "stall":
            await asyncio.sleep(self.stall)
        elif kind == "truncated":
            writer.write(reply.head() + reply.body[: len(reply.body) // 2])
            await writer.drain()
        return False  # pull-dropped, stall, truncated: closed with no (whole) reply

    async def _forward(self, request: Request) -> Reply:
        assert self._client is not None
        headers = {"content-type": request.content_type} if request.content_type else {}
        answer = await self._client.request(
            request.method, request.target, content=request.body or None, headers=headers
        )
        return Reply(answer.status_code, answer.headers.get("content-type", ""), answer.content)

    def _record(self, request: Request, reply: Reply, *, handed: bool) -> None:
        """What the emulator did with a forwarded request, and whether pgb heard of it."""
        if reply.status != 200 or request.action not in _LEASING:
            return
        now = time.monotonic()
        with self._lock:
            if request.action == "pull":
                self._leased(orjson.loads(reply.body).get("receivedMessages", []), now, handed)
                return
            sent = orjson.loads(request.body)
            for ack_id in sent["ackIds"]:
                if request.action == "acknowledge":
                    self.acked.add(ack_id)
                    self._leases.pop(ack_id, None)
                elif ack_id in self._leases:
                    self._leases[ack_id] = (now, sent["ackDeadlineSeconds"])

    def _leased(self, received: list[dict[str, Any]], now: float, handed: bool) -> None:
        for one in received:
            message_id = one["message"]["messageId"]
            self.ack_ids[one["ackId"]] = message_id
            self._leases[one["ackId"]] = (now, None)
            (self.delivered if handed else self.stranded)[message_id] += 1


def _is(request: Request, reply: Reply, action: str) -> bool:
    leased = action != "pull" or b'"receivedMessages"' in reply.body
    return request.action == action and leased


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    """One HTTP/1.1 request (pgb sends a Content-Length, never chunks); None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    start, *lines = head.decode("latin-1").split("\r\n")
    method, target, _ = start.split(" ", 2)
    headers = {}
    for line in filter(None, lines):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method, target, headers.get("content-type", ""), body)


async def _send(writer: asyncio.StreamWriter, reply: Reply) -> bool:
    writer.write(reply.head() + reply.body)
    await writer.drain()
    return True


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST, not a FIN: SO_LINGER on, 0 seconds."""
    sock = writer.get_extra_info("socket")
    if sock is not None and not writer.transport.is_closing():
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
