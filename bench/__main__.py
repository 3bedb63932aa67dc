"""``python -m bench [--alerts N] [--runs R] [--only emulator|replay|decode]``: see
``bench/__init__.py``."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from pittgoogle_cli.emulator import PubSubEmulator, create_topic
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT

from . import contenders, decode_pair, micro, replay_bench, report
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

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
TOPIC = f"projects/{PITT_GOOGLE_PROJECT}/topics/ztf-bench"
TABLES = ("emulator", "replay", "decode")  # decode: pgb decode against its floor


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--alerts", type=int, default=2000, help="N alerts per run")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per contender")
    parser.add_argument(
        "--flat-factor",
        type=int,
        default=4,
        help="each contender also runs once with N*this alerts (flat memory); 1: skip",
    )
    parser.add_argument("--warmup", type=int, default=8000, help="alerts to warm the emulator")
    parser.add_argument("--heap", default="1g", help="the emulator's -Xmx")
    parser.add_argument("--no-micro", action="store_true", help="skip the microbenchmarks")
    parser.add_argument(
        "--only", choices=TABLES, help="one table: the emulator's, the replay server's, decode's"
    )
    parser.add_argument(
        "--pgb-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for pgb pull, e.g. --pgb-arg=--concurrency=2 (repeatable)",
    )
    parser.add_argument(
        "--pgb-also",
        action="append",
        default=[],
        metavar="ARGS",
        help="pgb with these arguments as one more contender, e.g. --pgb-also=--workers=2",
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="PEER",
        help="leave a peer out, e.g. --without 'httpx by hand' (repeatable)",
    )
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro alerts")
    parser.add_argument("--out", type=Path, default=OUT / "results.json", help="results JSON")
    return parser.parse_args(argv)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops the emulator


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


class Bench:
    def __init__(
        self, args: argparse.Namespace, emulator: PubSubEmulator, jvm: int, payloads: list[bytes]
    ) -> None:
        self.args, self.host, self.jvm, self.payloads = args, emulator.host, jvm, payloads
        self.emulator = emulator
        self.runs_dir = OUT / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "PUBSUB_EMULATOR_HOST": self.host,
            "GOOGLE_CLOUD_PROJECT": SUB_PROJECT,
            "PGB_DEAD_LETTER_DIR": str(OUT / "dead-letter"),
            "PYTHONPATH": str(ROOT),
        }

    def alive(self) -> bool:
        process = self.emulator._process
        return process is not None and process.poll() is None

    def warm_up(self) -> dict[str, Any]:
        n = self.args.warmup
        before = ProcStats.of(self.jvm)
        sub = new_subscription(self.host, TOPIC, "warmup")
        publish_s = drain_s = 0.0
        got = 0
        for start in range(0, n, 2000):  # in chunks: a backlog lives in the emulator's heap
            chunk = min(2000, n - start)
            publish_s += fill(self.host, TOPIC, self.payloads, chunk)
            started = time.monotonic()
            got += drain_rest(self.host, sub, chunk)
            drain_s += time.monotonic() - started
        delete_subscription(self.host, sub)
        after = ProcStats.of(self.jvm)
        _say(f"warm-up: {got} alerts through the emulator ({publish_s:.1f} s + {drain_s:.1f} s)")
        return {
            "alerts": got,
            "publish_s": publish_s,
            "drain_s": drain_s,
            "emulator_cpu_s": after.cpu_s - before.cpu_s,
        }

    def run(self, contender: str, n: int, run: int) -> RunResult:
        sub = new_subscription(self.host, TOPIC, "pgb" if contenders.is_pgb(contender) else "peer")
        result = RunResult(contender, n, run)
        out = self.runs_dir / f"{sub}.jsonl"
        try:
            self._measure(result, sub, out)
        except Exception as exc:  # one failed run is reported; a dead emulator stops all
            if not self.alive():
                raise RuntimeError(f"the emulator died (see {OUT / 'emulator.log'})") from exc
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            for suffix in (".jsonl", ".stderr", ".maxrss", ".tree.json"):
                out.with_suffix(suffix).unlink(missing_ok=True)
            delete_subscription(self.host, sub)
        label = "warm-up" if run == 0 else f"run {run}"
        _say(
            f"{contender:<20} {label:<8} {n} alerts: {result.lines} lines, {result.wall_s:.2f} s "
            f"wall ({result.rate:.0f}/s), last line {result.last_line_s or 0:.2f} s, "
            f"peak RSS {result.peak_rss_mb:.0f} MB, load {result.load_1m:.2f}"
            + ("" if result.ok else f"  FAILED rc={result.returncode} {result.error[-300:]}")
        )
        time.sleep(1.0)  # garbage collection time for the emulator between runs
        return result

    def _measure(self, result: RunResult, sub: str, out: Path) -> None:
        n, contender = result.alerts, result.contender
        result.publish_s = fill(self.host, TOPIC, self.payloads, n)
        time.sleep(0.5)  # let the emulator settle after the publishing burst
        argv, stdout_is_out = contenders.command(contender, sub, n, out, self.args.pgb_arg)
        before = ProcStats.of(self.jvm)
        run_consumer(
            result, argv, self.env, out, timeout=120 + n * 0.1, stdout_is_out=stdout_is_out
        )
        result.emulator_cpu_s = ProcStats.of(self.jvm).cpu_s - before.cpu_s
        result.load_1m = os.getloadavg()[0]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    compiled(ROOT)
    payloads = load_alerts(args.data)
    if not payloads:
        raise SystemExit(f"bench: no .avro alerts in {args.data}")
    OUT.mkdir(exist_ok=True)
    tables = [args.only] if args.only else list(TABLES)
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "alerts": args.alerts,
            "runs": args.runs,
            "flat_factor": args.flat_factor,
            "warmup": args.warmup,
            "heap": args.heap,
            "tables": tables,
            "commands": {c: contenders.describe(c, args.pgb_arg) for c in _everyone(args, tables)},
            "files": len(payloads),
            "mean_alert_bytes": sum(map(len, payloads)) / len(payloads),
        },
        "machine": {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()},
        "versions": _versions(),
        "summary": {},
    }
    if not args.no_micro:
        _say("microbenchmarks (in-process, no emulator)...")
        results["micro"] = micro.run(payloads)
    runs: list[RunResult] = []
    if "emulator" in tables:
        mine = _on_emulator(args, payloads, results)
        runs += mine
        results["summary"]["emulator"] = report.summarise(
            mine, args.alerts, args.flat_factor, who(args, contenders.ON_EMULATOR)
        )
    if "replay" in tables:
        mine, results["replay_server"] = replay_bench.run_all(args, OUT)
        runs += mine
        floors = results["replay_server"]["floor_ms"]
        results["summary"]["replay"] = report.summarise(
            mine, args.alerts, args.flat_factor, who(args, contenders.ON_REPLAY), floors
        )
    if "decode" in tables:
        _say(f"pgb decode of {args.alerts} files against its floor...")
        results["summary"]["decode"] = decode_pair.run_all(args)
    results["machine"]["load_at_end"] = os.getloadavg()
    results["runs"] = [r.as_dict() for r in runs]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(report.table(results))
    print(f"\nresults: {args.out}")
    decoded = results["summary"].get("decode", {}).get("ok", True)
    return 0 if all(r.ok for r in runs) and decoded else 1


def who(args: argparse.Namespace, table: tuple[str, ...]) -> tuple[str, ...]:
    return contenders.lineup(table, args.pgb_also, args.without)


def _everyone(args: argparse.Namespace, tables: list[str]) -> list[str]:
    on = {"emulator": contenders.ON_EMULATOR, "replay": contenders.ON_REPLAY}
    return list(dict.fromkeys(c for t in tables if t in on for c in who(args, on[t])))


def _on_emulator(
    args: argparse.Namespace, payloads: list[bytes], results: dict[str, Any]
) -> list[RunResult]:
    """The emulator's table: warm it up, an untimed round, the interleaved runs, a round
    with ``alerts * flat_factor`` alerts."""
    (OUT / "emulator.log").unlink(missing_ok=True)  # this run's log only
    emulator = PubSubEmulator(heap=args.heap, log=OUT / "emulator.log")
    runs: list[RunResult] = []
    lineup = who(args, contenders.ON_EMULATOR)
    try:
        host = emulator.start()
        assert emulator._process is not None
        jvm = emulator._process.pid  # the launcher execs java: this is the JVM
        _say(f"emulator at {host} (pid {jvm}, -Xmx{args.heap})")
        create_topic(host, TOPIC)
        bench = Bench(args, emulator, jvm, payloads)
        results["warmup"] = bench.warm_up()
        for contender in lineup:  # one untimed round: the gRPC path warms up too
            runs.append(bench.run(contender, args.alerts, 0))
        for run in range(1, args.runs + 1):
            for contender in contenders.interleaved(lineup, run):
                runs.append(bench.run(contender, args.alerts, run))
        if args.flat_factor > 1:
            big = args.alerts * args.flat_factor
            for contender in lineup:
                runs.append(bench.run(contender, big, 1))
        results["emulator"] = _proc(jvm)
    finally:
        emulator.stop()
    return runs


def _versions() -> dict[str, str]:
    """What was measured: pgb's commit (and whether its tree had changes) and the libraries."""
    out = {"python": sys.version.split()[0]}
    for name in (
        "pittgoogle-cli",
        "google-cloud-pubsub",
        "gcloud-aio-pubsub",
        "aiohttp",
        "httpx",
        "grpcio",
        "fastavro",
        "msgspec",
        "orjson",
    ):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    git = ["git", "-C", str(ROOT)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", "pittgoogle_cli"], capture_output=True, text=True
        )
        out["pgb_commit"] = head.stdout.strip()
        out["pgb_uncommitted_files"] = str(len(changed.stdout.splitlines()))
    except OSError:
        pass
    return out


def _proc(pid: int) -> dict[str, float]:
    stats = ProcStats.of(pid)
    return {"cpu_s": stats.cpu_s, "rss_mb": stats.rss_mb, "peak_rss_mb": stats.hwm_mb}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted (emulator stopped)", file=sys.stderr)
        sys.exit(130)
