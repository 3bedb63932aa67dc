"""The replay server's HTTP side: a raw asyncio protocol speaking just enough HTTP/1.1
(keep-alive, Content-Length bodies) and of Pub/Sub's REST API for pgb and the REST peers.

    GET  /                                          Ok (ready, like the emulator)
    GET|PUT|DELETE /v1/projects/P/subscriptions/S   the subscription
    POST /v1/projects/P/subscriptions/S:pull        at most 100 messages a reply
    POST .../S:acknowledge, .../S:modifyAckDeadline
    POST /replay/load    {"subscription", "alerts", "ackDeadlineSeconds"}: a fresh one
    GET  /replay/stats/projects/P/subscriptions/S   its counts (delivered, acked, ...)

A pull without ``returnImmediately`` on a subscription with nothing to deliver waits
(like Pub/Sub's) until a message is due again, everything is acked, or ``hold`` seconds.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import orjson

from .state import EMPTY_REPLY, ReplayData, ReplaySubscription

_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 409: b"Conflict"}
_REASONS |= {405: b"Method Not Allowed", 411: b"Length Required", 501: b"Not Implemented"}
_STATUS = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 409: "ALREADY_EXISTS"}
_MAX_HEAD = 64 * 1024
_SEND_BUFFER = 4 * 1024 * 1024
Reply = tuple[int, bytes]


def _error(code: int, message: str) -> Reply:
    status = _STATUS.get(code, "UNIMPLEMENTED")
    return code, orjson.dumps({"error": {"code": code, "message": message, "status": status}})


class Replay:
    """The subscriptions and the routes; ``handle`` answers at once or calls ``respond``
    later (a held pull)."""

    def __init__(self, data: ReplayData, *, default_alerts: int = 0, hold: float = 5.0) -> None:
        self.data, self.default_alerts, self.hold = data, default_alerts, hold
        self.subscriptions: dict[str, ReplaySubscription] = {}
        self._waiters: dict[str, list[Callable[[], None]]] = {}

    def handle(
        self, method: bytes, target: str, body: bytes, respond: Callable[[Reply], None]
    ) -> Reply | None:
        try:
            return self._route(method, target, body, respond)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            return _error(400, f"bad request: {exc}")

    def _route(
        self, method: bytes, target: str, body: bytes, respond: Callable[[Reply], None]
    ) -> Reply | None:
        if target.startswith("/v1/"):
            name, _, verb = target[4:].partition(":")
            if verb:
                return self._call(method, name, verb, body, respond)
            return self._resource(method, name, body)
        if target == "/" and method == b"GET":
            return 200, b"Ok\n"
        if target == "/replay/load" and method == b"POST":
            return self._load(orjson.loads(body))
        if target.startswith("/replay/stats/") and method == b"GET":
            sub = self.subscriptions.get(target.removeprefix("/replay/stats/"))
            return (200, orjson.dumps(sub.stats())) if sub else _error(404, "no such subscription")
        return _error(404, f"no route for {target}")

    def _load(self, spec: dict[str, Any]) -> Reply:
        name = spec["subscription"]
        self.subscriptions[name] = ReplaySubscription(
            name,
            spec.get("topic", "projects/replay/topics/replay"),
            self.data,
            int(spec["alerts"]),
            ack_deadline=int(spec.get("ackDeadlineSeconds", 60)),
        )
        return 200, self.subscriptions[name].resource()

    def _resource(self, method: bytes, name: str, body: bytes) -> Reply:
        sub = self.subscriptions.get(name)
        if method == b"GET":
            return (200, sub.resource()) if sub else _error(404, "Subscription does not exist")
        if method == b"DELETE":
            self.subscriptions.pop(name, None)
            return 200, EMPTY_REPLY
        if method == b"PUT":
            if sub is not None:
                return _error(409, "Subscription already exists")
            spec = orjson.loads(body or b"{}")
            return self._load(
                {
                    "subscription": name,
                    "topic": spec.get("topic", ""),
                    "alerts": self.default_alerts,
                    "ackDeadlineSeconds": spec.get("ackDeadlineSeconds", 10),
                }
            )
        return _error(405, "method not allowed")

    def _call(
        self, method: bytes, name: str, verb: str, body: bytes, respond: Callable[[Reply], None]
    ) -> Reply | None:
        sub = self.subscriptions.get(name)
        if sub is None:
            return _error(404, "Subscription does not exist")
        if method != b"POST":
            return _error(405, "method not allowed")
        spec = orjson.loads(body or b"{}")
        now = time.monotonic()
        if verb == "pull":
            wanted = int(spec.get("maxMessages", 0))
            if wanted <= 0:
                return _error(400, "No max_messages specified")
            if spec.get("returnImmediately") or sub.has_messages(now) or sub.done:
                return 200, sub.pull(wanted, now)
            sub.counts.held_pulls += 1
            self._hold(sub, wanted, now + self.hold, respond)
            return None
        if verb == "acknowledge":
            bad = sub.acknowledge(list(spec["ackIds"]))
        elif verb == "modifyAckDeadline":
            bad = sub.modify_ack_deadline(
                list(spec["ackIds"]), int(spec["ackDeadlineSeconds"]), now
            )
        else:
            return _error(404, f"no method {verb}")
        if bad is not None:
            return _error(400, f"Invalid ack id (ack_id={bad})")
        self._wake(name)
        return 200, EMPTY_REPLY

    def _hold(
        self, sub: ReplaySubscription, wanted: int, until: float, respond: Callable[[Reply], None]
    ) -> None:
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None

        def check() -> None:
            nonlocal timer
            if timer is not None:
                timer.cancel()
            now = time.monotonic()
            if sub.has_messages(now) or sub.done or now >= until:
                waiters = self._waiters.get(sub.name, [])
                if check in waiters:
                    waiters.remove(check)
                respond((200, sub.pull(wanted, now)))
                return
            due = sub.next_expiry()
            wake = min(until, due) if due is not None else until
            timer = loop.call_at(loop.time() + max(0.0, wake - now) + 0.001, check)

        self._waiters.setdefault(sub.name, []).append(check)
        check()

    def _wake(self, name: str) -> None:
        for check in list(self._waiters.get(name, ())):
            check()


class HttpProtocol(asyncio.Protocol):
    """One connection: requests answered in order, one at a time."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.waiting = False  # a held pull: later requests wait their turn
        self.close_after = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:  # a reply (~8 MB) in few sends: less of the server's CPU
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._serve()

    def _serve(self) -> None:
        while not self.waiting and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > _MAX_HEAD:
                    self._send((400, b"header too large"), close=True)
                return
            lines = bytes(self.buffer[:end]).split(b"\r\n")
            method, target, _version = lines[0].split(b" ", 2)
            headers = dict(_header(line) for line in lines[1:])
            if b"chunked" in headers.get(b"transfer-encoding", b""):
                self._send((411, b"chunked bodies are not supported"), close=True)
                return
            size = int(headers.get(b"content-length", b"0"))
            if len(self.buffer) < end + 4 + size:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + size])
            del self.buffer[: end + 4 + size]
            self.close_after = headers.get(b"connection", b"").lower() == b"close"
            reply = self.replay.handle(method, target.decode(), body, self._later)
            if reply is None:
                self.waiting = True
                return
            self._send(reply, close=self.close_after)

    def _later(self, reply: Reply) -> None:
        self.waiting = False
        self._send(reply, close=self.close_after)
        self._serve()

    def _send(self, reply: Reply, *, close: bool) -> None:
        if self.transport is None:
            return
        code, body = reply
        head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
            code,
            _REASONS.get(code, b"Error"),
            len(body),
        )
        self.transport.writelines((head, b"connection: close\r\n\r\n" if close else b"\r\n", body))
        if close:
            self.transport.close()


def _header(line: bytes) -> tuple[bytes, bytes]:
    name, _, value = line.partition(b":")
    return name.strip().lower(), value.strip()


async def serve(replay: Replay, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: HttpProtocol(replay), host, port, backlog=128)
