"""The emulator side of the benchmark and the measurement of one consumer.

A consumer runs as a child process writing to a file, under ``bench/tree.py``: a small
child subreaper that reaps every process of the consumer's tree (``pgb --workers N`` is
pgb, a forkserver and N workers, which ``wait4`` on pgb alone never counted), so CPU is the
whole tree's, exactly, with the root's own share beside it; and it samples the tree's
summed RSS. The peak RSS reported is the larger of the largest single process's
``ru_maxrss`` (GNU ``/usr/bin/time``'s ``%M``, as before: for a one-process consumer the
figure is unchanged) and the sampled sum of the tree. ``ru_maxrss`` of a child that Python
vforks and execs starts at the *parent's* peak RSS (Linux carries the pre-exec high-water
mark over), so measured from this ~650 MB benchmark it would be 650 MB for everyone; the
wrapper is a ~10 MB process, so its children start clean. The time of the first line is
seen by polling the file's size; the time of the last line is the file's mtime once the
consumer has exited. Wall time runs from the consumer's spawn to its exit (the wrapper's
own start-up is not counted).
"""

from __future__ import annotations

import compileall
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from pittgoogle_cli.emulator import create_subscription
from pittgoogle_cli.pubsub.rest import ack_body, parse_pull, pull_body


def compiled(tree: Path) -> Path:
    """``tree`` with the bytecode of its ``pittgoogle_cli`` written (what is stale only), as
    pip writes an installed wheel's. With ``PYTHONDONTWRITEBYTECODE`` set (this project's
    machines set it) every pgb run compiled its modules again: ``pgb decode`` of nine
    files took 1,271 M instructions so, 960 M with its bytecode; the peers' packages,
    pip-installed, never paid that."""
    compileall.compile_dir(tree / "pittgoogle_cli", quiet=1)
    return tree


SUB_PROJECT = "pgb-bench"
TIME = Path("/usr/bin/time")
TREE = Path(__file__).with_name("tree.py")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def load_alerts(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob("*.avro"))]


def cycle(payloads: list[bytes], n: int) -> list[bytes]:
    return list(itertools.islice(itertools.cycle(payloads), n))


def new_subscription(host: str, topic: str, prefix: str) -> str:
    """A fresh subscription on ``topic`` (before anything is published); its id."""
    sub_id = f"{prefix}-{uuid.uuid4().hex[:10]}"
    create_subscription(host, f"projects/{SUB_PROJECT}/subscriptions/{sub_id}", topic)
    return sub_id


def delete_subscription(host: str, sub_id: str) -> None:
    """Drop what it still holds, so the emulator can collect it before the next run."""
    httpx.delete(f"http://{host}/v1/projects/{SUB_PROJECT}/subscriptions/{sub_id}", timeout=60)


def fill(host: str, topic: str, payloads: list[bytes], n: int) -> float:
    """Publish ``n`` alerts (cycling ``payloads``) in ~4 MB gRPC requests; seconds taken."""
    from .gcp_peer import publish_grpc  # the [bench] extra's: report and floor go without it

    started = time.monotonic()
    published = publish_grpc(host, topic, cycle(payloads, n))
    if published != n:
        raise RuntimeError(f"published {published} of {n} alerts")
    return time.monotonic() - started


def drain_rest(host: str, sub_id: str, n: int, timeout: float = 600.0) -> int:
    """Pull and ack ``n`` messages over REST (the warm-up); how many came."""
    path = f"http://{host}/v1/projects/{SUB_PROJECT}/subscriptions/{sub_id}"
    got = 0
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=120) as client:
        while got < n and time.monotonic() < deadline:
            reply = client.post(f"{path}:pull", content=pull_body(100, True))
            reply.raise_for_status()
            ack_ids = [m.ack_id for m in parse_pull(reply.content)]
            if ack_ids:
                client.post(f"{path}:acknowledge", content=ack_body(ack_ids)).raise_for_status()
            got += len(ack_ids)
    return got


@dataclass(frozen=True, slots=True)
class ProcStats:
    """CPU seconds and RSS of a running process (the emulator's JVM) from /proc."""

    cpu_s: float
    rss_mb: float
    hwm_mb: float

    @staticmethod
    def of(pid: int) -> ProcStats:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        kb = {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith("Vm")}
        return ProcStats(cpu, kb.get("VmRSS", 0) / 1024, kb.get("VmHWM", 0) / 1024)


