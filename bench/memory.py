"""Peak RSS of ``pgb pull SUB --until-empty`` at N alerts, and what makes it.

    .venv/bin/python -m bench.memory [--alerts 2000,20000] [--runs 3]
        [--variant NAME:ENV=VALUE,...] [--pgb-arg ARG]

Starts its own Pub/Sub emulator, then for each run publishes real ZTF alerts (cycling
tests/data/ztf) to a fresh subscription and drains it with one ``pgb pull`` writing to a
file (stdout, as ``make bench`` runs it: cutouts kept as base64). A backlog never holds
more than ``--backlog`` alerts (the emulator cannot hold 20,000: ~1.2 GB), so a feeder
tops it up as pgb writes; pgb starts on a full backlog, so its replies are full from the
first. The peak is GNU ``/usr/bin/time``'s ``%M`` (as in ``make bench``);
``/proc/PID/smaps_rollup`` is sampled every 20 ms to say where in the run the peak came
and how much of it was anonymous memory (the heap, arenas, replies) rather than the
mapped code. A variant is a name and extra environment for pgb, e.g.
``--variant arenas2:MALLOC_ARENA_MAX=2``; the variants' runs are interleaved and the table
shows medians (all runs go to ``--out``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from pittgoogle_cli.emulator import PubSubEmulator, create_subscription, create_topic

from .gcp_peer import publish_grpc
from .harness import TIME, cycle, delete_subscription, load_alerts

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
TOPIC = "projects/ardent-cycling-243415/topics/ztf-memory"
PROJECT = "pgb-bench"
CHUNK = 250  # alerts per publish while pgb runs (~15 MB)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--alerts", default="2000,20000", help="N values, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per N and variant")
    parser.add_argument("--backlog", type=int, default=2000, help="alerts queued at most")
    parser.add_argument("--heap", default="4g", help="the emulator's -Xmx")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:ENV=V,...",
                        help="a name and pgb's extra environment (repeatable; default: "
                        "pgb as it is)")  # fmt: skip
    parser.add_argument("--pgb-arg", action="append", default=[], metavar="ARG",
                        help="one more argument for every pgb pull (repeatable)")  # fmt: skip
    parser.add_argument("--data", type=Path, default=ROOT / "tests/data/ztf", help="*.avro")
    parser.add_argument("--out", type=Path, default=OUT / "memory.json", help="all runs")
    return parser.parse_args(argv)


def variants(specs: list[str]) -> dict[str, dict[str, str]]:
    """``["arenas2:MALLOC_ARENA_MAX=2"]`` -> ``{"arenas2": {"MALLOC_ARENA_MAX": "2"}}``."""
    out: dict[str, dict[str, str]] = {}
    for spec in specs or ["pgb:"]:
        name, _, env = spec.partition(":")
        out[name] = dict(pair.split("=", 1) for pair in env.split(",") if pair)
    return out


class Feeder(threading.Thread):
    """Publishes ``total`` alerts, at most ``backlog`` ahead of the lines in ``out``."""

    def __init__(self, host: str, payloads: list[bytes], total: int, backlog: int, out: Path):
        super().__init__(daemon=True)
        self.host, self.payloads, self.total, self.backlog = host, payloads, total, backlog
        self.written, self.published, self.error = LineCounter(out), 0, ""
        self.stop = threading.Event()

    def top_up(self, written: int) -> None:
        count = min(CHUNK, self.total - self.published, self.backlog - self.published + written)
        if count > 0:
            batch = cycle(self.payloads, self.published + count)[self.published :]
            self.published += publish_grpc(self.host, TOPIC, batch)

    def run(self) -> None:
        try:
            while self.published < self.total and not self.stop.is_set():
                before = self.published
                self.top_up(self.written())
                if self.published == before:
                    self.stop.wait(0.05)
        except Exception as exc:  # reported with the run
            self.error = f"{type(exc).__name__}: {exc}"


class LineCounter:
    """Lines in a growing file so far, reading only what is new at each call (the file
    of a 20,000-alert run is ~2 GB)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.lines = path, 0, 0

    def __call__(self) -> int:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                while chunk := handle.read(1 << 22):
                    self.offset += len(chunk)
                    self.lines += chunk.count(b"\n")
        except FileNotFoundError:
            pass
        return self.lines


