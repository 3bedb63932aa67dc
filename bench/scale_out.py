"""Scale-out: K ``pgb pull`` processes draining one subscription's backlog together.

    .venv/bin/python -m bench.scale_out [--alerts 2000] [--processes 1,2,4] [--runs 3]

Starts its own Pub/Sub emulator, warms it up (its JIT makes the first ~8,000 messages cost
2-3x more), then for each run publishes N real ZTF alerts to a fresh subscription and
starts K ``pgb pull SUB --until-empty --envelope --cutouts drop --quiet --out FILE_i``
at once. It reports the wall time until the last one exits (includes Python's start-up and
the 1 s quiet period of ``--until-empty``), the time to the last line written, alerts/s by
both, duplicates and losses by messageId, each process's share, the CPU seconds of the pgb
processes and of the emulator, and those of everything else on the machine meanwhile
(others' work skews everything: repeat when it is more than a few seconds). Runs of each K
are interleaved; the table shows medians, and all runs go to ``--out``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from pittgoogle_cli.emulator import (
    PubSubEmulator,
    alert_files,
    create_subscription,
    create_topic,
    publish,
)

ROOT = Path(__file__).resolve().parent.parent
TOPIC = "projects/ardent-cycling-243415/topics/ztf-scale-out"
PROJECT = "pgb-bench"
PGB_ARGS = ("--until-empty", "--envelope", "--cutouts", "drop", "--quiet")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__)
    parser.add_argument("--alerts", type=int, default=2000, help="backlog per run")
    parser.add_argument("--processes", default="1,2,4", help="K values, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per K")
    parser.add_argument("--warmup", type=int, default=8000, help="alerts to warm the emulator")
    parser.add_argument("--heap", default="4g", help="the emulator's -Xmx")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench/scale_out.json", help="runs")
    parser.add_argument("--pgb-arg", action="append", default=[], metavar="ARG",
                        help="one more argument for each pgb pull (repeatable)")  # fmt: skip
    return parser.parse_args(argv)


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine so far (all cores, not idle)."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Run:
    def __init__(self, host: str, payloads: list[bytes], folder: Path, n: int) -> None:
        self.host, self.folder = host, folder
        self.sub_id = f"scale-{n}"
        create_subscription(host, f"projects/{PROJECT}/subscriptions/{self.sub_id}", TOPIC)
        self.env = {
            **os.environ,
            "PUBSUB_EMULATOR_HOST": host,
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "PGB_DEAD_LETTER_DIR": str(folder / "dead-letter"),
        }
        self.payloads = payloads

    def fill(self, alerts: int) -> list[str]:
        batch = [self.payloads[i % len(self.payloads)] for i in range(alerts)]
        return publish(self.host, TOPIC, batch)

    def drain(self, k: int, extra: list[str]) -> tuple[float, float, list[list[str]], float]:
        """Wall and last-line seconds, each process's messageIds, their CPU seconds."""
        outs = [self.folder / f"{self.sub_id}-{i}.jsonl" for i in range(k)]
        argv = [sys.executable, "-m", "pittgoogle_cli", "pull", self.sub_id, *PGB_ARGS, *extra]
        epoch, started = time.time(), time.monotonic()
        pulls = [subprocess.Popen([*argv, "--out", str(out)], env=self.env) for out in outs]
        cpu = 0.0
        for pull in pulls:  # wait4 per pid: its own CPU time, not every child's so far
            _, status, usage = os.wait4(pull.pid, 0)
            pull.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
        wall = time.monotonic() - started
        if any(p.returncode for p in pulls):
            raise SystemExit(f"bench: a pgb pull failed: {[p.returncode for p in pulls]}")
        shares = [[orjson.loads(line)["messageId"] for line in out.read_bytes().splitlines()]
                  if out.exists() else [] for out in outs]  # fmt: skip
        last = max((o.stat().st_mtime for o in outs if o.exists()), default=epoch) - epoch
        return wall, last, shares, cpu


def measure(jvm: int, run: Run, k: int, args: argparse.Namespace) -> dict[str, Any]:
    published = run.fill(args.alerts)
    time.sleep(0.5)  # let the emulator settle after the publishing burst
    load = os.getloadavg()[0]
    before, busy = cpu_seconds(jvm), machine_busy_seconds()
    wall, last, shares, cpu = run.drain(k, args.pgb_arg)
    emulator_cpu = cpu_seconds(jvm) - before
    written = Counter(m for share in shares for m in share)
    return {
        "processes": k,
        "alerts": len(published),
        "wall_s": round(wall, 2),
        "last_line_s": round(last, 2),
        "alerts_per_s": round(len(published) / wall),
        "alerts_per_s_to_last_line": round(len(published) / last) if last > 0 else None,
        "duplicates": sum(n - 1 for n in written.values()),
        "lost": len(set(published) - set(written)),
        "shares": [len(share) for share in shares],
        "pgb_cpu_s": round(cpu, 2),
        "emulator_cpu_s": round(emulator_cpu, 2),
        # Everything else on the machine meanwhile (this script is a few ms of it): others'
        # work skews the figures. The 1-minute load lags, and counts the previous run too.
        "other_cpu_s": round(machine_busy_seconds() - busy - cpu - emulator_cpu, 2),
        "load_1m_before": round(load, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    ks = [int(k) for k in args.processes.split(",")]
    payloads = [p.read_bytes() for p in alert_files(ROOT / "tests/data/ztf")]
    with tempfile.TemporaryDirectory(prefix="pgb-scale-out-") as tmp:
        folder = Path(tmp)
        emulator = PubSubEmulator(heap=args.heap, log=folder / "emulator.log")
        with emulator as host:
            assert emulator._process is not None
            jvm = emulator._process.pid  # the launcher execs java: this is the JVM
            create_topic(host, TOPIC)
            subs = itertools.count(1)
            for start in range(0, args.warmup, 2000):  # in chunks: a backlog lives in its heap
                warm = Run(host, payloads, folder, next(subs))
                warm.fill(min(2000, args.warmup - start))
                warm.drain(1, args.pgb_arg)
            results = []
            for i in range(args.runs):
                for k in ks if i % 2 == 0 else ks[::-1]:
                    run = Run(host, payloads, folder, next(subs))
                    results.append(measure(jvm, run, k, args))
                    print(orjson.dumps(results[-1]).decode(), file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(table(results, ks))
    print(f"\nruns: {args.out}")
    return 0


def table(results: list[dict[str, Any]], ks: list[int]) -> str:
    rows = [
        f"{'K':>2} {'wall s':>7} {'alerts/s':>9} {'to last line/s':>15} {'dups':>5} {'lost':>5}"
        f" {'pgb CPU s':>10} {'emu CPU s':>10} {'other CPU s':>12}  shares (median run)"
    ]
    for k in ks:
        mine = sorted((r for r in results if r["processes"] == k), key=lambda r: r["wall_s"])
        mid = mine[len(mine) // 2]

        def med(key: str, runs: list[dict[str, Any]] = mine) -> float:
            return float(median(r[key] or 0 for r in runs))

        rows.append(
            f"{k:>2} {med('wall_s'):>7.2f} {med('alerts_per_s'):>9.0f} "
            f"{med('alerts_per_s_to_last_line'):>15.0f} "
            f"{sum(r['duplicates'] for r in mine):>5} {sum(r['lost'] for r in mine):>5} "
            f"{med('pgb_cpu_s'):>10.2f} {med('emulator_cpu_s'):>10.2f} "
            f"{max(r['other_cpu_s'] for r in mine):>12.2f}  {mid['shares']}"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
