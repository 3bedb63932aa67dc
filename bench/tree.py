"""Run a consumer as the root of its own process tree and measure the whole tree.

    python -S bench/tree.py --report FILE.json -- COMMAND [ARG...]

``pgb pull --workers N`` is a tree: pgb, its forkserver, and N workers forked by the
forkserver. ``wait4`` on pgb counts only what pgb itself reaped, and the forkserver
(which reaps the workers) outlives pgb by a moment and is reaped by init, so the workers'
CPU was not in pgb's figure; ``/usr/bin/time``'s ``%M`` is the largest *single* process's
peak, never a sum. Here:

- CPU: this process is a child subreaper (``PR_SET_CHILD_SUBREAPER``), so every orphan of
  the tree is re-parented to it and reaped here; once all are, ``RUSAGE_CHILDREN`` is the
  CPU of every process of the tree, exactly. The root's own share is read from its
  ``/proc/PID/stat`` while it is a zombie (``waitid(WNOWAIT)``), before it is reaped.
- memory: the summed RSS of the tree, sampled every ``--interval`` from ``/proc`` (and the
  summed PSS, which shares the forked workers' common pages out, less often), beside
  ``RUSAGE_CHILDREN``'s ``ru_maxrss`` (the largest process: ``/usr/bin/time %M``'s figure).

Run by file with ``-S`` (no site, no package): it starts in ~15 ms, holds ~10 MB, and its
children's ``ru_maxrss`` starts from that, not from the benchmark's ~650 MB. The command
inherits stdin, stdout and stderr; the exit status is the command's. ``spawned`` and
``exited`` are ``time.monotonic()`` (CLOCK_MONOTONIC, the same in every process), so the
caller times the command without this wrapper's start-up.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
ORPHAN_GRACE_S = 30.0  # after the root exits, how long the rest of the tree may take


def _stat(pid: int) -> list[bytes] | None:
    """The fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Peak summed RSS (and PSS) of this process's descendants, and the last CPU seen of
    each (by name), until ``stop``."""

    def __init__(self, interval: float, pss_every: int = 5, rescan_every: int = 5) -> None:
        super().__init__(daemon=True)
        self.interval, self.pss_every, self.rescan_every = interval, pss_every, rescan_every
        self.me = os.getpid()
        self.tree: set[int] = set()
        self.peak_rss_kib = self.peak_pss_kib = self.most = self.samples = 0
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (name, utime + stime seconds)
        self.done = threading.Event()

    def _rescan(self) -> None:
        """Find new descendants: pids above ours whose parent is in the tree (pids are
        handed out upwards, so a pass in pid order finds parents before children)."""
        known = self.tree | {self.me}
        for name in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
            pid = int(name)
            if pid <= self.me or pid in known:
                continue
            fields = _stat(pid)
            if fields is not None and int(fields[1]) in known:
                known.add(pid)
        self.tree = known - {self.me}

    def _comm(self, pid: int) -> str:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                words = handle.read().split(b"\0")
            return " ".join(w.decode(errors="replace") for w in words[:4] if w)[:80]
        except OSError:
            return "?"

    def sample(self) -> None:
        if self.samples % self.rescan_every == 0:
            self._rescan()
        rss = 0
        for pid in list(self.tree):
            fields = _stat(pid)
            if fields is None:
                self.tree.discard(pid)
                continue
            if fields[0] in (b"Z", b"X"):  # exited: its CPU is final, its memory gone
                continue
            rss += int(fields[21]) * _PAGE // 1024
            name = self.cpu.get(pid, (None, 0.0))[0] or self._comm(pid)
            self.cpu[pid] = (name, (int(fields[11]) + int(fields[12])) / _TICKS)
        if self.samples % self.pss_every == 0:
            self.peak_pss_kib = max(self.peak_pss_kib, sum(map(_pss_kib, self.tree)))
        self.peak_rss_kib = max(self.peak_rss_kib, rss)
        self.most = max(self.most, len(self.tree))
        self.samples += 1

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.sample()


def _wait_root(pid: int) -> tuple[int, float, float]:
    """Wait for the root to exit; its exit code, when, and its own CPU (from the zombie)."""
    while True:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            break
        except InterruptedError:
            continue
    exited = time.monotonic()
    fields = _stat(pid)
    own = (int(fields[11]) + int(fields[12])) / _TICKS if fields else -1.0
    _, status, _ = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), exited, own


def _reap_the_rest(deadline: float) -> tuple[float, int]:
    """Reap every orphan re-parented here; kill what is still alive at ``deadline``.
    When the last one was reaped, and how many had to be killed."""
    killed = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return time.monotonic(), killed
        if pid == 0:
            if time.monotonic() > deadline:
                killed += _kill_children()
                deadline = time.monotonic() + 5
            time.sleep(0.005)


def _kill_children() -> int:
    me, killed = str(os.getpid()).encode(), 0
    for name in os.listdir("/proc"):
        fields = _stat(int(name)) if name.isdigit() else None
        if fields is not None and fields[1] == me:
            try:
                os.kill(int(name), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[0] != "--report" or argv[2] != "--":
        print("usage: python -S bench/tree.py --report FILE -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    report, command = argv[1], argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"bench/tree.py: prctl: errno {ctypes.get_errno()}", file=sys.stderr)
        return 1
    sampler = TreeSampler(float(os.environ.get("BENCH_TREE_INTERVAL", "0.02")))
    spawned = time.monotonic()
    root = os.posix_spawnp(command[0], command, os.environ)
    sampler.start()
    code, exited, own = _wait_root(root)
    at_root_exit = resource.getrusage(resource.RUSAGE_CHILDREN)
    last, killed = _reap_the_rest(time.monotonic() + ORPHAN_GRACE_S)
    sampler.done.set()
    sampler.join()
    everyone = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "returncode": code,
        "spawned": spawned,
        "exited": exited,
        "tree_done_after_s": last - exited,
        "orphans_killed": killed,
        "cpu_s": everyone.ru_utime + everyone.ru_stime,
        "root_cpu_s": own,
        "root_wait4_cpu_s": at_root_exit.ru_utime + at_root_exit.ru_stime,
        "largest_rss_kib": everyone.ru_maxrss,
        "tree_rss_kib": sampler.peak_rss_kib,
        "tree_pss_kib": sampler.peak_pss_kib,
        "processes": sampler.most,
        "samples": sampler.samples,
        "cpu_by_process": sorted(sampler.cpu.values(), key=lambda nc: -nc[1]),
    }
    with open(report, "w") as handle:
        json.dump(figures, handle)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
