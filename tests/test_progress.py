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


def on_one_terminal(*args: str, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run pgb with stdout and stderr the same terminal (typed at a prompt): its exit
    code and the lines the terminal shows (read as they come: a full terminal blocks)."""
    main, child = pty.openpty()
    with subprocess.Popen(
        pgb_command(*args), env=env, stdin=subprocess.DEVNULL, stdout=child, stderr=child
    ) as pgb:
        os.close(child)
        screen = read_all(main)
        pgb.wait(60)
    os.close(main)
    return pgb.returncode, screen.decode().split("\r\n")  # the terminal's \n is \r\n


def test_alert_lines_on_the_terminal_start_lines_of_their_own(channel: Channel, ztf_payloads):
    """Each JSON line is a line of its own on the terminal, never glued after the live
    counters' text (which pgb then does not draw: the alerts scrolling by are the
    progress)."""
    channel.publish(ztf_payloads * 30)
    env = pgb_env(channel.host, TERM="xterm", COLUMNS="120")
    args = ("pull", channel.subscription_id, "--until-empty", "--fields", "objectId,candid")
    code, lines = on_one_terminal(*args, env=env)
    assert code == 0
    alerts = [line for line in lines if '"candid"' in line]
    assert len(alerts) == 270
    glued = [line for line in alerts if not line.startswith('{"objectId":"ZTF')]
    assert not glued, f"{len(glued)} lines glued, e.g. {glued[0]!r}"
    assert [orjson.loads(line)["objectId"][:3] for line in alerts] == ["ZTF"] * 270
    assert any(line.startswith("pgb: drained: 270 written") for line in lines)


def test_live_progress_on_the_terminal_when_alerts_go_to_a_file(
    channel: Channel, ztf_payloads, tmp_path
):
    channel.publish(ztf_payloads * 30)
    env = pgb_env(channel.host, TERM="xterm", COLUMNS="120")
    out = tmp_path / "alerts.jsonl"
    code, lines = on_one_terminal(
        "pull", channel.subscription_id, "--until-empty", "--out", str(out), env=env
    )
    assert code == 0
    assert any("alerts/s" in line and "held" in line for line in lines)
    assert len(out.read_bytes().splitlines()) == 270
