"""The emulator side of the benchmark and the measurement of one consumer process.

A consumer runs as a child process writing to a file. Its CPU time comes from
``os.wait4`` on that one pid (``RUSAGE_CHILDREN`` would mix in every child reaped so far).
Its peak RSS comes from GNU ``/usr/bin/time``'s ``%M``: ``ru_maxrss`` of a child that
Python forks (vforks) and execs starts at the *parent's* peak RSS (Linux carries the
pre-exec high-water mark over), so ``wait4`` reported this benchmark's own ~650 MB for
every consumer; ``time`` is a small process, so its child starts clean. Without
``/usr/bin/time`` the ``wait4`` figure is used and flagged as an upper bound. The time of
the first line is seen by polling the file's size; the time of the last line is the
file's mtime once the child has exited.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
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

from .gcp_peer import publish_grpc

SUB_PROJECT = "pgb-bench"
TIME = Path("/usr/bin/time")
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
    peak_rss_mb: float = 0.0
    cpu_s: float = 0.0
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
    def rate_to_last_line(self) -> float:
        return self.lines / self.last_line_s if self.last_line_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            ok=self.ok, alerts_per_s=self.rate, alerts_per_s_to_last_line=self.rate_to_last_line
        )
        return out


def _watch_first_line(path: Path, started: float, stop: threading.Event, into: list[float]) -> None:
    while not stop.is_set():
        try:
            if path.stat().st_size > 0:
                into.append(time.monotonic() - started)
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
    rss_file = out.with_suffix(".maxrss")
    if TIME.exists():
        argv = [str(TIME), "-f", "%M", "-o", str(rss_file), *argv]
    first: list[float] = []
    stop = threading.Event()
    with (
        (out if stdout_is_out else Path(os.devnull)).open("wb") as stdout,
        err.open("wb") as stderr,
    ):
        wall0, started = time.time_ns(), time.monotonic()
        # Its own session: Ctrl-C reaches us only, and killpg reaches time's child too.
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
        watcher = threading.Thread(target=_watch_first_line, args=(out, started, stop, first))
        watcher.start()
        killer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        killer.start()
        reaped = False
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            reaped = True
            result.wall_s = time.monotonic() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            killer.cancel()
            stop.set()
            watcher.join()
            if not reaped:  # interrupted: the child (and time's child) must not outlive us
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    result.returncode = proc.returncode
    result.peak_rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    result.rss_source = "wait4 (upper bound: includes the parent's RSS)"
    if rss_file.exists():
        kib = rss_file.read_text().strip().splitlines()[-1:]
        if kib and kib[0].isdigit():
            result.peak_rss_mb, result.rss_source = int(kib[0]) / 1024, "/usr/bin/time %M"
        rss_file.unlink()
    result.cpu_s = usage.ru_utime + usage.ru_stime
    result.first_line_s = first[0] if first else None
    if out.exists() and out.stat().st_size:
        result.last_line_s = (out.stat().st_mtime_ns - wall0) / 1e9
    result.lines = count_lines(out) if out.exists() else 0
    if result.lines and not _looks_like_alert(out):
        result.error = "the first line is not a ZTF alert as JSON"
    if proc.returncode != 0:
        result.error = err.read_text(errors="replace")[-2000:]
    err.unlink(missing_ok=True)
    return result


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
