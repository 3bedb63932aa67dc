"""In-process microbenchmarks, no emulator: the per-alert and per-reply costs.

Each figure is the best of several repeats of a loop over the shipped alerts (the usual
``timeit`` practice: on a shared machine the minimum is the least disturbed estimate),
in microseconds per alert or per reply.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from typing import Any

import fastavro

from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.pubsub.rest import parse_pull, publish_body
from pittgoogle_cli.shapes.render import render_line


def _b64_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def best_us(fn: Callable[[Any], object], items: list[Any], seconds: float = 0.4) -> float:
    """Microseconds per item: the best of 5 repeats, each looping long enough."""
    for item in items:  # warm caches (pgb's schema cache, imports)
        fn(item)
    started = time.perf_counter()
    for item in items:
        fn(item)
    per_pass = max(time.perf_counter() - started, 1e-6)
    loops = max(1, int(seconds / 5 / per_pass))
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(loops):
            for item in items:
                fn(item)
        best = min(best, (time.perf_counter() - started) / (loops * len(items)))
    return best * 1e6


def pull_reply(payloads: list[bytes], size: int = 100) -> bytes:
    """A pull reply like the emulator's: ``size`` messages cycling ``payloads``."""
    body = json.loads(publish_body([(payloads[i % len(payloads)], {}) for i in range(size)]))
    received = [
        {
            "ackId": f"projects/pgb-bench/subscriptions/bench:{i + 1}",
            "message": {
                "data": message["data"],
                "messageId": str(1000 + i),
                "publishTime": "2026-11-30T07:00:00.123Z",
            },
        }
        for i, message in enumerate(body["messages"])
    ]
    return json.dumps({"receivedMessages": received}).encode()


def _stdlib_parse(body: bytes) -> list[bytes]:
    reply = json.loads(body)
    return [base64.b64decode(m["message"]["data"]) for m in reply["receivedMessages"]]


def _record(decoded: Any) -> dict[str, Any]:
    """``Decoder.decode`` gives the record, or (record, schema info) in newer pgb."""
    record: dict[str, Any] = decoded[0] if isinstance(decoded, tuple) else decoded
    return record


def run(payloads: list[bytes]) -> dict[str, Any]:
    decoder = Decoder()

    def pgb_decode(data: bytes) -> object:
        return decoder.decode(data)

    def peer_decode(data: bytes) -> object:
        return list(fastavro.reader(io.BytesIO(data)))

    records = [_record(decoder.decode(data)) for data in payloads]

    def peer_render(record: dict[str, Any]) -> object:
        return json.dumps(record, default=_b64_default).encode() + b"\n"

    def pgb_both(data: bytes) -> object:
        return render_line(_record(decoder.decode(data)))

    def peer_both(data: bytes) -> object:
        return b"".join(
            json.dumps(r, default=_b64_default).encode() + b"\n"
            for r in fastavro.reader(io.BytesIO(data))
        )

    reply = pull_reply(payloads)
    assert [m.message.data for m in parse_pull(reply)] == _stdlib_parse(reply)
    rows = [
        ("decode (per alert)", best_us(pgb_decode, payloads), best_us(peer_decode, payloads)),
        ("render (per alert)", best_us(render_line, records), best_us(peer_render, records)),
        ("decode+render (per alert)", best_us(pgb_both, payloads), best_us(peer_both, payloads)),
        (
            f"parse 100-msg pull reply ({len(reply) / 1e6:.1f} MB)",
            best_us(parse_pull, [reply], 1.0),
            best_us(_stdlib_parse, [reply], 1.0),
        ),
    ]
    return {
        "pgb": "Decoder().decode / render_line (orjson) / pubsub_rest.parse_pull (msgspec)",
        "peer": "fastavro.reader / json.dumps + base64 / json.loads + base64.b64decode",
        "alerts": len(payloads),
        "reply_bytes": len(reply),
        "rows": [
            {"step": step, "pgb_us": pgb, "peer_us": peer, "ratio_pgb_over_peer": pgb / peer}
            for step, pgb, peer in rows
        ],
    }
