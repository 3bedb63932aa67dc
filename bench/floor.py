"""The in-memory floor as a process of its own, for rounds beside pgb's (``bench.ab
--floor``): ``python -m bench.floor --alerts N`` prints its CPU per alert as JSON.

It does what the floor is (``bench.cpu``): parse 100-message pull replies with msgspec
(base64 included), decode each alert with its schema parsed once, render its orjson line,
and nothing else: no socket, no file, no acks. Unlike ``bench.micro``'s best of 5 over nine
cache-warm alerts, it goes once through N alerts in distinct replies, as a consumer does,
so that a round of it and a round of pgb meet the machine in a state as alike as two runs
a few seconds apart can, and their ratio is taken round by round. The replies are the
replay server's own bytes (``bench.replay.state``), and the allocator is set as pgb sets
it (``cli.memory.tune_allocator``). Only the loop is timed (``time.process_time``): its
own start-up is left out, which pgb's figure keeps, so the ratio leans against pgb. It runs
the working tree's pgb modules, whatever tree a variant of ``bench.ab`` runs.

``--files DIR`` is ``pgb decode DIR``'s floor (``bench.decode_pair``): the files read into
memory first, then each one's records decoded (its schema parsed once) and rendered.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import median

import orjson

from pittgoogle_cli.cli.memory import tune_allocator
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.pubsub.rest import parse_pull
from pittgoogle_cli.shapes.render import render_line

from .harness import load_alerts
from .replay.state import ReplayData

ROOT = Path(__file__).resolve().parent.parent
REPLY = 100  # messages per pull reply, as the replay server and the emulator send them


def replies(payloads: list[bytes], alerts: int) -> list[bytes]:
    """``alerts`` messages in pull replies of ``REPLY`` (the last one shorter), each reply
    its own bytes, as the replay server sends them."""
    data = ReplayData(payloads)
    prefix = b"projects/pgb-replay/subscriptions/floor:"
    publish = b"2026-12-08T00:00:00.000Z"
    return [
        data.render(prefix, publish, [(i, i + 1) for i in range(start, min(start + REPLY, alerts))])
        for start in range(0, alerts, REPLY)
    ]


def floor_ms(payloads: list[bytes], alerts: int) -> dict[str, float]:
    """CPU per alert of one pass through ``alerts`` alerts, in ms, and the alerts done."""
    bodies = replies(payloads, alerts)
    decoder = Decoder()
    for data in payloads:  # each schema parsed once, as in a long pull
        decoder.decode(data)
    done = 0
    started = time.process_time()
    for body in bodies:
        for received in parse_pull(body):
            record, _ = decoder.decode(received.message.data)
            render_line(record)
            done += 1
    return {"cpu_ms_per_alert": 1000 * (time.process_time() - started) / done, "alerts": done}


def decode_floor_ms(paths: Sequence[Path]) -> dict[str, float]:
    """``pgb decode``'s floor: the files' records decoded, each schema parsed once, and
    rendered, the files read into memory first; the loop alone timed, in ms per alert."""
    files = [path.read_bytes() for path in paths]
    decoder = Decoder()
    for data in dict.fromkeys(files):  # each distinct schema parsed once
        decoder.decode_all(data)
    done = 0
    started = time.process_time()
    for data in files:
        for record, _ in decoder.decode_all(data):
            render_line(record)
            done += 1
    return {"cpu_ms_per_alert": 1000 * (time.process_time() - started) / done, "alerts": done}


def paired(figures: Sequence[float], floors: Sequence[float]) -> float | None:
    """The median of each round's figure over the floor of the same round (rounds where
    either failed, 0, are left out); None without a round."""
    ratios = [f / ms for f, ms in zip(figures, floors, strict=True) if f > 0 and ms > 0]
    return float(median(ratios)) if ratios else None


def round_ms(label: str, alerts: int, data: Path, *, files: Path | None = None) -> float:
    """``measure``, said on stderr as ``bench: LABEL: X ms/alert``; 0.0 (left out of the
    pairs) if it failed."""
    try:
        ms = measure(alerts, data, files=files)
    except RuntimeError as exc:
        print(f"bench: {label}: FAILED {exc}", file=sys.stderr, flush=True)
        return 0.0
    print(f"bench: {label}: {ms:.2f} ms/alert", file=sys.stderr, flush=True)
    return ms


def measure(alerts: int, data: Path, *, files: Path | None = None) -> float:
    """One round of the floor in a process of its own: its CPU per alert, ms; with
    ``files``, ``pgb decode``'s floor over that folder's files."""
    argv = [sys.executable, "-m", "bench.floor", "--alerts", str(alerts), "--data", str(data)]
    argv += ["--files", str(files)] if files else []
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.floor failed: {done.stderr.strip()[-300:]}")
    return float(orjson.loads(done.stdout)["cpu_ms_per_alert"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--alerts", type=int, default=4000, help="N alerts (at least 1)")
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro")
    parser.add_argument("--files", type=Path, help="pgb decode's floor: the *.avro files here")
    args = parser.parse_args(argv)
    if args.alerts < 1:
        parser.error("--alerts must be at least 1")
    tune_allocator()
    if args.files:
        paths = sorted(args.files.glob("*.avro"))
        if not paths:
            parser.error(f"no *.avro files in {args.files}")
        figures = decode_floor_ms(paths)
    else:
        figures = floor_ms(load_alerts(args.data), args.alerts)
    sys.stdout.buffer.write(orjson.dumps(figures) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
