"""``python -m tests.query.bqemu -- CMD`` (``make demo-query``) as a user, a timeout or a CI
runner stops it: nothing it started outlives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import bqemu
from .bqemu import EmulatorUnavailable, ensure_venv, venv_ready

ROOT = Path(__file__).resolve().parents[2]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc (children of children included)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def bq_venv() -> None:
    if venv_ready():
        return
    try:
        ensure_venv()
    except (EmulatorUnavailable, OSError, subprocess.SubprocessError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the BigQuery emulator: {exc}")
        pytest.skip(f"BigQuery emulator unavailable: {exc}")


@pytest.mark.usefixtures("bq_venv")
def test_sigterm_stops_the_emulator_and_the_command(tmp_path: Path):
    # The command stands for `pgb query`: it says when it runs, and would run for minutes.
    command = "import time; print('running', flush=True); time.sleep(300)"
    started: set[int] = set()
    err = tmp_path / "stderr"  # a file, not a pipe: a survivor would hold a pipe open
    with (
        err.open("wb") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "tests.query.bqemu", "--", sys.executable, "-c", command],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "GOOGLE_CLOUD_PROJECT": "pgb-tests"},
        ) as runner,
    ):
        try:
            assert runner.stdout is not None
            assert runner.stdout.readline() == b"running\n"
            started = descendants(runner.pid)
            assert len(started) >= 2  # the emulator's launcher and the command, at least
            runner.send_signal(signal.SIGTERM)
            code = runner.wait(30)
        finally:
            runner.kill()
            deadline = time.monotonic() + 5  # the emulator's group is waited for; be fair
            while any(alive(pid) for pid in started) and time.monotonic() < deadline:
                time.sleep(0.1)
            survivors = [pid for pid in started if alive(pid)]
            for pid in survivors:  # do not leave them to the next test
                os.kill(pid, signal.SIGKILL)
    assert survivors == []
    assert code == 128 + signal.SIGTERM
    assert b"Traceback" not in err.read_bytes()


def test_first_use_says_what_it_installs_before_the_long_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # A venv of its own, and a requirement pip cannot find offline: the install fails at
    # once, after the line a user waiting two minutes would read.
    venv = tmp_path / "bqvenv"
    monkeypatch.setattr(bqemu, "VENV", venv)
    monkeypatch.setattr(bqemu, "PYTHON", venv / "bin" / "python")
    monkeypatch.setattr(bqemu, "STAMP", venv / ".stamp")
    monkeypatch.setattr(bqemu, "REQUIREMENTS", ("--no-index", "pgb-no-such-package"))
    with pytest.raises(EmulatorUnavailable, match="failed"):
        ensure_venv(timeout=120)
    err = capsys.readouterr().err
    assert err.startswith(f"bqemulator: first use, installing it into {venv}")
    assert "about 2 minutes" in err
