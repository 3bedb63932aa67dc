"""``pgb decode DIR --workers N`` with no server at all: how the workers scale when nothing
but pgb's own pipeline (read, hand over, decode, render, hand back, write) runs.

    .venv/bin/python -m bench.workers [--alerts 2000] [--runs 3] [--workers 1,2,3]
        [--tree LABEL=DIR]

A folder of ``--alerts`` files (links to the shipped alerts, cycled) is decoded to a file
by each ``--workers`` value in turn, interleaved (``bench.contenders.interleaved``), each
run measured as ``make bench`` measures a consumer (``bench.harness.run_consumer``: the
whole process tree's CPU and summed RSS). Prints the medians, with how many cores
everything else on the machine kept busy meanwhile. ``--tree LABEL=DIR`` also runs each
value with another copy of pgb (``DIR/pittgoogle_cli``, first on ``PYTHONPATH``), in the
same interleaved rounds: an A/B of a change to the workers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from statistics import median

from .contenders import interleaved, pgb_command
from .harness import RunResult, run_consumer

ROOT = Path(__file__).resolve().parent.parent


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="1,2,3", help="comma-separated values to compare")
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf")
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=DIR")
    return parser.parse_args(argv)


def link_folder(data: Path, n: int, into: Path) -> Path:
    into.mkdir()
    files = sorted(data.glob("*.avro"))
    for i in range(n):
        (into / f"{i:06d}.avro").symlink_to(files[i % len(files)].resolve())
    return into


def _run(
    folder: Path, contender: str, trees: dict[str, str], n: int, run: int, out: Path
) -> RunResult:
    label, _, workers = contender.rpartition(" --workers ")
    result = RunResult(contender, n, run)
    argv = [*pgb_command(), "decode", str(folder), "--workers", workers, "-q"]
    env = {**os.environ, "PGB_CONFIG": "/nonexistent/pgb-bench/config.toml"}
    if trees[label]:
        env["PYTHONPATH"] = trees[label]
    run_consumer(result, argv, env, out, timeout=60 + n * 0.1, stdout_is_out=True)
    out.unlink(missing_ok=True)
    print(
        f"bench: decode {result.contender:<20} run {run}: {result.lines} lines, "
        f"{result.rate:.0f}/s, CPU {1000 * result.cpu_s / n:.2f} ms/alert (first process "
        f"{1000 * result.root_cpu_s / n:.2f}), RSS {result.peak_rss_mb:.0f} MB, others "
        f"{result.others_cores:.2f} cores" + ("" if result.ok else f" FAILED {result.error}"),
        file=sys.stderr,
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    trees = {"here": "", **dict(t.split("=", 1) for t in args.tree)}
    who = [f"{label} --workers {int(v)}" for v in args.workers.split(",") for label in trees]
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="pgb-bench-workers-") as tmp:
        folder = link_folder(args.data, args.alerts, Path(tmp) / "alerts")
        out = Path(tmp) / "out.jsonl"
        for run in range(0, args.runs + 1):  # run 0: untimed, the page cache warms up
            for contender in interleaved(who, run):
                results.append(_run(folder, contender, trees, args.alerts, run, out))
    print(f"pgb decode DIR --workers N, {args.alerts} alerts, median of {args.runs}:")
    print(
        "pgb, workers    alerts/s  CPU ms/alert  first process  peak RSS MB  PSS MB  others (cores)"
    )
    for contender in who:
        ok = [r for r in results if r.run > 0 and r.ok and r.contender == contender]
        if not ok:
            print(f"{contender:<15}  failed")
            continue
        print(
            f"{contender.replace(' --workers ', ' '):<15} {median(r.rate for r in ok):>8.0f}  "
            f"{median(1000 * r.cpu_s / r.alerts for r in ok):>12.2f}  "
            f"{median(1000 * r.root_cpu_s / r.alerts for r in ok):>13.2f}  "
            f"{median(r.peak_rss_mb for r in ok):>11.0f}  "
            f"{median(r.tree_pss_mb for r in ok):>6.0f}  "
            f"{median(r.others_cores for r in ok):>14.2f}"
        )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
