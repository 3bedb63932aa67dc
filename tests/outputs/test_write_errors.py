"""An output that cannot be written (a full disk, a file too large) is one line
``pgb: cannot write ...`` and exit 8, for every output and the dead-letter folder; nothing
unwritten is acked, so a rerun delivers it all.

The child gets ``RLIMIT_FSIZE`` (SIGXFSZ ignored): its writes past the limit fail with
EFBIG through the same path as ENOSPC on a full disk.
"""

from __future__ import annotations

import resource
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from ..conftest import Channel, pgb_command, pgb_env

GARBAGE = b"\x00\x00\x00\x27\x10not an alert"


def limited(size: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def pull(channel: Channel, *args: str, limit: int | None, stdout: Path | None = None):
    argv = pgb_command("pull", channel.subscription_id, "--until-empty", "--envelope", *args)
    with open(stdout, "wb") if stdout else open("/dev/null", "wb") as out:
        return subprocess.run(
            argv,
            env=pgb_env(channel.host),
            stdout=out if stdout else subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=limited(limit) if limit else None,
            timeout=120,
        )


CASES = {  # name: (extra args given tmp, file-size limit)
    "jsonl": (lambda tmp: ["--out", str(tmp / "a.jsonl")], 50_000),
    "jsonl.gz": (lambda tmp: ["--out", str(tmp / "a.jsonl.gz")], 20_000),
    "sqlite": (lambda tmp: ["--out", str(tmp / "a.sqlite")], 50_000),
    "avro": (lambda tmp: ["--out", f"{tmp / 'avro'}/"], 20_000),
    "parquet": (lambda tmp: ["--out", str(tmp / "a.parquet")], 50_000),
    "cutouts": (lambda tmp: ["--cutouts", str(tmp / "stamps")], 2_000),
}


@pytest.mark.parametrize("name", CASES)
def test_a_full_output_is_one_line_and_exit_8(name, channel: Channel, ztf_payloads, tmp_path):
    ids = set(channel.publish(ztf_payloads))
    args, limit = CASES[name]
    done = pull(channel, *args(tmp_path), limit=limit)
    assert done.returncode == 8, done.stderr
    assert done.stderr.count(b"\n") == 1, done.stderr
    assert done.stderr.startswith(b"pgb: cannot write "), done.stderr
    assert b"File too large" in done.stderr or b"disk I/O error" in done.stderr  # SQLite's
    again = pull(channel, "--fields", "objectId", limit=None)  # nothing was acked: all again
    assert again.returncode == 0, again.stderr
    assert {orjson.loads(line)["messageId"] for line in again.stdout.splitlines()} == ids


def test_stdout_into_a_full_file(channel: Channel, ztf_payloads, tmp_path: Path):
    channel.publish(ztf_payloads)
    done = pull(channel, limit=50_000, stdout=tmp_path / "out.jsonl")
    assert done.returncode == 8
    assert done.stderr == b"pgb: cannot write stdout: File too large\n"
    assert len(channel.drain_ids()) == len(ztf_payloads)


def test_a_full_dead_letter_folder_acks_nothing(channel: Channel, ztf_payloads, tmp_path: Path):
    garbage, *good = channel.publish([GARBAGE, *ztf_payloads[:2]])
    folder = tmp_path / "dead"
    done = pull(channel, "--dead-letter", str(folder), "--fields", "objectId", limit=300)
    assert done.returncode == 8, done.stderr
    assert done.stderr.startswith(b"pgb: cannot write the dead-letter folder "), done.stderr
    assert done.stderr.count(b"\n") == 1
    written = {orjson.loads(line)["messageId"] for line in done.stdout.splitlines()}
    back = set(channel.drain_ids())
    assert garbage in back  # not set aside, so not acked
    assert written | back == {garbage, *good}  # and nothing else was lost
