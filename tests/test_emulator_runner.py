"""``python -m pittgoogle_cli.emulator run --publish PATH ... -- CMD`` as a new user types it:
a bad path is one line before anything starts, a single alert file is published like a
folder of one, and a SIGTERM reaches the command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from .conftest import ZTF_FILES, pgb_command

ROOT = Path(__file__).resolve().parents[1]


def runner(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PGB_", "GOOGLE_", "PUBSUB"))}
    env["PGB_CONFIG"] = "/nonexistent/pgb-tests/config.toml"
    command = [sys.executable, "-m", "pittgoogle_cli.emulator", "run", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=timeout)


@pytest.mark.parametrize("path", ["no/such/folder", "tests/data/ztf/missing.avro"])
def test_a_missing_path_is_one_line_and_starts_nothing(path: str):
    done = runner("--publish", path, "--", "true", timeout=30)
    assert done.returncode == 2
    assert done.stderr.decode() == f"emulator: cannot publish {path}: no such file or folder\n"
    assert done.stdout == b""


def test_a_folder_without_alerts_is_one_line(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not an alert")
    done = runner("--publish", str(tmp_path), timeout=30)
    assert done.returncode == 2
    assert done.stderr.decode() == f"emulator: no alert files (.avro, .json) in {tmp_path}\n"


@pytest.mark.usefixtures("emulator")  # the same check that the emulator is installed
def test_one_alert_file_is_published_like_a_folder_of_one():
    one = ZTF_FILES[0]
    candid = int(one.name.split("_")[2].split(".")[0])
    pull = [*pgb_command("pull", "first", "--until-empty", "--no-create"), "-q"]
    done = runner("--publish", str(one), "--subscription", "first", "--", *pull)
    assert done.returncode == 0, done.stderr.decode()
    assert "published 1 alerts" in done.stderr.decode()
    [alert] = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert alert["candid"] == candid


@pytest.mark.usefixtures("emulator")
def test_sigterm_reaches_the_command_and_its_exit_code_comes_back(tmp_path: Path):
    # The command traps SIGTERM and writes down that it did: it was passed on, not lost.
    seen = tmp_path / "seen"
    script = f"trap 'echo TERM > {seen}; exit 7' TERM; echo started; while :; do sleep 0.1; done"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PGB_", "GOOGLE_", "PUBSUB"))}
    command = [sys.executable, "-m", "pittgoogle_cli.emulator", "run", "--", "sh", "-c", script]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE) as run:
        assert run.stdout is not None
        assert run.stdout.readline() == b"started\n"
        run.send_signal(signal.SIGTERM)
        assert run.wait(30) == 7
    assert seen.read_text() == "TERM\n"


@pytest.mark.usefixtures("emulator")
def test_ctrl_c_is_the_commands_to_handle(tmp_path: Path):
    # A terminal's Ctrl-C reaches the whole group; a command that carries on (a Python REPL
    # does) is not killed for it, and the emulator is still there for it.
    script = (
        "trap 'echo INT' INT; echo started; i=0; while [ $i -lt 20 ]; do sleep 0.1; "
        "i=$((i+1)); done; curl -s http://$PUBSUB_EMULATOR_HOST/ || wget -qO- "
        "http://$PUBSUB_EMULATOR_HOST/"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PGB_", "GOOGLE_", "PUBSUB"))}
    command = [sys.executable, "-m", "pittgoogle_cli.emulator", "run", "--", "sh", "-c", script]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, start_new_session=True
    ) as run:
        assert run.stdout is not None
        assert run.stdout.readline() == b"started\n"
        os.killpg(run.pid, signal.SIGINT)
        out, _ = run.communicate(timeout=30)
    assert run.returncode == 0
    assert out.split() == [b"INT", b"Ok"]
