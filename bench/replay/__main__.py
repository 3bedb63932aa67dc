"""``python -m bench.replay [--port 0] [--data DIR] [--alerts N]``: serve recorded-shape
pull replies of the shipped alerts until SIGTERM; prints ``ready HOST:PORT`` once up.

Then ``PUBSUB_EMULATOR_HOST=HOST:PORT pgb pull SUB --until-empty`` (``--alerts``: how
many messages a subscription created with PUT holds; ``POST /replay/load`` sets any).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from .server import Replay, serve
from .state import ReplayData

ROOT = Path(__file__).resolve().parents[2]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro")
    parser.add_argument("--alerts", type=int, default=1000, help="per PUT-created subscription")
    parser.add_argument("--hold", type=float, default=5.0, help="longest wait of a held pull")
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> None:
    payloads = [p.read_bytes() for p in sorted(args.data.glob("*.avro"))]
    replay = Replay(ReplayData(payloads), default_alerts=args.alerts, hold=args.hold)
    server = await serve(replay, args.host, args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"ready {args.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(_main(_parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
