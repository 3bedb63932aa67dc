"""The gcloud-aio-pubsub peer: the other REST client, used as its docs show.

    PUBSUB_EMULATOR_HOST=HOST:PORT GOOGLE_CLOUD_PROJECT=X \\
        python -m bench.aio_peer SUBSCRIPTION --alerts N --out FILE [--mode subscribe|pull]

``subscribe`` (the default): the library's ``subscribe()`` with an async handler that
decodes, writes and flushes each alert (see ``peer_lines``); the library acks after the
handler returns, in batches. ``pull``: ``--tasks`` loops on ``SubscriberClient.pull``
(100 messages), each writing its batch, flushing, then acking it. Either stops once N
alerts are written and acked, and closes the client. On the replay server, 2,000 alerts,
4 interleaved runs each at load ~6: subscribe with 1 producer 240 alerts/s and 2.64 ms
CPU/alert, with 2 producers 239/s and 2.82 ms, the pull loop with 2 tasks 214/s and
3.05 ms: subscribe with the library's default of one producer is the default here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import IO

from gcloud.aio.pubsub import SubscriberClient, SubscriberMessage, subscribe

from .peer_lines import alert_lines


async def _pull_loop(
    client: SubscriberClient, path: str, alerts: int, out: IO[bytes], pullers: int
) -> int:
    written = acked = 0
    done = asyncio.Event()

    async def puller() -> None:
        nonlocal written, acked
        while written < alerts:
            try:
                messages = await client.pull(path, 100, timeout=30)
            except asyncio.TimeoutError:  # a long poll on an empty subscription
                continue
            mine, extra = messages[: alerts - written], messages[alerts - written :]
            out.write(b"".join(alert_lines(m.data or b"") for m in mine))
            out.flush()  # the lines reach the OS before the ack
            written += len(mine)
            if extra:
                await client.modify_ack_deadline(path, [m.ack_id for m in extra], 0)
            if mine:
                await client.acknowledge(path, [m.ack_id for m in mine])
                acked += len(mine)
                if acked >= alerts:
                    done.set()

    tasks = [asyncio.ensure_future(puller()) for _ in range(pullers)]
    await done.wait()
    for task in tasks:  # what is left are pulls waiting on an empty subscription
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return written


async def _subscribe(
    client: SubscriberClient, path: str, alerts: int, out: IO[bytes], producers: int
) -> int:
    written = 0
    done = asyncio.Event()

    async def handler(message: SubscriberMessage) -> None:
        nonlocal written
        if written >= alerts:
            raise RuntimeError("more than asked for")  # the library nacks it
        out.write(alert_lines(message.data or b""))
        out.flush()
        written += 1
        if written >= alerts:
            done.set()

    task = asyncio.ensure_future(
        subscribe(path, handler, client, num_producers=producers, max_messages_per_producer=100)
    )
    await done.wait()
    task.cancel()  # graceful: the library sends the acks it owes before it returns
    await asyncio.gather(task, return_exceptions=True)
    return written


async def consume(subscription: str, alerts: int, out_path: str, mode: str, tasks: int) -> int:
    client = SubscriberClient()
    path = client.subscription_path(os.environ["GOOGLE_CLOUD_PROJECT"], subscription)
    try:
        with open(out_path, "wb") as out:
            if mode == "pull":
                return await _pull_loop(client, path, alerts, out, tasks)
            return await _subscribe(client, path, alerts, out, tasks)
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aio_peer")
    parser.add_argument("subscription")
    parser.add_argument("--alerts", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", choices=("subscribe", "pull"), default="subscribe")
    parser.add_argument("--tasks", type=int, default=1, help="subscribe's producers, or pullers")
    args = parser.parse_args(argv)
    written = asyncio.run(consume(args.subscription, args.alerts, args.out, args.mode, args.tasks))
    if written < args.alerts:
        print(f"aio_peer: only {written} of {args.alerts} alerts", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
