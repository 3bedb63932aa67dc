"""At-least-once, observed from outside: kill or interrupt ``pgb pull`` mid-stream and
check, against the emulator, that nothing was lost and nothing unwritten was acked."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path
from subprocess import PIPE
from tempfile import TemporaryDirectory

import anyio
import orjson

import pittgoogle_cli as pgb
from pittgoogle_cli.pubsub.subscriber import Subscriber

from .conftest import PROJECT, Channel, new_channel, pgb_command, pgb_env, run_pgb


def start_pull(chan: Channel, *extra: str) -> subprocess.Popen[bytes]:
    args = ("pull", chan.subscription_id, "--envelope", "--concurrency", "2", *extra)
    return subprocess.Popen(pgb_command(*args), env=pgb_env(chan.host), stdout=PIPE, stderr=PIPE)


def read_lines(pgb: subprocess.Popen[bytes], count: int) -> list[bytes]:
    """Read ``count`` lines slowly enough that pgb blocks writing into a full pipe."""
    assert pgb.stdout is not None
    return [pgb.stdout.readline() for _ in range(count)]


def finish(pgb: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """The rest of stdout (through the same buffered reader ``read_lines`` used) and stderr."""
    assert pgb.stdout is not None and pgb.stderr is not None
    with pgb.stdout, pgb.stderr:
        rest = pgb.stdout.read()
        err = pgb.stderr.read()
    pgb.wait(60)
    return rest, err


def complete_lines(data: bytes) -> list[bytes]:
    """A killed writer can leave half a line at the end: it was never acked either."""
    return data.split(b"\n")[:-1]


def message_ids(raw_lines: list[bytes]) -> list[str]:
    return [orjson.loads(line)["messageId"] for line in raw_lines if line.strip()]


def test_sigkill_mid_stream_then_rerun_loses_nothing(emulator: str, ztf_payloads):
    chan = new_channel(emulator, ack_deadline=10)  # redelivery of the unacked after 10 s
    published = set(chan.publish(ztf_payloads * 10))
    pgb = start_pull(chan)
    first = read_lines(pgb, 7)
    time.sleep(0.5)
    pgb.kill()
    rest, _ = finish(pgb)  # what was already in the pipe still counts
    seen_first = message_ids(first + complete_lines(rest))
    assert 7 <= len(seen_first) < len(published)

    again = run_pgb(
        emulator,
        "pull",
        chan.subscription_id,
        "--envelope",
        "--until-empty",
        "--empty-wait",
        "15",
    )
    assert again.returncode == 0, again.stderr
    seen = set(seen_first) | set(message_ids(again.stdout.splitlines()))
    assert seen == published


def test_sigint_acks_exactly_what_was_printed_and_returns_the_rest(channel: Channel, ztf_payloads):
    published = channel.publish(ztf_payloads * 10)
    pgb = start_pull(channel)
    printed = read_lines(pgb, 5)
    pgb.send_signal(signal.SIGINT)
    rest, err = finish(pgb)
    printed_ids = message_ids(printed + rest.splitlines())

    assert pgb.returncode == 130, err
    summary = err.decode().strip().splitlines()[-1]
    assert summary.startswith(f"pgb: interrupted: {len(printed_ids)} written")
    # Everything not printed was nacked, so it is back at once (the deadline is 60 s).
    redelivered = channel.drain_ids()
    assert set(printed_ids).isdisjoint(redelivered)
    assert sorted(printed_ids + redelivered) == sorted(published)


def test_sigterm_exits_143_with_nothing_unprinted_acked(channel: Channel, ztf_payloads):
    published = channel.publish(ztf_payloads * 4)
    pgb = start_pull(channel)
    printed = read_lines(pgb, 1)
    pgb.send_signal(signal.SIGTERM)
    rest, err = finish(pgb)
    assert pgb.returncode == 143, err
    assert b"pgb: terminated:" in err
    printed_ids = message_ids(printed + rest.splitlines())
    assert sorted(printed_ids + channel.drain_ids()) == sorted(published)


def test_deadlines_of_held_alerts_are_extended(emulator: str, ztf_payloads):
    """A reader that stalls longer than the ack deadline gets every alert once, not twice:
    pgb keeps extending the deadline of what it holds while it waits to write."""
    chan = new_channel(emulator, ack_deadline=10)
    published = chan.publish(ztf_payloads * 4)
    pgb = start_pull(chan, "--max", str(len(published)))
    time.sleep(16)  # nobody reads stdout: pgb is stuck writing, holding the rest
    rest, err = finish(pgb)
    assert pgb.returncode == 0, err
    ids = message_ids(complete_lines(rest))
    assert sorted(ids) == sorted(published)  # each once: nothing expired and came back
    assert chan.drain_ids() == []


def test_replies_waiting_to_be_read_are_leased_too(emulator: str, ztf_payloads):
    """With two pulls in flight and the reader stalled past the ack deadline, the reply
    that waits unread behind the one being written is read in time to extend its leases:
    every alert comes once."""
    chan = new_channel(emulator, ack_deadline=10)
    published = chan.publish(ztf_payloads * 30)  # 270: three pull replies of up to 100
    pgb = start_pull(chan, "--max", str(len(published)))
    time.sleep(16)
    rest, err = finish(pgb)
    assert pgb.returncode == 0, err
    ids = message_ids(complete_lines(rest))
    assert sorted(ids) == sorted(published)
    assert chan.drain_ids() == []


def test_reader_going_away_exits_141_quietly(channel: Channel, ztf_payloads):
    """Like ``pgb pull | head -n 2``: once stdout is closed, pgb stops without a traceback
    and what it could not write stays in the subscription."""
    channel.publish(ztf_payloads[:3])
    pgb = start_pull(channel, "--timeout", "60")
    assert pgb.stdout is not None and pgb.stderr is not None
    read_lines(pgb, 2)
    pgb.stdout.close()
    later = channel.publish(ztf_payloads * 3)
    with pgb.stderr:
        err = pgb.stderr.read()
    assert pgb.wait(60) == 141
    assert err == b""
    assert set(later) <= set(channel.drain_ids())


def test_alerts_stay_leased_while_their_ack_is_slow(emulator: str, ztf_payloads, monkeypatch):
    """An ack request that takes longer than the ack deadline (a slow network, retries)
    must not let its alerts run out and come again: they stay leased until it is done."""
    chan = new_channel(emulator, ack_deadline=10)
    chan.publish(ztf_payloads)
    acknowledge = Subscriber.acknowledge
    slow_once: list[bool] = []

    async def slow_ack(self: Subscriber, ack_ids: list[str]) -> None:
        if not slow_once:
            slow_once.append(True)
            await anyio.sleep(14)  # past the 10 s deadline
        await acknowledge(self, ack_ids)

    monkeypatch.setattr(Subscriber, "acknowledge", slow_ack)
    settings = pgb.PullSettings(
        chan.subscription_id, project=PROJECT, emulator_host=emulator, until_empty=True
    )
    with TemporaryDirectory() as folder:
        out = Path(folder) / "alerts.jsonl"
        done: list[pgb.PullOutcome] = []
        puller = threading.Thread(target=lambda: done.append(pgb.pull_sync(settings, out=out)))
        puller.start()
        time.sleep(12)  # the ack is still on its way; without a lease they would be back
        again = chan.pull_raw()
        puller.join(60)
    assert again == []
    assert done and done[0].counts.acked == len(ztf_payloads)
    assert chan.drain_ids() == []
