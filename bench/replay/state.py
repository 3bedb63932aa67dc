"""The replay server's Pub/Sub side, no I/O: replies rendered from bytes kept ready, and
one subscription's leases, acks and redeliveries.

A pull reply is byte for byte in the emulator's shape (its pretty-printed JSON, the
``projects/P/subscriptions/S:K`` ackIds numbered by delivery, ``messageId``,
``publishTime``, ``attributes``): each message's base64 is rendered once per alert file at
start-up, so serving a reply is one ``bytes.join`` of ready pieces.
"""

from __future__ import annotations

import base64
import heapq
import io
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import fastavro
import orjson

_REPLY_HEAD = b'{\n  "receivedMessages": [{\n    "ackId": "'
_BETWEEN = b', {\n    "ackId": "'
_REPLY_TAIL = b"]\n}\n"
EMPTY_REPLY = b"{\n}\n"


def _attributes(payload: bytes) -> dict[str, str]:
    """What Pitt-Google's ZTF messages carry about the alert in them."""
    record = next(iter(fastavro.reader(io.BytesIO(payload))))
    assert isinstance(record, dict)
    return {"candid": str(record["candid"]), "objectId": str(record["objectId"])}


def _json_str(value: str) -> bytes:
    return orjson.dumps(value)


def _message_piece(payload: bytes) -> bytes:
    """From the end of the ackId to the messageId's opening quote, as the emulator writes."""
    attrs = _attributes(payload)
    lines = ",\n".join(
        f"        {_json_str(k).decode()}: {_json_str(v).decode()}" for k, v in attrs.items()
    )
    return (
        b'",\n    "message": {\n      "data": "'
        + base64.b64encode(payload)
        + b'",\n      "attributes": {\n'
        + lines.encode()
        + b'\n      },\n      "messageId": "'
    )


class ReplayData:
    """The alerts to serve, cycled: message ``i`` carries ``payloads[i % len(payloads)]``."""

    def __init__(self, payloads: list[bytes]) -> None:
        if not payloads:
            raise ValueError("no alerts to replay")
        self.pieces = [_message_piece(p) for p in payloads]
        self.sizes = [len(p) for p in payloads]

    def render(self, ack_prefix: bytes, publish: bytes, items: list[tuple[int, int]]) -> bytes:
        """A pull reply of ``items``: (message index, delivery number) pairs."""
        if not items:
            return EMPTY_REPLY
        tail = b'",\n      "publishTime": "' + publish + b'"\n    }\n  }'
        pieces, parts = self.pieces, len(self.pieces)
        out: list[bytes] = [_REPLY_HEAD]
        for n, (index, delivery) in enumerate(items):
            if n:
                out.append(_BETWEEN)
            out += (ack_prefix, b"%d" % delivery, pieces[index % parts], b"%d" % (index + 1), tail)
        out.append(_REPLY_TAIL)
        return b"".join(out)


@dataclass(slots=True)
class Counts:
    alerts: int = 0
    delivered: int = 0  # messages sent, redeliveries included
    redelivered: int = 0
    acked: int = 0  # distinct messages acked
    duplicate_acks: int = 0  # a message acked again through another delivery's ackId
    late_acks: int = 0  # ackIds whose deadline had passed (the message came or comes again)
    nacked: int = 0
    extended: int = 0
    pulls: int = 0
    empty_pulls: int = 0
    held_pulls: int = 0  # pulls without returnImmediately that waited
    bytes_sent: int = 0


