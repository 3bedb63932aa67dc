"""Crash safety, seeded: ``pgb pull --out FILE`` SIGKILLed at random moments and started
again until the backlog is drained loses nothing; duplicates are bounded by what was in
flight when it died. The seed is printed, so a failure can be replayed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from .conftest import new_channel, pgb_command, pgb_env, run_pgb

SEED = int(os.environ.get("PGB_CRASH_SEED", "20261202"))
KILLS = 10
CONCURRENCY = 2
PULL_SIZE = 100  # what one pull may hold
# 10 ms an alert: a run is often still decoding or writing when it is killed.
SLOW = """
import time


def slow(alert):
    time.sleep(0.01)
    return alert
"""


def test_sigkill_at_random_moments_loses_nothing(emulator: str, ztf_payloads, tmp_path: Path):
    print(f"seed {SEED} (PGB_CRASH_SEED replays it)")
    moments = random.Random(SEED)
    chan = new_channel(emulator, ack_deadline=10)  # the unacked come back after 10 s
    (tmp_path / "slow.py").write_text(SLOW)
    published = chan.publish(ztf_payloads * 6)
    out = tmp_path / "alerts.jsonl"
    argv = pgb_command(
        "pull", chan.subscription_id, "--no-create", "--envelope", "--cutouts", "drop",
        "--concurrency", str(CONCURRENCY), "--out", str(out),
        "--filter", f"{tmp_path / 'slow.py'}:slow",
    )  # fmt: skip
    for _ in range(KILLS):
        published += chan.publish(ztf_payloads * 5)  # fresh alerts for every run: 504 in all
        pgb = subprocess.Popen(argv, env=pgb_env(chan.host), stderr=subprocess.DEVNULL)
        time.sleep(moments.uniform(0.5, 4.0))  # start-up, then mid-stream
        pgb.send_signal(signal.SIGKILL)
        assert pgb.wait(30) == -signal.SIGKILL
        print(f"killed with {len(out.read_bytes().splitlines()) if out.exists() else 0} lines")
    done = run_pgb(
        emulator, "pull", chan.subscription_id, "--no-create", "--envelope", "--cutouts", "drop",
        "--until-empty", "--empty-wait", "12", "--out", str(out), timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = Counter(orjson.loads(line)["messageId"] for line in out.read_bytes().splitlines())
    assert set(seen) == set(published)  # zero lost
    duplicates = sum(seen.values()) - len(published)
    print(f"{len(published)} published, {len(seen)} delivered, {duplicates} duplicated, 0 lost")
    assert duplicates <= KILLS * (CONCURRENCY + 1) * PULL_SIZE  # at most what was in flight
    assert chan.drain_ids() == []  # and nothing left unacked


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_signals_at_random_moments_lose_and_duplicate_nothing(
    emulator: str, ztf_payloads, tmp_path: Path, signum: int, code: int
):
    """A clean stop writes what it decoded, acks that and returns the rest: after 10
    signals at seeded moments and a drain, each alert was written exactly once (a
    duplicate would mean something written was not acked)."""
    print(f"seed {SEED} (PGB_CRASH_SEED replays it)")
    moments = random.Random(SEED + signum)
    chan = new_channel(emulator, ack_deadline=10)
    (tmp_path / "slow.py").write_text(SLOW)
    out = tmp_path / "alerts.jsonl"
    common = ("pull", chan.subscription_id, "--no-create", "--envelope", "--cutouts", "drop",
              "--concurrency", str(CONCURRENCY), "--out", str(out))  # fmt: skip
    published: list[str] = []
    codes = []
    for _ in range(KILLS):
        published += chan.publish(ztf_payloads * 3)
        argv = pgb_command(*common, "--filter", f"{tmp_path / 'slow.py'}:slow")
        pgb = subprocess.Popen(argv, env=pgb_env(chan.host), stderr=subprocess.DEVNULL)
        time.sleep(moments.uniform(0.8, 3.0))
        pgb.send_signal(signum)
        codes.append(pgb.wait(15))  # stops within seconds
    assert codes == [code] * KILLS
    done = run_pgb(emulator, *common, "--until-empty", "--empty-wait", "2")
    assert done.returncode == 0, done.stderr
    seen = Counter(orjson.loads(line)["messageId"] for line in out.read_bytes().splitlines())
    assert set(seen) == set(published)  # zero lost
    assert max(seen.values()) == 1  # zero duplicated
    assert chan.drain_ids() == []  # nothing left unacked
    print(f"{signal.Signals(signum).name}: {len(published)} published, {len(seen)} delivered, "
          f"0 duplicated, 0 lost, exit codes {codes}")  # fmt: skip
