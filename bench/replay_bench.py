"""The second table: pgb and the REST peers on the replay server (see ``bench.replay``),
where the server's CPU per alert is a small fraction of the consumers', so the figures
are the clients' own rather than the emulator's REST gateway's."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from . import contenders, floor
from .harness import ProcStats, RunResult, run_consumer
from .replay import ReplayServer

PROJECT = "pgb-replay"


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


class ReplayBench:
    def __init__(self, args: argparse.Namespace, server: ReplayServer, runs_dir: Path) -> None:
        self.args, self.server, self.runs_dir = args, server, runs_dir
        self.env = {
            **os.environ,
            "PUBSUB_EMULATOR_HOST": server.host,
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "PGB_DEAD_LETTER_DIR": str(runs_dir.parent / "dead-letter"),
            "PGB_CONFIG": "/nonexistent/pgb-bench/config.toml",
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }

    def run(self, contender: str, n: int, run: int) -> RunResult:
        sub_id = f"replay-{uuid.uuid4().hex[:10]}"
        sub = f"projects/{PROJECT}/subscriptions/{sub_id}"
        self.server.load(sub, n)
        result = RunResult(contender, n, run)
        out = self.runs_dir / f"{sub_id}.jsonl"
        argv, stdout_is_out = contenders.command(contender, sub_id, n, out, self.args.pgb_arg)
        before = ProcStats.of(self.server.pid)
        try:
            run_consumer(
                result, argv, self.env, out, timeout=60 + n * 0.1, stdout_is_out=stdout_is_out
            )
            result.emulator_cpu_s = ProcStats.of(self.server.pid).cpu_s - before.cpu_s
            result.load_1m = os.getloadavg()[0]
            result.server = self.server.stats(sub)
            if not result.server["done"] and not result.error:
                result.error = f"the server saw {result.server['acked']} of {n} acked"
        except Exception as exc:
            if not self.server.alive():
                raise RuntimeError("the replay server died") from exc
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            for suffix in (".jsonl", ".stderr", ".maxrss", ".tree.json"):
                out.with_suffix(suffix).unlink(missing_ok=True)
            self.server.delete(sub)
        _report(result)
        return result


def _report(result: RunResult) -> None:
    label = "warm-up" if result.run == 0 else f"run {result.run}"
    server = result.server
    _say(
        f"replay {result.contender:<18} {label:<8} {result.alerts} alerts: {result.lines} "
        f"lines, {result.wall_s:.2f} s wall ({result.rate:.0f}/s), first line "
        f"{result.first_line_s or 0:.2f} s, peak RSS {result.peak_rss_mb:.0f} MB, CPU "
        f"{1000 * result.cpu_s / result.alerts:.2f} ms/alert (server "
        f"{1000 * result.emulator_cpu_s / result.alerts:.3f}), redelivered "
        f"{server.get('redelivered', '?')}, load {result.load_1m:.2f}"
        + ("" if result.ok else f"  FAILED rc={result.returncode} {result.error[-300:]}")
    )


def run_all(args: argparse.Namespace, out_dir: Path) -> tuple[list[RunResult], dict[str, Any]]:
    """Every replay run: an untimed round, ``args.runs`` interleaved rounds, and one
    round of ``alerts * flat_factor`` alerts; and the server's own figures, with the
    in-memory floor's CPU per alert measured just before pgb's run in each timed round
    (``floor_ms``, for ``report.paired_floor``)."""
    runs_dir = out_dir / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "replay.log"
    log.unlink(missing_ok=True)
    server = ReplayServer(args.data, log=log)
    runs: list[RunResult] = []
    with server:
        _say(f"replay server at {server.host} (pid {server.pid})")
        bench = ReplayBench(args, server, runs_dir)
        who = contenders.lineup(contenders.ON_REPLAY, args.pgb_also, args.without)
        for contender in who:
            runs.append(bench.run(contender, args.alerts, 0))
        floors: list[float] = []
        for run in range(1, args.runs + 1):
            for contender in contenders.interleaved(who, run):
                if contender == contenders.PGB:  # just before pgb's run: the pair's floor
                    floors.append(floor.round_ms(f"replay floor (bench.floor) run {run}",
                                                 args.alerts, args.data))  # fmt: skip
                runs.append(bench.run(contender, args.alerts, run))
                time.sleep(0.2)
        if args.flat_factor > 1:
            for contender in who:
                runs.append(bench.run(contender, args.alerts * args.flat_factor, 1))
        stats = ProcStats.of(server.pid)
        info: dict[str, Any] = {"cpu_s": stats.cpu_s, "rss_mb": stats.rss_mb}
        info |= {"peak_rss_mb": stats.hwm_mb, "floor_ms": floors}
    return runs, info
