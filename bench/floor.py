"""The in-memory floor as a process of its own, for rounds beside pgb's (``bench.ab
--floor``): ``python -m bench.floor --alerts N`` prints its CPU per alert as JSON.

It does what the floor is (``bench.cpu``): parse 100-message pull replies with msgspec
(base64 included), decode each alert with its schema parsed once, render its orjson line,
and nothing else: no socket, no file, no acks. Unlike ``bench.micro``'s best of 5 over nine
cache-warm alerts, it goes once through N alerts in distinct replies, as a consumer does,
so that a round of it and a round of pgb meet the machine in the same state and their
ratio is taken round by round. Only the loop is timed (``time.process_time``): its own
start-up is left out, which pgb's figure keeps, so the ratio leans against pgb.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import orjson

from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.pubsub.rest import parse_pull
from pittgoogle_cli.shapes.render import render_line

from .harness import load_alerts
from .micro import pull_reply

ROOT = Path(__file__).resolve().parent.parent
REPLY = 100  # messages per pull reply, as the replay server and the emulator send them


def floor_ms(payloads: list[bytes], alerts: int) -> dict[str, float]:
    """CPU per alert of one pass through ``alerts`` alerts, in ms, and the alerts done."""
    replies = [bytes(bytearray(pull_reply(payloads, REPLY))) for _ in range(-(-alerts // REPLY))]
    decoder = Decoder()
    for data in payloads:  # each schema parsed once, as in a long pull
        decoder.decode(data)
    done = 0
    started = time.process_time()
    for reply in replies:
        for received in parse_pull(reply)[: alerts - done]:
            record, _ = decoder.decode(received.message.data)
            render_line(record)
            done += 1
    return {"cpu_ms_per_alert": 1000 * (time.process_time() - started) / done, "alerts": done}


def measure(alerts: int, data: Path) -> float:
    """One round of the floor in a process of its own: its CPU per alert, ms."""
    argv = [sys.executable, "-m", "bench.floor", "--alerts", str(alerts), "--data", str(data)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.floor failed:\n{done.stderr}")
    return float(orjson.loads(done.stdout)["cpu_ms_per_alert"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--alerts", type=int, default=4000, help="N alerts")
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro")
    args = parser.parse_args(argv)
    sys.stdout.buffer.write(orjson.dumps(floor_ms(load_alerts(args.data), args.alerts)) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
