"""Progress goes to stderr only when stderr is a terminal; stdout stays pure JSON lines."""

from __future__ import annotations

import os
import pty
import subprocess

import orjson

from .conftest import Channel, pgb_command, pgb_env


def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_live_progress_on_a_terminal(channel: Channel, ztf_payloads):
    channel.publish(ztf_payloads * 30)
    main, child = pty.openpty()
    env = pgb_env(channel.host, TERM="xterm", COLUMNS="120")
    args = pgb_command("pull", channel.subscription_id, "--until-empty", "--empty-wait", "2")
    with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=child) as pgb:
        os.close(child)
        out = pgb.stdout.read() if pgb.stdout else b""
        pgb.wait(60)
    screen = read_all(main)
    os.close(main)
    assert pgb.returncode == 0
    assert b"alerts/s" in screen and b"written" in screen and b"held" in screen
    assert b"drained: 270 written" in screen
    assert len([orjson.loads(line) for line in out.splitlines()]) == 270


def test_no_progress_when_stderr_is_not_a_terminal(channel: Channel, ztf_payloads):
    channel.publish(ztf_payloads)
    done = subprocess.run(
        pgb_command("pull", channel.subscription_id, "--until-empty"),
        env=pgb_env(channel.host, TERM="xterm"),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stderr.decode().splitlines() == [
        line for line in done.stderr.decode().splitlines() if line.startswith("pgb: ")
    ]
    assert b"held" not in done.stderr
