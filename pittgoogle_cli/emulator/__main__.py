"""``python -m pittgoogle_cli.emulator run --publish PATH [--loop RATE | --repeat N] -- CMD``:
Google's Pub/Sub emulator started, loaded with alerts (a folder's, or one file), CMD run
against it, then stopped. A bad path or a missing emulator is one line and exit code 2 or 1."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from pittgoogle_cli.emulator import (
    EmulatorMissing,
    LoopPublisher,
    PubSubEmulator,
    alert_files,
    create_subscription,
    create_topic,
    publish,
)
from pittgoogle_cli.emulator.process import run_command
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pittgoogle_cli.emulator")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="start, load, run a command, stop")
    run.add_argument("--topic", default=f"projects/{PITT_GOOGLE_PROJECT}/topics/ztf-loop")
    run.add_argument(
        "--publish",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="a folder of .avro/.json alert files, or one alert file (repeatable)",
    )
    run.add_argument("--repeat", type=int, default=1, help="publish the files this many times")
    run.add_argument("--project", default="pgb-demo", help="GOOGLE_CLOUD_PROJECT for CMD")
    run.add_argument("--subscription", help="create this subscription id before publishing")
    run.add_argument("--loop", type=float, metavar="RATE", help="publish in a loop, RATE/s")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    files: list[Path] = []
    for path in args.publish:  # checked before the emulator starts: nothing to stop yet
        try:
            found = alert_files(path)
        except OSError as exc:
            _say(f"emulator: cannot publish {path}: {exc.strerror or exc}")
            return 2
        if not found:
            _say(f"emulator: no alert files (.avro, .json) in {path}")
            return 2
        files += found
    if args.loop and not files:
        _say("emulator: --loop needs alerts to publish (--publish PATH)")
        return 2
    # SIGTERM (a timeout, a CI runner) must unwind the with-block too, or the JVM lives on.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        return _run(args, command, files)
    except EmulatorMissing as exc:
        _say(f"emulator: {exc}")
        return 1


def _run(args: argparse.Namespace, command: list[str], files: list[Path]) -> int:
    with PubSubEmulator() as host:
        create_topic(host, args.topic)
        if args.subscription:
            name = f"projects/{args.project}/subscriptions/{args.subscription}"
            create_subscription(host, name, args.topic)
        payloads = [f.read_bytes() for f in files] * args.repeat
        env = {**os.environ, "PUBSUB_EMULATOR_HOST": host, "GOOGLE_CLOUD_PROJECT": args.project}
        if args.loop:
            _say(
                f"emulator at {host}: publishing {len(files)} alerts in a loop, "
                f"{args.loop:g}/s, to {args.topic}"
            )
            with LoopPublisher(host, args.topic, payloads, args.loop):
                return run_command(command, env) if command else 0
        publish(host, args.topic, payloads)
        _say(f"emulator at {host}: published {len(payloads)} alerts to {args.topic}")
        return run_command(command, env) if command else 0


def _say(text: str) -> None:
    print(text, file=sys.stderr)


sys.exit(_main())
