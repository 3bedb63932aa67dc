"""``python -m pittgoogle_cli.emulator run --publish DIR [--loop RATE | --repeat N] -- CMD``:
Google's Pub/Sub emulator started, loaded with alerts, CMD run against it, then stopped."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from pittgoogle_cli.emulator import (
    LoopPublisher,
    PubSubEmulator,
    alert_files,
    create_subscription,
    create_topic,
    publish,
)
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pittgoogle_cli.emulator")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="start, load, run a command, stop")
    run.add_argument("--topic", default=f"projects/{PITT_GOOGLE_PROJECT}/topics/ztf-loop")
    run.add_argument("--publish", type=Path, action="append", default=[])
    run.add_argument("--repeat", type=int, default=1, help="publish the files this many times")
    run.add_argument("--project", default="pgb-demo", help="GOOGLE_CLOUD_PROJECT for CMD")
    run.add_argument("--subscription", help="create this subscription id before publishing")
    run.add_argument("--loop", type=float, metavar="RATE", help="publish in a loop, RATE/s")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    # SIGTERM (a timeout, a CI runner) must unwind the with-block too, or the JVM lives on.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with PubSubEmulator() as host:
        create_topic(host, args.topic)
        if args.subscription:
            name = f"projects/{args.project}/subscriptions/{args.subscription}"
            create_subscription(host, name, args.topic)
        files = [f for folder in args.publish for f in alert_files(folder)]
        payloads = [f.read_bytes() for f in files] * args.repeat
        env = {**os.environ, "PUBSUB_EMULATOR_HOST": host, "GOOGLE_CLOUD_PROJECT": args.project}
        if args.loop:
            _say(
                f"emulator at {host}: publishing {len(files)} alerts in a loop, "
                f"{args.loop:g}/s, to {args.topic}"
            )
            with LoopPublisher(host, args.topic, payloads, args.loop):
                return subprocess.call(command, env=env) if command else 0
        publish(host, args.topic, payloads)
        _say(f"emulator at {host}: published {len(payloads)} alerts to {args.topic}")
        return subprocess.call(command, env=env) if command else 0


def _say(text: str) -> None:
    print(text, file=sys.stderr)


sys.exit(_main())
