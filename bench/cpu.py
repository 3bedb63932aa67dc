"""pgb's own CPU per alert against the in-memory floor, and A/B runs of two pgb trees.

    .venv/bin/python -m bench.cpu [--alerts 2000] [--runs 3] [--base HEAD~1] [--profile]

Starts its own Pub/Sub emulator, warms it up, then for each run publishes N real ZTF
alerts to a fresh subscription and times ``pgb pull SUB --until-empty --quiet --out FILE``
as a child process (CPU from ``wait4``, peak RSS from ``/usr/bin/time``, the first line by
watching the file: ``bench.harness.run_consumer``). ``--base REV`` also runs pgb as it was
at REV (``git archive`` into ``.bench/trees/``, put first on ``PYTHONPATH``), the two
interleaved, so that a change is judged in one run on the same emulator and load.

The floor is the same work in memory, per alert, best of 5: parse a 100-message pull
reply with msgspec (base64 included) / 100, decode the alert with a cached schema, render
its JSON line with orjson (``bench.micro``'s loops). ``--profile`` adds one run of each
tree under pyinstrument (text reports in ``.bench/profiles/``); ``--py-spy`` one under
py-spy with native frames (needs ``pip install py-spy`` in the venv).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from pittgoogle_cli.emulator import PubSubEmulator, create_topic
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT, parse_pull
from pittgoogle_cli.shapes.render import render_line

from .harness import (
    SUB_PROJECT,
    ProcStats,
    RunResult,
    compiled,
    delete_subscription,
    drain_rest,
    fill,
    load_alerts,
    new_subscription,
    run_consumer,
)
from .micro import best_us, pull_reply

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
TOPIC = f"projects/{PITT_GOOGLE_PROJECT}/topics/ztf-cpu"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("--alerts", type=int, default=2000, help="N alerts per run")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tree")
    parser.add_argument("--warmup", type=int, default=8000, help="alerts to warm the emulator")
    parser.add_argument("--heap", default="1g", help="the emulator's -Xmx")
    parser.add_argument("--base", metavar="REV", help="also run pgb as of this git revision")
    parser.add_argument("--profile", action="store_true", help="one pyinstrument run per tree")
    parser.add_argument("--py-spy", action="store_true", help="one py-spy run per tree")
    parser.add_argument("--pgb-arg", action="append", default=[], metavar="ARG",
                        help="one more argument for pgb pull (repeatable)")  # fmt: skip
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro")
    parser.add_argument("--out", type=Path, default=OUT / "cpu.json", help="results JSON")
    return parser.parse_args(argv)


def _say(text: str) -> None:
    print(f"bench.cpu: {text}", file=sys.stderr, flush=True)


def floor_us(payloads: list[bytes]) -> dict[str, float]:
    """The in-memory floor per alert, in microseconds, and its parts."""
    decoder = Decoder()
    reply = pull_reply(payloads)
    parse = best_us(parse_pull, [reply], 1.0) / 100
    decode = best_us(decoder.decode, payloads)
    records = [decoder.decode(data)[0] for data in payloads]
    render = best_us(render_line, records)
    return {"parse": parse, "decode": decode, "render": render, "total": parse + decode + render}


def export_tree(rev: str) -> Path:
    """pgb's package as of ``rev``, in a folder of its own (for ``PYTHONPATH``)."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", rev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = OUT / "trees" / sha
    if not (tree / "pittgoogle_cli").is_dir():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha, "pittgoogle_cli"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return compiled(tree)


class Runner:
    def __init__(self, args: argparse.Namespace, host: str, jvm: int) -> None:
        self.args, self.host, self.jvm = args, host, jvm
        self.payloads = load_alerts(args.data)
        self.runs_dir = OUT / "cpu-runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.trees: dict[str, Path] = {"pgb": ROOT}
        if args.base:
            self.trees[f"base@{args.base}"] = export_tree(args.base)

    def env(self, tree: Path) -> dict[str, str]:
        return {
            **os.environ,
            "PUBSUB_EMULATOR_HOST": self.host,
            "GOOGLE_CLOUD_PROJECT": SUB_PROJECT,
            "PGB_CONFIG": "/nonexistent/pgb-bench/config.toml",
            "PGB_DEAD_LETTER_DIR": str(OUT / "dead-letter"),
            "PYTHONPATH": str(tree),
            "PYTHONSAFEPATH": "1",  # else ``-m`` puts the working folder (this tree) first
        }

    def warm_up(self) -> None:
        sub = new_subscription(self.host, TOPIC, "warmup")
        got = 0
        for start in range(0, self.args.warmup, 2000):
            chunk = min(2000, self.args.warmup - start)
            fill(self.host, TOPIC, self.payloads, chunk)
            got += drain_rest(self.host, sub, chunk)
        delete_subscription(self.host, sub)
        _say(f"warm-up: {got} alerts through the emulator")

    def run(self, label: str, run: int, wrapper: list[str] | None = None) -> RunResult:
        n = self.args.alerts
        sub = new_subscription(self.host, TOPIC, "cpu")
        result = RunResult(label, n, run)
        out = self.runs_dir / f"{sub}.jsonl"
        try:
            result.publish_s = fill(self.host, TOPIC, self.payloads, n)
            time.sleep(0.5)
            pull = ["-m", "pittgoogle_cli", "pull", sub, "--until-empty", "--quiet"]
            argv = [sys.executable, *pull, "--out", str(out), *self.args.pgb_arg]
            if wrapper:
                argv = [*wrapper, *argv[1:]]
            before = ProcStats.of(self.jvm)
            env = self.env(self.trees[label])
            run_consumer(result, argv, env, out, timeout=120 + n * 0.1, stdout_is_out=False)
            result.emulator_cpu_s = ProcStats.of(self.jvm).cpu_s - before.cpu_s
            result.load_1m = os.getloadavg()[0]
        finally:
            for suffix in (".jsonl", ".stderr", ".maxrss"):
                out.with_suffix(suffix).unlink(missing_ok=True)
            delete_subscription(self.host, sub)
        _say(
            f"{label:<16} run {run}: {result.lines} lines, {result.wall_s:.2f} s, "
            f"CPU {1000 * result.cpu_s / n:.2f} ms/alert, first line "
            f"{result.first_line_s or 0:.2f} s, RSS {result.peak_rss_mb:.0f} MB, "
            f"load {result.load_1m:.2f}" + ("" if result.ok else f" FAILED {result.error[-300:]}")
        )
        time.sleep(1.0)
        return result

    def profile(self, label: str, tool: str) -> None:
        folder = OUT / "profiles"
        folder.mkdir(exist_ok=True)
        name = label.replace("@", "-").replace("/", "-").replace("~", "-")
        if tool == "pyinstrument":
            report = folder / f"{name}.pyinstrument.txt"
            wrapper = [sys.executable, "-m", "pyinstrument", "-r", "text", "--show-all"]
            wrapper += ["-i", "0.0005", "-o", str(report)]
        else:
            report = folder / f"{name}.py-spy.txt"
            spy = str(Path(sys.executable).parent / "py-spy")
            wrapper = [spy, "record", "--native", "-r", "500", "-f", "raw", "-o", str(report)]
            wrapper += ["--", sys.executable]
        self.run(label, -1, wrapper)
        _say(f"{tool} report: {report}")