@dataclass(slots=True)
class ReplaySubscription:
    """One subscription holding ``alerts`` messages until each is acked once."""

    name: str
    topic: str
    data: ReplayData
    alerts: int
    ack_deadline: int = 60
    max_per_pull: int = 100
    counts: Counts = field(default_factory=Counts)
    publish_time: bytes = b""
    _next: int = 0  # the next message never delivered
    _deliveries: int = 0
    _available: deque[int] = field(default_factory=deque)  # to deliver again
    _leases: dict[str, tuple[int, float]] = field(default_factory=dict)  # ackId -> (i, ends)
    _expiries: list[tuple[float, str]] = field(default_factory=list)  # a heap, lazily pruned
    _acked: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self.counts.alerts = self.alerts
        self._acked = bytearray(self.alerts)
        if not self.publish_time:
            now = time.time()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
            self.publish_time = f"{stamp}.{int(now * 1000) % 1000:03d}Z".encode()

    @property
    def ack_prefix(self) -> bytes:
        return f"{self.name}:".encode()

    @property
    def done(self) -> bool:
        return self.counts.acked >= self.alerts

    def resource(self) -> bytes:
        """The subscription as the emulator's GET shows it."""
        return (
            b'{\n  "name": ' + _json_str(self.name) + b',\n  "topic": ' + _json_str(self.topic)
            + b',\n  "pushConfig": {\n  },\n  "ackDeadlineSeconds": %d' % self.ack_deadline
            + b',\n  "messageRetentionDuration": "604800s"\n}\n'
        )  # fmt: skip

    def has_messages(self, now: float) -> bool:
        self._expire(now)
        return bool(self._available) or self._next < self.alerts

    def next_expiry(self) -> float | None:
        return self._expiries[0][0] if self._expiries else None

    def pull(self, max_messages: int, now: float) -> bytes:
        self._expire(now)
        take = min(max_messages, self.max_per_pull)
        items: list[tuple[int, int]] = []
        ends = now + self.ack_deadline
        while len(items) < take:
            if self._available:
                index = self._available.popleft()
                self.counts.redelivered += 1
            elif self._next < self.alerts:
                index, self._next = self._next, self._next + 1
            else:
                break
            self._deliveries += 1
            ack_id = f"{self.name}:{self._deliveries}"
            self._leases[ack_id] = (index, ends)
            heapq.heappush(self._expiries, (ends, ack_id))
            items.append((index, self._deliveries))
        self.counts.pulls += 1
        self.counts.delivered += len(items)
        if not items:
            self.counts.empty_pulls += 1
        body = self.data.render(self.ack_prefix, self.publish_time, items)
        self.counts.bytes_sent += len(body)
        return body

    def acknowledge(self, ack_ids: list[str]) -> str | None:
        """None, or the first ackId that is not one of this subscription's (a 400)."""
        for ack_id in ack_ids:
            lease = self._leases.pop(ack_id, None)
            if lease is None:
                if not self._issued(ack_id):
                    return ack_id
                self.counts.late_acks += 1
                continue
            index = lease[0]
            if self._acked[index]:
                self.counts.duplicate_acks += 1
            else:
                self._acked[index] = 1
                self.counts.acked += 1
        return None

    def modify_ack_deadline(self, ack_ids: list[str], seconds: int, now: float) -> str | None:
        for ack_id in ack_ids:
            lease = self._leases.get(ack_id)
            if lease is None:
                if not self._issued(ack_id):
                    return ack_id
                continue
            if seconds <= 0:  # a nack: deliver again at once
                del self._leases[ack_id]
                self._available.append(lease[0])
                self.counts.nacked += 1
            else:
                ends = now + seconds
                self._leases[ack_id] = (lease[0], ends)
                heapq.heappush(self._expiries, (ends, ack_id))
                self.counts.extended += 1
        return None

    def stats(self) -> dict[str, Any]:
        out = asdict(self.counts)
        out.update(name=self.name, done=self.done, leased=len(self._leases))
        return out

    def _issued(self, ack_id: str) -> bool:
        prefix, _, number = ack_id.rpartition(":")
        return prefix == self.name and number.isdigit() and 0 < int(number) <= self._deliveries

    def _expire(self, now: float) -> None:
        """Leases past their deadline: those messages are delivered again."""
        heap = self._expiries
        while heap and heap[0][0] <= now:
            ends, ack_id = heapq.heappop(heap)
            lease = self._leases.get(ack_id)
            if lease is not None and lease[1] == ends:
                del self._leases[ack_id]
                if not self._acked[lease[0]]:
                    self._available.append(lease[0])
