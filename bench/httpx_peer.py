"""The hand-written REST peer: what a user writes with httpx from Pub/Sub's REST docs.

    PUBSUB_EMULATOR_HOST=HOST:PORT GOOGLE_CLOUD_PROJECT=X \\
        python -m bench.httpx_peer SUBSCRIPTION --alerts N --out FILE

One synchronous loop: pull 100, ``reply.json()``, ``base64.b64decode`` each message,
decode and write them (see ``peer_lines``), flush, then ack what was written. It stops
once N alerts are written and acked.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys

import httpx

from .peer_lines import alert_lines


def consume(subscription: str, alerts: int, out_path: str) -> int:
    host = os.environ["PUBSUB_EMULATOR_HOST"]
    sub = f"projects/{os.environ['GOOGLE_CLOUD_PROJECT']}/subscriptions/{subscription}"
    written = 0
    client = httpx.Client(base_url=f"http://{host}/v1/", timeout=120)
    with client, open(out_path, "wb") as out:
        while written < alerts:
            reply = client.post(f"{sub}:pull", json={"maxMessages": 100})
            reply.raise_for_status()
            received = reply.json().get("receivedMessages", [])
            mine, extra = received[: alerts - written], received[alerts - written :]
            data = [base64.b64decode(m["message"]["data"]) for m in mine]
            out.write(b"".join(alert_lines(d) for d in data))
            out.flush()  # the lines reach the OS before the ack
            written += len(mine)
            if mine:
                ack = {"ackIds": [m["ackId"] for m in mine]}
                client.post(f"{sub}:acknowledge", json=ack).raise_for_status()
            if extra:
                nack = {"ackIds": [m["ackId"] for m in extra], "ackDeadlineSeconds": 0}
                client.post(f"{sub}:modifyAckDeadline", json=nack).raise_for_status()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.httpx_peer")
    parser.add_argument("subscription")
    parser.add_argument("--alerts", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    written = consume(args.subscription, args.alerts, args.out)
    if written < args.alerts:
        print(f"httpx_peer: only {written} of {args.alerts} alerts", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