def summary(runs: list[RunResult], floor: float) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for label in dict.fromkeys(r.contender for r in runs):
        ok = [r for r in runs if r.contender == label and r.ok and r.run > 0]
        if not ok:
            continue
        cpu = median(1000 * r.cpu_s / r.alerts for r in ok)
        out[label] = {
            "runs": len(ok),
            "cpu_ms_per_alert": cpu,
            "over_floor": cpu / (floor / 1000),
            "alerts_per_s": median(r.rate for r in ok),
            "first_line_s": median(r.first_line_s or 0.0 for r in ok),
            "peak_rss_mb": median(r.peak_rss_mb for r in ok),
            "emulator_cpu_ms_per_alert": median(1000 * r.emulator_cpu_s / r.alerts for r in ok),
            "load_1m": median(r.load_1m for r in ok),
        }
    return out


def table(stats: dict[str, dict[str, float]], floor: dict[str, float]) -> str:
    rows = [
        ("CPU ms/alert", "cpu_ms_per_alert", "{:.2f}"),
        ("x floor", "over_floor", "{:.2f}"),
        ("alerts/s (wall)", "alerts_per_s", "{:.0f}"),
        ("first line s", "first_line_s", "{:.2f}"),
        ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
        ("emulator CPU ms/alert", "emulator_cpu_ms_per_alert", "{:.2f}"),
        ("load (1 min)", "load_1m", "{:.2f}"),
    ]
    labels = list(stats)
    lines = [
        f"floor per alert: {floor['total'] / 1000:.2f} ms (parse {floor['parse']:.0f} us, "
        f"decode {floor['decode']:.0f} us, render {floor['render']:.0f} us)",
        "".ljust(24) + "".join(label.rjust(18) for label in labels),
    ]
    for name, key, fmt in rows:
        lines.append(name.ljust(24) + "".join(fmt.format(stats[k][key]).rjust(18) for k in labels))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    OUT.mkdir(exist_ok=True)
    compiled(ROOT)
    payloads = load_alerts(args.data)
    floor = floor_us(payloads)
    _say(f"floor: {floor['total']:.0f} us/alert")
    emulator = PubSubEmulator(heap=args.heap, log=OUT / "cpu-emulator.log")
    runs: list[RunResult] = []
    load_at_start = os.getloadavg()
    try:
        host = emulator.start()
        assert emulator._process is not None
        create_topic(host, TOPIC)
        runner = Runner(args, host, emulator._process.pid)
        runner.warm_up()
        labels = list(runner.trees)
        for label in labels:
            runs.append(runner.run(label, 0))  # untimed
        for run in range(1, args.runs + 1):
            for label in labels if run % 2 else labels[::-1]:
                runs.append(runner.run(label, run))
        for label in labels:
            if args.profile:
                runner.profile(label, "pyinstrument")
            if args.py_spy:
                runner.profile(label, "py-spy")
    finally:
        emulator.stop()
    stats = summary(runs, floor["total"])
    results: dict[str, Any] = {
        "config": vars(args) | {"data": str(args.data), "out": str(args.out)},
        "load": [load_at_start, os.getloadavg()],
        "floor_us": floor,
        "summary": stats,
        "runs": [r.as_dict() for r in runs],
    }
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(table(stats, floor))
    print(f"load {load_at_start[0]:.2f} -> {os.getloadavg()[0]:.2f}; runs: {args.out}")
    return 0 if all(r.ok for r in runs if r.run >= 0) else 1


if __name__ == "__main__":
    sys.exit(main())