def smaps(pid: int) -> dict[str, int]:
    """``/proc/PID/smaps_rollup`` in KiB (``Rss``, ``Pss``, ``Anonymous``, ...) and
    ``Threads``, summed over PID and its descendants (``--workers``: Pss counts the pages
    they share once); ``Processes`` says how many. {} once PID has exited."""
    found: dict[str, int] = {}
    for each in [pid, *descendants(pid)]:
        try:
            text = Path(f"/proc/{each}/smaps_rollup").read_text()
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            if each == pid:
                return {}
            continue
        threads = status.split("Threads:")[1].split()[0]
        for line in [*text.splitlines()[1:], f"Threads: {threads}", "Processes: 1"]:
            key, _, value = line.partition(":")
            found[key] = found.get(key, 0) + int(value.split()[0])
    return found


def descendants(pid: int) -> list[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def child_of(pid: int, within: float = 5.0) -> int | None:
    """The pid ``/usr/bin/time`` started (the one to sample)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            children = descendants(pid)
        except OSError:
            return None
        if children:
            return children[0]
        time.sleep(0.002)
    return None


def one_run(host: str, payloads: list[bytes], n: int, name: str, args: argparse.Namespace,
            env: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    sub = f"mem-{uuid.uuid4().hex[:10]}"
    create_subscription(host, f"projects/{PROJECT}/subscriptions/{sub}", TOPIC)
    out = OUT / "runs" / f"{sub}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    rss_file = out.with_suffix(".maxrss")
    feeder = Feeder(host, payloads, n, args.backlog, out)
    while feeder.published < min(n, args.backlog):  # a full backlog before pgb starts
        feeder.top_up(0)
    time.sleep(0.5)
    pgb = [str(Path(sys.executable).parent / "pgb"), "pull", sub, "--until-empty", "--quiet"]
    argv = [str(TIME), "-f", "%M %U %S", "-o", str(rss_file), *pgb, *args.pgb_arg]
    if n > args.backlog:
        argv += ["--empty-wait", "5"]  # outlasts the slowest top-up on a busy machine
    samples: list[tuple[float, int, dict[str, int]]] = []  # (s, bytes written, smaps)
    started = time.monotonic()
    with out.open("wb") as stdout:
        proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
        feeder.start()
        pid = child_of(proc.pid)
        while proc.poll() is None and pid is not None:
            sample = smaps(pid)
            if sample:
                samples.append((time.monotonic() - started, out.stat().st_size, sample))
            time.sleep(0.02)
        _, err = proc.communicate()
    wall = time.monotonic() - started
    feeder.stop.set()
    feeder.join(30)
    lines = LineCounter(out)()
    total_bytes = out.stat().st_size or 1
    delete_subscription(host, sub)
    out.unlink()
    peak, user, system = rss_file.read_text().split()[-3:] if rss_file.exists() else ["0"] * 3
    rss_file.unlink(missing_ok=True)
    at_peak = max(samples, key=lambda s: s[2].get("Rss", 0)) if samples else (0, 0, {})
    result = {
        "variant": name,
        "alerts": n,
        "lines": lines,
        "ok": proc.returncode == 0 and lines == n and not feeder.error,
        "wall_s": wall,
        "peak_rss_mb": int(peak) / 1024,
        "cpu_s": float(user) + float(system),
        "sampled_peak_rss_mb": at_peak[2].get("Rss", 0) / 1024,
        "anonymous_at_peak_mb": at_peak[2].get("Anonymous", 0) / 1024,
        "peak_at_s": at_peak[0],
        "peak_at_fraction": at_peak[1] / total_bytes,
        "pss_peak_mb": max((s[2].get("Pss", 0) for s in samples), default=0) / 1024,
        "threads_max": max((s[2].get("Threads", 0) for s in samples), default=0),
        "processes_max": max((s[2].get("Processes", 0) for s in samples), default=0),
        "rss_at_half_mb": _rss_near(samples, 0.5 * total_bytes) / 1024,
        "rss_at_end_mb": _rss_near(samples, total_bytes) / 1024,
        "load_1m": os.getloadavg()[0],
        "error": feeder.error or (err.decode(errors="replace")[-500:] if proc.returncode else ""),
    }
    _say(
        f"{name:<12} {n:>6} alerts: {lines} lines in {wall:.1f} s ({result['cpu_s']:.1f} s CPU), "
        f"peak RSS "
        f"{result['peak_rss_mb']:.0f} MB (sampled {result['sampled_peak_rss_mb']:.0f}, anon "
        f"{result['anonymous_at_peak_mb']:.0f}, at {result['peak_at_fraction']:.0%} of the "
        f"output), Pss {result['pss_peak_mb']:.0f} MB over {result['processes_max']} "
        f"process(es) and {result['threads_max']} threads, load {result['load_1m']:.2f}"
        + ("" if result["ok"] else f"  FAILED {result['error']}")
    )
    return result


def _rss_near(samples: list[tuple[float, int, dict[str, int]]], written: float) -> int:
    """The largest RSS sampled while the output was within 10% of ``written`` bytes."""
    near = [s[2].get("Rss", 0) for s in samples if abs(s[1] - written) <= 0.1 * written]
    return max(near, default=0)


def table(runs: list[dict[str, Any]]) -> str:
    keys = sorted({(r["variant"], r["alerts"]) for r in runs}, key=lambda k: (k[1], k[0]))
    rows = [
        "variant        alerts  runs  peak RSS MB (median, min-max)  anon MB  Pss MB  threads"
        "  CPU s"
    ]
    for name, n in keys:
        ok = [r for r in runs if (r["variant"], r["alerts"]) == (name, n) and r["ok"]]
        if not ok:
            rows.append(f"{name:<14} {n:>6}  0 ok")
            continue
        peaks = [r["peak_rss_mb"] for r in ok]
        rows.append(
            f"{name:<14} {n:>6}  {len(ok):>4}  {median(peaks):>6.0f} ({min(peaks):.0f}-"
            f"{max(peaks):.0f}){'':>15}{median(r['anonymous_at_peak_mb'] for r in ok):>7.0f}"
            f"  {median(r['pss_peak_mb'] for r in ok):>6.0f}"
            f"  {max(r['threads_max'] for r in ok):>7}  {median(r['cpu_s'] for r in ok):>5.1f}"
        )
    return "\n".join(rows)


def _say(text: str) -> None:
    print(f"bench.memory: {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    payloads = load_alerts(args.data)
    sizes = [int(x) for x in args.alerts.split(",")]
    named = variants(args.variant)
    base = {**os.environ, "GOOGLE_CLOUD_PROJECT": PROJECT,
            "PGB_DEAD_LETTER_DIR": str(OUT / "dead-letter")}  # fmt: skip
    runs: list[dict[str, Any]] = []
    started = {"load": os.getloadavg(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    OUT.mkdir(exist_ok=True)
    with PubSubEmulator(heap=args.heap, log=OUT / "memory-emulator.log") as host:
        create_topic(host, TOPIC)
        env = {**base, "PUBSUB_EMULATOR_HOST": host}
        for run in range(args.runs):
            order = list(named.items())
            for name, extra in order if run % 2 == 0 else order[::-1]:
                for n in sizes:
                    runs.append(one_run(host, payloads, n, name, args, {**env, **extra}))
                    time.sleep(1.0)  # the emulator collects the last run's garbage
    results = {"started": started, "load_at_end": os.getloadavg(), "args": vars(args)}
    results["runs"] = runs
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2, default=str))
    print(table(runs))
    print(f"\nload average at start {started['load']}, at end {os.getloadavg()}")
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
