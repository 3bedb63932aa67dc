"""The peer: what a user writes with google-cloud-pubsub to do pgb's job.

    PUBSUB_EMULATOR_HOST=127.0.0.1:P GOOGLE_CLOUD_PROJECT=X \\
        python -m bench.gcp_peer SUBSCRIPTION --alerts N --out FILE

Streaming pull over gRPC; a callback decodes the Avro container with ``fastavro.reader``,
renders it with stdlib ``json.dumps`` (bytes as base64, like pgb), writes and flushes the
line, then acks. It stops once N alerts are written and closes the client properly.

The emulator sends ~6 MB batches while gRPC's default receive limit is 4 MiB, so the
client gets its own channel with ``grpc.max_receive_message_length = -1`` (with the stock
emulator channel it retries forever and delivers nothing).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import threading
from typing import Any

import fastavro
import grpc  # type: ignore[import-untyped]
from google.cloud import pubsub_v1  # type: ignore[import-untyped]
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

_UNLIMITED = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def subscriber_client() -> pubsub_v1.SubscriberClient:
    host = os.environ["PUBSUB_EMULATOR_HOST"]
    channel = grpc.insecure_channel(host, options=_UNLIMITED)
    return pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=channel))


def publish_grpc(host: str, topic: str, payloads: list[bytes]) -> int:
    """Publish over gRPC (the benchmark's filler): the emulator's REST gateway copies every
    request body into direct memory it does not give back, so publishing ~1 GB of alerts
    over REST exhausts its direct-buffer limit (-Xmx) and it dies; gRPC does not."""
    channel = grpc.insecure_channel(host, options=_UNLIMITED)
    batches = pubsub_v1.types.BatchSettings(max_bytes=4_000_000, max_latency=0.05)
    client = pubsub_v1.PublisherClient(
        batch_settings=batches, transport=PublisherGrpcTransport(channel=channel)
    )
    try:
        futures = [client.publish(topic, data) for data in payloads]
        return len([f.result(timeout=300) for f in futures])
    finally:
        client.stop()
        channel.close()


def consume(subscription: str, alerts: int, out_path: str, timeout: float) -> int:
    """Write ``alerts`` alerts as JSON lines to ``out_path``; how many were written."""
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    lock = threading.Lock()
    done = threading.Event()
    written = 0
    with open(out_path, "wb") as out:

        def callback(message: Any) -> None:
            nonlocal written
            records = fastavro.reader(io.BytesIO(message.data))
            data = b"".join(json.dumps(r, default=_default).encode() + b"\n" for r in records)
            with lock:
                if written >= alerts:
                    message.nack()
                    return
                out.write(data)
                out.flush()  # like pgb: the line reaches the OS before the ack
                written += 1
                if written >= alerts:
                    done.set()
            message.ack()

        client = subscriber_client()
        with client:
            path = client.subscription_path(project, subscription)
            future = client.subscribe(path, callback, flow_control=pubsub_v1.types.FlowControl())
            done.wait(timeout)
            future.cancel()
            future.result()  # returns once the stream is shut down
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gcp_peer")
    parser.add_argument("subscription")
    parser.add_argument("--alerts", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    written = consume(args.subscription, args.alerts, args.out, args.timeout)
    if written < args.alerts:
        print(f"gcp_peer: only {written} of {args.alerts} alerts", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
