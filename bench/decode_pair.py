"""``pgb decode`` against its floor, round by round: ``make bench``'s decode goal.

A folder of ``--alerts`` files (links to the shipped alerts, cycled, as ``bench.workers``
makes it) is decoded by ``pgb decode DIR -q`` to a file (``harness.run_consumer``: the
process tree's CPU, start-up included) just after ``bench.floor --files DIR`` (the same
files read into memory, then decoded and rendered, its loop alone timed) in each round;
round 0 is untimed (the page cache warms). The goal is the median of pgb's CPU per alert
over its round's floor.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import floor
from .contenders import pgb_command
from .harness import RunResult, run_consumer
from .workers import link_folder

CONTENDER = "pgb decode"


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    """``args.runs`` timed rounds of the floor then ``pgb decode`` over ``args.alerts`` files:
    their CPU per alert (a failed one 0.0, left out of the pairs), and the paired ratio."""
    n = args.alerts
    pgb_ms: list[float] = []
    floor_ms: list[float] = []
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="pgb-bench-decode-") as tmp:
        folder = link_folder(args.data, n, Path(tmp) / "alerts")
        out = Path(tmp) / "out.jsonl"
        for run in range(args.runs + 1):
            ms = floor.round_ms(f"decode floor run {run}", n, args.data, files=folder)
            result = _decode(folder, n, run, out)
            results.append(result)
            mine = 1000 * result.cpu_s / n
            if run:
                floor_ms.append(ms)
                pgb_ms.append(mine if result.ok else 0.0)
            failed = "" if result.ok else f" FAILED {result.error}"
            print(f"bench: pgb decode run {run}: {mine:.2f} ms/alert{failed}",
                  file=sys.stderr, flush=True)  # fmt: skip
    return {
        "alerts": n,
        "pgb_ms": pgb_ms,
        "floor_ms": floor_ms,
        "pgb_over_floor": floor.paired(pgb_ms, floor_ms),
        "ok": all(r.ok for r in results) and all(ms > 0 for ms in floor_ms),
    }


def _decode(folder: Path, n: int, run: int, out: Path) -> RunResult:
    result = RunResult(CONTENDER, n, run)
    argv = [*pgb_command(), "decode", str(folder), "-q"]
    env = {**os.environ, "PGB_CONFIG": "/nonexistent/pgb-bench/config.toml"}
    run_consumer(result, argv, env, out, timeout=60 + n * 0.1, stdout_is_out=True)
    out.unlink(missing_ok=True)
    return result