@dataclass(slots=True)
class RunResult:
    contender: str
    alerts: int
    run: int  # 0 is the untimed warm-up round
    lines: int = 0
    wall_s: float = 0.0
    first_line_s: float | None = None
    last_line_s: float | None = None
    peak_rss_mb: float = 0.0  # max(largest process, summed tree): see the module's doc
    cpu_s: float = 0.0  # every process of the consumer's tree
    root_cpu_s: float = 0.0  # the consumer's first process alone (pgb's parent)
    wait4_cpu_s: float = 0.0  # wait4 on the root: the figure before bench/tree.py
    largest_rss_mb: float = 0.0  # ru_maxrss of the largest process (/usr/bin/time %M)
    tree_rss_mb: float = 0.0  # the sampled peak of the tree's summed RSS
    tree_pss_mb: float = 0.0  # the same in PSS (shared pages split), sampled less often
    processes: int = 0
    machine_cpu_s: float = 0.0  # everything on the machine during the run (all cores)
    emulator_cpu_s: float = 0.0  # or the replay server's
    publish_s: float = 0.0
    returncode: int | None = None
    load_1m: float = 0.0
    rss_source: str = ""
    error: str = ""
    server: dict[str, Any] = field(default_factory=dict)  # the replay server's counts

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.lines == self.alerts and not self.error

    @property
    def rate(self) -> float:
        return self.lines / self.wall_s if self.wall_s else 0.0

    @property
    def others_cores(self) -> float:
        """How many cores everything else on the machine kept busy during the run (other
        engineers' tests, emulators...): the machine's CPU less the consumer's and the
        server's, over the wall time."""
        other = self.machine_cpu_s - self.cpu_s - self.emulator_cpu_s
        return max(0.0, other) / self.wall_s if self.wall_s else 0.0

    @property
    def rate_to_last_line(self) -> float:
        return self.lines / self.last_line_s if self.last_line_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            ok=self.ok,
            alerts_per_s=self.rate,
            alerts_per_s_to_last_line=self.rate_to_last_line,
            others_cores=self.others_cores,
        )
        return out


def _watch_first_line(path: Path, stop: threading.Event, into: list[float]) -> None:
    while not stop.is_set():
        try:
            if path.stat().st_size > 0:
                into.append(time.monotonic())
                return
        except FileNotFoundError:
            pass
        stop.wait(0.002)


def run_consumer(
    result: RunResult,
    argv: list[str],
    env: dict[str, str],
    out: Path,
    *,
    timeout: float,
    stdout_is_out: bool,
) -> RunResult:
    """Run one consumer to completion, measuring it into ``result``. The consumer writes
    its JSON lines to ``out``: as its stdout, or by itself (``stdout_is_out=False``)."""
    err = out.with_suffix(".stderr")
    figures_file = out.with_suffix(".tree.json")
    argv = [sys.executable, "-S", str(TREE), "--report", str(figures_file), "--", *argv]
    first: list[float] = []
    stop = threading.Event()
    with (
        (out if stdout_is_out else Path(os.devnull)).open("wb") as stdout,
        err.open("wb") as stderr,
    ):
        wall0, started, busy = time.time_ns(), time.monotonic(), machine_busy_seconds()
        # Its own session: Ctrl-C reaches us only, and killpg reaches the whole tree too.
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
        watcher = threading.Thread(target=_watch_first_line, args=(out, stop, first))
        watcher.start()
        killer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        killer.start()
        try:
            proc.wait()
            ended = time.monotonic()
            result.machine_cpu_s = machine_busy_seconds() - busy
        finally:
            killer.cancel()
            stop.set()
            watcher.join()
            if proc.returncode is None:  # interrupted: the tree must not outlive us
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    result.returncode = proc.returncode
    result.wall_s = ended - started
    if figures_file.exists():
        spawned = _tree_figures(result, orjson.loads(figures_file.read_bytes()))
        wall0 += round((spawned - started) * 1e9)  # the wrapper's start-up is not the consumer's
        started = spawned
        figures_file.unlink()
    else:
        result.error = "bench/tree.py wrote no figures (killed?)"
    result.first_line_s = first[0] - started if first else None
    if out.exists() and out.stat().st_size:
        result.last_line_s = (out.stat().st_mtime_ns - wall0) / 1e9
    result.lines = count_lines(out) if out.exists() else 0
    if result.lines and not _looks_like_alert(out):
        result.error = "the first line is not a ZTF alert as JSON"
    if proc.returncode != 0:
        result.error = err.read_text(errors="replace")[-2000:]
    err.unlink(missing_ok=True)
    return result


def _tree_figures(result: RunResult, figures: dict[str, Any]) -> float:
    """Fill ``result`` from bench/tree.py's report; the consumer's spawn (monotonic)."""
    result.wall_s = figures["exited"] - figures["spawned"]
    result.cpu_s = figures["cpu_s"]
    result.root_cpu_s = figures["root_cpu_s"]
    result.wait4_cpu_s = figures["root_wait4_cpu_s"]
    result.largest_rss_mb = figures["largest_rss_kib"] / 1024
    result.tree_rss_mb = figures["tree_rss_kib"] / 1024
    result.tree_pss_mb = figures["tree_pss_kib"] / 1024
    result.processes = figures["processes"]
    result.peak_rss_mb = max(result.largest_rss_mb, result.tree_rss_mb)
    result.rss_source = (
        "ru_maxrss (as /usr/bin/time %M)"
        if result.processes <= 1
        else f"summed RSS of {result.processes} processes, sampled"
    )
    return float(figures["spawned"])


def machine_busy_seconds() -> float:
    """CPU seconds spent by everything on the machine so far (all cores, not idle)."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / _CLOCK_TICKS


def count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            lines += chunk.count(b"\n")
    return lines


def _looks_like_alert(path: Path) -> bool:
    with path.open("rb") as handle:
        try:
            alert = orjson.loads(handle.readline())
        except orjson.JSONDecodeError:
            return False
    return isinstance(alert, dict) and "candid" in alert and "objectId" in alert
