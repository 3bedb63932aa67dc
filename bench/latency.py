"""The first line and the idle stream: what a user waits for, and what pgb asks of Pub/Sub
while nothing comes.

    .venv/bin/python -m bench.latency [--rounds 3] [--quiet 10] [--base REV]

Starts its own Pub/Sub emulator and, between it and pgb, the test suite's counting proxy
(``tests.faults.proxy.FaultProxy`` with no faults), then for each pgb tree (this one, and
with ``--base`` pgb as of REV, as ``bench.cpu`` does):

- first line: N alerts published, then ``pgb pull SUB --until-empty --out FILE``; seconds
  from starting the process to the first line in FILE (``bench.harness.run_consumer``);
- idle stream: ``pgb pull SUB --out FILE`` on an empty subscription; each round waits
  ``--quiet`` seconds (pull requests counted meanwhile: requests per second when idle),
  then publishes one alert and times until its line is in FILE (the latency of the first
  alert after a quiet spell). The runs of the trees are interleaved; medians are printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from pittgoogle_cli.emulator import PubSubEmulator, create_topic, publish
from tests.faults.proxy import FaultProxy

from .cpu import OUT, ROOT, Runner
from .harness import RunResult, delete_subscription, fill, new_subscription, run_consumer

TOPIC = "projects/ardent-cycling-243415/topics/ztf-latency"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--alerts", type=int, default=2000, help="backlog for the first line")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds of each quiet spell")
    parser.add_argument("--base", metavar="REV", help="also measure pgb as of this revision")
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro")
    parser.add_argument("--out", type=Path, default=OUT / "latency.json", help="results JSON")
    return parser.parse_args(argv)


def _say(text: str) -> None:
    print(f"bench.latency: {text}", file=sys.stderr, flush=True)


def lines_in(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def first_line(runner: Runner, proxy: FaultProxy, label: str, n: int) -> float | None:
    sub = new_subscription(runner.host, TOPIC, "first")
    fill(runner.host, TOPIC, runner.payloads, n)
    time.sleep(0.5)
    out = OUT / f"{sub}.jsonl"
    argv = [sys.executable, "-m", "pittgoogle_cli", "pull", sub, "--until-empty", "--quiet"]
    env = {**runner.env(runner.trees[label]), "PUBSUB_EMULATOR_HOST": proxy.host}
    result = RunResult(label, n, 1)
    try:
        run_consumer(result, [*argv, "--out", str(out)], env, out, timeout=300, stdout_is_out=False)
    finally:
        out.unlink(missing_ok=True)
        delete_subscription(runner.host, sub)  # else it keeps every alert published later
    return result.first_line_s if result.ok else None


def idle(
    runner: Runner, proxy: FaultProxy, label: str, rounds: int, quiet: float
) -> dict[str, Any]:
    """Requests per second while idle, and the latency of each alert after a quiet spell."""
    sub = new_subscription(runner.host, TOPIC, "idle")
    out = OUT / f"{sub}.jsonl"
    argv = [sys.executable, "-m", "pittgoogle_cli", "pull", sub, "--quiet", "--out", str(out)]
    env = {**runner.env(runner.trees[label]), "PUBSUB_EMULATOR_HOST": proxy.host}
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
    rates, latencies = [], []
    try:
        time.sleep(2.0)  # start-up and the first, empty pulls
        for round_ in range(rounds):
            before, started = proxy.requests["pull"], time.monotonic()
            time.sleep(quiet)
            rates.append((proxy.requests["pull"] - before) / (time.monotonic() - started))
            have = lines_in(out)
            sent = time.monotonic()
            publish(runner.host, TOPIC, [runner.payloads[round_ % len(runner.payloads)]])
            while lines_in(out) <= have and time.monotonic() - sent < 30:
                time.sleep(0.002)
            latencies.append(time.monotonic() - sent)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
        out.unlink(missing_ok=True)
        delete_subscription(runner.host, sub)
    return {"idle_pulls_per_s": rates, "latency_s": latencies, "exit": proc.returncode}


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops the emulator


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    OUT.mkdir(exist_ok=True)
    emulator = PubSubEmulator(heap="2g", log=OUT / "latency-emulator.log")
    results: dict[str, dict[str, list[Any]]] = {}
    load = [os.getloadavg()[0]]
    try:
        host = emulator.start()
        create_topic(host, TOPIC)
        assert emulator._process is not None
        runner = Runner(_runner_args(args), host, emulator._process.pid)
        labels = list(runner.trees)
        with FaultProxy(host, 0, rate=0) as proxy:
            for label in labels:  # untimed: the emulator's JIT and the gRPC filler warm up
                first_line(runner, proxy, label, args.alerts)
            for round_ in range(args.rounds):
                for label in labels if round_ % 2 == 0 else labels[::-1]:
                    got = results.setdefault(label, {"first_line_s": [], "idle": []})
                    got["first_line_s"].append(first_line(runner, proxy, label, args.alerts))
                    got["idle"].append(idle(runner, proxy, label, 1, args.quiet))
                    _say(f"{label} round {round_ + 1}: {got['first_line_s'][-1]} {got['idle'][-1]}")
    finally:
        emulator.stop()
    load.append(os.getloadavg()[0])
    args.out.write_bytes(
        orjson.dumps({"load": load, "results": results}, option=orjson.OPT_INDENT_2)
    )
    print(table(results))
    print(f"load {load[0]:.2f} -> {load[1]:.2f}; runs: {args.out}")
    return 0


def _runner_args(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(data=args.data, base=args.base, alerts=args.alerts, pgb_arg=[])


def table(results: dict[str, dict[str, list[Any]]]) -> str:
    def med(values: list[float | None]) -> str:
        kept = [v for v in values if v is not None]
        return f"{median(kept):.2f}" if kept else "failed"

    lines = ["".ljust(34) + "".join(label.rjust(18) for label in results)]
    rows = {
        "first line s (backlog)": lambda r: med(r["first_line_s"]),
        "idle pull requests /s": lambda r: med(
            [x for i in r["idle"] for x in i["idle_pulls_per_s"]]
        ),
        "alert after quiet spell s": lambda r: med([x for i in r["idle"] for x in i["latency_s"]]),
    }
    for name, cell in rows.items():
        lines.append(name.ljust(34) + "".join(cell(r).rjust(18) for r in results.values()))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
