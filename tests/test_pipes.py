"""``pgb pull | head``: on a pipe an alert counts as written only once the reader took its
line, so what died in a reader that left is redelivered, and pgb exits 141 at once, idle
or not. Observed as a user would: a real ``head``, then the subscription itself."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import orjson
import pytest

from pittgoogle_cli._exceptions import OutputClosed
from pittgoogle_cli.outputs.pipe import PipeSink

from .conftest import Channel, new_channel, pgb_command, pgb_env

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/bin/head") or os.uname().sysname != "Linux",
    reason="pipe accounting is Linux's",
)


def pull_into_head(chan: Channel, lines: int, *extra: str) -> tuple[list[bytes], int, float]:
    """``pgb pull SUB ... | head -LINES``: what head printed, pgb's exit code, and how
    long pgb took to exit after head did."""
    argv = pgb_command("pull", chan.subscription_id, "--no-create", "--envelope", *extra)
    pgb = subprocess.Popen(
        argv, env=pgb_env(chan.host), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert pgb.stdout is not None
    head = subprocess.Popen(["head", f"-{lines}"], stdin=pgb.stdout, stdout=subprocess.PIPE)
    pgb.stdout.close()  # head holds the only read end now
    printed, _ = head.communicate(timeout=60)
    head_left = time.monotonic()
    code = pgb.wait(30)
    return printed.splitlines(), code, time.monotonic() - head_left


def redelivered(chan: Channel) -> list[str]:
    """Every message id still in the subscription (nacked ones come back at once)."""
    return chan.drain_ids()


@pytest.mark.parametrize(
    "shape", [("--fields", "objectId"), ("--cutouts", "keep")], ids=["small", "whole"]
)
def test_head_acks_only_what_it_printed(emulator: str, ztf_payloads, shape):
    chan = new_channel(emulator)
    published = chan.publish((ztf_payloads * 4)[:30])
    printed, code, lag = pull_into_head(chan, 3, *shape)
    shown = [orjson.loads(line)["messageId"] for line in printed]
    assert len(shown) == 3
    assert code == 141
    assert lag < 1.5  # pgb noticed the reader left
    left = redelivered(chan)
    assert len(left) >= 27  # at most the 3 that head printed were acked
    assert set(left) | set(shown) == set(published)  # and nothing else is missing


def test_reader_leaving_an_idle_stream_ends_it_at_once(emulator: str):
    chan = new_channel(emulator)  # nothing published: the stream is idle
    argv = pgb_command("pull", chan.subscription_id, "--no-create")
    pgb = subprocess.Popen(
        argv, env=pgb_env(chan.host), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert pgb.stdout is not None and pgb.stderr is not None
    time.sleep(3)  # started, pulling, finding nothing
    assert pgb.poll() is None
    pgb.stdout.close()
    left = time.monotonic()
    assert pgb.wait(10) == 141
    assert time.monotonic() - left < 1.5
    with pgb.stderr:
        assert b"Traceback" not in pgb.stderr.read()


def test_a_slow_reader_keeps_leases_alive_and_memory_flat(emulator: str, ztf_payloads):
    """A reader taking a whole alert every 0.25 s for longer than the ack deadline: no
    alert comes twice (leases extended while pgb waits on the pipe) and pgb's memory
    does not grow while it waits."""
    chan = new_channel(emulator, ack_deadline=10)
    chan.publish(ztf_payloads * 12)
    argv = pgb_command("pull", chan.subscription_id, "--no-create", "--envelope", "--max", "60")
    pgb = subprocess.Popen(
        argv, env=pgb_env(chan.host), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert pgb.stdout is not None
    seen, rss = [], []
    for _ in range(60):
        seen.append(orjson.loads(pgb.stdout.readline())["messageId"])
        rss.append(_rss_kib(pgb.pid))
        time.sleep(0.25)
    pgb.stdout.close()
    assert pgb.wait(30) == 0
    assert len(seen) == len(set(seen)) == 60
    assert max(rss[-20:]) <= 1.15 * max(rss[10:30])  # no growth in the last third
    assert len(redelivered(chan)) == len(ztf_payloads) * 12 - 60  # the rest, once each


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_pipe_sink_counts_what_the_reader_took():
    """In-process: a reader that takes three reads (one line each, as pgb writes a line
    only into an empty pipe) and leaves; the sink says three were taken."""
    read_end, write_end = os.pipe()

    def reader() -> None:
        for _ in range(3):
            os.read(read_end, 1 << 16)
        os.close(read_end)

    stream = os.fdopen(write_end, "wb")
    sink = PipeSink(lambda alert: b'{"n":%d}\n' % alert, stream)  # type: ignore[arg-type]
    thread = threading.Thread(target=reader)
    thread.start()
    with pytest.raises(OutputClosed) as closed:
        sink._write(list(range(10)))  # type: ignore[arg-type]
    thread.join()
    stream.close()
    assert closed.value.taken == 3


def test_out_names_a_fifo_its_reader_gets_every_alert_and_they_are_acked(
    emulator: str, ztf_payloads, tmp_path: Path
):
    chan = new_channel(emulator)
    published = chan.publish(ztf_payloads * 2)
    fifo = tmp_path / "alerts"
    os.mkfifo(fifo)
    read: list[bytes] = []
    reader = threading.Thread(
        target=lambda: read.extend(fifo.read_bytes().splitlines()), daemon=True
    )
    reader.start()
    argv = pgb_command("pull", chan.subscription_id, "--no-create", "--envelope",
                       "--max", str(len(published)), "--out", str(fifo))  # fmt: skip
    done = subprocess.run(argv, env=pgb_env(chan.host), capture_output=True, timeout=60)
    if reader.is_alive() and done.returncode != 0:  # pgb never opened it: let the reader go
        with fifo.open("wb"):
            pass
    reader.join(10)
    assert done.returncode == 0, done.stderr
    assert sorted(orjson.loads(line)["messageId"] for line in read) == sorted(published)
    assert redelivered(chan) == []  # what the reader got was acked


@pytest.mark.parametrize(
    "shape", [("--fields", "objectId"), ("--cutouts", "keep")], ids=["small", "whole"]
)
def test_a_fifo_acks_only_what_its_reader_took(emulator: str, ztf_payloads, tmp_path, shape):
    """As `| head -3` on stdout: lines small enough that a batch fits in the pipe's buffer
    must not count as written until the reader took them."""
    chan = new_channel(emulator)
    published = chan.publish((ztf_payloads * 4)[:30])
    fifo = tmp_path / "alerts"
    os.mkfifo(fifo)
    with (tmp_path / "head.out").open("wb") as out:  # a file: head never waits on us
        head = subprocess.Popen(["head", "-3", str(fifo)], stdout=out)
    argv = pgb_command("pull", chan.subscription_id, "--no-create", "--envelope", *shape,
                       "--out", str(fifo))  # fmt: skip
    done = subprocess.run(argv, env=pgb_env(chan.host), capture_output=True, timeout=60)
    head.wait(10)
    printed = (tmp_path / "head.out").read_bytes()
    shown = [orjson.loads(line)["messageId"] for line in printed.splitlines()]
    assert len(shown) == 3
    assert done.returncode == 141 and b"Traceback" not in done.stderr
    left = redelivered(chan)
    assert len(left) >= 27  # at most the 3 that head printed were acked
    assert set(left) | set(shown) == set(published)  # and nothing else is missing


def test_out_dev_null_decodes_and_writes_nothing():
    files = sorted((Path(__file__).parent / "data" / "ztf").glob("*.avro"))
    argv = pgb_command("decode", *map(str, files), "--out", os.devnull)
    done = subprocess.run(argv, env=pgb_env("localhost:9"), capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == ""
    assert (
        done.stderr
        == f"pgb: decoded {len(files)} files: {len(files)} written, 0 filtered out, 0 failed\n"
    )
